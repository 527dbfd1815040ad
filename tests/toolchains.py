"""The two Prometheus toolchains every real-tool test runs against: Debian bookworm's 2.x (the system's,
/usr/bin) and Debian testing's 3.x (`make tools` unpacks it into .tools/prometheus-3, never over the
system's). A test asks for the `toolchain` fixture (conftest.py), which puts one toolchain first on
PATH and in PROMTOOL/AMTOOL/BLACKBOX_EXPORTER for the test's module, so obsgen's checkers, bench/lab.py
and the tests' own lookups all run that version. A missing toolchain fails the test, never skips it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HINT = "`make tools` installs both (apt-get for 2.x, scripts/testing-tools.sh for 3.x)"


class ToolchainMissing(AssertionError):
    """An AssertionError, so pytest reports a failure, never a skip."""


@dataclass(frozen=True)
class Toolchain:
    id: str
    major: int
    bindir: Path

    def tool(self, *names: str) -> str:
        for name in names:
            path = self.bindir / name
            if os.access(path, os.X_OK):
                return str(path)
        raise ToolchainMissing(f"{self.id}: none of {', '.join(names)} in {self.bindir}; {HINT}")

    @property
    def promtool(self) -> str:
        return self.tool("promtool")

    @property
    def prometheus(self) -> str:
        return self.tool("prometheus")

    @property
    def amtool(self) -> str:
        return self.tool("amtool")

    @property
    def alertmanager(self) -> str:
        return self.tool("prometheus-alertmanager", "alertmanager")

    @property
    def blackbox(self) -> str:
        return self.tool("prometheus-blackbox-exporter", "blackbox_exporter")

    def version(self, binary: str) -> tuple[int, ...]:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        found = re.search(r"version\s+v?(\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
        if not found:
            raise ToolchainMissing(f"{binary}: cannot read its version")
        return tuple(int(x) for x in found.groups())

    def env(self) -> dict[str, str]:
        """The environment that makes this toolchain the one found first."""
        return {"PATH": f"{self.bindir}{os.pathsep}{os.environ.get('PATH', '')}", "PROMTOOL": self.promtool,
                "AMTOOL": self.amtool, "BLACKBOX_EXPORTER": self.blackbox}


TOOLCHAINS = (
    Toolchain("prom2", 2, Path("/usr/bin")),
    Toolchain("prom3", 3, ROOT / ".tools" / "prometheus-3" / "usr" / "bin"),
)
