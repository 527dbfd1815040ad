"""Shared test setup: the repo root on sys.path so tests can use bench/ (the Prometheus lab), the
`toolchain` fixture that runs a test once per Prometheus major version, and the `live` marker."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.toolchains import TOOLCHAINS, Toolchain, ToolchainMissing  # noqa: E402


@pytest.fixture(scope="module", params=TOOLCHAINS, ids=[t.id for t in TOOLCHAINS])
def toolchain(request: pytest.FixtureRequest) -> Iterator[Toolchain]:
    """One Prometheus toolchain (2.x or 3.x) first on PATH and in PROMTOOL/AMTOOL/BLACKBOX_EXPORTER for
    a module's tests: every way a test, obsgen or bench/lab.py finds a tool then finds this one."""
    chain: Toolchain = request.param
    found = chain.version(chain.promtool)[0]
    if found != chain.major:
        raise ToolchainMissing(f"{chain.id}: {chain.promtool} is promtool {found}.x, not {chain.major}.x")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in chain.env().items():
            mp.setenv(key, value)
        yield chain


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs a real Prometheus tool is `live` (README: `pytest -m "not live"` is the fast loop)."""
    for item in items:
        if "toolchain" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)
