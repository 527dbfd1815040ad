"""out/k8s: the other targets' files as Kubernetes objects, each marked with the sources of what it wraps.

Built from the files of out/ after every other target (build.py calls this last), because each object
wraps one or more of them: PrometheusRules the rule files, ConfigMaps the dashboards, the
AlertmanagerConfig the Alertmanager config. An object names its sources as the files it wraps name
theirs, plus the Kubernetes declaration when one set the namespace and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from generator import yamlio
from generator.kubernetes import Kubernetes
from generator.model import Service
from generator.render import k8s_alertmanager, k8s_dashboards, k8s_rules

ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"  # build.ALERTMANAGER_CONFIG (build imports this module)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8")


def _dump(obj: dict, sources: list[str], k8s: Kubernetes) -> str:
    named = sorted({*sources, *([k8s.source] if k8s.source else [])})
    return yamlio.dump(obj, yamlio.mark(", ".join(named)))


def outputs(files: Mapping[str, str | bytes], services: list[Service], k8s: Kubernetes) -> dict[str, str | bytes]:
    """k8s/<file> -> text, for the PrometheusRules, dashboard ConfigMaps and (with alerts/) the AlertmanagerConfig."""
    out: dict[str, str | bytes] = {}
    for name, (obj, paths) in k8s_rules.render(files, services, k8s).items():
        sources = [s for p in paths for s in yamlio.marked_sources(_text(files[p]).split("\n", 1)[0])]
        out[f"k8s/{name}"] = _dump(obj, sources, k8s)
    for name, (obj, sources) in k8s_dashboards.render(files, k8s).items():
        out[f"k8s/{name}"] = _dump(obj, sources, k8s)
    if ALERTMANAGER_CONFIG in files:
        text = _text(files[ALERTMANAGER_CONFIG])
        sources = yamlio.marked_sources(text.split("\n", 1)[0])
        obj = k8s_alertmanager.render(yaml.load(text, Loader=_Loader), k8s, ", ".join(sources))
        out[f"k8s/{k8s_alertmanager.FILE}"] = _dump(obj, sources, k8s)
    return out
