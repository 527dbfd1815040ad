"""One module per dashboard row; each returns an sdk.Row and reads metric names from one place.

Recorded series come from generator.names, Argo's weight series from ksm.py, exporter
metrics are spelled in the row that reads them and listed in catalog.yml (the lint
checks every name against it).
"""

from __future__ import annotations

from generator import names, promql

ALERTS = "ALERTS"  # Prometheus' synthetic series of pending and firing alerts
FIRING = 'alertstate="firing"'


def sel(metric: str, *matchers: str) -> str:
    """`metric{a,b}` from matcher lists written as PromQL text (empty ones dropped)."""
    inner = ",".join(m.strip().strip(",") for m in matchers if m and m.strip())
    return f"{metric}{{{inner}}}"


def ident(service: str, slo: str | None = None) -> str:
    """Matchers picking one service's (or one SLO's) recorded series and alerts."""
    labels = {names.SERVICE: service} if slo is None else names.ident(service, slo)
    return ",".join(f"{k}={promql.quote(v)}" for k, v in labels.items())


def num(x: float) -> str:
    """Factors and objectives as people write them: 14.4, 99.9, 1."""
    return f"{float(x):.6g}"
