"""Run promtool on out/: `check rules` then `test rules`.

A thin wrapper so the CLI can say which promtool ran, turn its output into
readable lines, and tell a missing tool (exit 2, with the install hint) from a
failed check (exit 1).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator import log
from generator.errors import ToolMissing

INSTALL_HINT = "install it with: apt-get install prometheus (Debian/Ubuntu), or set PROMTOOL=/path/to/promtool"


@dataclass
class Result:
    ok: bool
    lines: list[str]


def find() -> str:
    path = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not path or not os.access(path, os.X_OK):
        raise ToolMissing(f"promtool not found; {INSTALL_HINT}")
    return path


def run(args: list[str], cwd: Path, timeout: int) -> Result:
    started = time.monotonic()
    try:
        proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(False, [f"{' '.join(args[:3])}: timed out after {timeout}s"])
    log.debug("ran %s: exit %d in %.2fs", shlex.join(args), proc.returncode, time.monotonic() - started)
    text = (proc.stdout + proc.stderr).splitlines()
    lines = [line.rstrip() for line in text if line.strip()]
    return Result(proc.returncode == 0, lines)


def check_rules(binary: str, files: list[Path], cwd: Path) -> Result:
    if not files:
        return Result(True, [])
    return run([binary, "check", "rules", *[str(f) for f in files]], cwd, 120)


def test_rules(binary: str, files: list[Path], cwd: Path) -> Result:
    """One promtool per file, side by side: promtool runs a file's scenarios one after another."""
    if not files:
        return Result(True, [])
    workers = max(1, min(len(files), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda f: run([binary, "test", "rules", str(f)], cwd, 600), files))
    lines = [line for r in results for line in r.lines if not r.ok]
    return Result(all(r.ok for r in results), lines)
