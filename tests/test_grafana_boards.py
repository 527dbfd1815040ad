"""The three kinds of boards, built from the model and dashboards/, and their round trip through the SDK.

Adding an SLO must add its overview row (and its budget panels on the rollout board) with no
dashboard code; removing a dependency must remove its row and its "down" alert. Panels read
the SLO's own series, regrouped, never a second definition of the SLI. The JSON we write must
be what the SDK's own model reads back and writes again, unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import names
from generator.errors import SpecError
from generator.grafana import ksm, outputs, relabel, sdk
from generator.grafana.boards import overview, rollout
from generator.grafana.declare import Dependencies, Neo4j, Postgres, Redis, RolloutBoard
from generator.grafana.rows import traffic
from generator.loaders import load_all
from generator.loaders.dashboards import load_dir
from generator.model import SLO, Service
from generator.sli import ProbeSLI, RatioSLI

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def maestro() -> Service:
    (svc,) = load_all([REPO / "slo"], REPO)
    return svc


def boards(files: dict[str, str | bytes]) -> dict[str, dict[str, Any]]:
    return {path.rsplit("/", 1)[1].removesuffix(".json"): json.loads(text) for path, text in files.items()
            if path.startswith(outputs.DASHBOARDS + "/")}


def titles(board: dict[str, Any], kind: str | None = None) -> list[str]:
    return [p["title"] for p in board["panels"] if kind is None or (p["type"] == "row") == (kind == "row")]


def exprs(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def test_overview_has_a_row_per_slo_read_from_the_recorded_series(maestro: Service) -> None:
    board = overview.build(maestro, "text")
    assert board["uid"] == names.overview_uid(maestro.name) == "maestro-conductor-slos"
    assert titles(board, "row") == ["availability: 99.5% over 30d", "requests: 99.9% over 30d",
                                    "ttfb-p95: 95% over 30d"]
    availability = maestro.slos[0]
    burn_panels = [t for t in titles(board) if "burn rate" in t]
    # every declared tier of every SLO, each with its factor: availability has the runbook's 4h tier too
    assert len(burn_panels) == sum(len(s.declared_tiers) for s in maestro.slos) == 13
    assert "page 4h: burn rate (fires above 1x)" in burn_panels
    four_hour = next(p for p in board["panels"] if p["title"] == "page 4h: burn rate (fires above 1x)")
    assert four_hour["targets"][0]["expr"] == names.series(names.BURN_RATE, maestro.name, availability.name, "4h")
    steps = four_hour["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s.get("value") for s in steps] == [None, 1]
    assert four_hour["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "dashed"
    for expr in exprs(board):
        assert "obsgen:" in expr or expr.startswith("max by (alertname")


def test_adding_an_slo_adds_its_panels_without_dashboard_code(maestro: Service) -> None:
    extra = SLO(name="checkout", objective=99.0, period="28d",
                sli=ProbeSLI('probe_success{job="blackbox",instance="https://maestro.example.com/checkout"}'))
    bigger = dataclasses.replace(maestro, slos=(*maestro.slos, extra))
    before, after = overview.build(maestro, ""), overview.build(bigger, "")
    new = after["panels"][len(before["panels"]):]
    assert [p["title"] for p in new][:5] == ["checkout: 99% over 28d", "Objective", "SLI over 28d",
                                             "Error budget left: checkout", "Alerts firing"]
    assert len([p for p in new if "burn rate" in p["title"]]) == len(extra.declared_tiers) == 4
    assert any('slo="checkout"' in t["expr"] and 'window="28d"' in t["expr"]
               for p in new if p["type"] != "row" for t in p["targets"])
    # 28d period: the default page tier's factor scales to 13.44
    assert any(p["title"] == "page 1h/5m: burn rate (fires above 13.44x)" for p in new)
    decl = RolloutBoard(service=maestro.name, namespace="m", rollout="m", errors_slo="requests",
                        latency_slo="ttfb-p95", uid="r")
    grown = titles(rollout.build(decl, bigger, ""))
    assert "Error budget left: checkout" in grown and "Burn rate per window: checkout" in grown


def _dependencies_files(tmp_path: Path, maestro: Service, deps: str) -> dict[str, str | bytes]:
    d = tmp_path / "dashboards"
    d.mkdir(exist_ok=True)
    (d / "deps.py").write_text("from generator.api import *\n"
                               f"deps = Dependencies(service='maestro-conductor', uid='deps', dependencies=[{deps}])\n")
    return outputs.outputs([maestro], *load_dir(d, d.parent))


def test_removing_a_dependency_removes_its_row_and_its_alert(tmp_path: Path, maestro: Service) -> None:
    three = "Postgres(), Redis(), Neo4j(probe='job=\"bb\"')"
    two = "Postgres(), Neo4j(probe='job=\"bb\"')"
    full = _dependencies_files(tmp_path, maestro, three)
    less = _dependencies_files(tmp_path, maestro, two)
    assert titles(boards(full)["deps"], "row") == ["postgres: PostgreSQL (postgres_exporter)",
                                                   "redis: Redis (redis_exporter)", "neo4j: Neo4j (enterprise)"]
    assert titles(boards(less)["deps"], "row") == ["postgres: PostgreSQL (postgres_exporter)",
                                                   "neo4j: Neo4j (enterprise)"]
    assert not any("redis_" in e for e in exprs(boards(less)["deps"]))
    rules = "prometheus/rules/maestro-conductor.dependencies.rules.yml"
    components = [[r["labels"]["component"] for r in yaml.safe_load(f[rules])["groups"][0]["rules"]]
                  for f in (full, less)]
    assert components == [["postgres", "redis", "neo4j"], ["postgres", "neo4j"]]


def test_rollout_board_splits_the_slos_own_series_by_pod_template_hash(maestro: Service) -> None:
    files = outputs.outputs([maestro], *load_dir(REPO / "dashboards", REPO))
    board = boards(files)["maestro-rollout"]
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "namespace", "rollout"]
    by_title = {p["title"]: p for p in board["panels"]}
    errors = by_title["Error ratio (requests): canary vs stable"]["targets"][0]["expr"]
    assert errors == ('sum by (rollouts_pod_template_hash) (rate(http_server_requests_total{job="maestro-conductor",'
                      'code=~"5.."}[$__rate_interval]))\n/\nsum by (rollouts_pod_template_hash) '
                      '(rate(http_server_requests_total{job="maestro-conductor"}[$__rate_interval]))')
    p95 = by_title["p95 latency (ttfb-p95): canary vs stable"]
    assert p95["targets"][0]["expr"].startswith("histogram_quantile(0.95, sum by (le, rollouts_pod_template_hash) "
                                                "(rate(http_server_request_duration_seconds_bucket{")
    assert [s.get("value") for s in p95["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 0.5]
    weight = by_title["Canary weight"]["targets"][0]["expr"]
    assert weight.startswith(f"max by (namespace, name) ({ksm.CANARY_WEIGHT}{{")
    assert "\nor\n100 * max by (namespace, name) (rollout_info_replicas_updated{" in weight
    assert "/ max by (namespace, name) (rollout_info_replicas_desired{" in weight
    assert "rollout_phase" not in "".join(exprs(board))  # deprecated in favour of rollout_info{phase}
    ksm_doc = yaml.safe_load(files[ksm.CONFIG_PATH])
    paths = [m["each"].get("gauge", {}).get("path") for m in ksm_doc["spec"]["resources"][0]["metrics"]]
    assert ["status", "canary", "weights", "canary", "weight"] in paths and ["status", "currentStepIndex"] in paths


def test_rollout_board_refuses_slis_it_cannot_split(maestro: Service) -> None:
    with pytest.raises(SpecError, match="counter-ratio"):
        traffic.errors_panel(maestro.slos[2], "h")
    with pytest.raises(SpecError, match="latency"):
        traffic.latency_panel(maestro.slos[1], "h")
    odd = SLO(name="odd", objective=99, sli=RatioSLI(
        error_query='sum(rate(x_total{code="500"}[{{.window}}])) or vector(0)',
        total_query="sum(rate(x_total[{{.window}}]))"))
    with pytest.raises(SpecError, match=r"must be sum\(rate\(SELECTOR\[\{\{\.window\}\}\]\)\)"):
        traffic.errors_panel(odd, "h")
    good = SLO(name="good", objective=99, sli=RatioSLI(good_query='sum(rate(x_total{code="200"}[{{.window}}]))',
                                                       total_query="sum(rate(x_total[{{.window}}]))"))
    assert traffic.errors_panel(good, "h").builder.build().targets[0].expr.startswith("1 - sum by (h)")


def test_rollout_declaration_naming_an_unknown_slo_is_one_error_naming_file_object_and_field(
        tmp_path: Path, maestro: Service) -> None:
    d = tmp_path / "dashboards"
    d.mkdir()
    (d / "boards.py").write_text("from generator.api import RolloutBoard\n"
                                 "canary = RolloutBoard(service='maestro-conductor', namespace='m', rollout='m', "
                                 "errors_slo='requests', latency_slo='latency')\n")
    with pytest.raises(SpecError) as err:
        outputs.outputs([maestro], *load_dir(d, d.parent))
    assert str(err.value) == ("dashboards/boards.py: canary.latency_slo: service maestro-conductor has no SLO "
                              "'latency' (declared: availability, requests, ttfb-p95)")


def test_every_panel_sets_legends_refids_datasource_and_its_grid(maestro: Service) -> None:
    for uid, board in boards(outputs.outputs([maestro], *load_dir(REPO / "dashboards", REPO))).items():
        if uid == "maestro-traffic":
            continue  # hand-written: its own choices, linted elsewhere
        for p in board["panels"]:
            if p["type"] == "row":
                continue
            assert [t["refId"] for t in p["targets"]] == ["A", "B", "C", "D"][:len(p["targets"])], (uid, p["title"])
            assert all(t["legendFormat"] for t in p["targets"]), (uid, p["title"])
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            if "legend" in p.get("options", {}):
                assert p["options"]["legend"]["showLegend"] is True, (uid, p["title"])


def test_layout_wraps_before_overflowing_and_numbers_panels_in_reading_order() -> None:
    cells = [sdk.stat(f"s{i}", "d", sdk.COUNT, [sdk.query("up", "x")], width=w) for i, w in enumerate((10, 10, 10))]
    board = sdk.board("u", "t", "d", [sdk.Row("r", cells)])
    grid = [(p["id"], p["gridPos"]["x"], p["gridPos"]["y"]) for p in board["panels"]]
    assert grid == [(1, 0, 0), (2, 0, 1), (3, 10, 1), (4, 0, 5)]
    with pytest.raises(ValueError, match="description and a unit"):
        sdk.stat("s", "", sdk.COUNT, [sdk.query("up", "x")])


def test_generated_json_round_trips_through_the_sdk_model(maestro: Service) -> None:
    from grafana_foundation_sdk.models import prometheus as prom_model
    from grafana_foundation_sdk.models import timeseries as ts_model

    for uid, board in boards(outputs.outputs([maestro], *load_dir(REPO / "dashboards", REPO))).items():
        model = sdk.from_data(board)
        assert sdk.to_data(model) == board, uid
        panels = [p for p in model.panels if p.type_val == "timeseries"]
        # typed by the SDK's plugin registry, not passed through as plain dicts
        assert all(isinstance(p.options, ts_model.Options) for p in panels), uid
        assert all(isinstance(t, prom_model.Dataquery) for p in panels for t in p.targets), uid


def test_declarations_validate_fields() -> None:
    with pytest.raises(SpecError, match=r"dependencies\[1\]\.selector"):
        Dependencies(service="s", dependencies=[Postgres(), Redis(selector="job=")]).validate()
    with pytest.raises(SpecError, match=r"dependencies\[1\]\.name: 'postgres' is declared twice"):
        Dependencies(service="s", dependencies=[Postgres(), Postgres()]).validate()
    with pytest.raises(SpecError, match="probe"):
        Neo4j(edition="community").validate()
    with pytest.raises(SpecError, match="severity"):
        Redis(severity="critical").validate()
    with pytest.raises(SpecError, match="uid"):
        RolloutBoard(service="s", namespace="n", rollout="r", errors_slo="e", latency_slo="l",
                     uid="x" * 41).validate()


def test_outputs_paths_provisioning_and_marks(maestro: Service) -> None:
    files = outputs.outputs([maestro], *load_dir(REPO / "dashboards", REPO))
    for uid, board in boards(files).items():
        assert board["description"].splitlines()[-1].startswith("generated by obsgen from "), uid
        assert files[outputs.dashboard_path(uid)] == sdk.dumps(board)  # sorted keys, one trailing newline
    provider = yaml.safe_load(files[outputs.PROVIDER])["providers"][0]
    assert (provider["type"], provider["options"]["path"]) == ("file", outputs.MOUNT)
    datasource = yaml.safe_load(files[outputs.DATASOURCE])["datasources"][0]
    assert datasource["type"] == "prometheus"
    assert outputs.outputs([maestro], *load_dir(REPO / "no-such-dir", REPO)).keys() == {
        outputs.dashboard_path("maestro-conductor-slos"), outputs.PROVIDER, outputs.DATASOURCE}


@pytest.mark.parametrize(("database", "exposed", "renamed"), [
    ("neo4j", "neo4j_database_neo4j_transaction_active", "neo4j_database_transaction_active"),
    ("my-db.v2", "neo4j_database_my_db_v2_check_point_duration", "neo4j_database_check_point_duration"),
])
def test_neo4j_relabel_moves_the_database_into_a_label(database: str, exposed: str, renamed: str) -> None:
    label_rule, name_rule = relabel.rules(Neo4j(database=database))
    match = re.fullmatch(name_rule["regex"], exposed)  # Prometheus anchors relabel regexes the same way
    assert match is not None
    assert name_rule["replacement"].replace("$1", match.group(1)) == renamed
    assert (label_rule["target_label"], label_rule["replacement"]) == ("database", database)
    assert re.fullmatch(name_rule["regex"], "neo4j_database_system_transaction_active") is None
