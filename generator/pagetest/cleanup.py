"""`obsgen page-test --cleanup`: remove the drill rule files a killed page-test left behind.

page-test removes its file whatever happens to it, except `kill -9` (or a lost machine). Such a
file is harmless (its alert ends by itself at the deadline written in it) but clutters the rules
directory; this removes every file page-test could have written there, and nothing else: only names
rulefile.is_page_test_file accepts (publish's files and the SRE's own never match). With a
Prometheus URL it then reloads, so the groups go from the server too. A drill still running has such
a file as well: run this when no page-test is.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import TextIO

from generator import log
from generator.pagetest import rulefile
from generator.pagetest.httpjson import ServerError
from generator.pagetest.prometheus import Prometheus
from generator.pagetest.reloadlock import ReloadLock

EXIT_OK, EXIT_FAILED = 0, 1
LOCK_WAIT_S = 30.0  # then reload anyway: a drill holds the lock for seconds, never this long
_DEADLINE = re.compile(r"vector\(time\(\)\) < ([0-9]+(?:\.[0-9]+)?)")


def leftovers(rules_dir: Path) -> list[Path]:
    return sorted(p for p in rules_dir.iterdir() if p.is_file() and rulefile.is_page_test_file(p.name))


def deadline(path: Path) -> float | None:
    """When the file's drill alert ends by itself (None when the file does not say)."""
    try:
        found = _DEADLINE.search(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return float(found.group(1)) if found else None


def _when(path: Path, now: float) -> str:
    end = deadline(path)
    if end is None:
        return "its deadline is unreadable"
    if end <= now:
        return f"its alert had ended by itself at {rulefile.utc(end)}"
    return (f"its alert was still due to fire until {rulefile.utc(end)}; Alertmanager resolves it a few minutes "
            "after Prometheus stops sending it")


def run(rules_dir: Path, prometheus: Prometheus | None, out: TextIO = sys.stdout) -> int:
    """0 when no drill file is left (and Prometheus, if given, reloaded); 1 otherwise."""
    found = leftovers(rules_dir)
    log.debug("%s holds %d page-test file(s)", rules_dir, len(found))
    problems: list[str] = []
    removed = 0
    now = time.time()
    for path in found:
        when = _when(path, now)
        try:
            path.unlink()
        except FileNotFoundError:
            continue  # its own page-test removed it meanwhile
        except OSError as exc:
            problems.append(f"could not remove {path} ({exc.strerror or exc})")
            continue
        removed += 1
        out.write(f"removed {path}: {when}\n")
    if removed and prometheus is not None:
        lock = ReloadLock(rules_dir)  # a running drill's notifications must not fall into our reload's gap
        lock.acquire(time.monotonic() + LOCK_WAIT_S)
        try:
            prometheus.reload()
            out.write(f"Prometheus {prometheus.url} reloaded its rules: the drill groups are gone\n")
        except ServerError as exc:
            problems.append(str(exc))
        finally:
            lock.release()
    if not found:
        out.write(f"page-test --cleanup: nothing to remove in {rules_dir}\n")
        return EXIT_OK
    if problems:
        out.write(f"page-test --cleanup: FAILED: {'; '.join(problems)}\n")
        return EXIT_FAILED
    out.write(f"page-test --cleanup: removed {removed} drill rule file(s) from {rules_dir}\n")
    return EXIT_OK
