"""Load the Alertmanager declaration from alerts/*.py.

One `Alertmanager` object for the whole installation (routing is one tree); it is
validated against the services declared in slo/, so a team naming a service that
does not exist, or a service nobody owns, is a one-line spec error.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator.errors import SpecError
from generator.loaders import relative
from generator.loaders.python import run_module
from generator.model import Service
from generator.routing import Alertmanager


def load(directory: Path, root: Path, services: list[Service]) -> Alertmanager | None:
    """The declaration in DIRECTORY, or None when it declares none (no Alertmanager output)."""
    found: list[tuple[str, Alertmanager]] = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        display = relative(path, root)
        module = run_module(path, display)
        found.extend((display, v) for v in vars(module).values() if isinstance(v, Alertmanager))
    if not found:
        return None
    if len(found) > 1:
        raise SpecError(f"declares a second Alertmanager (the first is in {found[0][0]}); routing is one tree",
                        file=found[1][0], field="Alertmanager")
    display, am = found[0]
    am = replace(am, source=display)
    try:
        am.validate(services)
    except SpecError as exc:
        raise exc.located(file=display) from None
    return am
