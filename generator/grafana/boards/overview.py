"""A service's SLO overview (uid from names.overview_uid): one row per SLO, in declaration order.

Built from the model alone, so it exists for every service obsgen builds, including
Sloth specs, and adding an SLO adds its row with no dashboard code.
"""

from __future__ import annotations

from typing import Any

from generator import names
from generator.grafana import sdk
from generator.grafana.rows import slo as slo_row
from generator.model import Service


def build(service: Service, description: str) -> dict[str, Any]:
    return sdk.board(names.overview_uid(service.name), f"{service.name}: SLOs", description,
                     [slo_row.row(service, slo) for slo in service.slos], tags=["obsgen", "slo", service.name],
                     time_from="now-7d")
