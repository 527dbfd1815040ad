"""out/prometheus/scrape/blackbox.yml: the scrape job that runs the declared probes.

A file with a `scrape_configs` list, to paste into prometheus.yml or to name in
`scrape_config_files` (Prometheus >= 2.43). Targets are grouped by module, whose name
travels as the `module` label (so alerts can tell the HSTS probe from the health probe)
and as the exporter's `module` parameter; `instance` is the probed URL, which is what the
probe SLIs select.
"""

from __future__ import annotations

from generator import durations
from generator.guardrails import Guardrails
from generator.render import blackbox

MODULE_LABEL = "module"


def job(g: Guardrails) -> dict:
    bb = g.blackbox
    return {
        "job_name": bb.job,
        "metrics_path": "/probe",
        "scrape_interval": durations.fmt(durations.parse(bb.interval)),
        "scrape_timeout": durations.fmt(durations.parse(bb.timeout)),
        "static_configs": [{"targets": urls, "labels": {MODULE_LABEL: module}}
                           for module, urls in blackbox.targets(g).items()],
        "relabel_configs": [
            {"source_labels": [MODULE_LABEL], "target_label": "__param_module"},
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": bb.exporter},
        ],
    }


def render(g: Guardrails) -> dict:
    return {"scrape_configs": [job(g)]}
