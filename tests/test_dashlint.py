"""The dashboard lint: clean on what obsgen builds, and each rule fails when its rule is broken.

Every case takes a generated board (Maestro's, so real panels and queries), breaks exactly one
thing the way a hand edit or an SDK change could, and expects problems of that rule only,
naming the uid and the panel. The last tests run it through `obsgen check`: exit 1, one line
per problem.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.checkers import dashlint
from generator.grafana import outputs
from generator.loaders import load_all
from generator.loaders.dashboards import load_dir

REPO = Path(__file__).resolve().parents[1]
Board = dict[str, Any]


@pytest.fixture(scope="module")
def built() -> dict[str, str | bytes]:
    return outputs.outputs(load_all([REPO / "slo"], REPO), *load_dir(REPO / "dashboards", REPO))


@pytest.fixture(scope="module")
def boards(built: dict[str, str | bytes]) -> dict[str, Board]:
    return {path.rsplit("/", 1)[1].removesuffix(".json"): json.loads(text) for path, text in built.items()
            if path.startswith(outputs.DASHBOARDS + "/")}


def panel(board: Board, title: str) -> dict[str, Any]:
    for p in board["panels"]:
        if p.get("title") == title:
            return p
    raise AssertionError(f"no panel {title!r}")


def test_every_built_board_is_clean(boards: dict[str, Board]) -> None:
    assert set(boards) == {"maestro-conductor-slos", "maestro-rollout", "maestro-dependencies", "maestro-traffic"}
    for uid, board in boards.items():
        assert dashlint.lint(board, uid) == [], uid


def _set_rate_window(b: Board) -> None:
    t = panel(b, "Commits and rollbacks")["targets"][0]
    t["expr"] = t["expr"].replace("$__rate_interval", "5m")


def _hard_uid(b: Board) -> None:
    panel(b, "Up")["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}


def _target_uid(b: Board) -> None:
    panel(b, "Clients")["targets"][1]["datasource"] = {"type": "prometheus", "uid": "prod-prometheus"}


def _no_datasource_variable(b: Board) -> None:
    b["templating"]["list"] = [v for v in b["templating"]["list"] if v["name"] != "datasource"]


def _overlap(b: Board) -> None:
    panel(b, "Clients")["gridPos"] = dict(panel(b, "Up")["gridPos"], w=6)


def _overflow(b: Board) -> None:
    panel(b, "Hit ratio")["gridPos"]["x"] = 20


def _duplicate_id(b: Board) -> None:
    panel(b, "Clients")["id"] = panel(b, "Up")["id"]


def _duplicate_ref(b: Board) -> None:
    panel(b, "Clients")["targets"][1]["refId"] = "A"


def _empty_ref(b: Board) -> None:
    panel(b, "Clients")["targets"][2]["refId"] = ""


def _bad_promql(b: Board) -> None:
    panel(b, "Clients")["targets"][0]["expr"] = 'redis_connected_clients{job="redis"'


def _unknown_metric(b: Board) -> None:
    t = panel(b, "Clients")["targets"][0]
    t["expr"] = t["expr"].replace("redis_connected_clients", "redis_clients_connected")


def _regex_name(b: Board) -> None:
    panel(b, "Clients")["targets"][0]["expr"] = '{__name__=~"redis_.*clients",job="redis"}'


def _no_unit(b: Board) -> None:
    del panel(b, "Evictions")["fieldConfig"]["defaults"]["unit"]


def _no_description(b: Board) -> None:
    panel(b, "Evictions")["description"] = " "


def _old_schema(b: Board) -> None:
    b["schemaVersion"] = 36


def _renamed_uid(b: Board) -> None:
    b["uid"] = "maestro-deps"


def _bad_uid(b: Board) -> None:
    b["uid"] = "maestro dependencies/v2"


def _graph_panel(b: Board) -> None:
    panel(b, "Evictions")["type"] = "graph"


CASES: dict[str, tuple[str, Callable[[Board], None], str]] = {
    # case: (rule that must fail, mutation, text the problem names)
    "fixed rate window": ("rate-interval", _set_rate_window, 'panel 4 "Commits and rollbacks"'),
    "hard-coded panel datasource uid": ("datasource", _hard_uid, "P1809F7CD0C75ACF3"),
    "hard-coded target datasource uid": ("datasource", _target_uid, "prod-prometheus"),
    "no datasource variable": ("datasource", _no_datasource_variable, "dashboard"),
    "overlapping panels": ("grid", _overlap, "overlaps"),
    "panel wider than the grid": ("grid", _overflow, "outside the 24-column grid"),
    "duplicate panel id": ("panel-id", _duplicate_id, "is used twice"),
    "duplicate refId": ("ref-id", _duplicate_ref, "refId A is used twice"),
    "empty refId": ("ref-id", _empty_ref, "has no refId"),
    "query that does not parse": ("promql", _bad_promql, "does not parse"),
    "metric not in the catalog": ("catalog", _unknown_metric, "redis_clients_connected"),
    "metric name by regex": ("catalog", _regex_name, "without a fixed metric name"),
    "no unit": ("unit", _no_unit, "Evictions"),
    "no description": ("description", _no_description, "Evictions"),
    "old schemaVersion": ("schema-version", _old_schema, "schemaVersion 36"),
    "uid other than the file name": ("uid", _renamed_uid, "/d/maestro-dependencies"),
    "invalid uid": ("uid", _bad_uid, "1-40 letters"),
    "panel type without a schema": ("panel-type", _graph_panel, "'graph'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_fails_when_broken(case: str, boards: dict[str, Board]) -> None:
    rule, mutate, text = CASES[case]
    board = copy.deepcopy(boards["maestro-dependencies"])
    mutate(board)
    problems = dashlint.lint(board, "maestro-dependencies")
    assert problems, case
    assert {p.rule for p in problems} == {rule}, [str(p) for p in problems]
    assert any(text in str(p) for p in problems), [str(p) for p in problems]
    assert all(str(p).startswith(f"{board['uid']}: ") for p in problems)


def test_rules_of_the_lint_are_all_exercised() -> None:
    rules = {"schema-version", "datasource", "unit", "description", "rate-interval", "panel-id", "ref-id", "grid",
             "promql", "catalog", "uid", "panel-type"}
    assert {rule for rule, _, _ in CASES.values()} == rules


def test_variables_are_substituted_before_parsing(boards: dict[str, Board]) -> None:
    board = boards["maestro-rollout"]
    analysis = panel(board, "Analysis runs")["targets"][0]["expr"]
    assert "$rollout" in analysis and "$namespace" in analysis
    assert 'name=~"maestro-conductor-.*"' in dashlint.substitute(analysis, dashlint.variable_values(board))


def _check(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "check", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def small_out(tmp_path: Path, built: dict[str, str | bytes]) -> Path:
    """An out/ holding the dependency alerts (fast to promtool) and the four boards."""
    out = tmp_path / "out"
    for rel, content in built.items():
        if rel.startswith(("grafana/", "prometheus/")):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text(content if isinstance(content, str) else "", encoding="utf-8")
    assert shutil.which("promtool"), "promtool is required (apt-get install prometheus); these tests never skip"
    return out


def test_obsgen_check_lints_dashboards(small_out: Path) -> None:
    ok = _check(small_out)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "dashboard lint: ok (4 files)" in ok.stdout
    path = small_out / "grafana" / "dashboards" / "maestro-dependencies.json"
    board = json.loads(path.read_text())
    _set_rate_window(board)
    _no_unit(board)
    path.write_text(json.dumps(board))
    failed = _check(small_out)
    assert failed.returncode == 1
    lines = [line.strip() for line in failed.stdout.splitlines() if line.startswith("  maestro-dependencies.json")]
    assert len(lines) == 2, failed.stdout
    assert any('maestro-dependencies: panel 4 "Commits and rollbacks"' in line and "[rate-interval]" in line
               for line in lines)
    assert any('maestro-dependencies: panel 13 "Evictions"' in line and "[unit]" in line for line in lines)
