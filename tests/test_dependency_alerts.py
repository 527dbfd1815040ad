"""The "dependency down" alerts and their generated promtool tests (generator/render/dependency_*.py).

The generated tests must pass against the generated rules in real promtool, and fail when
the rule is changed in a way that would change what routing sees: a longer `for`, no
absent() branch (a vanished exporter would be silent), another component label.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import names, yamlio
from generator.errors import SpecError
from generator.grafana.declare import Dependencies, Neo4j, Postgres, Redis
from generator.loaders import load_all
from generator.model import Service
from generator.render import dependency_rules, dependency_tests

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def maestro() -> Service:
    (svc,) = load_all([REPO / "slo"], REPO)
    return svc


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is required (apt-get install prometheus); these tests never skip"
    return path


def run(tmp: Path, service: Service, deps: Dependencies, rules: dict | None = None) -> subprocess.CompletedProcess[str]:
    (tmp / "rules").mkdir(parents=True, exist_ok=True)
    (tmp / "tests").mkdir(exist_ok=True)
    (tmp / "rules" / "d.yml").write_text(yamlio.dump(rules or dependency_rules.render(service, deps)))
    (tmp / "tests" / "d.test.yml").write_text(yamlio.dump(dependency_tests.render(service, deps, "../rules/d.yml")))
    return subprocess.run([promtool(), "test", "rules", "d.test.yml"], cwd=tmp / "tests", capture_output=True,
                          text=True, timeout=120)


DEPS = Dependencies(service="maestro-conductor", dependencies=[
    Postgres(selector='job="postgres",instance=~"db-.*"'), Redis(severity="page", down_for="15m"),
    Neo4j(probe='job="blackbox",instance=~"bolt://neo4j:7687|http://neo4j:7474"')])


def test_generated_tests_pass_against_the_generated_rules(tmp_path: Path, maestro: Service) -> None:
    proc = run(tmp_path, maestro, DEPS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = yaml.safe_load((tmp_path / "tests" / "d.test.yml").read_text())
    assert [g["name"].split(" ")[0] for g in doc["tests"]] == ["postgres", "redis", "neo4j"]
    firing = [a for g in doc["tests"] for c in g["alert_rule_test"] for a in c["exp_alerts"]]
    assert len(firing) == 6  # each dependency: once down, once vanished


def test_alert_labels_route_by_component_and_never_carry_slo(maestro: Service) -> None:
    rules = dependency_rules.render(maestro, DEPS)["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["DependencyDown"] * 3
    assert [r["labels"] for r in rules] == [
        {"team": "conductor", names.SERVICE: "maestro-conductor", names.SEVERITY: sev, "component": comp}
        for sev, comp in (("ticket", "postgres"), ("page", "redis"), ("ticket", "neo4j"))]
    assert [r["for"] for r in rules] == ["5m", "15m", "5m"]
    assert rules[2]["expr"].startswith('probe_success{job="blackbox",instance=~"bolt://neo4j:7687|http://')


def _mutated(service: Service, edit: str) -> dict:
    doc = dependency_rules.render(service, DEPS)
    rule = doc["groups"][0]["rules"][0]
    if edit == "for":
        rule["for"] = "10m"
    elif edit == "no-absent":
        rule["expr"] = rule["expr"].split("\nor\n")[0]
    elif edit == "component":
        rule["labels"]["component"] = "database"
    return doc


@pytest.mark.parametrize("edit", ["for", "no-absent", "component"])
def test_generated_tests_fail_when_the_rule_changes(tmp_path: Path, maestro: Service, edit: str) -> None:
    proc = run(tmp_path, maestro, DEPS, _mutated(maestro, edit))
    assert proc.returncode != 0, proc.stdout
    assert "DependencyDown" in proc.stdout + proc.stderr


def test_overlapping_selectors_are_refused(maestro: Service) -> None:
    twice = Dependencies(service="maestro-conductor", dependencies=[
        Postgres(name="main", selector='job="postgres"'), Postgres(name="replica", selector='job=~"postgres|pg"')])
    with pytest.raises(SpecError, match=r"dependencies\[0\].selector: its series also match dependencies\[1\]"):
        dependency_tests.render(maestro, twice, "r.yml")
