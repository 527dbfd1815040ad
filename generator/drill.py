"""The alert a page drill raises: named and labelled like a real burn page of the service.

The runbook's drill is "create a 4h-burn test rule": so the availability SLO's 4h page
when declared, else the service's first page tier. `test="true"` and a per-run
`test_id` set it apart: routes group by test_id (its own PagerDuty incident) and the
inhibition rule ignores it. Route tests and `obsgen page-test` both use this one
definition, so the drill is proven to reach the pager the real page reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import durations, names
from generator.errors import SpecError
from generator.model import SLO, Service
from generator.render.rules import alert_label_set
from generator.routing import TEST_ID, TEST_LABEL
from generator.tiers import ResolvedTier

PREFERRED_SLO = "availability"
PREFERRED_WINDOW = durations.parse("4h")


@dataclass(frozen=True)
class DrillAlert:
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    slo: str


def _target(service: Service) -> tuple[SLO, ResolvedTier]:
    pages = [(i, slo, t) for i, slo in enumerate(service.slos) if slo.alerting.page
             for t in slo.tiers if t.severity == "page"]
    if not pages:
        raise SpecError("has no SLO with a page tier: a page drill imitates a burn page",
                        file=service.source or None, field=f"service {service.name}")
    _, slo, tier = min(pages, key=lambda p: (p[1].name != PREFERRED_SLO, p[2].long_s != PREFERRED_WINDOW, p[0]))
    return slo, tier


def drill_alert(service: Service, test_id: str) -> DrillAlert:
    slo, tier = _target(service)
    labels = alert_label_set(service, slo, "page")
    labels.update({names.WINDOW: durations.fmt(tier.long_s), TEST_LABEL: "true", TEST_ID: test_id})
    summary = (f"[page-test {test_id}] drill of {service.name} {slo.name}: not a real incident; "
               "it resolves by itself")
    annotations = {"summary": summary,
                   "description": f"obsgen page-test imitating {slo.alert_name} (window {labels[names.WINDOW]}) "
                                  "to check that burn pages reach PagerDuty and resolve."}
    if service.runbook_url:
        annotations["runbook_url"] = service.runbook_url
    return DrillAlert(slo.alert_name, labels, annotations, slo.name)
