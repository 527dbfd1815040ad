"""Upgrading grafanalib's JSON to the current dashboard model (generator/grafana/legacy.py).

grafanalib 0.7 writes schemaVersion 12 with datasource names, nulls and removed keys; the lint
rejects that as written and accepts it upgraded, with each of Grafana's load-time migrations
we rely on checked on its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from grafanalib._gen import DashboardEncoder
from grafanalib.core import Dashboard, GridPos, Row, Target, Template, Templating, TimeSeries

from generator.checkers import dashlint
from generator.errors import SpecError
from generator.grafana import legacy


def render(**kwargs: Any) -> dict[str, Any]:
    panel = TimeSeries(title="Requests", description="Requests per second.", dataSource="${datasource}",
                       unit="reqps", gridPos=GridPos(h=8, w=12, x=0, y=0),
                       targets=[Target(expr='sum(rate(http_server_requests_total{job="maestro-conductor"}'
                                            "[$__rate_interval]))", legendFormat="rps", refId="A",
                                       datasource="${datasource}")])
    board = Dashboard(title="t", uid="legacy", panels=[panel],
                      templating=Templating(list=[Template(name="datasource", type="datasource", query="prometheus")]),
                      **kwargs).auto_panel_ids()
    data: dict[str, Any] = json.loads(json.dumps(board.to_json_data(), cls=DashboardEncoder))
    return data


def test_raw_grafanalib_json_fails_the_lint_and_the_upgraded_json_passes() -> None:
    raw = render()
    assert raw["schemaVersion"] == 12
    assert {p.rule for p in dashlint.lint(raw, "legacy")} == {"schema-version", "datasource"}
    assert dashlint.lint(legacy.upgrade(raw), "legacy") == []


def test_each_migration() -> None:
    raw = render()
    up = legacy.upgrade(raw)
    panel = up["panels"][0]
    assert up["schemaVersion"] == 42
    assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}  # schema 33: names -> refs
    assert panel["targets"][0]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert raw["gnetId"] is None and "gnetId" not in up  # nulls dropped
    for key in ("rows", "hideControls", "sharedCrosshair", "style", "__inputs"):
        assert key in raw and key not in up, key
    for key in ("span", "height", "error", "editable", "minSpan"):
        assert key in raw["panels"][0] and key not in panel, key
    for key in ("step", "target", "metric", "query"):
        assert key in raw["panels"][0]["targets"][0] and key not in panel["targets"][0], key
    assert "showLegend" not in raw["panels"][0]["options"]["legend"]
    assert panel["options"]["legend"]["showLegend"] is True
    assert raw["templating"]["list"][0]["current"]["value"] is None
    assert "current" not in up["templating"]["list"][0]


def test_a_hidden_legend_stays_hidden() -> None:
    raw = render()
    raw["panels"][0]["options"]["legend"]["displayMode"] = "hidden"
    legend = legacy.upgrade(raw)["panels"][0]["options"]["legend"]
    assert (legend["showLegend"], legend["displayMode"]) == (False, "list")


def test_legacy_rows_are_refused() -> None:
    raw = render(rows=[Row(panels=[])])
    assert raw["rows"]
    with pytest.raises(SpecError, match=r"dashboard\.rows: uses legacy `rows`"):
        legacy.upgrade(raw)
