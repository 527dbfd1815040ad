"""Our only door to grafana-foundation-sdk: panel, query and variable factories.

The SDK (0.0.x) changes its API between releases and its defaults are not what a
reader of our boards needs (it hides legends and leaves refIds empty), so every
board module builds through these factories and nothing else imports the SDK: an
SDK upgrade is fixed here, once. The factories also carry our house rules, which
`obsgen check` lints for: every panel reads the `${datasource}` variable, has a
unit and a description, and every rate window is `$__rate_interval`.

Layout is ours too: the SDK's auto-layout lets a panel overflow the 24-column grid,
so `board()` packs each row itself and numbers panels in reading order.
"""

from __future__ import annotations

import json
import string
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

with warnings.catch_warnings():  # the classic model warns that v2 exists; Grafana still loads v1 JSON
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import common as common_builder
    from grafana_foundation_sdk.builders import dashboard as dash
    from grafana_foundation_sdk.builders import gauge as gauge_builder
    from grafana_foundation_sdk.builders import prometheus as prom_builder
    from grafana_foundation_sdk.builders import stat as stat_builder
    from grafana_foundation_sdk.builders import statetimeline as timeline_builder
    from grafana_foundation_sdk.builders import table as table_builder
    from grafana_foundation_sdk.builders import timeseries as timeseries_builder
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import common
    from grafana_foundation_sdk.models import dashboard as model
    from grafana_foundation_sdk.models import prometheus as prom_model

GRID_WIDTH = 24
DATASOURCE_VARIABLE = "datasource"
DATASOURCE_UID = "${" + DATASOURCE_VARIABLE + "}"
RATE_INTERVAL = "$__rate_interval"  # Grafana widens it to >= 4 scrape intervals, so rate() never sees one sample
SCHEMA_VERSION = 42

# Grafana unit ids (packages/grafana-data/src/valueFormats/categories.ts)
PERCENT_UNIT = "percentunit"  # 0..1 shown as %
PERCENT = "percent"           # 0..100 shown as %
SECONDS = "s"
MILLISECONDS = "ms"
BYTES = "bytes"
OPS = "ops"                   # per second
COUNT = "short"
NONE = "none"                 # states and names: the value is shown through a mapping
TIMES = "suffix:x"            # burn rates: multiples of the error budget's rate

GREEN, YELLOW, ORANGE, RED, BLUE = "green", "yellow", "orange", "red", "blue"


def _ref() -> model.DataSourceRef:
    return model.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


@dataclass(frozen=True)
class Query:
    """One PromQL target; `table` queries are instant and come back as rows, not series."""

    expr: str
    legend: str
    table: bool = False


def query(expr: str, legend: str, *, table: bool = False) -> Query:
    return Query(expr, legend, table)


def _target(q: Query, ref_id: str) -> prom_builder.Dataquery:
    target = (prom_builder.Dataquery().expr(q.expr).legend_format(q.legend).ref_id(ref_id)
              .datasource(_ref()))
    if q.table:
        target = target.format(prom_model.PromQueryFormat.TABLE).instant()
    else:
        target = target.range()
    return target


@dataclass(frozen=True)
class Step:
    """A threshold step: from `value` upwards the field is `color` (the first step has no value)."""

    color: str
    value: float | None = None


def _thresholds(steps: Sequence[Step]) -> dash.ThresholdsConfig:
    return (dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(value=s.value, color=s.color) for s in steps]))


def value_text(mapping: dict[str, tuple[str, str]]) -> list[model.ValueMap]:
    """Values shown as words: {"1": ("up", GREEN), "0": ("down", RED)}."""
    options = {k: model.ValueMappingResult(text=text, color=color, index=i)
               for i, (k, (text, color)) in enumerate(sorted(mapping.items()))}
    return [model.ValueMap(options=options)]


def _legend() -> common_builder.VizLegendOptions:
    return (common_builder.VizLegendOptions().display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM).show_legend(True).calcs([]))


def _tooltip() -> common_builder.VizTooltipOptions:
    return common_builder.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)


@dataclass
class Cell:
    """A panel builder and the grid cell it asks for."""

    builder: Any
    width: int
    height: int


def _common(panel: Any, title: str, description: str, unit: str, queries: Sequence[Query]) -> Any:
    if not description.strip() or not unit:
        raise ValueError(f"panel {title!r}: every panel needs a description and a unit")
    if len(queries) > len(string.ascii_uppercase):
        raise ValueError(f"panel {title!r}: more queries than refIds A-Z")
    panel = panel.title(title).description(description).unit(unit).datasource(_ref())
    for ref_id, q in zip(string.ascii_uppercase, queries, strict=False):
        panel = panel.with_target(_target(q, ref_id))
    return panel


def timeseries(title: str, description: str, unit: str, queries: Sequence[Query], *, width: int = 12,
               height: int = 8, lines: Sequence[Step] = (), min_value: float | None = None,
               max_value: float | None = None) -> Cell:
    """A graph; `lines` are threshold steps drawn as horizontal lines (tier factors, SLO targets)."""
    panel = _common(timeseries_builder.Panel(), title, description, unit, queries)
    panel = panel.legend(_legend()).tooltip(_tooltip()).line_width(1).fill_opacity(10).span_nulls(False)
    if lines:
        panel = panel.thresholds(_thresholds([Step(GREEN), *lines])).thresholds_style(
            common_builder.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    return Cell(panel, width, height)


def stat(title: str, description: str, unit: str, queries: Sequence[Query], *, width: int = 6, height: int = 4,
         steps: Sequence[Step] = (), mapping: dict[str, tuple[str, str]] | None = None,
         show_name: bool = False, decimals: int | None = None) -> Cell:
    """A single current value; `show_name` prints the series' legend instead (e.g. the phase label)."""
    panel = _common(stat_builder.Panel(), title, description, unit, queries)
    panel = (panel.reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
             .graph_mode(common.BigValueGraphMode.NONE).color_mode(common.BigValueColorMode.VALUE)
             .text_mode(common.BigValueTextMode.NAME if show_name else common.BigValueTextMode.VALUE))
    if steps:
        panel = panel.thresholds(_thresholds(steps))
    if mapping:
        panel = panel.mappings(value_text(mapping))
    if decimals is not None:
        panel = panel.decimals(decimals)
    return Cell(panel, width, height)


def gauge(title: str, description: str, unit: str, queries: Sequence[Query], *, steps: Sequence[Step],
          min_value: float, max_value: float, width: int = 6, height: int = 6) -> Cell:
    panel = _common(gauge_builder.Panel(), title, description, unit, queries)
    panel = (panel.reduce_options(common_builder.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
             .thresholds(_thresholds(steps)).min(min_value).max(max_value)
             .show_threshold_markers(True).show_threshold_labels(False))
    return Cell(panel, width, height)


def state_timeline(title: str, description: str, queries: Sequence[Query], *,
                   mapping: dict[str, tuple[str, str]], width: int = 24, height: int = 6) -> Cell:
    """One lane per series, coloured by the mapped state (phases, alert states, up/down)."""
    panel = _common(timeline_builder.Panel(), title, description, NONE, queries)
    panel = (panel.legend(_legend()).tooltip(_tooltip()).mappings(value_text(mapping))
             .show_value(common.VisibilityMode.NEVER).merge_values(True).fill_opacity(80))
    return Cell(panel, width, height)


def table(title: str, description: str, unit: str, queries: Sequence[Query], *, width: int = 24,
          height: int = 6) -> Cell:
    """Instant query results as rows: which alerts fire now, which hash is stable."""
    panel = _common(table_builder.Panel(), title, description, unit, [
        Query(q.expr, q.legend, table=True) for q in queries])
    return Cell(panel.show_header(True).cell_height(common.TableCellHeight.SM), width, height)


def datasource_variable() -> dash.DatasourceVariable:
    return dash.DatasourceVariable(DATASOURCE_VARIABLE).label("Data source").type("prometheus").multi(False)


def query_variable(name: str, label: str, expr: str, default: str) -> dash.QueryVariable:
    """A label-values variable read through `${datasource}`, starting at the declared value."""
    return (dash.QueryVariable(name).label(label).query(expr).definition(expr).datasource(_ref())
            .current(model.VariableOption(selected=True, text=default, value=default))
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(model.VariableSort.ALPHABETICAL_ASC)
            .multi(False).include_all(False))


@dataclass
class Row:
    title: str
    cells: list[Cell] = field(default_factory=list)


def board(uid: str, title: str, description: str, rows: Sequence[Row], *, tags: Sequence[str] = (),
          variables: Sequence[Any] = (), time_from: str = "now-6h") -> dict[str, Any]:
    """The dashboard as plain JSON data (what Grafana stores), rows packed left to right."""
    builder = (dash.Dashboard(title).uid(uid).description(description).tags(list(tags)).editable()
               .tooltip(model.DashboardCursorSync.CROSSHAIR).refresh("1m").time(time_from, "now")
               .timezone("browser").with_variable(datasource_variable()))
    for variable in variables:
        builder = builder.with_variable(variable)
    panel_id, y = 1, 0
    for row in rows:
        builder = builder.with_row(dash.Row(row.title).id(panel_id)
                                   .grid_pos(model.GridPos(h=1, w=GRID_WIDTH, x=0, y=y)))
        panel_id, y, x, line = panel_id + 1, y + 1, 0, 0
        for cell in row.cells:
            if not 0 < cell.width <= GRID_WIDTH:
                raise ValueError(f"{uid}: panel width {cell.width} is outside 1..{GRID_WIDTH}")
            if x + cell.width > GRID_WIDTH:
                x, y, line = 0, y + line, 0
            cell.builder.id(panel_id).grid_pos(model.GridPos(h=cell.height, w=cell.width, x=x, y=y))
            builder = builder.with_panel(cell.builder)
            panel_id, x, line = panel_id + 1, x + cell.width, max(line, cell.height)
        y += line
    built = builder.build()
    built.schema_version = SCHEMA_VERSION
    built.annotations = model.AnnotationContainer(list_val=[])
    return to_data(built)


def to_data(obj: object) -> dict[str, Any]:
    """SDK object -> JSON data through the SDK's own encoder (enums become their values)."""
    data: dict[str, Any] = json.loads(JSONEncoder().encode(obj))
    return data


def from_data(data: dict[str, Any]) -> object:
    """JSON data -> the SDK's typed model, with panel options and targets typed by plugin."""
    from grafana_foundation_sdk.cog import plugins

    plugins.register_default_plugins()
    return model.Dashboard.from_json(data)


def dumps(data: dict[str, Any]) -> str:
    """The bytes of out/: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
