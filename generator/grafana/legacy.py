"""Bring a grafanalib board up to the dashboard model Grafana would migrate it to on load.

grafanalib (last release January 2024) writes schemaVersion 12 JSON with keys Grafana has
since removed or renamed; Grafana migrates them when it loads the board, but our lint and
Grafana's strict JSON Schema see the file as written. So a user's `*.dashboard.py` is
upgraded here the way Grafana's DashboardMigrator would, then held to the same lint as
generated boards:

- null values are dropped (Grafana reads them as "unset"; the schema has no nulls);
- datasource names become references (schema 33): "${datasource}" -> {"type": "prometheus",
  "uid": "${datasource}"}, on panels and targets;
- the empty legacy `rows` list goes (schema 16 moved rows into `panels`); a board that still
  has rows is refused, since its panels have no grid positions;
- a legend without `showLegend` shows unless its displayMode was "hidden" (Grafana 9's migration;
  the SDK would otherwise hide it);
- a variable's `current` without a value goes (Grafana picks the first option);
- everything else passes through the SDK's model, which keeps exactly the keys the current
  schema knows (dropping e.g. `hideControls`, `sharedCrosshair`, `style`, panel `span`,
  target `step`), and the result is stamped with the current schemaVersion.
"""

from __future__ import annotations

from typing import Any

from generator.errors import SpecError
from generator.grafana import sdk


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value if v is not None]
    return value


def _ref(value: Any) -> Any:
    return {"type": "prometheus", "uid": value} if isinstance(value, str) else value


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for panel in panels:
        panel = dict(panel)
        if "datasource" in panel:
            panel["datasource"] = _ref(panel["datasource"])
        if "targets" in panel:
            panel["targets"] = [{**t, "datasource": _ref(t["datasource"])} if "datasource" in t else t
                                for t in panel["targets"]]
        legend = panel.get("options", {}).get("legend")
        if isinstance(legend, dict) and "showLegend" not in legend:
            hidden = legend.get("displayMode") == "hidden"
            mode = "list" if hidden else legend.get("displayMode", "list")
            panel["options"] = {**panel["options"], "legend": {**legend, "showLegend": not hidden, "displayMode": mode}}
        if panel.get("type") == "row":
            panel["panels"] = _panels(panel.get("panels", []))
        out.append(panel)
    return out


def _variables(variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for variable in variables:
        variable = dict(variable)
        if "datasource" in variable:
            variable["datasource"] = _ref(variable["datasource"])
        if "value" not in variable.get("current", {}):
            variable.pop("current", None)
        out.append(variable)
    return out


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    data = _drop_nulls(data)
    if data.get("rows"):
        raise SpecError("uses legacy `rows` (schemaVersion < 16): give its panels gridPos in `panels`",
                        field="dashboard.rows")
    data.pop("rows", None)
    data["panels"] = _panels(data.get("panels", []))
    templating = data.get("templating", {})
    data["templating"] = {**templating, "list": _variables(templating.get("list", []))}
    upgraded = sdk.to_data(sdk.from_data(data))
    upgraded["schemaVersion"] = sdk.SCHEMA_VERSION
    return upgraded
