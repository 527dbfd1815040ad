"""OpenSLO v1alpha SLO documents, the subset Sloth v0.16 reads (its in-openslo.yaml).

Sloth turns each objective's good/total queries into an error ratio and disables alerts;
obsgen reads them as a traffic-weighted counter ratio and gives them the default
multi-window tiers (or --windows'), so the same file now pages. Objectives are named
`<name>-<i>` as Sloth names them, so recorded series and alerts line up with Sloth's.
"""

from __future__ import annotations

from generator import durations
from generator.loaders.openslo import indicator, slo
from generator.loaders.openslo.documents import Catalog, Doc, items, mapping, number, text
from generator.model import SLO, Alerting
from generator.tiers import Tier

SPEC_KEYS = ("service", "description", "budgetingMethod", "objectives", "timeWindows", "indicator")
OBJECTIVE_KEYS = ("displayName", "op", "value", "target", "timeSliceTarget", "ratioMetrics")
RATIO_KEYS = ("incremental", "good", "bad", "total")
WINDOW_KEYS = ("count", "unit", "isRolling", "calendar")
UNITS = {"day": 86400, "week": 604800}


def _period(value: object, default: str, doc: Doc, name: str) -> str:
    windows = items(value, "spec.timeWindows", doc, name)
    if not windows:
        return default
    if len(windows) != 1:
        raise doc.error("only one time window is supported", "spec.timeWindows", slo=name)
    block = mapping(windows[0], "spec.timeWindows[0]", WINDOW_KEYS, doc, name)
    if block.get("calendar") is not None or block.get("isRolling") is False:
        raise doc.error("calendar-aligned windows are not supported: obsgen's SLO periods are rolling",
                        "spec.timeWindows[0]", slo=name)
    unit = text(block.get("unit"), "spec.timeWindows[0].unit", doc, name)
    if unit.lower() not in UNITS:
        raise doc.error(f"{unit!r} is not supported: use Day or Week", "spec.timeWindows[0].unit", slo=name)
    count = number(block.get("count"), "spec.timeWindows[0].count", doc, name)
    if count <= 0 or count != int(count):
        raise doc.error("must be a positive whole number", "spec.timeWindows[0].count", slo=name)
    return durations.fmt(int(count) * UNITS[unit.lower()])


def read(doc: Doc, catalog: Catalog, default_period: str,
         default_tiers: tuple[Tier, ...] | None) -> tuple[str, list[SLO]]:
    name = doc.name
    spec = mapping(doc.spec, "spec", SPEC_KEYS, doc, name)
    if spec.get("indicator") is not None:
        raise doc.error("is not supported in v1alpha: put the queries in objectives[].ratioMetrics",
                        "spec.indicator", slo=name)
    service = text(spec.get("service"), "spec.service", doc, name)
    if spec.get("budgetingMethod") is not None:
        slo.budgeting(spec["budgetingMethod"], "spec.budgetingMethod", doc, name)
    slo_period = _period(spec.get("timeWindows"), default_period, doc, name)
    description = text(spec.get("description"), "spec.description", doc, name, required=False)
    objectives = items(spec.get("objectives"), "spec.objectives", doc, name)
    if not objectives:
        raise doc.error("is missing or empty: declare at least one objective", "spec.objectives", slo=name)
    out = []
    for i, value in enumerate(objectives):
        slo_name = f"{name}-{i}"
        where = f"spec.objectives[{i}]"
        block = mapping(value, where, OBJECTIVE_KEYS, doc, slo_name)
        for key in ("value", "timeSliceTarget"):
            if block.get(key) is not None:
                raise doc.error("is not supported: obsgen compiles ratio objectives only", f"{where}.{key}",
                                slo=slo_name)
        ratios = mapping(block.get("ratioMetrics"), f"{where}.ratioMetrics", RATIO_KEYS, doc, slo_name)
        sli = indicator.ratio(ratios, f"{where}.ratioMetrics", doc, catalog, slo_name, counter_key="incremental")
        out.append(SLO(name=slo_name, objective=slo.target(block, where, doc, slo_name), sli=sli,
                       period=slo_period, description=description, alerting=Alerting(tiers=default_tiers)))
    return service, out
