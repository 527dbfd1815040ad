"""The oldest promtool, amtool and blackbox exporter whose verdict on out/ means something.

An older tool does not fail politely: amtool before 0.25 rejects `routing_key_file` as an unknown
field (the config looks broken when the tool is), and promtool before 2.33 can lose samples of a
unit test whose evaluations are days apart (prometheus#7699), so the generated tests fail or pass
at random. So the version is read before anything runs, and a tool too old for what obsgen writes
is refused with one line naming the version needed (exit 2, like a missing tool).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from generator.errors import ToolTooOld

Version = tuple[int, int, int]
_VERSION = re.compile(r"\bversion\s+v?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Minimum:
    tool: str
    version: Version
    why: str  # the feature of out/ that needs it
    env: str  # the variable that points obsgen at another binary

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version))


PROMTOOL = Minimum("promtool", (2, 33, 0), "the generated unit tests span days of evaluations, and older promtool "
                   "drops samples of such tests at random (prometheus#7699)", "PROMTOOL")
AMTOOL = Minimum("amtool", (0, 25, 0), "the generated config reads PagerDuty routing keys and SMTP passwords from "
                 "files (routing_key_file, auth_password_file: Alertmanager 0.25)", "AMTOOL")
PROMTOOL_NATIVE = Minimum("promtool", (3, 0, 0), "the generated tests of native-histogram SLOs write native "
                          "histograms in promtool's series notation, which promtool 2.42 cannot parse (3.5.3 "
                          "tested; older 3.x untested)", "PROMTOOL")
AMTOOL_URL_FILE = Minimum("amtool", (0, 26, 0), "the generated config reads a webhook URL from url_file "
                          "(Alertmanager 0.26; amtool 0.25 calls the config broken)", "AMTOOL")
BLACKBOX = Minimum("blackbox_exporter", (0, 19, 0), "the generated modules use follow_redirects (0.19 renamed "
                   "no_follow_redirects)", "BLACKBOX_EXPORTER")


def parse(output: str) -> Version | None:
    """The version in a Prometheus tool's `--version` output ("promtool, version 2.42.0+ds (branch: ...)")."""
    found = _VERSION.search(output)
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def banner(binary: str) -> str:
    """The first line of `binary --version`; ToolTooOld when the binary cannot say."""
    try:
        proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolTooOld(f"{binary} --version failed ({exc}): cannot tell which version it is") from None
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def require(binary: str, minimum: Minimum) -> str:
    """The binary's version line, once it is known to be new enough; ToolTooOld otherwise."""
    line = banner(binary)
    found = parse(line)
    hint = f"obsgen needs {minimum.tool} >= {minimum.text}: {minimum.why}; install a newer one or set " \
           f"{minimum.env}=/path/to/{minimum.tool}"
    if found is None:
        shown = line if len(line) <= 60 else line[:57] + "..."
        raise ToolTooOld(f"{binary}: cannot tell its version from `--version` ({shown!r}); {hint}")
    if found < minimum.version:
        raise ToolTooOld(f"{binary} is {minimum.tool} {'.'.join(map(str, found))}, too old: {hint}")
    return line
