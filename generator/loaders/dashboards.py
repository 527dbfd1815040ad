"""Load dashboards/: board and dependency declarations (*.py) and grafanalib boards (*.dashboard.py).

Declarations are found the way slo/ modules are (module-level objects, run by
python.run_module); what is invalid raises one SpecError naming the file, the object's
variable name and the field. A grafanalib board is a module defining `dashboard`
(grafanalib's own convention, so `generate-dashboard` still works on it); it is rendered to
JSON and upgraded to the current dashboard model (grafana/legacy.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.grafana.declare import Dependencies, RolloutBoard
from generator.loaders.python import run_module

LEGACY_SUFFIX = ".dashboard.py"


@dataclass(frozen=True)
class Declared:
    """A validated declaration with where it came from, for the marks and error messages of later steps."""

    value: RolloutBoard | Dependencies
    source: str  # repo-relative file
    name: str    # its variable name in the module

    def error(self, exc: SpecError) -> SpecError:
        exc.field = f"{self.name}.{exc.field}" if exc.field else self.name
        return exc.located(file=self.source)


@dataclass(frozen=True)
class LegacyBoard:
    data: dict[str, Any]
    source: str


def _declarations(path: Path, display: str) -> list[Declared]:
    module = run_module(path, display)
    found = []
    for name, value in vars(module).items():
        if isinstance(value, (RolloutBoard, Dependencies)):
            declared = Declared(value, display, name)
            try:
                value.validate()
            except SpecError as exc:
                raise declared.error(exc) from None
            found.append(declared)
    return found


def _legacy(path: Path, display: str) -> LegacyBoard:
    from grafanalib._gen import DashboardEncoder
    from grafanalib.core import Dashboard

    from generator.grafana import legacy

    module = run_module(path, display)
    board = getattr(module, "dashboard", None)
    if not isinstance(board, Dashboard):
        raise SpecError("defines no grafanalib Dashboard named `dashboard`", file=display, field="dashboard")
    try:
        data = json.loads(json.dumps(board.to_json_data(), cls=DashboardEncoder))
    except (TypeError, ValueError, AttributeError) as exc:
        raise SpecError(f"grafanalib cannot render it: {exc}", file=display, field="dashboard") from None
    try:
        return LegacyBoard(legacy.upgrade(data), display)
    except SpecError as exc:
        raise exc.located(file=display) from None


def load_dir(directory: Path, root: Path) -> tuple[list[Declared], list[LegacyBoard]]:
    """Everything dashboards/ declares, files in name order; ([], []) when there is no such directory."""
    from generator.loaders import relative

    if not directory.is_dir():
        return [], []
    declared: list[Declared] = []
    boards: list[LegacyBoard] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".py"
                       and not p.name.startswith(("_", "."))):
        display = relative(path, root)
        if path.name.endswith(LEGACY_SUFFIX):
            boards.append(_legacy(path, display))
        else:
            declared.extend(_declarations(path, display))
    return declared, boards
