"""The baseline: the same SLOs rendered the way Sloth v0.16 renders them.

Every window's ratio reads the raw series (`rate(...[w])` for 5m ... 3d), and the
period is `sum_over_time(ratio_rate5m[30d]) / count_over_time(...)`, a mean of 5m
ratios. Written from Sloth's documented output format (shared/peers/sloth holds
golden files; benchmarks may not read them), only for comparison.
"""

from __future__ import annotations

from generator.model import SLO, Service
from generator.promql import with_window
from generator.sli import LatencySLI, RatioSLI

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
TIERS = (("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0), ("ticket", "1d", "2h", 3.0),
         ("ticket", "3d", "6h", 1.0))


def _queries(slo: SLO) -> tuple[str, str]:
    sli = slo.sli
    if isinstance(sli, RatioSLI) and sli.error_query:
        return sli.error_query, sli.total_query
    if isinstance(sli, LatencySLI):
        total = sli.total_expr("{{.window}}")
        good = f'sum(rate({sli.metric}_bucket{{{sli.matchers},le="{sli.le_value}"}}[{{{{.window}}}}]))'
        return f"({total} - {good})", total
    raise ValueError(f"baseline does not render {sli.kind} SLIs")


def groups(service: Service, slo: SLO) -> list[dict]:
    sid = f"{service.name}-{slo.name}"
    ident = {"sloth_id": sid, "sloth_service": service.name, "sloth_slo": slo.name}
    sel = f'{{sloth_id="{sid}", sloth_service="{service.name}", sloth_slo="{slo.name}"}}'
    err, total = _queries(slo)
    budget = (100 - slo.objective) / 100
    sli = [{"record": f"slo:sli_error:ratio_rate{w}",
            "expr": f"({with_window(err, w)})\n/\n({with_window(total, w)})\n",
            "labels": dict(ident, sloth_window=w)} for w in WINDOWS]
    sli.append({"record": "slo:sli_error:ratio_rate30d",
                "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{sel}[30d])\n/ ignoring (sloth_window)\n"
                        f"count_over_time(slo:sli_error:ratio_rate5m{sel}[30d])\n",
                "labels": dict(ident, sloth_window="30d")})
    meta = [
        {"record": "slo:objective:ratio", "expr": f"vector({slo.objective / 100})", "labels": ident},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{slo.objective / 100})", "labels": ident},
        {"record": "slo:time_period:days", "expr": "vector(30)", "labels": ident},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate5m{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                 f"slo:error_budget:ratio{sel}\n", "labels": ident},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate30d{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                 f"slo:error_budget:ratio{sel}\n", "labels": ident},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - slo:period_burn_rate:ratio{sel}", "labels": ident},
        {"record": "sloth_slo_info", "expr": "vector(1)",
         "labels": dict(ident, sloth_mode="cli-gen-prom", sloth_objective=str(slo.objective))},
    ]
    alerts = []
    for severity in ("page", "ticket"):
        parts = [f"(\n    max(slo:sli_error:ratio_rate{short}{sel} > ({f} * {budget})) without (sloth_window)\n"
                 f"    and\n    max(slo:sli_error:ratio_rate{long}{sel} > ({f} * {budget})) without (sloth_window)\n)"
                 for sev, long, short, f in TIERS if sev == severity]
        alerts.append({"alert": f"{slo.alert_name}Sloth", "expr": "\nor\n".join(parts),
                       "labels": {"sloth_severity": severity}})
    return [
        {"name": f"sloth-slo-sli-recordings-{sid}", "rules": sli},
        {"name": f"sloth-slo-meta-recordings-{sid}", "rules": meta},
        {"name": f"sloth-slo-alerts-{sid}", "rules": alerts},
    ]


def render(services: list[Service]) -> dict:
    return {"groups": [g for svc in services for slo in svc.slos for g in groups(svc, slo)]}
