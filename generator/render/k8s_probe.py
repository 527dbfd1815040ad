"""out/k8s/probe-<module>.yaml: the same probes as prometheus-operator `Probe` objects.

For clusters where the operator writes the scrape config: one Probe per module (a Probe
has one module), `jobName` set to the job the probe SLIs select (the operator's default,
`probe/<namespace>/<name>`, would leave them blind), and the module name as a static
`module` label, as the plain scrape job has it, so the same alert rules work on both.
"""

from __future__ import annotations

from generator import durations
from generator.guardrails import Guardrails
from generator.render import blackbox
from generator.render.scrape import MODULE_LABEL

API_VERSION = "monitoring.coreos.com/v1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "obsgen"}


def object_name(job: str, module: str) -> str:
    return f"obsgen-{job}-{module}".replace("_", "-").replace(".", "-").lower()


def render(g: Guardrails) -> dict[str, dict]:
    """file name (under k8s/) -> Probe object."""
    bb = g.blackbox
    out: dict[str, dict] = {}
    for module, urls in blackbox.targets(g).items():
        out[f"probe-{module.replace('_', '-')}.yaml"] = {
            "apiVersion": API_VERSION,
            "kind": "Probe",
            "metadata": {"name": object_name(bb.job, module), "namespace": bb.namespace, "labels": dict(MANAGED_BY)},
            "spec": {
                "jobName": bb.job,
                "module": module,
                "interval": durations.fmt(durations.parse(bb.interval)),
                "scrapeTimeout": durations.fmt(durations.parse(bb.timeout)),
                "prober": {"url": bb.exporter, "scheme": "http", "path": "/probe"},
                "targets": {"staticConfig": {"static": list(urls), "labels": {MODULE_LABEL: module}}},
            },
        }
    return out
