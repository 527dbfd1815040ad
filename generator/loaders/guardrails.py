"""Load the Guardrails declaration from the Python declaration modules (slo/*.py).

Declared beside the SLOs because the probes are the SLOs' probes: `slo_probes(maestro)`
reads the URLs the probe SLIs select, and validation refuses an SLO whose probe nobody
runs. One declaration per installation; it is validated against the services and, when
there is one, the Alertmanager declaration (the Watchdog needs a heartbeat route, the
tickets need a team).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator.errors import SpecError
from generator.guardrails import Guardrails
from generator.loaders.python import find_one
from generator.model import Service
from generator.routing import Alertmanager


def load(paths: list[Path], root: Path, services: list[Service],
         alertmanager: Alertmanager | None = None) -> Guardrails | None:
    """The declaration among the .py specs in PATHS, or None (then no guardrail output)."""
    found = find_one(paths, root, Guardrails, "the blackbox config, scrape job and pipeline alerts exist once")
    if found is None:
        return None
    display, name, declared = found
    declared = replace(declared, source=display)
    try:
        declared.validate(services, alertmanager)
    except SpecError as exc:
        exc.field = f"{name}.{exc.field}" if exc.field else name
        raise exc.located(file=display) from None
    return declared
