"""A static HTML page of one Grafana dashboard's layout, for review without a Grafana server.

A reviewer of a generated dashboard wants to see where every panel sits and what it queries; the
JSON says so but not readably, and starting Grafana for a review is too much. The page places
each panel on Grafana's 24-column grid at its gridPos, with its title, type, unit and queries.
Collapsed rows are shown expanded (as Grafana lays them out when clicked open), so nothing a row
hides is missed. Everything shown comes from the dashboard and is escaped by the template
(autoescape): titles and queries are text, never markup. The page needs no network and no JS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2

DASHBOARDS_DIR = "grafana/dashboards/"
COLUMNS = 24
CELL_HEIGHT = 30  # Grafana's GRID_CELL_HEIGHT and GRID_CELL_VMARGIN, in px
CELL_MARGIN = 8
DEFAULT_GRID = {"x": 0, "y": 0, "w": 12, "h": 8}  # what Grafana assumes when a panel has no gridPos


@dataclass(frozen=True)
class Query:
    ref_id: str
    text: str
    legend: str = ""


@dataclass(frozen=True)
class Box:
    """One panel (or row header) at its grid position, in grid units."""

    title: str
    type: str
    x: int
    y: int
    w: int
    h: int
    unit: str = ""
    description: str = ""
    queries: tuple[Query, ...] = ()
    collapsed: bool = False  # a row Grafana shows collapsed (its panels are laid out below it here)

    @property
    def is_row(self) -> bool:
        return self.type == "row"

    @property
    def top_px(self) -> int:
        return self.y * (CELL_HEIGHT + CELL_MARGIN)

    @property
    def height_px(self) -> int:
        return self.h * CELL_HEIGHT + (self.h - 1) * CELL_MARGIN


@dataclass(frozen=True)
class Layout:
    title: str
    uid: str
    boxes: tuple[Box, ...]
    variables: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def height_px(self) -> int:
        bottom = max((b.y + b.h for b in self.boxes), default=0)
        return bottom * (CELL_HEIGHT + CELL_MARGIN)


def dashboard_uids(files: Mapping[str, str | bytes]) -> list[str]:
    """The uids of the dashboards a build produced (their files are grafana/dashboards/<uid>.json)."""
    return sorted(path.removeprefix(DASHBOARDS_DIR).removesuffix(".json") for path in files
                  if path.startswith(DASHBOARDS_DIR) and path.endswith(".json") and path.count("/") == 2)


def dashboard(files: Mapping[str, str | bytes], uid: str) -> dict[str, Any] | None:
    content = files.get(f"{DASHBOARDS_DIR}{uid}.json")
    if content is None:
        return None
    return json.loads(content)


def _grid(panel: Mapping[str, Any]) -> dict[str, int]:
    grid = {**DEFAULT_GRID, **(panel.get("gridPos") or {})}
    return {k: int(grid[k]) for k in ("x", "y", "w", "h")}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else json.dumps(value, sort_keys=True)


def _queries(panel: Mapping[str, Any]) -> tuple[Query, ...]:
    """Each target's PromQL (`expr`), else whatever query text a non-Prometheus target carries."""
    found = []
    for target in panel.get("targets") or []:
        text = next((_text(target[k]) for k in ("expr", "query", "rawSql", "rawQuery") if target.get(k)), "")
        if not text:
            text = _text({k: v for k, v in target.items() if k not in ("refId", "datasource", "legendFormat")})
        found.append(Query(_text(target.get("refId")), text, _text(target.get("legendFormat"))))
    return tuple(found)


def _variable_query(variable: Mapping[str, Any]) -> str:
    """What a reviewer needs to see of a variable: its datasource type, or its query as Grafana shows it."""
    query = variable.get("query")
    if variable.get("type") == "datasource":
        return f"datasource: {_text(query)}"
    if variable.get("definition"):
        return _text(variable["definition"])
    if isinstance(query, Mapping) and isinstance(query.get("query"), str):
        return query["query"]
    return _text(query)


def _box(panel: Mapping[str, Any], grid: Mapping[str, int]) -> Box:
    unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
    return Box(title=_text(panel.get("title")), type=_text(panel.get("type")) or "(no type)",
               unit=_text(unit), description=_text(panel.get("description")), queries=_queries(panel),
               collapsed=bool(panel.get("collapsed")) and panel.get("type") == "row", **grid)


def layout(board: Mapping[str, Any]) -> Layout:
    """The boxes at the positions Grafana gives them, collapsed rows expanded.

    Expanding follows Grafana's DashboardModel.toggleRow: a collapsed row's panels go right below
    the row (shifted by how far the row moved since they were stored) and every later panel is
    pushed down by their height.
    """
    panels = sorted(board.get("panels") or [], key=lambda p: (_grid(p)["y"], _grid(p)["x"]))
    boxes: list[Box] = []
    push = 0
    for panel in panels:
        grid = _grid(panel)
        grid["y"] += push
        boxes.append(_box(panel, grid))
        children = (panel.get("panels") or []) if panel.get("type") == "row" and panel.get("collapsed") else []
        if children:
            first_y = _grid(children[0])["y"]
            shift = first_y - (grid["y"] + 1)
            bottom = grid["y"]
            for child in children:
                child_grid = _grid(child)
                child_grid["y"] -= shift
                boxes.append(_box(child, child_grid))
                bottom = max(bottom, child_grid["y"] + child_grid["h"])
            push += bottom - grid["y"] - 1
    variables = tuple((_text(v.get("name")), _variable_query(v))
                      for v in (board.get("templating") or {}).get("list") or [])
    return Layout(title=_text(board.get("title")), uid=_text(board.get("uid")), boxes=tuple(boxes),
                  variables=variables)


_ENV = jinja2.Environment(loader=jinja2.PackageLoader("generator", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render(board: Mapping[str, Any]) -> str:
    """The page for a classic dashboard JSON model (a dict as Grafana stores it)."""
    page = layout(board)
    return _ENV.get_template("preview.html.j2").render(page=page, columns=COLUMNS, margin=CELL_MARGIN)
