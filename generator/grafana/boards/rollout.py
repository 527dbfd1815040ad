"""Rollout Control (/d/<uid>, maestro-rollout for Maestro): is the canary healthy enough to proceed?

Rows: where the rollout is (phase, weight, step, analyses), canary vs stable on the two SLIs
the declaration names, every SLO's error budget and burn, and replicas.
"""

from __future__ import annotations

from typing import Any

from generator.errors import SpecError
from generator.grafana import sdk
from generator.grafana.declare import RolloutBoard
from generator.grafana.rows import budget, replicas, rollout, traffic
from generator.model import SLO, Service


def _slo(service: Service, name: str, fieldname: str) -> SLO:
    for slo in service.slos:
        if slo.name == name:
            return slo
    known = ", ".join(s.name for s in service.slos)
    raise SpecError(f"service {service.name} has no SLO {name!r} (declared: {known})", field=fieldname)


def _panel(build: Any, *args: Any, fieldname: str) -> Any:
    try:
        return build(*args)
    except SpecError as exc:
        exc.field = exc.field or fieldname
        raise


def build(decl: RolloutBoard, service: Service, description: str) -> dict[str, Any]:
    errors = _slo(service, decl.errors_slo, "errors_slo")
    latency = _slo(service, decl.latency_slo, "latency_slo")
    canary = sdk.Row("Canary vs stable", [
        _panel(traffic.errors_panel, errors, decl.hash_label, fieldname="errors_slo"),
        _panel(traffic.latency_panel, latency, decl.hash_label, fieldname="latency_slo"),
        traffic.hashes(decl.hash_label)])
    variables = [
        sdk.query_variable("namespace", "Namespace", "label_values(rollout_info, namespace)", decl.namespace),
        sdk.query_variable("rollout", "Rollout", 'label_values(rollout_info{namespace="$namespace"}, name)',
                           decl.rollout),
    ]
    return sdk.board(decl.board_uid, decl.title, description,
                     [rollout.row(), canary, budget.row(service), replicas.row()],
                     tags=["obsgen", "rollout", service.name, *decl.tags], variables=variables, time_from="now-3h")
