"""Property tests: whatever valid declarations an SRE writes, the real tools accept what obsgen builds.

Random declarations (tests/strategies.py) are built in-process into a temporary out/, then
`promtool check rules`, `amtool check-config` and every generated route case (amtool), and the
dashboard lint run on it, and a second build must be byte-identical. The generated promtool unit
tests are run for fewer, smaller examples (four services of up to two SLOs, about 20 s): promtool
pays for every simulated day, and an SLO whose sustained burn barely exceeds its budget simulates
most of a 30-day period. Their alerts carry the random label
values, so a pass also shows each value comes out of Prometheus exactly as declared.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import build, targets, writer
from generator.checkers import amtool, dashlint, promtool
from generator.declarations import Declarations
from generator.model import Service
from generator.routing import Alertmanager
from tests import strategies

# every target but docs, whose detection plots are the slow part of a build (the SLO doc is
# rendered on its own in test_escaping.py)
ONLY = frozenset(targets.TARGETS) - {"docs"}


def built(decl: Declarations) -> dict[str, str | bytes]:
    return build.outputs(decl, only=ONLY)


def failures(out: Path, *, unit_tests: bool) -> list[str]:
    """Every complaint of the real tools about out/ (empty when all accept it)."""
    found: list[str] = []
    binary = promtool.find()
    rules = sorted((out / "prometheus" / "rules").glob("*.yml"))
    result = promtool.check_rules(binary, rules, out)
    found += [f"promtool check rules: {line}" for line in result.lines if not result.ok]
    if unit_tests:
        result = promtool.test_rules(binary, sorted((out / "prometheus" / "tests").glob("*.yml")), out)
        found += [f"promtool test rules: {line}" for line in result.lines if not result.ok]
    am = amtool.find()
    config = out / build.ALERTMANAGER_CONFIG
    if config.exists():
        result = amtool.check_config(am, config)
        found += [f"amtool check-config: {line}" for line in result.lines if not result.ok]
        routes, _ = amtool.test_routes(am, out / build.ROUTE_TESTS)
        found += [f"amtool route test: {line}" for line in routes.lines]
    boards = sorted((out / "grafana" / "dashboards").glob("*.json"))
    assert len(boards) >= len(list((out / "prometheus" / "rules").glob("*.rules.yml")))
    found += [f"dashboard lint: {line}" for line in dashlint.check(boards).lines]
    return found


def assert_tools_accept(decl: Declarations, *, unit_tests: bool) -> None:
    files = built(decl)
    assert built(decl) == files, "two builds of the same declarations differ"
    with tempfile.TemporaryDirectory(prefix="obsgen-property-") as tmp:
        out = Path(tmp) / "out"
        writer.write_tree(out, files)
        problems = failures(out, unit_tests=unit_tests)
    assert problems == [], "\n".join(problems)


@st.composite
def routed(draw: st.DrawFn, max_services: int, max_slos: int) -> Declarations:
    services: list[Service] = draw(strategies.services(max_services, max_slos))
    am: Alertmanager = draw(strategies.alertmanager(services))
    return Declarations(services=services, alertmanager=am)


@strategies.examples(20)
@given(routed(max_services=3, max_slos=3))
@pytest.mark.usefixtures("toolchain")
def test_random_declarations_pass_promtool_amtool_and_the_lint_and_build_identically(decl: Declarations) -> None:
    assert_tools_accept(decl, unit_tests=False)


@strategies.examples(4)
@given(routed(max_services=1, max_slos=2))
@pytest.mark.usefixtures("toolchain")
def test_generated_promtool_tests_of_random_declarations_pass(decl: Declarations) -> None:
    assert_tools_accept(decl, unit_tests=True)
