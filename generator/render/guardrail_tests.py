"""promtool tests for the guardrails' alerts, generated from the same declaration as the rules.

Each scenario feeds the series the real exporters expose (blackbox, Prometheus's and
Alertmanager's own metrics), healthy, then faulty, then healthy again, with values set
just over and just under each declared threshold, and says when each alert instance's
condition holds (`Span`). Checks are placed where the answer is certain: before an
alert's condition starts, `for` minus a margin after (pending: still silent), `for` plus
a margin after (firing) and a margin after it clears; at each, every instance that must
fire is listed, so an instance that must stay quiet (the HSTS probe during an outage, a
job within its budget, Slack failures for the PagerDuty alert) fails the test if it fires.

Two files, like the SLO tests: 1m evaluation for the probes and the pipeline, 5m for cost,
whose scenarios need a day of history for `offset 1d`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from generator import durations
from generator.guardrails import Guardrails
from generator.model import Service
from generator.promql import selector
from generator.render import blackbox, guardrail_rules
from generator.render.guardrail_rules import Alert
from generator.render.promtool_tests import render_template
from generator.render.rules import _num

SHORT_STEP, LONG_STEP = 60, 300
MINUTE, HOUR, DAY = 60, 3600, 86400
PROMETHEUS, ALERTMANAGER = "prometheus-0:9090", "alertmanager-0:9093"
# jobs made up for the default cardinality budget; a declared budget for one of them would be odd
WITHIN_JOB, OVER_JOB = "obsgen-test-within-budget", "obsgen-test-over-budget"


@dataclass(frozen=True)
class Span:
    """An alert instance's condition holds from `start` until `end` (None: the scenario's end),
    plus `lag` (a range window that still sees the fault); it fires once it held for `for`."""

    alert: Alert
    labels: dict[str, str]
    start: int
    end: int | None = None
    lag: int = 0

    @property
    def fires_at(self) -> int:
        return self.start + self.alert.for_s

    @property
    def clears_at(self) -> int | None:
        return None if self.end is None else self.end + self.lag

    def firing(self, t: int) -> bool:
        return self.fires_at <= t and (self.clears_at is None or t < self.clears_at)


@dataclass
class Scenario:
    name: str
    duration: int
    alerts: list[Alert]  # what this scenario asserts, quiet or not
    series: list[tuple[str, str]] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)

    def add(self, metric: str, labels: dict[str, str], points: Sequence[tuple[int, float]], step: int,
            *, plus_time: bool = False) -> None:
        """A series holding each value from its time until the next one's; with plus_time the value
        is relative to the evaluation time (a timestamp that stays that far ahead)."""
        samples = []
        for t in range(0, self.duration + 1, step):
            value = next(v for start, v in reversed(points) if start <= t)
            samples.append(value + t if plus_time else value)
        self.series.append((metric + selector(labels), values(samples)))


def values(samples: Sequence[float]) -> str:
    """promtool's expanding notation (`a+bxn`: a, then n more samples b apart) for these samples."""
    parts, i = [], 0
    while i < len(samples):
        if i + 1 == len(samples):
            parts.append(_num(samples[i]))
            break
        delta, j = samples[i + 1] - samples[i], i + 1
        while j + 1 < len(samples) and math.isclose(samples[j + 1] - samples[j], delta, abs_tol=1e-9):
            j += 1
        parts.append(f"{_num(samples[i])}{'-' if delta < 0 else '+'}{_num(abs(delta))}x{j - i}")
        i = j + 1
    return " ".join(parts)


def counter(start: int, end: int, per_step: float, step: int) -> list[tuple[int, float]]:
    """A counter flat at 0, rising by per_step each sample after `start` up to `end`, then flat."""
    points = [(0, 0.0)]
    for t in range(start + step, end + 1, step):
        points.append((t, (t - start) // step * per_step))
    return points


# -- probes --------------------------------------------------------------------------------------------
def _probes(g: Guardrails, alerts: list[Alert]) -> Scenario | None:
    """Healthy; then each probe's own fault (outage, missing header, broken redirect) with the
    certificates in the ticket band; then the HSTS targets down entirely (ProbeFailing, not
    ProbeHSTSMissing) with the certificates in the page band; then all healthy and renewed."""
    mine = [a for a in alerts if a.group == guardrail_rules.PROBES]
    if not mine:
        return None
    f, gg, r, e = 30 * MINUTE, 60 * MINUTE, 90 * MINUTE, 105 * MINUTE
    sc = Scenario("probes: each module's fault, then recovery", e, mine)
    job = g.blackbox.job
    ticket_s = durations.parse(g.blackbox.certificate_ticket)
    page_s = durations.parse(g.blackbox.certificate_page)
    far, band, low = ticket_s + DAY, (ticket_s + page_s) / 2, page_s / 2  # time left, whatever the time

    def alert(key: str, service: str) -> Alert:
        return next(a for a in mine if a.key == key and a.service == service)

    for probe in g.probes:
        owner = g.probe_service(probe)
        module = blackbox.module_of(probe)
        lab = {"job": job, "instance": probe.url, "module": module}
        down_until = r if probe.hsts else gg
        sc.add("probe_success", lab, [(0, 1), (f, 0), (down_until, 1)], SHORT_STEP)
        sc.add("probe_ssl_earliest_cert_expiry", lab, [(0, far), (f, band), (gg, low), (r, far)], SHORT_STEP,
               plus_time=True)
        sc.spans += [Span(alert("certificate_ticket", owner), lab, f, r),
                     Span(alert("certificate_page", owner), lab, gg, r)]
        if probe.hsts:
            sc.add("probe_failed_due_to_regex", lab, [(0, 0), (f, 1), (gg, 0)], SHORT_STEP)
            sc.spans += [Span(alert("hsts_missing", owner), lab, f, gg),
                         Span(alert("probe_failing", owner), lab, gg, r)]
        else:
            sc.spans.append(Span(alert("probe_failing", owner), lab, f, gg))
        if probe.redirect:
            rlab = {"job": job, "instance": probe.redirect_url, "module": blackbox.REDIRECT}
            sc.add("probe_success", rlab, [(0, 1), (f, 0), (gg, 1)], SHORT_STEP)
            sc.spans.append(Span(alert("redirect_broken", owner), rlab, f, gg))
    return sc


# -- pipeline ------------------------------------------------------------------------------------------
def _pipeline(g: Guardrails, alerts: list[Alert]) -> Scenario:
    """Rule failures in one group, one slow and one skipping group, one failed PagerDuty send (and
    Slack failing all along), Alertmanager undiscovered on one Prometheus and refusing sends from
    another; then all well again. Healthy twins of each make sure only the faulty one fires."""
    mine = [a for a in alerts if a.group == guardrail_rules.PIPELINE]
    f, gg, e = 30 * MINUTE, 60 * MINUTE, 90 * MINUTE
    window = durations.parse(guardrail_rules.RATE_WINDOW)
    sc = Scenario("pipeline: the Watchdog always; each failure, then recovery", e, mine)
    by_key = {a.key: a for a in mine}
    prom, am, step = g.prometheus_job, g.alertmanager_job, SHORT_STEP
    sc.spans.append(Span(by_key["watchdog"], {}, 0))

    def group(name: str) -> dict[str, str]:
        return {"job": prom, "instance": PROMETHEUS, "rule_group": f"/etc/prometheus/rules/x.yml;{name}"}

    failing, healthy, slow, skipping = group("failing"), group("healthy"), group("slow"), group("skipping")
    sc.add("prometheus_rule_evaluation_failures_total", failing, counter(f, gg, 1, step), step)
    sc.add("prometheus_rule_evaluation_failures_total", healthy, [(0, 0)], step)
    sc.spans.append(Span(by_key["rule_failures"], failing, f, gg, window))
    for lab, last in ((healthy, [(0, 1.5)]), (slow, [(0, 1.5), (f, 45), (gg, 1.5)]), (skipping, [(0, 1.5)])):
        sc.add("prometheus_rule_group_last_duration_seconds", lab, last, step)
        sc.add("prometheus_rule_group_interval_seconds", lab, [(0, 30)], step)
        sc.add("prometheus_rule_group_iterations_missed_total", lab,
               counter(f, gg, 1, step) if lab is skipping else [(0, 0)], step)
    sc.spans += [Span(by_key["rule_group_slow"], slow, f, gg), Span(by_key["rule_group_slow"], skipping, f, gg, window)]
    amlab = {"job": am, "instance": ALERTMANAGER}
    sc.add("alertmanager_notifications_failed_total", {**amlab, "integration": "pagerduty"}, [(0, 0), (f + step, 1)],
           step)
    sc.add("alertmanager_notifications_failed_total", {**amlab, "integration": "slack"}, counter(0, e, 1, step), step)
    sc.spans.append(Span(by_key["pagerduty_failing"], amlab, f, f + step,
                         durations.parse(guardrail_rules.PAGERDUTY_WINDOW)))
    # Alertmanager 0.34 splits the failures by `reason`: the alert reads that shape too
    split = {"job": am, "instance": "alertmanager-1:9093"}
    sc.add("alertmanager_notifications_failed_total", {**split, "integration": "pagerduty", "reason": "serverError"},
           [(0, 0), (f + step, 1)], step)
    sc.add("alertmanager_notifications_failed_total", {**split, "integration": "pagerduty", "reason": "clientError"},
           [(0, 0)], step)
    sc.spans.append(Span(by_key["pagerduty_failing"], split, f, f + step,
                         durations.parse(guardrail_rules.PAGERDUTY_WINDOW)))
    lonely = {"job": prom, "instance": PROMETHEUS}
    refused = {"job": prom, "instance": "prometheus-1:9090"}
    sc.add("prometheus_notifications_alertmanagers_discovered", lonely, [(0, 1), (f, 0), (gg, 1)], step)
    sc.add("prometheus_notifications_alertmanagers_discovered", refused, [(0, 1)], step)
    target = {"alertmanager": "http://alertmanager-0:9093/api/v2/alerts"}
    sc.add("prometheus_notifications_sent_total", {**refused, **target}, counter(0, e, 10, step), step)
    sc.add("prometheus_notifications_errors_total", {**refused, **target}, counter(f, gg, 10, step), step)
    sc.spans += [Span(by_key["alertmanager_unreachable"], lonely, f, gg),
                 Span(by_key["alertmanager_unreachable"], refused, f, gg, window)]
    return sc


# -- cost ----------------------------------------------------------------------------------------------
def _growth(g: Guardrails, alerts: list[Alert]) -> Scenario:
    """`over` at one size, then one Prometheus 1% over the declared growth and another 1% under."""
    mine = [a for a in alerts if a.key in ("head_series_growth", "storage_growth")]
    over = durations.parse(g.tsdb.over)
    f = over + HOUR
    e = f + 2 * HOUR
    sc = Scenario(f"cost: TSDB growth against {durations.fmt(over)} ago", e, mine)
    by_key = {a.key: a for a in mine}
    for alert, metric, base, percent in (
            (by_key["head_series_growth"], "prometheus_tsdb_head_series", 100_000, g.tsdb.head_series_percent),
            (by_key["storage_growth"], "prometheus_tsdb_storage_blocks_bytes", 10 * 2**30, g.tsdb.storage_percent)):
        grown = base * (1 + percent / 100)
        for instance, after in (("prometheus-0:9090", grown + base / 100), ("prometheus-1:9090", grown - base / 100)):
            lab = {"job": g.prometheus_job, "instance": instance}
            sc.add(metric, lab, [(0, base), (f, after)], LONG_STEP)
            if after > grown:
                sc.spans.append(Span(alert, lab, f))
    return sc


def _budgets(g: Guardrails, alerts: list[Alert]) -> Scenario | None:
    """Each budgeted job (and, for the default budget, a made-up job) exactly at its budget, then
    one over; a made-up job stays exactly at the default budget throughout. Churn arrives as one
    scrape's worth every 2h, so every hour's window holds exactly the budget (or one more), however
    the window's ends are counted."""
    mine = [a for a in alerts if a.key in ("cardinality", "churn")]
    if not mine:
        return None
    f, e = HOUR, 3 * HOUR
    sc = Scenario("cost: cardinality and churn budgets per job", e, mine)
    for alert in mine:
        budget = alert.budget
        assert budget is not None
        for job in [budget.job] if budget.job else [WITHIN_JOB, OVER_JOB]:
            grows = job != WITHIN_JOB
            if alert.key == "cardinality":
                half = budget.series // 2
                rest = budget.series - half
                sc.add("scrape_samples_post_metric_relabeling", {"job": job, "instance": "a:9100"}, [(0, half)],
                       LONG_STEP)
                sc.add("scrape_samples_post_metric_relabeling", {"job": job, "instance": "b:9100"},
                       [(0, rest), (f, rest + 1)] if grows else [(0, rest)], LONG_STEP)
                if grows:
                    sc.spans.append(Span(alert, {"job": job}, f))
                continue
            n = budget.new_series_per_hour
            assert n is not None
            at_budget = [(t + dt, v) for t in range(0, e + 1, 2 * HOUR) for dt, v in ((0, n), (LONG_STEP, 0))]
            points = [p for p in at_budget if p[0] < f] + [(f, n + 1), (f + LONG_STEP, 0)] if grows else at_budget
            sc.add("scrape_series_added", {"job": job, "instance": "a:9100"}, points, LONG_STEP)
            if grows:
                window = durations.parse(guardrail_rules.CHURN_WINDOW)
                sc.spans.append(Span(alert, {"job": job}, f, f + LONG_STEP, window))
    return sc


# -- checks --------------------------------------------------------------------------------------------
def _fired(alert: Alert, g: Guardrails, services: dict[str, Service], extra: dict[str, str]) -> tuple[dict, dict]:
    rule = guardrail_rules.rule(g, alert, services)
    labels = {k: render_template(v, {}) for k, v in rule["labels"].items()}
    merged = {**extra, **labels}
    annotations = {k: render_template(v, merged) for k, v in rule["annotations"].items()}
    if any(v is None for v in (*labels.values(), *annotations.values())):
        raise ValueError(f"{alert.name}: templates beyond $labels cannot be predicted")
    return dict(sorted(merged.items())), annotations  # type: ignore[arg-type]


def _check_times(spans: list[Span], duration: int, step: int) -> list[int]:
    """Evaluation times at least `margin` from every edge: before each condition starts, and on
    both sides of each firing and clearing edge (moved outwards, step by step, off other edges)."""
    margin = 2 * step
    edges = [s.fires_at for s in spans] + [c for s in spans if (c := s.clears_at) is not None]
    wanted: list[tuple[int, int]] = [(s.start - margin, -1) for s in spans]  # (time, direction to move)
    for t in edges:
        wanted += [(t - margin, -1), (t + margin, 1)]
    if not spans:  # quiet throughout: halfway, and at the end (after every `for`)
        wanted = [(duration // 2, 1), (duration, -1)]
    out: set[int] = set()
    for want, direction in wanted:
        first = math.floor(want / step) if direction < 0 else math.ceil(want / step)
        for k in range(6):
            c = (first + direction * k) * step
            if 0 < c <= duration and all(abs(c - t) >= margin for t in edges):
                out.add(c)
                break
    return sorted(out)


def _group_doc(sc: Scenario, g: Guardrails, services: dict[str, Service], step: int) -> dict:
    checks: list[tuple[int, str, dict]] = []
    for name in dict.fromkeys(a.name for a in sc.alerts):
        spans = [s for s in sc.spans if s.alert.name == name]
        for t in _check_times(spans, sc.duration, step):
            expected = []
            for span in spans:
                if span.firing(t):
                    labels, annotations = _fired(span.alert, g, services, span.labels)
                    expected.append({"exp_labels": labels, "exp_annotations": annotations})
            expected.sort(key=lambda x: sorted(x["exp_labels"].items()))
            checks.append((t, name, {"eval_time": durations.fmt(t), "alertname": name, "exp_alerts": expected}))
    checks.sort(key=lambda c: c[:2])
    return {"name": sc.name, "interval": durations.fmt(step),
            "input_series": [{"series": s, "values": v} for s, v in sc.series],
            "alert_rule_test": [c for _t, _n, c in checks]}


def render(g: Guardrails, services: list[Service], rules_file: str) -> tuple[dict, dict]:
    """(short file, long file); rules_file is relative to the tests directory."""
    alerts = guardrail_rules.alerts(g)
    by_name = {s.name: s for s in services}
    quiet = Scenario("no data: only the Watchdog fires", 30 * MINUTE,
                     [a for a in alerts if a.group != guardrail_rules.COST])
    quiet.spans.append(Span(next(a for a in alerts if a.key == "watchdog"), {}, 0))
    short = [sc for sc in (quiet, _probes(g, alerts), _pipeline(g, alerts)) if sc is not None]
    long = [sc for sc in (_growth(g, alerts), _budgets(g, alerts)) if sc is not None]
    head = {"rule_files": [rules_file]}
    return (dict(head, evaluation_interval=durations.fmt(SHORT_STEP),
                 tests=[_group_doc(sc, g, by_name, SHORT_STEP) for sc in short]),
            dict(head, evaluation_interval=durations.fmt(LONG_STEP),
                 tests=[_group_doc(sc, g, by_name, LONG_STEP) for sc in long]))
