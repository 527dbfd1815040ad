"""The recording-rule contract: names, labels and how to read them.

Dashboards, docs, Argo analysis and page-test reach recorded series only through
this module, so renaming a series is a one-line change here (and in README's
table, which a test keeps in step with NAMES).

Staging (why there are two groups per SLO): the short windows are averaged from a
base rate recorded every `interval`; the long windows (1d, 3d, the period) are
summed from 5-minute buckets recorded by a slower group, so no rule ever re-reads
raw series over hours or days.

The base rate's window follows the scrape interval (base_window): Prometheus 3's
ranges are left-open, so a `[1m]` range over 1m-spaced samples holds one sample
and `rate` returns nothing. The series keep the name `...:rate1m` they had when the
window was always 1m; README's table says what they hold.
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

SLOW_INTERVAL = "5m"     # interval of the staged group and width of its buckets
STAGED_FROM = durations.parse("6h")  # windows longer than this are summed from buckets

NAMES = {
    ERRORS_RATE: "bad events per second over the base window: 4.5 scrape intervals, at least 1m "
                 "(base of the short windows)",
    TOTAL_RATE: "events per second over the base window",
    ERRORS_BUCKET: "bad events per second averaged over the last 5m (base of the long windows)",
    TOTAL_BUCKET: "events per second averaged over the last 5m",
    ERROR_RATIO: "error ratio over `window` (traffic-weighted; absent when the window had no traffic)",
    BURN_RATE: "error ratio over `window` divided by the error budget",
    OBJECTIVE: "the SLO's objective as a ratio",
    ERROR_BUDGET: "1 - objective",
    BUDGET_REMAINING: "share of the period's error budget left (negative when overspent)",
    PERIOD_DAYS: "the SLO's period in days",
}


# Scrape intervals the rules are built for. 10s..1m: Prometheus' default is 1m; a faster scrape is
# served by rules sized for 10s (the base window only gets more samples).
DEFAULT_SCRAPE_INTERVAL = "1m"
MIN_SCRAPE_S = 10
MAX_SCRAPE_S = 60
MIN_BASE_WINDOW_S = 60
SAMPLES_PER_BASE_WINDOW = 4  # Prometheus' guidance for rate(): a range of at least 4 scrape intervals


def base_window(scrape_s: int) -> int:
    """Seconds of the base rate's range: at least 4 scrapes and 1m, plus half a scrape.

    Prometheus 3's ranges are left-open, 2's closed: a range that is a whole number of scrapes holds
    one sample more on 2 whenever a sample sits on its left edge (always, in promtool). Half a scrape
    more keeps every sample off the edges, so both hold the same samples: 4 or 5 on a server, 5 in
    promtool; with one scrape missed, rate() still has three.
    """
    scrapes = max(SAMPLES_PER_BASE_WINDOW, -(-MIN_BASE_WINDOW_S // scrape_s))
    return scrapes * scrape_s + scrape_s // 2


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
