"""out/alertmanager/routes.test.yml: where every alert obsgen generates must land.

Cases come from the same model the rules come from (labels via alert_label_set, and the
guardrails' rule labels), so a route edited by hand, or a label the routes no longer match,
fails `obsgen check` (each case runs as `amtool config routes test --verify.receivers`).
"""

from __future__ import annotations

from generator import durations, names
from generator.drill import drill_alert
from generator.guardrails import Guardrails
from generator.model import Service
from generator.render.rules import alert_label_set
from generator.routing import Alertmanager

UNKNOWN_SERVICE = "obsgen-route-test-unknown-service"
DRILL_ID = "route-test"


def _case(name: str, receiver: str, labels: dict[str, str]) -> dict:
    return {"name": name, "receiver": receiver, "labels": dict(sorted(labels.items()))}


def _service_cases(svc: Service, am: Alertmanager) -> list[dict]:
    team = am.team_of(svc.name)
    assert team is not None  # Alertmanager.validate: every service has a team
    out: list[dict] = []
    for slo in svc.slos:
        for severity, receiver in (("page", team.page.name), ("ticket", team.ticket.name)):
            if not getattr(slo.alerting, severity):
                continue
            for tier in (t for t in slo.tiers if t.severity == severity):
                labels = alert_label_set(svc, slo, severity)
                labels.update({"alertname": slo.alert_name, names.WINDOW: durations.fmt(tier.long_s)})
                out.append(_case(f"{svc.name}/{slo.name}: {severity} over {labels[names.WINDOW]}", receiver,
                                 labels))
        for alertname in (slo.absent_alert_name, slo.exhausted_alert_name):
            labels = alert_label_set(svc, slo, "ticket") | {"alertname": alertname}
            out.append(_case(f"{svc.name}/{slo.name}: {alertname}", team.ticket.name, labels))
    out.append(_case(f"{svc.name}: {am.test_page_alert} reaches the burn pages' receiver", team.page.name,
                     {"alertname": am.test_page_alert, names.SERVICE: svc.name}))
    if any(slo.alerting.page and any(t.severity == "page" for t in slo.tiers) for slo in svc.slos):
        drill = drill_alert(svc, DRILL_ID)
        out.append(_case(f"{svc.name}: page-test drill", team.page.name, {"alertname": drill.name, **drill.labels}))
    out.append(_case(f"{svc.name}: an unrouted severity falls to the default", am.default.name,
                     {"alertname": "ObsgenRouteTest", names.SERVICE: svc.name, names.SEVERITY: "none"}))
    return out


def _guardrail_cases(am: Alertmanager, services: list[Service], g: Guardrails | None) -> list[dict]:
    """Each guardrail alert where its rule labels take it: the Watchdog to the heartbeat, the
    tickets (and the 7-day certificate page) to the owning service's team."""
    from generator.render import guardrail_rules

    if g is None:
        return []
    by_name = {s.name: s for s in services}
    out: list[dict] = []
    seen: set[tuple[str, str, str]] = set()
    for alert in guardrail_rules.alerts(g):
        if (alert.name, alert.severity, alert.service) in seen:
            continue
        seen.add((alert.name, alert.severity, alert.service))
        labels = guardrail_rules.label_set(alert, by_name)
        if alert.key == "watchdog":
            if am.heartbeat is None:
                continue
            receiver = am.heartbeat.name
        else:
            team = am.team_of(alert.service)
            assert team is not None  # Alertmanager.validate: every declared service has a team
            receiver = team.page.name if alert.severity == "page" else team.ticket.name
        out.append(_case(f"guardrail {alert.name} ({alert.severity}, {alert.service})", receiver,
                         {"alertname": alert.name, **labels}))
    return out


def render(am: Alertmanager, services: list[Service], config: str, guardrails: Guardrails | None = None) -> dict:
    cases: list[dict] = []
    for svc in services:
        cases.extend(_service_cases(svc, am))
    cases.extend(_guardrail_cases(am, services, guardrails))
    cases.append(_case("an unknown service falls to the default", am.default.name,
                       {"alertname": "ObsgenRouteTest", names.SERVICE: UNKNOWN_SERVICE, names.SEVERITY: "page",
                        names.SLO: "x"}))
    cases.append(_case("an alert without a service falls to the default", am.default.name,
                       {"alertname": "ObsgenRouteTest", names.SEVERITY: "page"}))
    return {"config": config, "cases": cases}
