"""out/rulers/: the service's rule groups for distributed rulers (Grafana Mimir, Thanos).

The groups are exactly rules.render's (the same staging, names and alerts as the plain
Prometheus files); only the keys each ruler adds are set, so what runs on a ruler can never
drift from what `obsgen check` tested:
- Mimir (`mimirtool rules load`): one namespace file per service (`namespace:` + `groups:`),
  with `source_tenants` on every group when the service declares Ruler(source_tenants=...)
  (a federated group reads those tenants' series);
- Thanos Ruler (`--rule-file`): a Prometheus rule file whose groups carry
  `partial_response_strategy` (abort unless declared otherwise).
promtool rejects both keys; tests strip them and check the rest with promtool.
"""

from __future__ import annotations

from generator.model import Service
from generator.render import rules

MIMIR_DIR = "rulers/mimir"
THANOS_DIR = "rulers/thanos"
MIMIR_KEYS = ("source_tenants",)
THANOS_KEYS = ("partial_response_strategy",)


def _with(group: dict, extra: dict) -> dict:
    """The group with ruler keys placed before its rules, where a reader of the file looks for them."""
    out = {k: v for k, v in group.items() if k != "rules"}
    out.update(extra)
    out["rules"] = group["rules"]
    return out


def mimir(service: Service, groups: list[dict] | None = None) -> dict:
    groups = rules.render(service)["groups"] if groups is None else groups
    extra = {"source_tenants": list(service.ruler.source_tenants)} if service.ruler.source_tenants else {}
    return {"namespace": service.name, "groups": [_with(g, extra) for g in groups]}


def thanos(service: Service, groups: list[dict] | None = None) -> dict:
    groups = rules.render(service)["groups"] if groups is None else groups
    extra = {"partial_response_strategy": service.ruler.partial_response}
    return {"groups": [_with(g, extra) for g in groups]}


def paths(service: Service) -> tuple[str, str]:
    return f"{MIMIR_DIR}/{service.name}.yml", f"{THANOS_DIR}/{service.name}.yml"
