"""Where the Prometheus tools are: the ones a user has, and every version a project keeps beside it.

`obsgen check` uses the user's tools (PROMTOOL/AMTOOL/BLACKBOX_EXPORTER, else PATH). `obsgen check
--all-versions` runs the checks once per toolchain found: that default, plus each directory under
the repository's `.tools/*/usr/bin` (where `make tools` unpacks Debian testing's Prometheus 3 next
to the system's Prometheus 2), so one command proves out/ on every version the project supports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from generator.checkers import amtool, blackbox, promtool
from generator.errors import ToolMissing

LOCAL = ".tools"  # below the repository: one folder per toolchain, each with usr/bin inside


@dataclass(frozen=True)
class Toolchain:
    """One promtool, and the amtool and blackbox exporter that go with it (None: not found)."""

    where: str  # what the user reads: "PATH" or the folder
    promtool: str
    amtool: str | None
    blackbox: str | None


def _optional(find) -> str | None:
    try:
        return find()
    except ToolMissing:
        return None


def default() -> Toolchain:
    """The user's own tools; ToolMissing when there is no promtool."""
    return Toolchain("PATH", promtool.find(), _optional(amtool.find), _optional(blackbox.find))


def _in(bindir: Path) -> Toolchain | None:
    def pick(*names: str) -> str | None:
        return next((str(bindir / n) for n in names if os.access(bindir / n, os.X_OK)), None)

    found = pick("promtool")
    if found is None:
        return None
    return Toolchain(str(bindir), found, pick("amtool"), pick(*blackbox.NAMES))


def every(root: Path) -> list[Toolchain]:
    """The default toolchain, then every local one, each promtool once (by its real path)."""
    chains: list[Toolchain] = []
    try:
        chains.append(default())
    except ToolMissing:
        pass
    for bindir in sorted((root / LOCAL).glob("*/usr/bin")):
        chain = _in(bindir)
        if chain is not None:
            chains.append(chain)
    seen: set[str] = set()
    unique = []
    for chain in chains:
        real = os.path.realpath(chain.promtool)
        if real not in seen:
            seen.add(real)
            unique.append(chain)
    if not unique:
        raise ToolMissing(f"promtool not found on PATH nor under {root / LOCAL}; {promtool.INSTALL_HINT}")
    return unique
