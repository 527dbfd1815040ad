"""out/docs/slos.md: the runbook's "SLO doc", from the same model as the rules.

Per service and SLO it says what is measured, the objective, the error budget in minutes
(and in probes or requests where the declarations allow it), each alert tier with the budget
it lets burn and the receiver it routes to, and the team's error-budget policy. Numbers are
computed here, wording lives in the template (generator/templates/slos.md.j2), so the text
can change without touching arithmetic. Nothing is estimated: a count that needs traffic the
declarations do not state (requests per period) is given as a share, never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jinja2

from generator import durations, names, yamlio
from generator.model import SLO, Service
from generator.render.rules import ABSENT_FOR, EXHAUSTED_FOR
from generator.routing import Alertmanager, Email, PagerDuty, Receiver, Slack, Webhook
from generator.sli import ProbeSLI, RawRatioSLI

FILE = "docs/slos.md"
NOT_ROUTED = "not declared"  # no Alertmanager declaration (alerts/) to say where alerts go
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("generator", "templates"), autoescape=False,
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                          lstrip_blocks=True)


def cell(text: str) -> str:
    """Declared text (a Slack channel) as one Markdown table cell: a `|` would end it, a newline the row."""
    escaped = text.replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"\r\n|\r|\n", "<br>", escaped)


def fenced(text: str, lang: str) -> str:
    """A code block no backtick run inside the query can close (PromQL raw strings and comments may hold them)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


_ENV.filters.update(cell=cell, fenced=fenced)


def num(x: float, digits: int = 6) -> str:
    """At most `digits` significant digits, no float noise: 216, 43.2, 0.1 (never 1e+03)."""
    text = f"{float(f'{x:.{digits}g}'):.12f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(x: float) -> str:
    """A whole count with thousands separators (172,800)."""
    return f"{round(x):,}"


def _receiver(r: Receiver) -> str:
    if isinstance(r, PagerDuty):
        return f"{r.name} (PagerDuty)"
    if isinstance(r, Slack):
        return f"{r.name} (Slack {r.channel})"
    if isinstance(r, Email):
        return f"{r.name} (email to {r.to})"
    if isinstance(r, Webhook):
        return f"{r.name} (webhook)"
    return r.name  # pragma: no cover - Receiver is closed


@dataclass(frozen=True)
class TierRow:
    severity: str
    factor: str
    windows: str
    budget_percent: str
    budget_minutes: str
    threshold: str  # as an error ratio, in percent
    route: str


@dataclass(frozen=True)
class SLOSection:
    name: str
    objective: str
    period: str
    description: str
    measures: str
    queries: list[tuple[str, str]]
    budget_percent: str
    budget_minutes: str
    budget_duration: str
    budget_events: str
    tiers: list[TierRow]
    for_: str
    burn_alert: str
    absent_alert: str
    exhausted_alert: str
    absent_for: str
    exhausted_for: str
    ticket_route: str


@dataclass(frozen=True)
class ServiceSection:
    name: str
    owner: str
    runbook_url: str
    dashboard: str
    budget_policy: str
    page_route: str
    ticket_route: str
    slos: list[SLOSection]


def _events(slo: SLO) -> str:
    """The budget as events: probes where the scrape interval is declared, else a share."""
    sli = slo.sli
    if isinstance(sli, ProbeSLI):
        if sli.scrape_interval is None:
            return f"{num(slo.budget * 100)}% of probes may fail (declare ProbeSLI(scrape_interval=...) to count them)"
        probes = slo.period_s / durations.parse(sli.scrape_interval)
        return (f"{count(slo.budget * probes)} failed probes of the {count(probes)} each probed target gets "
                f"(one every {durations.fmt(durations.parse(sli.scrape_interval))})")
    if isinstance(sli, RawRatioSLI):
        return f"an error ratio averaging {num(slo.budget * 100)}% over the period"
    what = "slow requests" if sli.kind == "latency" else "bad events"
    return f"1 of every {count(1 / slo.budget)} events may be {what}"


def _slo(svc: Service, slo: SLO, page_route: str, ticket_route: str) -> SLOSection:
    minutes = slo.budget * slo.period_s / 60
    rows = [TierRow(severity=t.severity, factor=num(t.factor),
                    windows=f"{t.long} / {t.short}" if t.short else f"{t.long} (single window)",
                    budget_percent=num(t.budget_percent, 3), budget_minutes=num(t.budget_percent / 100 * minutes, 3),
                    threshold=num(t.factor * slo.budget * 100, 4),
                    route=page_route if t.severity == "page" else ticket_route)
            for t in slo.tiers]
    return SLOSection(
        name=slo.name, objective=num(slo.objective), period=slo.period, description=slo.description.strip(),
        measures=slo.sli.describe(), queries=list(slo.sli.queries().items()),
        budget_percent=num(slo.budget * 100), budget_minutes=num(minutes),
        budget_duration=durations.fmt(round(minutes * 60)) if minutes * 60 >= 1 else "under a second",
        budget_events=_events(slo), tiers=rows,
        for_=durations.fmt(durations.parse(slo.alerting.for_)) if slo.alerting.for_ else "",
        burn_alert=slo.alert_name, absent_alert=slo.absent_alert_name, exhausted_alert=slo.exhausted_alert_name,
        absent_for=ABSENT_FOR, exhausted_for=EXHAUSTED_FOR, ticket_route=ticket_route)


def _service(svc: Service, am: Alertmanager | None) -> ServiceSection:
    team = am.team_of(svc.name) if am is not None else None
    page = _receiver(team.page) if team is not None else NOT_ROUTED
    ticket = _receiver(team.ticket) if team is not None else NOT_ROUTED
    uid = names.overview_uid(svc.name)
    grafana = am.grafana_url.rstrip("/") if am is not None and am.grafana_url else ""
    dashboard = f"[{uid}]({grafana}/d/{uid})" if grafana else f"Grafana uid `{uid}`"
    return ServiceSection(name=svc.name, owner=svc.owner, runbook_url=svc.runbook_url, dashboard=dashboard,
                          budget_policy=svc.budget_policy.strip(), page_route=page, ticket_route=ticket,
                          slos=[_slo(svc, s, page, ticket) for s in svc.slos])


def sources(services: list[Service], am: Alertmanager | None) -> str:
    found = {part for s in services for part in s.source.split(", ") if part}
    if am is not None and am.source:
        found.add(am.source)
    return ", ".join(sorted(found))


def render(services: list[Service], am: Alertmanager | None = None) -> str:
    return _ENV.get_template("slos.md.j2").render(
        mark=yamlio.mark(sources(services, am)), services=[_service(s, am) for s in services], not_routed=NOT_ROUTED)
