"""Every dashboard `obsgen build` writes is valid against Grafana's strict JSON Schemas (../shared/schemas/grafana).

The dashboard schema is strict at the dashboard level and open for what a panel plugin owns,
so each panel's `options` and `fieldConfig.defaults.custom` are checked against that plugin's
own schema, and each Prometheus target against the Prometheus query schema. These are the
schemas Grafana generates from its CUE kinds; a key the SDK or grafanalib invents, or a
legacy key our upgrade missed, fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

PLUGIN_SCHEMAS = {"timeseries": "timeseries", "stat": "stat", "state-timeline": "statetimeline", "table": "table",
                  "gauge": "gauge"}


@pytest.fixture(scope="module")
def schemas(grafana_schemas: Path) -> Path:
    return grafana_schemas


def _validator(schemas: Path, name: str, definition: str | None = None) -> jsonschema.Draft7Validator:
    doc = json.loads((schemas / f"{name}.jsonschema.json").read_text(encoding="utf-8"))
    if definition is not None:
        doc = {"$ref": f"#/definitions/{definition}", "definitions": doc["definitions"]}
    return jsonschema.Draft7Validator(doc)


@pytest.fixture(scope="module")
def boards(repo_build: Path) -> dict[str, dict[str, Any]]:
    out = repo_build
    found = {p.stem: json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((out / "grafana" / "dashboards").glob("*.json"))}
    assert {"maestro-rollout", "maestro-dependencies", "maestro-conductor-slos", "maestro-traffic"} <= set(found)
    return found


def _errors(validator: jsonschema.Draft7Validator, data: object) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message[:300]}" for e in validator.iter_errors(data)]


def _panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def test_every_dashboard_is_valid_against_the_strict_dashboard_schema(
        schemas: Path, boards: dict[str, dict[str, Any]]) -> None:
    validator = _validator(schemas, "dashboard")
    problems = {uid: _errors(validator, board) for uid, board in boards.items()}
    assert not {uid: p for uid, p in problems.items() if p}


def test_panel_options_and_custom_field_config_match_their_plugin_schema(
        schemas: Path, boards: dict[str, dict[str, Any]]) -> None:
    problems: list[str] = []
    checked = 0
    for uid, board in boards.items():
        for panel in _panels(board):
            name = PLUGIN_SCHEMAS.get(panel["type"])
            assert name is not None, f"{uid}: panel type {panel['type']} has no schema here"
            where = f"{uid} panel {panel['id']} {panel['type']}"
            problems += [f"{where} options {e}" for e in _errors(_validator(schemas, name, "Options"),
                                                                panel.get("options", {}))]
            custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom")
            definitions = json.loads((schemas / f"{name}.jsonschema.json").read_text())["definitions"]
            if "FieldConfig" in definitions:
                problems += [f"{where} fieldConfig.custom {e}"
                             for e in _errors(_validator(schemas, name, "FieldConfig"), custom or {})]
            else:
                assert not custom, f"{where}: custom field config, but {name} defines none"
            checked += 1
    assert checked >= 40  # the four Maestro boards' panels, not an empty walk
    assert not problems


def test_every_target_is_a_valid_prometheus_query(schemas: Path, boards: dict[str, dict[str, Any]]) -> None:
    validator = _validator(schemas, "prometheus")
    targets = [(uid, p["id"], t) for uid, b in boards.items() for p in _panels(b) for t in p.get("targets", [])]
    assert targets
    problems = [f"{uid} panel {pid} {t.get('refId')}: {e}" for uid, pid, t in targets for e in _errors(validator, t)]
    assert not problems
