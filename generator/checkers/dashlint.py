"""Lint Grafana dashboards (out/grafana/dashboards/*.json) for what breaks silently in Grafana.

A board that loads can still be wrong in ways nobody sees until an incident: a hard-coded
datasource uid that exists only on one Grafana, a `rate(x[1m])` that goes blank when the
scrape interval grows, a metric an exporter never exposed, two panels stacked on each
other. Each rule below names one such failure; `obsgen check` reports one line per problem,
naming the dashboard's uid and the panel, and exits 1. Generated and grafanalib boards are
held to the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import promql_parser

from generator import promql
from generator.checkers.promtool import Result
from generator.grafana import catalog

SCHEMA_VERSIONS = (41, 42)
PANEL_TYPES = ("timeseries", "stat", "state-timeline", "table", "gauge")  # those Grafana's schemas cover here
DATASOURCE_UIDS = ("${datasource}", "$datasource")
RATE_FUNCTIONS = ("rate", "irate", "increase")
GRID_WIDTH = 24
UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

# $__rate_interval stands in as an odd duration no one writes, so a rate over it can be told apart
RATE_SENTINEL = "1h2m3s"
RATE_SENTINEL_DELTA = timedelta(hours=1, minutes=2, seconds=3)
BUILTINS = {"__rate_interval": RATE_SENTINEL, "__interval": "1m", "__range": "1h", "__range_s": "3600",
            "__range_ms": "3600000", "__interval_ms": "60000"}
VARIABLE = re.compile(r"\$\{(\w+)(?::[\w-]+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class Problem:
    uid: str
    where: str  # 'panel 3 "Title"' or "dashboard"
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.uid}: {self.where}: {self.message} [{self.rule}]"


def panels(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every panel with whether it sits on the top-level grid (collapsed rows hold theirs inside)."""
    for panel in data.get("panels") or []:
        yield panel, True
        if panel.get("type") == "row":
            for inner in panel.get("panels") or []:
                yield inner, False


def _where(panel: dict[str, Any]) -> str:
    return f"panel {panel.get('id', '?')} {json.dumps(panel.get('title', ''), ensure_ascii=False)}"


def variable_values(data: dict[str, Any]) -> dict[str, str]:
    """Each template variable's current value: what Grafana would substitute when the board opens."""
    out: dict[str, str] = {}
    for variable in (data.get("templating") or {}).get("list") or []:
        value = (variable.get("current") or {}).get("value")
        if isinstance(value, list):
            value = value[0] if value else None
        out[variable.get("name", "")] = value if isinstance(value, str) and value else "x"
    return out


def substitute(expr: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return BUILTINS.get(name, values.get(name, "x"))

    return VARIABLE.sub(one, expr)


def _walk(node: object) -> Iterator[object]:
    yield node
    children: list[object] = []
    if isinstance(node, promql_parser.Call):
        children = list(node.args)
    elif isinstance(node, promql_parser.BinaryExpr):
        children = [node.lhs, node.rhs]
    elif isinstance(node, promql_parser.MatrixSelector):
        children = [node.vector_selector]
    else:
        children = [getattr(node, a) for a in ("expr", "param") if getattr(node, a, None) is not None]
    for child in children:
        if not isinstance(child, (str, int, float)):
            yield from _walk(child)


def _rate_windows(tree: object) -> Iterator[tuple[str, object]]:
    """(function, range) of every rate/irate/increase call; the range of a subquery argument counts too."""
    for node in _walk(tree):
        if isinstance(node, promql_parser.Call) and node.func.name in RATE_FUNCTIONS and node.args:
            arg = node.args[0]
            yield node.func.name, getattr(arg, "range", None)


def _query_problems(uid: str, where: str, expr: str, values: dict[str, str]) -> list[Problem]:
    text = substitute(expr, values)
    try:
        tree = promql.parse(text)
    except promql.PromQLError as exc:
        return [Problem(uid, where, "promql", f"query does not parse as PromQL ({exc}): {expr!r}")]
    found = []
    for func, window in _rate_windows(tree):
        if window != RATE_SENTINEL_DELTA:
            found.append(Problem(uid, where, "rate-interval",
                                 f"{func}() must range over $__rate_interval, not a fixed window: {expr!r}"))
    for sel in promql.selectors(text):
        if sel.metric is None:
            found.append(Problem(uid, where, "catalog", f"a selector without a fixed metric name cannot be "
                                 f"checked against the catalog: {expr!r}"))
        elif catalog.exporter_of(sel.metric) is None:
            found.append(Problem(uid, where, "catalog", f"metric {sel.metric} is in no exporter's entry of "
                                 "generator/grafana/catalog.yml"))
    return found


def _datasource_ok(ref: object) -> bool:
    return isinstance(ref, dict) and ref.get("uid") in DATASOURCE_UIDS


def _panel_problems(uid: str, panel: dict[str, Any], values: dict[str, str]) -> list[Problem]:
    where = _where(panel)
    found = []
    if panel.get("type") not in PANEL_TYPES:
        found.append(Problem(uid, where, "panel-type", f"type {panel.get('type')!r} is not one of "
                             f"{', '.join(PANEL_TYPES)}"))
    if not str(panel.get("description") or "").strip():
        found.append(Problem(uid, where, "description", "has no description"))
    unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
    if not isinstance(unit, str) or not unit.strip():
        found.append(Problem(uid, where, "unit", "has no unit (fieldConfig.defaults.unit)"))
    if not _datasource_ok(panel.get("datasource")):
        found.append(Problem(uid, where, "datasource", f"datasource must be the ${{datasource}} variable, not "
                             f"{json.dumps(panel.get('datasource'))}"))
    ref_ids: set[str] = set()
    for target in panel.get("targets") or []:
        ref = target.get("refId")
        if not isinstance(ref, str) or not ref:
            found.append(Problem(uid, where, "ref-id", "a query has no refId"))
        elif ref in ref_ids:
            found.append(Problem(uid, where, "ref-id", f"refId {ref} is used twice"))
        else:
            ref_ids.add(ref)
        if "datasource" in target and not _datasource_ok(target["datasource"]):
            found.append(Problem(uid, where, "datasource", f"query {ref} has datasource "
                                 f"{json.dumps(target['datasource'])}, not the ${{datasource}} variable"))
        expr = target.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            found.append(Problem(uid, where, "promql", f"query {ref} has no PromQL expr"))
            continue
        found.extend(_query_problems(uid, where, expr, values))
    return found


def _grid_problems(uid: str, placed: list[dict[str, Any]]) -> list[Problem]:
    found = []
    boxes: list[tuple[dict[str, Any], int, int, int, int]] = []
    for panel in placed:
        grid = panel.get("gridPos")
        if not isinstance(grid, dict) or not all(isinstance(grid.get(k), int) for k in "xywh"):
            found.append(Problem(uid, _where(panel), "grid", "has no gridPos with integer x, y, w, h"))
            continue
        x, y, w, h = (grid[k] for k in "xywh")
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_WIDTH:
            found.append(Problem(uid, _where(panel), "grid", f"gridPos x={x} w={w} y={y} h={h} is outside the "
                                 f"{GRID_WIDTH}-column grid"))
            continue
        for other, ox, oy, ow, oh in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                found.append(Problem(uid, _where(panel), "grid", f"overlaps {_where(other)}"))
        boxes.append((panel, x, y, w, h))
    return found


def lint(data: dict[str, Any], name: str | None = None) -> list[Problem]:
    """Every problem of one dashboard; `name` is its file's stem, which must be its uid."""
    uid = str(data.get("uid") or name or "?")
    found: list[Problem] = []
    if not isinstance(data.get("uid"), str) or not UID.match(data["uid"]):
        found.append(Problem(uid, "dashboard", "uid", f"uid {data.get('uid')!r} must be 1-40 letters, digits, "
                             "'-' or '_', set in the declaration (a missing uid is new on every import)"))
    elif name is not None and data["uid"] != name:
        found.append(Problem(uid, "dashboard", "uid", f"file {name}.json holds uid {data['uid']}; links to "
                             f"/d/{name} would break"))
    if data.get("schemaVersion") not in SCHEMA_VERSIONS:
        found.append(Problem(uid, "dashboard", "schema-version", f"schemaVersion {data.get('schemaVersion')!r} is "
                             f"not a current one ({' or '.join(map(str, SCHEMA_VERSIONS))})"))
    variables = (data.get("templating") or {}).get("list") or []
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource" for v in variables):
        found.append(Problem(uid, "dashboard", "datasource", "has no `datasource` variable of type datasource"))
    values = variable_values(data)
    ids: set[object] = set()
    placed = []
    for panel, top in panels(data):
        if not isinstance(panel.get("id"), int):
            found.append(Problem(uid, _where(panel), "panel-id", "has no integer id"))
        elif panel["id"] in ids:
            found.append(Problem(uid, _where(panel), "panel-id", f"id {panel['id']} is used twice"))
        ids.add(panel.get("id"))
        if top:
            placed.append(panel)
        if panel.get("type") != "row":
            found.extend(_panel_problems(uid, panel, values))
    found.extend(_grid_problems(uid, placed))
    return found


def check(files: list[Path]) -> Result:
    """Lint dashboard files (a uid is unique across them because it must be the file's stem)."""
    lines: list[str] = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            lines.append(f"{path.name}: not a dashboard JSON file ({exc})")
            continue
        lines.extend(f"{path.name}: {p}" for p in lint(data, path.stem))
    return Result(not lines, lines)
