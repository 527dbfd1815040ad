"""Conformance tests read the reference material in ../shared (beside the repo), and only they do.

A missing ../shared is a failure, not a skip: CI always has it, and a green run that compared
nothing would hide a broken checkout.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def find_sloth_peer(start: Path = REPO) -> Path | None:
    """The nearest `shared/peers/sloth` beside the repo or one of its ancestors."""
    for d in (start, *start.parents):
        candidate = d.parent / "shared" / "peers" / "sloth"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def sloth_dir() -> Path:
    found = find_sloth_peer()
    if found is None:
        pytest.fail(f"conformance: no shared/peers/sloth beside {REPO} or any of its parents "
                    f"(expected {Path(__file__).resolve().parents[3] / 'shared' / 'peers' / 'sloth'}); "
                    "the Sloth golden files are required, see shared/README.md")
    return found


@pytest.fixture(scope="session")
def obsgen_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Run `obsgen build SPEC --out TMP FLAGS...` (memoised); returns TMP/prometheus."""
    cache: dict[tuple[str, ...], Path] = {}

    def build(spec: Path, *flags: str) -> Path:
        key = (str(spec), *flags)
        if key not in cache:
            out = tmp_path_factory.mktemp("obsgen-" + spec.stem)
            proc = subprocess.run([sys.executable, "-m", "generator", "build", str(spec), "--out", str(out),
                                   *flags], cwd=REPO, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, f"obsgen build {spec.name} {' '.join(flags)}: {proc.stderr}"
            cache[key] = out / "prometheus"
        return cache[key]

    return build
