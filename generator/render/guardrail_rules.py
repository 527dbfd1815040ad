"""out/prometheus/rules/obsgen-guardrails.rules.yml: the guardrails' alerts.

Three groups: the probes' faults, the alerting pipeline's health (with the always-firing
Watchdog) and Prometheus's cost. None is an SLO's, so they carry `component` and never `slo`:
inhibition needs an slo on both sides, so they neither silence nor get silenced by a burn
page. All are tickets except the Watchdog (severity none, for the heartbeat route) and the
certificate that expires within a week (a page: renewal is now somebody's job tonight).

Cost matters here too: every expression reads one series per target, Prometheus or rule
group (`scrape_samples_post_metric_relabeling`, never `count by (job)({__name__=~".+"})`,
which would touch every series in the TSDB every evaluation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator import durations, names, promql
from generator.guardrails import CardinalityBudget, Guardrails, Probe
from generator.model import Service
from generator.render import blackbox
from generator.render.rules import _num, go_literal
from generator.routing import WATCHDOG_ALERT, WATCHDOG_COMPONENT

PROBES, PIPELINE, COST = "probes", "pipeline", "cost"
GROUP_INTERVALS = {PROBES: "1m", PIPELINE: "1m", COST: "5m"}
CHURN_WINDOW = "1h"
RATE_WINDOW = "5m"
PAGERDUTY_WINDOW = "15m"
NOTIFY_ERROR_RATIO = 0.01


@dataclass(frozen=True)
class Alert:
    """One alerting rule; `key` names the guardrail (README's table, the test scenarios)."""

    key: str
    name: str
    expr: str
    severity: str
    component: str
    service: str
    summary: str
    description: str
    group: str
    for_s: int = 0
    budget: CardinalityBudget | None = None


def _sel(metric: str, **labels: str) -> str:
    return metric + (promql.selector(labels) if labels else "")


def _regex(values: list[str]) -> str:
    """An RE2 alternation matching exactly these values (only RE2's metacharacters escaped)."""
    return "|".join(re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", v) for v in values)


def _matchers(metric: str, *matchers: tuple[str, str, str]) -> str:
    return metric + "{" + ",".join(f"{k}{op}{promql.quote(v)}" for k, op, v in matchers) + "}"


def _probe_alerts(g: Guardrails) -> list[Alert]:
    """Per service owning probes, so each team gets its own endpoints' tickets; with one such
    service (Maestro's case) the rules select the whole job."""
    owners = sorted({g.probe_service(p) for p in g.probes})
    out: list[Alert] = []
    for owner in owners:
        mine = [p for p in g.probes if g.probe_service(p) == owner]
        scope: tuple[tuple[str, str, str], ...] = (("job", "=", g.blackbox.job),)
        if len(owners) > 1:
            urls = [u for p in mine for u in (p.url, *([p.redirect_url] if p.redirect else []))]
            scope += (("instance", "=~", _regex(urls)),)
        out.extend(_service_probe_alerts(g, owner, mine, scope))
    return out


def _service_probe_alerts(g: Guardrails, owner: str, probes: list[Probe],
                          scope: tuple[tuple[str, str, str], ...]) -> list[Alert]:
    modules = {blackbox.module_of(p) for p in probes}
    tls = [m for m in (blackbox.HTTPS, blackbox.HSTS) if m in modules]
    out: list[Alert] = []
    failing = _matchers("probe_success", *scope, ("module", "=~", "|".join(tls)))
    if blackbox.HSTS in modules:  # a missing header is ProbeHSTSMissing's, not an outage
        failing += f" == 0\nunless on(job, instance, module)\n{_matchers('probe_failed_due_to_regex', *scope)} == 1"
    else:
        failing += " == 0"
    out.append(Alert(
        "probe_failing", "ProbeFailing", failing, "ticket", "probe", owner,
        "{{ $labels.instance }} does not answer its probe",
        "The blackbox exporter's {{ $labels.module }} probe of {{ $labels.instance }} has had no 2xx over "
        "verified TLS for 5m (timeout, refused connection, TLS error or an error status). An SLO that reads "
        "this probe pages when it burns its budget.", PROBES, 300))
    cert = _matchers("probe_ssl_earliest_cert_expiry", *scope)
    for severity, before in (("ticket", g.blackbox.certificate_ticket), ("page", g.blackbox.certificate_page)):
        seconds = durations.parse(before)
        out.append(Alert(
            f"certificate_{severity}", "ProbeCertificateExpiring", f"{cert} - time() < {_num(seconds)}",
            severity, "tls", owner,
            f"{{{{ $labels.instance }}}}: TLS certificate expires in less than {durations.fmt(seconds)}",
            f"The earliest-expiring certificate of the chain served at {{{{ $labels.instance }}}} expires in "
            f"less than {durations.fmt(seconds)} (probe_ssl_earliest_cert_expiry). Renew it before browsers and "
            "the probe refuse it.", PROBES, 900))
    if blackbox.HSTS in modules:
        out.append(Alert(
            "hsts_missing", "ProbeHSTSMissing",
            _matchers("probe_failed_due_to_regex", *scope, ("module", "=", blackbox.HSTS)) + " == 1",
            "ticket", "hsts", owner,
            "{{ $labels.instance }} answers without a Strict-Transport-Security header",
            f"{{{{ $labels.instance }}}} has answered over TLS without a {blackbox.HSTS_HEADER} header with a "
            "positive max-age for 15m: browsers will accept a downgrade to plain HTTP.", PROBES, 900))
    if any(p.redirect for p in probes):
        codes = "/".join(str(c) for c in blackbox.REDIRECT_CODES)
        out.append(Alert(
            "redirect_broken", "ProbeHTTPSRedirectBroken",
            _matchers("probe_success", *scope, ("module", "=", blackbox.REDIRECT)) + " == 0",
            "ticket", "redirect", owner,
            "{{ $labels.instance }} does not redirect to HTTPS",
            f"Plain HTTP at {{{{ $labels.instance }}}} has not answered with a {codes} to an https:// Location "
            "for 15m: users typing the address stay on HTTP, or get nothing.", PROBES, 900))
    return out


def _pipeline_alerts(g: Guardrails) -> list[Alert]:
    prom, am, owner = g.prometheus_job, g.alertmanager_job, g.owner
    failures = _sel("prometheus_rule_evaluation_failures_total", job=prom)
    pagerduty = _sel("alertmanager_notifications_failed_total", job=am, integration="pagerduty")
    return [
        Alert("watchdog", WATCHDOG_ALERT, "vector(1)", "none", WATCHDOG_COMPONENT, owner,
              "Watchdog: the alerting pipeline is alive (always firing)",
              "This alert always fires. Its heartbeat receiver expects it every few minutes; when it stops "
              "arriving, rule evaluation, Prometheus, the path to Alertmanager or Alertmanager itself is broken.",
              PIPELINE),
        Alert("rule_failures", "PrometheusRuleEvaluationFailures",
              f"sum by (job, instance, rule_group) (increase({failures}[{RATE_WINDOW}])) > 0",
              "ticket", "rules", owner,
              "Prometheus {{ $labels.instance }} fails to evaluate rules of {{ $labels.rule_group }}",
              "Rules of {{ $labels.rule_group }} have failed to evaluate for 10m: their series have gaps and "
              "their alerts cannot fire.", PIPELINE, 600),
        Alert("rule_group_slow", "PrometheusRuleGroupMissingInterval",
              f"{_sel('prometheus_rule_group_last_duration_seconds', job=prom)}\n"
              f"  > {_sel('prometheus_rule_group_interval_seconds', job=prom)}\nor\n"
              f"increase({_sel('prometheus_rule_group_iterations_missed_total', job=prom)}[{RATE_WINDOW}]) > 0",
              "ticket", "rules", owner,
              "Prometheus {{ $labels.instance }}: rule group {{ $labels.rule_group }} misses its interval",
              "Evaluating {{ $labels.rule_group }} takes longer than its interval, or iterations were skipped, "
              "for 10m: its windows and alerts fall behind.", PIPELINE, 600),
        Alert("pagerduty_failing", "AlertmanagerPagerDutyNotificationsFailing",
              f"sum by (job, instance) (increase({pagerduty}[{PAGERDUTY_WINDOW}])) > 0",
              "ticket", "notifications", owner,
              "Alertmanager {{ $labels.instance }} failed to deliver pages to PagerDuty",
              f"At least one notification to PagerDuty failed in the last {PAGERDUTY_WINDOW}: a page may have "
              "reached nobody. This ticket does not go through PagerDuty.", PIPELINE),
        Alert("alertmanager_unreachable", "PrometheusAlertmanagerUnreachable",
              f"{_sel('prometheus_notifications_alertmanagers_discovered', job=prom)} < 1\nor\n(\n"
              f"  sum by (job, instance) (rate({_sel('prometheus_notifications_errors_total', job=prom)}"
              f"[{RATE_WINDOW}]))\n"
              f"  /\n  sum by (job, instance) (rate({_sel('prometheus_notifications_sent_total', job=prom)}"
              f"[{RATE_WINDOW}]))\n) > {_num(NOTIFY_ERROR_RATIO)}",
              "ticket", "notifications", owner,
              "Prometheus {{ $labels.instance }} cannot reach Alertmanager",
              "For 10m Prometheus has discovered no Alertmanager, or more than 1% of its alert sends failed. If "
              "no Alertmanager gets them, this ticket cannot arrive either: the Watchdog's silence is the alarm.",
              PIPELINE, 600),
    ]


def _cost_alerts(g: Guardrails) -> list[Alert]:
    prom, owner, tsdb = g.prometheus_job, g.owner, g.tsdb
    over = durations.fmt(durations.parse(tsdb.over))
    out = []
    for key, name, metric, percent, what in (
            ("head_series_growth", "PrometheusTSDBHeadSeriesGrowth", "prometheus_tsdb_head_series",
             tsdb.head_series_percent, "in-memory (head) series"),
            ("storage_growth", "PrometheusTSDBStorageGrowth", "prometheus_tsdb_storage_blocks_bytes",
             tsdb.storage_percent, "bytes of on-disk blocks")):
        sel = _sel(metric, job=prom)
        out.append(Alert(
            key, name, f"{sel}\n  > {_num(1 + percent / 100)} * ({sel} offset {over} > 0)", "ticket", "tsdb", owner,
            f"Prometheus {{{{ $labels.instance }}}}: {what} up more than {_num(percent)}% in {over}",
            f"Prometheus's {what} grew by more than the declared {_num(percent)}% against {over} ago, for 1h: "
            "a new high-cardinality metric or label, or retention that no longer keeps up. Find the job with "
            "ScrapeJobOverCardinalityBudget or scrape_series_added.", COST, 3600))
    overrides = [b.job for b in g.cardinality if b.job is not None]
    for budget in g.cardinality:
        if budget.job is not None:
            matcher = {"job": budget.job}
            where = f"job {budget.job}"
        else:
            matcher = {}
            where = "jobs without a budget of their own"
        def select(metric: str, matcher: dict[str, str] = matcher) -> str:
            if matcher or not overrides:
                return _sel(metric, **matcher)
            return _matchers(metric, ("job", "!~", _regex(sorted(overrides))))
        out.append(Alert(
            "cardinality", "ScrapeJobOverCardinalityBudget",
            f"sum by (job) ({select('scrape_samples_post_metric_relabeling')}) > {budget.series}",
            "ticket", "cardinality", owner,
            f"Scrape job {{{{ $labels.job }}}} exposes more than {budget.series} series",
            f"Job {{{{ $labels.job }}}} ({where}) has exposed more than its budget of {budget.series} series "
            "(scrape_samples_post_metric_relabeling, summed over its targets) for 15m. Drop or relabel the "
            "new labels, or raise the budget in the declaration.", COST, 900, budget))
        if budget.new_series_per_hour is not None:
            out.append(Alert(
                "churn", "ScrapeJobSeriesChurnOverBudget",
                f"sum by (job) (sum_over_time({select('scrape_series_added')}[{CHURN_WINDOW}])) "
                f"> {budget.new_series_per_hour}", "ticket", "cardinality", owner,
                f"Scrape job {{{{ $labels.job }}}} creates more than {budget.new_series_per_hour} new series an hour",
                f"Job {{{{ $labels.job }}}} ({where}) created more than {budget.new_series_per_hour} new series in "
                f"the last {CHURN_WINDOW} (scrape_series_added) for 15m: a label with unbounded values (ids, "
                "pod names from restarts) churns the TSDB.", COST, 900, budget))
    return out


def alerts(g: Guardrails) -> list[Alert]:
    return [*_probe_alerts(g), *_pipeline_alerts(g), *_cost_alerts(g)]


def label_set(alert: Alert, services: dict[str, Service]) -> dict[str, str]:
    """The labels the alert arrives with: the owning service's, then the contract labels; never `slo`."""
    out = dict(services[alert.service].labels)
    out.update({names.SERVICE: alert.service, names.SEVERITY: alert.severity, names.COMPONENT: alert.component})
    if alert.budget is not None and alert.budget.job is not None:
        out["job"] = alert.budget.job  # as the series says; it tells this rule from the default budget's
    return out


def labels(alert: Alert, services: dict[str, Service]) -> dict[str, str]:
    """label_set as written in the rule: escaped, since Prometheus expands label values as templates."""
    return {k: go_literal(v) for k, v in label_set(alert, services).items()}


def runbook(g: Guardrails, alert: Alert, services: dict[str, Service]) -> str:
    return g.runbook_url or services[alert.service].runbook_url


def rule(g: Guardrails, alert: Alert, services: dict[str, Service]) -> dict:
    out: dict = {"alert": alert.name, "expr": alert.expr}
    if alert.for_s:
        out["for"] = durations.fmt(alert.for_s)
    out["labels"] = labels(alert, services)
    out["annotations"] = {"summary": alert.summary, "description": alert.description}
    url = runbook(g, alert, services)
    if url:
        out["annotations"]["runbook_url"] = go_literal(url)
    return out


def group_name(group: str) -> str:
    return f"obsgen-guardrails-{group}"


def render(g: Guardrails, services: list[Service]) -> dict:
    by_name = {s.name: s for s in services}
    groups = []
    for group in (PROBES, PIPELINE, COST):
        chosen = [a for a in alerts(g) if a.group == group]
        if chosen:
            groups.append({"name": group_name(group), "interval": GROUP_INTERVALS[group],
                           "rules": [rule(g, a, by_name) for a in chosen]})
    return {"groups": groups}
