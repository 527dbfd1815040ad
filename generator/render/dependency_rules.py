""""Dependency down" alerts for the dependencies a service declares in dashboards/.

A dependency's outage is not an SLO burn (no `slo` label): it is a ticket by default, labelled
`component=<dependency>` so routes and inhibitions can tell Postgres from Redis. It fires when
the dependency's up signal is 0 (`pg_up`, `redis_up`, a Neo4j probe or scrape) or has vanished
(the exporter itself is gone), for the declared `down_for`.
"""

from __future__ import annotations

from generator import durations, names
from generator.grafana.declare import Dependencies, Dependency
from generator.model import Service
from generator.render.rules import go_literal

ALERT = "DependencyDown"
COMPONENT = "component"
GROUP_INTERVAL = "30s"


def expr(dep: Dependency) -> str:
    up = dep.up_selector
    return f"{up} == 0\nor\nabsent({up})"


def labels(service: Service, dep: Dependency) -> dict[str, str]:
    """The service's labels (routing by team), then the contract labels; never `slo`."""
    out = {k: go_literal(v) for k, v in service.labels.items()}
    out.update({names.SERVICE: service.name, names.SEVERITY: dep.severity, COMPONENT: dep.name})
    return out


def annotations(service: Service, dep: Dependency) -> dict[str, str]:
    up = dep.up_selector
    out = {
        "summary": go_literal(f"{service.name}: dependency {dep.name} is down"),
        "description": go_literal(f"{up} has been 0 or absent for {durations.fmt(durations.parse(dep.down_for))}: "
                                  f"{dep.name} ({dep.kind}), which {service.name} depends on, does not answer "
                                  "or its exporter is gone."),
    }
    if service.runbook_url:
        out["runbook_url"] = service.runbook_url
    return out


def rule(service: Service, dep: Dependency) -> dict:
    return {"alert": ALERT, "expr": expr(dep), "for": durations.fmt(durations.parse(dep.down_for)),
            "labels": labels(service, dep), "annotations": annotations(service, dep)}


def group_name(service: Service) -> str:
    return f"obsgen-{service.name}-dependencies"


def render(service: Service, declared: Dependencies) -> dict:
    return {"groups": [{"name": group_name(service), "interval": GROUP_INTERVAL,
                        "rules": [rule(service, dep) for dep in declared.dependencies]}]}
