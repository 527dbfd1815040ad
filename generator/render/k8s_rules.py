"""out/k8s PrometheusRule objects: the rule files of out/prometheus/rules, as prometheus-operator loads them.

One object per service, holding the groups of `prometheus/rules/<service>.rules.yml` and of every
`<service>.<kind>.rules.yml` (the dependency alerts dashboards/ declares), and one per rule file no
service owns (the guardrails'). The groups are read back from the files as built, not rendered a
second time: whatever a renderer writes to a rule file is exactly what the operator gets, so
`kubectl apply -f out/k8s/` runs what `obsgen check` tested, and a rule file added later by
another renderer cannot be forgotten here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from generator.errors import SpecError
from generator.kubernetes import Kubernetes, object_name
from generator.model import Service

API_VERSION = "monitoring.coreos.com/v1"
KIND = "PrometheusRule"
RULES_DIR = "prometheus/rules/"
SUFFIX = ".rules.yml"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def owner(stem: str, services: list[str]) -> str:
    """Whose object a rule file joins: the service it is named after (`<service>` or `<service>.<kind>`,
    the longest such name when one service's name extends another's), else the file's own stem."""
    mine = [s for s in services if stem == s or stem.startswith(s + ".")]
    return max(mine, key=len) if mine else stem


def rule_files(files: Mapping[str, str | bytes], services: list[Service]) -> dict[str, list[str]]:
    """owner -> its rule files (paths of out/), the owner's own file first, then the others by name."""
    names = [s.name for s in services]
    grouped: dict[str, list[str]] = {}
    for path in sorted(files):
        if path.startswith(RULES_DIR) and path.endswith(SUFFIX) and "/" not in path[len(RULES_DIR):]:
            stem = path[len(RULES_DIR):-len(SUFFIX)]
            grouped.setdefault(owner(stem, names), []).append(path)
    for who, paths in grouped.items():
        paths.sort(key=lambda p: (p != f"{RULES_DIR}{who}{SUFFIX}", p))
    return dict(sorted(grouped.items()))


def render(files: Mapping[str, str | bytes], services: list[Service],
           k8s: Kubernetes) -> dict[str, tuple[dict, list[str]]]:
    """file name under k8s/ -> (PrometheusRule, the rule files it wraps)."""
    out: dict[str, tuple[dict, list[str]]] = {}
    taken: dict[str, str] = {}
    for who, paths in rule_files(files, services).items():
        name = object_name(who) if who.startswith("obsgen-") else object_name("obsgen", who)
        if name in taken:
            raise SpecError(f"{who!r} and {taken[name]!r} both become PrometheusRule {name!r}", field="service")
        taken[name] = who
        groups: list[dict] = []
        for path in paths:
            text = files[path]
            groups.extend(yaml.load(text, Loader=_Loader)["groups"])
        seen: dict[str, int] = {}
        for g in groups:
            seen[g["name"]] = seen.get(g["name"], 0) + 1
        repeated = sorted(n for n, count in seen.items() if count > 1)
        if repeated:
            # one PrometheusRule is one rule file to Prometheus, which refuses a repeated group name
            raise SpecError(f"rule group {repeated[0]!r} appears twice among {', '.join(paths)}", field=who)
        obj = {"apiVersion": API_VERSION, "kind": KIND, "metadata": k8s.metadata(name), "spec": {"groups": groups}}
        out[f"prometheusrule-{name.removeprefix('obsgen-')}.yaml"] = (obj, paths)
    return out
