"""The recording-rule contract: names, labels and how to read them.

Dashboards, docs, Argo analysis and page-test reach recorded series only through
this module, so renaming a series is a one-line change here (and in README's
table, which a test keeps in step with NAMES).

Staging (why there are two groups per SLO): the short windows are averaged from a
1-minute base rate recorded every `interval`; the long windows (1d, 3d, the
period) are summed from 5-minute buckets recorded by a slower group, so no rule
ever re-reads raw series over hours or days.
"""

from __future__ import annotations

from generator import durations

# label names
SERVICE = "service"
SLO = "slo"
WINDOW = "window"
SEVERITY = "severity"
COMPONENT = "component"  # alerts that are not an SLO's (guardrails, dependencies) name their part

# series (all carry service and slo)
ERRORS_RATE = "obsgen:sli_errors:rate1m"          # bad events per second over the base window
TOTAL_RATE = "obsgen:sli_total:rate1m"            # all events per second over the base window
ERRORS_BUCKET = "obsgen:sli_errors:rate5m_bucket"  # the base averaged over one slow interval
TOTAL_BUCKET = "obsgen:sli_total:rate5m_bucket"
ERROR_RATIO = "obsgen:sli_error:ratio"             # + window: traffic-weighted error ratio
BURN_RATE = "obsgen:burn_rate:ratio"               # + window: error ratio / error budget
OBJECTIVE = "obsgen:objective:ratio"               # e.g. 0.995
ERROR_BUDGET = "obsgen:error_budget:ratio"         # 1 - objective
BUDGET_REMAINING = "obsgen:error_budget_remaining:ratio"  # 1 - period burn rate
PERIOD_DAYS = "obsgen:period:days"

BASE_WINDOW = "1m"       # rate window of the base series; needs a scrape interval <= 30s
SLOW_INTERVAL = "5m"     # interval of the staged group and width of its buckets
STAGED_FROM = durations.parse("6h")  # windows longer than this are summed from buckets

NAMES = {
    ERRORS_RATE: "bad events per second over the last 1m (base of the short windows)",
    TOTAL_RATE: "events per second over the last 1m",
    ERRORS_BUCKET: "bad events per second averaged over the last 5m (base of the long windows)",
    TOTAL_BUCKET: "events per second averaged over the last 5m",
    ERROR_RATIO: "error ratio over `window` (traffic-weighted; absent when the window had no traffic)",
    BURN_RATE: "error ratio over `window` divided by the error budget",
    OBJECTIVE: "the SLO's objective as a ratio",
    ERROR_BUDGET: "1 - objective",
    BUDGET_REMAINING: "share of the period's error budget left (negative when overspent)",
    PERIOD_DAYS: "the SLO's period in days",
}


def ident(service: str, slo: str) -> dict[str, str]:
    return {SERVICE: service, SLO: slo}


def is_staged(window_s: int) -> bool:
    return window_s > STAGED_FROM


def series(name: str, service: str, slo: str, window: str | None = None) -> str:
    """A selector for one recorded series of one SLO, for dashboards and checks."""
    from generator.promql import selector

    labels = ident(service, slo)
    if window is not None:
        labels[WINDOW] = window
    return name + selector(labels)


def overview_uid(service: str) -> str:
    """The uid of a service's SLO overview dashboard (links in pages and docs point at it)."""
    return f"{service}-slos"
