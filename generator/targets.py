"""Build targets: each is one top-level directory of out/, so `--only` means "these directories".

A target is named after the directory its consumer is pointed at (Prometheus reads
out/prometheus, mimirtool out/rulers/mimir, kubectl out/argo ...), which keeps `--only`,
`--check` and the writer in agreement without a second map of which renderer owns which
file: a partial build replaces exactly the chosen directories and leaves the rest of out/ as
it was. A new output directory must be registered here (tests/test_targets.py checks a full
build writes nothing outside TARGETS).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from generator import yamlio
from generator.errors import SpecError
from generator.kubernetes import Kubernetes
from generator.model import Service
from generator.routing import Alertmanager

# name (= directory under out/) -> what it holds, for --help and README
TARGETS: dict[str, str] = {
    "prometheus": "recording and alerting rules, promtool tests, scrape and relabel configs",
    "alertmanager": "the Alertmanager config and its route tests",
    "docs": "the SLO doc (slos.md), alert-quality pages and detection plots",
    "rulers": "the rule groups for Grafana Mimir's and Thanos' rulers",
    "argo": "Argo Rollouts AnalysisTemplates",
    "grafana": "dashboards and their provisioning",
    "k8s": "Kubernetes objects: PrometheusRules, dashboard ConfigMaps, an AlertmanagerConfig, Probes",
    "blackbox": "the blackbox exporter's modules",
    "mixin": "a jsonnet monitoring mixin (kube-prometheus convention) of the SLO rules and dashboards",
}

Files = dict[str, str | bytes]


def parse(text: str) -> frozenset[str]:
    """`--only prometheus,docs` -> {"prometheus", "docs"}; an unknown name is a usage error."""
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    if not chosen:
        raise SpecError(f"names no target; choose from {', '.join(TARGETS)}", field="--only")
    unknown = [t for t in chosen if t not in TARGETS]
    if unknown:
        raise SpecError(f"unknown target {unknown[0]!r}; choose from {', '.join(TARGETS)}", field="--only")
    return frozenset(chosen)


def target_of(path: str) -> str:
    return path.split("/", 1)[0]


def wanted(only: Collection[str] | None, target: str) -> bool:
    return only is None or target in only


def select(files: Mapping[str, str | bytes], only: Collection[str] | None) -> Files:
    return {rel: v for rel, v in files.items() if wanted(only, target_of(rel))}


def merge(current: Mapping[str, str | bytes], built: Mapping[str, str | bytes], only: Collection[str]) -> Files:
    """out/ after a partial build: the chosen targets as built, every other file as it was."""
    kept = {rel: v for rel, v in current.items() if target_of(rel) not in only}
    return {**kept, **select(built, only)}


def publishing(services: list[Service], am: Alertmanager | None, only: Collection[str] | None) -> Files:
    """The SLO doc, the rulers' rule files and the Argo analysis: outputs read from the same model
    by someone other than Prometheus, each built only when its target is wanted."""
    from generator.render import argo, rulers, rules, slo_doc  # only when building: keeps the CLI quick to start

    files: Files = {}
    if wanted(only, "docs"):
        files[slo_doc.FILE] = slo_doc.render(services, am)
    for svc in services:
        if wanted(only, "rulers"):
            groups = rules.render(svc)["groups"]
            mimir, thanos = rulers.paths(svc)
            mark = yamlio.mark(svc.source)
            files[mimir] = yamlio.dump(rulers.mimir(svc, groups), mark)
            files[thanos] = yamlio.dump(rulers.thanos(svc, groups), mark)
        if wanted(only, "argo"):
            files.update(argo.render(svc))
    return files


def wrapping(files: Files, services: list[Service], k8s: Kubernetes | None, only: Collection[str] | None) -> Files:
    """out/k8s and out/mixin: built last, from the files above (the rule files, dashboards and Alertmanager
    config they wrap), each only when its target is wanted."""
    from generator.render import k8s_outputs, mixin

    out: Files = {}
    if wanted(only, "k8s"):
        out.update(k8s_outputs.outputs(files, services, k8s or Kubernetes()))
    if wanted(only, "mixin"):
        out.update(mixin.outputs(files, services))
    return out
