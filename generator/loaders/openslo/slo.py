"""OpenSLO v1 SLO documents -> obsgen SLOs.

One SLO document may carry several objectives (targets) over one indicator; each becomes an
obsgen SLO (`<name>` for one objective, `<name>-<i>` for several, as Sloth names them).
What obsgen cannot compile is refused with the field named: Timeslices and RatioTimeslices
(obsgen's budgets count events, not good minutes), calendar-aligned windows (its windows are
rolling), composite objectives and threshold objectives.
"""

from __future__ import annotations

from typing import Any

from generator import durations
from generator.loaders.openslo import alerting, indicator
from generator.loaders.openslo.documents import Catalog, Doc, items, labels, mapping, number, text
from generator.model import SLO, Alerting
from generator.tiers import Tier

SPEC_KEYS = ("description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives",
             "alertPolicies")
WINDOW_KEYS = ("duration", "isRolling", "calendar")
OBJECTIVE_KEYS = ("displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow",
                  "indicator", "indicatorRef", "compositeWeight")
OCCURRENCES = "Occurrences"


def budgeting(value: object, field: str, doc: Doc, slo: str) -> None:
    method = text(value, field, doc, slo)
    if method != OCCURRENCES:
        raise doc.error(f"{method} is not supported: obsgen counts good and bad events (Occurrences); "
                        "time-slice budgets need per-slice thresholds it does not compile", field, slo=slo)


def target(block: dict[str, Any], field: str, doc: Doc, slo: str) -> float:
    """The objective in percent from `target` (a ratio) or `targetPercent`."""
    if (block.get("target") is None) == (block.get("targetPercent") is None):
        raise doc.error("give exactly one of target and targetPercent", field, slo=slo)
    if block.get("target") is not None:
        ratio = number(block["target"], f"{field}.target", doc, slo)
        if not 0 < ratio < 1:
            raise doc.error(f"{ratio!r} must be a ratio between 0 and 1 (exclusive), e.g. 0.999",
                            f"{field}.target", slo=slo)
        return round(ratio * 100, 10)  # 0.999 -> 99.9, not 99.89999999999999
    percent = number(block["targetPercent"], f"{field}.targetPercent", doc, slo)
    if not 0 < percent < 100:
        raise doc.error(f"{percent!r} must be between 0 and 100 (exclusive)", f"{field}.targetPercent", slo=slo)
    return percent


def _objective(value: object, field: str, doc: Doc, slo: str) -> float:
    block = mapping(value, field, OBJECTIVE_KEYS, doc, slo)
    for key, why in (("value", "a thresholdMetric objective"), ("timeSliceTarget", "Timeslices budgeting"),
                     ("timeSliceWindow", "Timeslices budgeting"), ("indicator", "a composite SLO"),
                     ("indicatorRef", "a composite SLO"), ("compositeWeight", "a composite SLO")):
        if block.get(key) is not None:
            raise doc.error(f"is not supported: it belongs to {why}", f"{field}.{key}", slo=slo)
    return target(block, field, doc, slo)


def period(value: object, default: str, doc: Doc, slo: str) -> str:
    """The rolling timeWindow, canonical (4w -> 28d); the default when none is declared."""
    windows = items(value, "spec.timeWindow", doc, slo)
    if not windows:
        return default
    if len(windows) != 1:
        raise doc.error(f"holds {len(windows)} windows; OpenSLO allows exactly one", "spec.timeWindow", slo=slo)
    block = mapping(windows[0], "spec.timeWindow[0]", WINDOW_KEYS, doc, slo)
    if block.get("calendar") is not None or block.get("isRolling") is False:
        raise doc.error("calendar-aligned windows are not supported: obsgen's SLO periods are rolling "
                        "(isRolling: true)", "spec.timeWindow[0]", slo=slo)
    return durations.fmt(alerting.shorthand(block.get("duration"), "spec.timeWindow[0].duration", doc, slo))


def read(doc: Doc, catalog: Catalog, default_period: str,
         default_tiers: tuple[Tier, ...] | None) -> tuple[str, list[SLO]]:
    """(service name, SLOs) of one v1 SLO document."""
    slo = doc.name
    spec = mapping(doc.spec, "spec", SPEC_KEYS, doc, slo)
    service = text(spec.get("service"), "spec.service", doc, slo)
    budgeting(spec.get("budgetingMethod"), "spec.budgetingMethod", doc, slo)
    slo_period = period(spec.get("timeWindow"), default_period, doc, slo)
    sli, sli_description = indicator.read(spec, doc, catalog, slo)
    policies = alerting.read(spec.get("alertPolicies"), doc, catalog, slo)
    tiers, for_ = policies if policies is not None else (default_tiers, None)
    objectives = items(spec.get("objectives"), "spec.objectives", doc, slo)
    if not objectives:
        raise doc.error("is missing or empty: declare a target", "spec.objectives", slo=slo)
    description = text(spec.get("description"), "spec.description", doc, slo, required=False) or sli_description
    out = []
    for i, value in enumerate(objectives):
        name = slo if len(objectives) == 1 else f"{slo}-{i}"
        out.append(SLO(name=name, objective=_objective(value, f"spec.objectives[{i}]", doc, name), sli=sli,
                       period=slo_period, description=description, labels=labels(doc, name),
                       alerting=Alerting(tiers=tiers, for_=for_)))
    return service, out
