"""Prometheus recording and alerting rules for one service.

Two groups per SLO (see names.py for why): the fast group records the base rates,
the short windows, their burn rates and the alerts that read only those; the
slow group records 5-minute buckets and from them the day-long windows, the
period, the budget and the alerts that read any of those.

How many samples a window holds must not depend on the Prometheus version: 2.x
ranges are closed, 3.x ranges are left-open, so a sample on the left edge counts on
one and not the other. Every range here is cut half a sample spacing away from any
sample: a window of W over samples `s` apart reads exactly W/s of them on both.
- Read in the group that records the series (samples at the group's own instants):
  `[W - s/2]` holds the samples at t, t-s, ..., t-W+s.
- Read from the other group (the phase between groups is arbitrary on a server, and
  zero in promtool, which may run either group first): `[W] offset s/2` holds the
  W/s samples before t - s/2, whichever group ran first.
- The raw series are read over the base window, 4.5 scrapes (names.base_window).
"""

from __future__ import annotations

import re

from generator import durations, names
from generator.model import SLO, Service
from generator.tiers import ResolvedTier

ABSENT_FOR = "15m"
EXHAUSTED_FOR = "15m"


def _num(x: float) -> str:
    """Shortest text of x to 12 significant digits: 5.6, not 5.6000000000000005."""
    x = float(f"{float(x):.12g}")
    return repr(x).removesuffix(".0") if x.is_integer() else repr(x)


def _sel(name: str, service: Service, slo: SLO, window: int | None = None) -> str:
    return names.series(name, service.name, slo.name, durations.fmt(window) if window else None)


def go_literal(text: str) -> str:
    """Text shown as-is by a Go template (Prometheus expands rule labels and annotations): a run of
    two or more `{` would start an action, so the whole run is printed by one (`{{ "{{{" }}`). The
    run is taken whole so that no `{` is left beside the action's own `{{`; `}}` outside an action
    is plain text to Go and stays as it is."""
    return re.sub(r"\{\{+", lambda m: '{{ "' + m.group(0) + '" }}', text)


def over(window: int, spacing: int, same_group: bool) -> str:
    """The range (and offset) that reads window/spacing samples spaced `spacing` seconds apart,
    on Prometheus 2 and 3 alike (module docstring). Half a spacing is rounded down to whole seconds:
    for spacings of 10s..1m that divide 1m it still misses every sample and promtool's 1m/5m grid."""
    n = max(1, round(window / spacing))
    half = spacing // 2
    if same_group:
        return f"[{durations.fmt(n * spacing - half)}]"
    return f"[{durations.fmt(n * spacing)}] offset {durations.fmt(half)}"


def _ratio_rule(slo: SLO, service: Service, window: int, errors: str, total: str,
                spacing: int, same_group: bool) -> dict:
    rng = over(window, spacing, same_group)
    err = _sel(errors, service, slo)
    tot = _sel(total, service, slo)
    return {
        "record": names.ERROR_RATIO,
        "expr": f"sum_over_time({err}{rng})\n/\n(sum_over_time({tot}{rng}) > 0)",
        "labels": _labels(service, slo, window=durations.fmt(window)),
    }


def _burn_rule(slo: SLO, service: Service, window: int) -> dict:
    return {
        "record": names.BURN_RATE,
        "expr": f"{_sel(names.ERROR_RATIO, service, slo, window)} / {_num(slo.budget)}",
        "labels": _labels(service, slo, window=durations.fmt(window)),
    }


def _labels(service: Service, slo: SLO, **extra: str) -> dict[str, str]:
    out = names.ident(service.name, slo.name)
    out.update(extra)
    return out


def tier_expr(slo: SLO, service: Service, tier: ResolvedTier) -> str:
    long_sel = _sel(names.BURN_RATE, service, slo, tier.long_s)
    if tier.short_s is None:
        return f"{long_sel} > {_num(tier.factor)}"
    short_sel = _sel(names.BURN_RATE, service, slo, tier.short_s)
    return (f"(\n  {long_sel} > {_num(tier.factor)}\n"
            f"  and ignoring({names.WINDOW})\n  {short_sel} > {_num(tier.factor)}\n)")


def alert_label_set(service: Service, slo: SLO, severity: str) -> dict[str, str]:
    """The labels an SLO alert arrives with: user labels first, then the contract labels
    (which the model forbids users to set). Route tests and page-test read these."""
    out: dict[str, str] = {}
    out.update(service.labels)
    out.update(slo.labels)
    out.update(slo.alerting.labels)
    out.update(slo.alerting.page_labels if severity == "page" else
               slo.alerting.ticket_labels if severity == "ticket" else {})
    out.update({names.SERVICE: service.name, names.SLO: slo.name, names.SEVERITY: severity})
    # Prometheus has no empty label: `team: ""` on a rule removes `team`, so the alert arrives without it
    return {k: v for k, v in out.items() if v != ""}


def alert_labels(service: Service, slo: SLO, severity: str) -> dict[str, str]:
    """alert_label_set as written in a rule: Prometheus expands label values as Go
    templates, so values are escaped to arrive exactly as declared."""
    return {k: go_literal(v) for k, v in alert_label_set(service, slo, severity).items()}


def _annotations(service: Service, slo: SLO, severity: str, summary: str, description: str) -> dict:
    out = {"summary": summary, "description": description}
    if service.runbook_url:
        out["runbook_url"] = go_literal(service.runbook_url)  # a URL, not a template (as page-test's drill)
    out.update(slo.alerting.annotations)
    out.update(slo.alerting.page_annotations if severity == "page" else
               slo.alerting.ticket_annotations if severity == "ticket" else {})
    return out


def burn_alert(service: Service, slo: SLO, severity: str) -> dict | None:
    tiers = [t for t in slo.tiers if t.severity == severity]
    if not tiers:
        return None
    what = go_literal(slo.description.strip()) if slo.description.strip() else "the SLI"
    rule: dict = {
        "alert": slo.alert_name,
        "expr": "\nor\n".join(tier_expr(slo, service, t) for t in tiers),
    }
    if slo.alerting.for_:
        rule["for"] = durations.fmt(durations.parse(slo.alerting.for_))
    if slo.alerting.keep_s(severity):
        rule["keep_firing_for"] = durations.fmt(slo.alerting.keep_s(severity))
    rule["labels"] = alert_labels(service, slo, severity)
    window = "{{ $labels.window }}"
    rule["annotations"] = _annotations(
        service, slo, severity,
        summary=go_literal(f"{service.name} {slo.name}: error budget burning too fast over ") + window,
        description=go_literal(f"SLO {slo.name} ({_num(slo.objective)}% over {slo.period}) of "
                               f"{service.name} is burning its error budget faster than the {severity} "
                               "threshold over ") + window + go_literal(f". SLI: {slo.sli.describe()}. ")
        + what)
    return rule


def _ticket_alert(service: Service, slo: SLO, name: str, expr: str, for_: str, summary: str,
                  description: str) -> dict:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": alert_labels(service, slo, "ticket"),
        "annotations": _annotations(service, slo, "ticket", summary=go_literal(summary),
                                    description=go_literal(description)),
    }


def absent_alert(service: Service, slo: SLO) -> dict:
    presence = slo.sli.presence_expr(durations.fmt(slo.base_window_s))
    return _ticket_alert(
        service, slo, slo.absent_alert_name,
        f"absent({presence if presence else _sel(names.TOTAL_RATE, service, slo)})", ABSENT_FOR,
        summary=f"{service.name} {slo.name}: SLI data is missing",
        description=f"The series behind SLO {slo.name} of {service.name} returned nothing for {ABSENT_FOR}: "
                    "the SLO cannot be evaluated and its burn alerts are blind.")


def exhausted_alert(service: Service, slo: SLO) -> dict:
    return _ticket_alert(
        service, slo, slo.exhausted_alert_name, f"{_sel(names.BUDGET_REMAINING, service, slo)} <= 0",
        EXHAUSTED_FOR,
        summary=f"{service.name} {slo.name}: error budget exhausted",
        description=f"SLO {slo.name} of {service.name} has spent its whole error budget for the last {slo.period}.")


def _fast_windows(slo: SLO) -> set[int]:
    """Windows read by alerts of the fast group; the rest are recorded in the 5m group.

    A window only a ticket reads (2h) need not be recomputed every 30 s.
    """
    out: set[int] = set()
    for severity in ("page", "ticket"):
        tiers = [t for t in slo.tiers if t.severity == severity]
        if tiers and not _reads_staged(tiers):
            out.update(w for t in tiers for w in t.windows)
    return out


def _reads_staged(tiers: list[ResolvedTier]) -> bool:
    return any(names.is_staged(w) for t in tiers for w in t.windows)


def groups_for(service: Service, slo: SLO) -> list[dict]:
    base = durations.fmt(slo.base_window_s)
    ident = _labels(service, slo)
    err_series = _sel(names.ERRORS_RATE, service, slo)
    tot_series = _sel(names.TOTAL_RATE, service, slo)
    errors = {"record": names.ERRORS_RATE, "expr": slo.sli.error_expr(base, tot_series), "labels": dict(ident)}
    total = {"record": names.TOTAL_RATE, "expr": slo.sli.total_expr(base, err_series), "labels": dict(ident)}
    # rules of a group run in order, so the second base rule reads the first one's fresh sample
    fast: list[dict] = [total, errors] if slo.sli.total_first else [errors, total]
    slow_interval = durations.parse(names.SLOW_INTERVAL)
    step = slo.interval_s  # the spacing of the base samples
    in_fast = _fast_windows(slo)
    short = [w for w in slo.windows if not names.is_staged(w)]
    staged = [w for w in slo.windows if names.is_staged(w)]
    fast += [_ratio_rule(slo, service, w, names.ERRORS_RATE, names.TOTAL_RATE, step, True)
             for w in short if w in in_fast]
    fast += [_burn_rule(slo, service, w) for w in short if w in in_fast]
    # A bucket averages the base samples of one slow interval, read across groups: each base sample
    # lands in exactly one bucket, whichever group runs first.
    bucket_range = over(slow_interval, step, same_group=False)
    slow: list[dict] = [
        {"record": names.ERRORS_BUCKET,
         "expr": f"avg_over_time({_sel(names.ERRORS_RATE, service, slo)}{bucket_range})",
         "labels": dict(ident)},
        {"record": names.TOTAL_BUCKET,
         "expr": f"avg_over_time({_sel(names.TOTAL_RATE, service, slo)}{bucket_range})",
         "labels": dict(ident)},
    ]
    slow += [_ratio_rule(slo, service, w, names.ERRORS_RATE, names.TOTAL_RATE, step, False)
             for w in short if w not in in_fast]
    slow += [_ratio_rule(slo, service, w, names.ERRORS_BUCKET, names.TOTAL_BUCKET, slow_interval, True)
             for w in staged]
    slow += [_burn_rule(slo, service, w) for w in slo.windows if w not in in_fast]
    slow += [
        {"record": names.OBJECTIVE, "expr": f"vector({_num(slo.objective / 100)})", "labels": dict(ident)},
        {"record": names.ERROR_BUDGET, "expr": f"vector({_num(slo.budget)})", "labels": dict(ident)},
        {"record": names.PERIOD_DAYS, "expr": f"vector({_num(slo.period_s / 86400)})",
         "labels": dict(ident)},
        {"record": names.BUDGET_REMAINING,
         "expr": f"1 - max without({names.WINDOW}) ({_sel(names.BURN_RATE, service, slo, slo.period_s)})",
         "labels": dict(ident)},
    ]
    for severity in ("page", "ticket"):
        alert = burn_alert(service, slo, severity)
        if alert is None:
            continue
        tiers = [t for t in slo.tiers if t.severity == severity]
        (slow if _reads_staged(tiers) else fast).append(alert)
    fast.append(absent_alert(service, slo))
    slow.append(exhausted_alert(service, slo))
    fast_name, slow_name = group_names(service, slo)
    return [
        {"name": fast_name, "interval": durations.fmt(slo.interval_s), "rules": fast},
        {"name": slow_name, "interval": names.SLOW_INTERVAL, "rules": slow},
    ]


def group_names(service: Service, slo: SLO) -> tuple[str, str]:
    """(fast, slow) group names of one SLO."""
    prefix = f"obsgen-{service.name}-{slo.name}"
    return prefix, f"{prefix}-long"


def render(service: Service) -> dict:
    groups: list[dict] = []
    for slo in service.slos:
        groups.extend(groups_for(service, slo))
    return {"groups": groups}

