"""Rollout Control's error-budget row: each SLO's budget left and burn rates, and what fires now.

A canary that burns budget shows here within minutes (the 5m window) even before an
alert fires; one gauge and one graph per SLO, so a new SLO adds its pair.
"""

from __future__ import annotations

from generator import names
from generator.grafana import sdk
from generator.grafana.rows import ALERTS, FIRING, ident, sel
from generator.grafana.rows import slo as slo_row
from generator.model import Service


def row(service: Service) -> sdk.Row:
    cells: list[sdk.Cell] = []
    for slo in service.slos:
        cells.append(slo_row.budget(service, slo, width=6))
        cells.append(sdk.timeseries(
            f"Burn rate per window: {slo.name}", f"{names.BURN_RATE} for every window SLO {slo.name} records "
            "(1x spends the budget exactly over the period).", sdk.TIMES,
            [sdk.query(sel(names.BURN_RATE, ident(service.name, slo.name)), "{{window}}")], width=18, height=6,
            min_value=0))
    cells.append(sdk.table("Firing alerts", f"Alerts of {service.name} firing now (ALERTS): SLO burns and tickets, "
                           "dependency outages.", sdk.NONE,
                           [sdk.query(sel(ALERTS, ident(service.name), FIRING), "{{alertname}}")]))
    return sdk.Row("Error budget", cells)
