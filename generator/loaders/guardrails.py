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
from generator.loaders import discover, relative
from generator.loaders.python import run_module
from generator.model import Service
from generator.routing import Alertmanager


def load(paths: list[Path], root: Path, services: list[Service],
         alertmanager: Alertmanager | None = None) -> Guardrails | None:
    """The declaration among the .py specs in PATHS, or None (then no guardrail output)."""
    found: list[tuple[str, str, Guardrails]] = []  # (file, variable, declaration)
    for path in discover(paths):
        if path.suffix != ".py":
            continue
        display = relative(path, root)
        module = run_module(path, display)
        found.extend((display, name, v) for name, v in vars(module).items() if isinstance(v, Guardrails))
    if not found:
        return None
    if len(found) > 1:
        raise SpecError(f"declares a second Guardrails (the first is {found[0][1]} in {found[0][0]}); the "
                        "blackbox config, scrape job and pipeline alerts exist once", file=found[1][0],
                        field=found[1][1])
    display, name, declared = found[0]
    declared = replace(declared, source=display)
    try:
        declared.validate(services, alertmanager)
    except SpecError as exc:
        exc.field = f"{name}.{exc.field}" if exc.field else name
        raise exc.located(file=display) from None
    return declared
