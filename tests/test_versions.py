"""generator/checkers/versions.py: the tools' versions are read, and ones too old for out/ are refused.

The fake binaries below are inputs (a promtool that says it is 2.30), not stand-ins for behaviour
under test: what is tested is obsgen reading a version line and refusing before it runs anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.checkers import amtool, blackbox, promtool, versions
from generator.errors import ToolTooOld

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("output", "expected"), [
    ("promtool, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-5+deb12u1)\n  build user: x", (2, 42, 0)),
    ("promtool, version 3.1.0 (branch: HEAD, revision: 7d4b3c5)", (3, 1, 0)),
    ("amtool, version 0.25.0 (branch: debian/sid, revision: 0.25.0-1+b4)", (0, 25, 0)),
    ("amtool, version 0.27.0-rc.0 (branch: HEAD)", (0, 27, 0)),
    ("blackbox_exporter, version v0.23.0 (branch: HEAD)", (0, 23, 0)),
    ("promtool, version 2.33 (branch: HEAD)", (2, 33, 0)),
    ("promtool", None),
    ("", None),
])
def test_parse(output: str, expected: tuple[int, int, int] | None) -> None:
    assert versions.parse(output) == expected


def fake_tool(tmp_path: Path, name: str, banner: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{banner}'\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(("minimum", "banner"), [
    (versions.PROMTOOL, "promtool, version 2.32.1 (branch: HEAD)"),
    (versions.AMTOOL, "amtool, version 0.24.0 (branch: HEAD)"),
    (versions.BLACKBOX, "blackbox_exporter, version 0.18.0 (branch: HEAD)"),
])
def test_a_tool_one_release_too_old_is_refused_naming_the_version_needed(tmp_path: Path, minimum: versions.Minimum,
                                                                          banner: str) -> None:
    tool = fake_tool(tmp_path, minimum.tool, banner)
    with pytest.raises(ToolTooOld) as raised:
        versions.require(str(tool), minimum)
    message = str(raised.value)
    assert f"needs {minimum.tool} >= {minimum.text}" in message and "\n" not in message
    assert f"set {minimum.env}=" in message


def test_the_oldest_accepted_version_passes(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "amtool", "amtool, version 0.25.0 (branch: HEAD)")
    assert versions.require(str(tool), versions.AMTOOL) == "amtool, version 0.25.0 (branch: HEAD)"


def test_a_tool_that_will_not_say_its_version_is_refused(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "promtool", "usage: promtool [<flags>]")
    with pytest.raises(ToolTooOld, match="cannot tell its version"):
        versions.require(str(tool), versions.PROMTOOL)


@pytest.mark.usefixtures("toolchain")
def test_the_installed_tools_are_new_enough() -> None:
    """The real tools make test runs; CI's must pass the check `obsgen check` makes."""
    for binary, minimum in ((promtool.find(), versions.PROMTOOL), (amtool.find(), versions.AMTOOL),
                            (blackbox.find(), versions.BLACKBOX)):
        assert versions.require(binary, minimum)


@pytest.mark.parametrize(("env", "banner", "needed"), [
    ("PROMTOOL", "promtool, version 2.30.3 (branch: HEAD)", "promtool >= 2.33.0"),
    ("AMTOOL", "amtool, version 0.23.0 (branch: HEAD)", "amtool >= 0.25.0"),
])
def test_obsgen_check_refuses_an_old_tool_in_one_line_before_running_it(tmp_path: Path, env: str, banner: str,
                                                                        needed: str) -> None:
    """exit 2, one stderr line, and nothing run: the fake would fail loudly if it were asked to check."""
    name = env.lower()
    tool = tmp_path / name
    tool.write_text(f"#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{banner}'; exit 0; fi\n"
                    f"echo ran >> {tmp_path / 'ran'}\nexit 3\n")
    tool.chmod(0o755)
    proc = subprocess.run([sys.executable, "-m", "generator", "check"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, env: str(tool)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"obsgen: {tool} is {name} ") and needed in line, line
    assert not (tmp_path / "ran").exists()
    assert shutil.which("promtool")  # the real one stays the default
