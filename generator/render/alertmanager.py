"""out/alertmanager/alertmanager.yml: routes, inhibition and receivers from alerts/.

One route per service (matching `service`), below it one per kind: TestPage and
`severity=page` to the team's PagerDuty, `severity=ticket` to its ticket receiver;
everything else stays on the default receiver. Before them, the Watchdog's route to the
heartbeat receiver, whatever its service. Secrets appear only as file paths. Declared text that
Alertmanager expands as a Go template (a Slack channel, mail addresses, the Grafana URL in a link) is
escaped to arrive as declared.
"""

from __future__ import annotations

from generator import names
from generator.render.rules import go_literal
from generator.routing import (
    TEST_ID,
    TEST_LABEL,
    WATCHDOG_ALERT,
    WATCHDOG_COMPONENT,
    Alertmanager,
    Email,
    PagerDuty,
    Receiver,
    Slack,
    Team,
    Timing,
    Webhook,
)


def matcher(name: str, op: str, value: str) -> str:
    """One Alertmanager matcher (also amtool's label syntax): the value quoted and escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}{op}"{escaped}"'


def _timing(t: Timing) -> dict:
    return {"group_by": list(t.group_by), "group_wait": t.group_wait, "group_interval": t.group_interval,
            "repeat_interval": t.repeat_interval}


# PagerDuty takes only critical/error/warning/info: ours map page -> critical, ticket -> warning,
# none -> info; anything unlabelled that reached a pager (a TestPage) pages as critical.
PD_SEVERITY = ('{{ if eq .CommonLabels.severity "ticket" }}warning'
               '{{ else if eq .CommonLabels.severity "none" }}info{{ else }}critical{{ end }}')
# Tiers of one SLO fire with different summaries (they name their window), and then
# CommonAnnotations.summary is empty; PagerDuty rejects an event without one.
PD_SUMMARY = ('{{ if .CommonAnnotations.summary }}{{ .CommonAnnotations.summary }}'
              '{{ else }}{{ .CommonLabels.service }} {{ .CommonLabels.slo }}: {{ .GroupLabels.alertname }}'
              ' ({{ .Alerts.Firing | len }} firing){{ end }}')
PD_SOURCE = "{{ if .CommonLabels.service }}{{ .CommonLabels.service }}{{ else }}alertmanager{{ end }}"
SLACK_TEXT = ('{{ range .Alerts }}[{{ .Status }}] {{ .Annotations.summary }}'
              '{{ if .Annotations.runbook_url }} (runbook: {{ .Annotations.runbook_url }}){{ end }}\n{{ end }}')


def _pagerduty(r: PagerDuty, am: Alertmanager) -> dict:
    links = [{"href": "{{ .CommonAnnotations.runbook_url }}", "text": "Runbook"}]
    if am.grafana_url:
        uid = names.overview_uid("{{ .CommonLabels.service }}")
        links.append({"href": f"{go_literal(am.grafana_url.rstrip('/'))}/d/{uid}", "text": "SLO dashboard"})
    return {"pagerduty_configs": [{
        "routing_key_file": r.routing_key_file,
        "url": r.url,
        "send_resolved": True,
        "description": PD_SUMMARY,
        "severity": PD_SEVERITY,
        "source": PD_SOURCE,
        "class": "{{ .CommonLabels.alertname }}",
        "component": "{{ .CommonLabels.slo }}",
        "group": "{{ .CommonLabels.service }}",
        "details": {
            "service": "{{ .CommonLabels.service }}",
            "slo": "{{ .CommonLabels.slo }}",
            "obsgen_severity": "{{ .CommonLabels.severity }}",
            "window": "{{ .CommonLabels.window }}",
            "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
            TEST_ID: "{{ .CommonLabels.test_id }}",
        },
        "links": links,
    }]}


def _receiver(r: Receiver, am: Alertmanager) -> dict:
    out: dict = {"name": r.name}
    if isinstance(r, PagerDuty):
        out.update(_pagerduty(r, am))
        if r is am.heartbeat:
            out["pagerduty_configs"][0]["send_resolved"] = False
    elif isinstance(r, Slack):
        out["slack_configs"] = [{"api_url_file": r.api_url_file, "channel": go_literal(r.channel),
                                 "send_resolved": True, "text": SLACK_TEXT}]
    elif isinstance(r, Webhook):
        cfg: dict = {"url_file": r.url_file} if r.url_file else {"url": r.url}
        cfg["send_resolved"] = True
        if r.credentials_file:
            cfg["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": r.credentials_file}}
        if r is am.heartbeat:
            cfg["send_resolved"] = False  # a resolve must not count as a beat
        out["webhook_configs"] = [cfg]
    elif isinstance(r, Email):
        cfg = {"to": go_literal(r.to), "from": go_literal(r.sender), "smarthost": r.smarthost,
               "require_tls": r.require_tls, "send_resolved": True}
        if r.auth_username is not None:
            cfg.update({"auth_username": r.auth_username, "auth_password_file": r.auth_password_file})
        out["email_configs"] = [cfg]
    return out


def _service_route(service: str, team: Team, am: Alertmanager) -> dict:
    page = _timing(team.page_timing)
    return {
        "matchers": [matcher(names.SERVICE, "=", service)],
        "receiver": am.default.name,
        "routes": [
            {"matchers": [matcher("alertname", "=", am.test_page_alert)], "receiver": team.page.name, **page},
            {"matchers": [matcher(names.SEVERITY, "=", "page")], "receiver": team.page.name, **page},
            {"matchers": [matcher(names.SEVERITY, "=", "ticket")], "receiver": team.ticket.name,
             **_timing(team.ticket_timing)},
        ],
    }


def heartbeat_route(am: Alertmanager) -> dict | None:
    """The Watchdog, to the heartbeat receiver: first among the routes, so no service route takes it."""
    if am.heartbeat is None:
        return None
    return {"matchers": [matcher("alertname", "=", WATCHDOG_ALERT), matcher(names.COMPONENT, "=", WATCHDOG_COMPONENT)],
            "receiver": am.heartbeat.name, **_timing(am.heartbeat_timing)}


def inhibit_rules() -> list[dict]:
    """A firing page silences the ticket of the same service and SLO. Both sides need an slo
    (alerts without one never inhibit each other), and a page-test drill inhibits nothing."""
    has_slo = matcher(names.SLO, "=~", ".+")
    return [{
        "source_matchers": [matcher(names.SEVERITY, "=", "page"), has_slo, matcher(TEST_LABEL, "!=", "true")],
        "target_matchers": [matcher(names.SEVERITY, "=", "ticket"), has_slo],
        "equal": [names.SERVICE, names.SLO],
    }]


def render(am: Alertmanager, services: list[str]) -> dict:
    heartbeat = heartbeat_route(am)
    routes = [heartbeat] if heartbeat else []
    for service in sorted(services):
        team = am.team_of(service)
        if team is not None:
            routes.append(_service_route(service, team, am))
    return {
        "global": {"resolve_timeout": am.resolve_timeout},
        "route": {"receiver": am.default.name, **_timing(am.default_timing), "routes": routes},
        "inhibit_rules": inhibit_rules(),
        "receivers": [_receiver(r, am) for r in am.receivers()],
    }
