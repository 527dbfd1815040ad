"""From services and dashboards/ to out/grafana (and the files the dashboards depend on).

Paths (the preview and Grafana's file provisioning read them):
- grafana/dashboards/<uid>.json: every board, sorted-key JSON, the "generated" mark in its description;
- grafana/provisioning/dashboards.yaml: a file provider for that directory, and
  grafana/provisioning/datasource.example.yaml: a Prometheus data source to start from;
- prometheus/rules|tests/<service>.dependencies.*: the "dependency down" alerts and their tests;
- prometheus/metric_relabel/: Neo4j metric_relabel_configs; k8s/: the kube-state-metrics config the
  Rollout board's weight panels read.
Boards declared for a service that is not in this build are skipped, like its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator import yamlio
from generator.errors import SpecError
from generator.grafana import ksm, relabel, sdk
from generator.grafana.boards import dependencies, overview, rollout
from generator.grafana.declare import Dependencies, Neo4j, RolloutBoard
from generator.loaders.dashboards import Declared, LegacyBoard
from generator.model import Service
from generator.render import dependency_rules, dependency_tests

DASHBOARDS = "grafana/dashboards"
PROVIDER = "grafana/provisioning/dashboards.yaml"
DATASOURCE = "grafana/provisioning/datasource.example.yaml"
MOUNT = "/var/lib/grafana/dashboards/obsgen"  # where README mounts out/grafana/dashboards in Grafana


def dashboard_path(uid: str) -> str:
    return f"{DASHBOARDS}/{uid}.json"


def _describe(data: dict[str, Any], text: str, source: str) -> dict[str, Any]:
    mark = yamlio.mark(source)
    return {**data, "description": f"{text}\n{mark}" if text.strip() else mark}


def _provisioning(sources: str) -> dict[str, str]:
    mark = yamlio.mark(sources)
    provider = {"apiVersion": 1, "providers": [{
        "name": "obsgen", "orgId": 1, "folder": "obsgen", "type": "file", "disableDeletion": True,
        "allowUiUpdates": False, "updateIntervalSeconds": 30,
        "options": {"path": MOUNT, "foldersFromFilesStructure": False}}]}
    datasource = {"apiVersion": 1, "datasources": [{
        "name": "Prometheus", "type": "prometheus", "access": "proxy", "url": "http://prometheus:9090",
        "isDefault": True,
        # $__rate_interval is max(4 x this, the panel interval): set it to the real scrape interval
        "jsonData": {"timeInterval": "15s"}}]}
    return {PROVIDER: yamlio.dump(provider, mark), DATASOURCE: yamlio.dump(datasource, mark)}


def _dependency_files(service: Service, decl: Dependencies, source: str) -> dict[str, str]:
    mark = yamlio.mark(source)
    rules_name = f"{service.name}.dependencies.rules.yml"
    files = {f"prometheus/rules/{rules_name}": yamlio.dump(dependency_rules.render(service, decl), mark),
             f"prometheus/tests/{service.name}.dependencies.test.yml":
                 yamlio.dump(dependency_tests.render(service, decl, f"../rules/{rules_name}"), mark)}
    for dep in decl.dependencies:
        if isinstance(dep, Neo4j) and dep.edition == "enterprise":
            files[relabel.path(service.name, dep)] = yamlio.dump(relabel.rules(dep), mark)
    return files


def outputs(services: list[Service], declared: Sequence[Declared] = (),
            legacy_boards: Sequence[LegacyBoard] = ()) -> dict[str, str | bytes]:
    by_name = {s.name: s for s in services}
    boards: dict[str, tuple[dict[str, Any], str]] = {}
    files: dict[str, str | bytes] = {}

    def add(data: dict[str, Any], source: str) -> None:
        uid = data["uid"]
        if uid in boards:
            raise SpecError(f"dashboard uid {uid!r} is also used by {boards[uid][1]}", file=source, field="uid")
        boards[uid] = (data, source)

    for svc in services:
        add(overview.build(svc, f"SLOs of {svc.name}: objective, SLI over the period, error budget left, burn "
                           "rate per alerting tier, alerts."), svc.source)
    hash_labels: dict[str, str] = {}
    for d in declared:
        svc = by_name.get(d.value.service)
        if svc is None:
            continue
        try:
            if isinstance(d.value, RolloutBoard):
                text = (f"{svc.name} rolling out (Argo Rollout {d.value.rollout} in {d.value.namespace} by "
                        "default): phase, canary weight, canary vs stable SLIs, error budgets, replicas.")
                add(rollout.build(d.value, svc, text), f"{d.source}, {svc.source}")
                hash_labels[d.value.hash_label] = d.source
            else:
                text = f"What {svc.name} depends on: {', '.join(x.name for x in d.value.dependencies)}."
                add(dependencies.build(d.value, text), d.source)
                files.update(_dependency_files(svc, d.value, d.source))
        except SpecError as exc:
            raise d.error(exc) from None
    for board in legacy_boards:
        add(board.data, board.source)
    for uid, (data, source) in sorted(boards.items()):
        files[dashboard_path(uid)] = sdk.dumps(_describe(data, data.get("description", ""), source))
    if boards:
        used = sorted({part for _, source in boards.values() for part in source.split(", ")})
        files.update(_provisioning(", ".join(used)))
    if len(hash_labels) > 1:
        raise SpecError(f"rollout boards disagree on hash_label ({', '.join(sorted(hash_labels))}): the "
                        "kube-state-metrics config carries one", file=sorted(hash_labels.values())[-1],
                        field="hash_label")
    for label, source in hash_labels.items():
        files[ksm.CONFIG_PATH] = yamlio.dump(ksm.config(label), yamlio.mark(source))
    return files
