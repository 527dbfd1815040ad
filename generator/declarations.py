"""Everything one build reads, loaded once: SLOs, routing, guardrails, Kubernetes settings, boards.

Renderers receive this whole (build.outputs), and every command that reads declarations
loads it the same way (declarations.load), so a new kind of declaration is added here and
in its loader, not threaded through each caller's arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator import durations, log
from generator.errors import SpecError
from generator.guardrails import Guardrails
from generator.kubernetes import Kubernetes
from generator.loaders.dashboards import Declared, LegacyBoard
from generator.model import Service
from generator.routing import Alertmanager


@dataclass(frozen=True)
class Declarations:
    services: list[Service]
    alertmanager: Alertmanager | None = None
    guardrails: Guardrails | None = None
    kubernetes: Kubernetes = field(default_factory=Kubernetes)
    boards: list[Declared] = field(default_factory=list)          # dashboards/*.py
    legacy_boards: list[LegacyBoard] = field(default_factory=list)  # dashboards/*.dashboard.py (grafanalib)


def _directory(given: str | None, default: Path, use_default: bool, flag: str) -> Path | None:
    if given:
        if not Path(given).is_dir():
            raise SpecError("no such directory", file=given, field=flag)
        return Path(given)
    return default if use_default and default.is_dir() else None


def load(root: Path, specs: list[Path] | None = None, *, period: str | None = None, windows_file: str | None = None,
         alerts: str | None = None, dashboards: str | None = None) -> Declarations:
    """SPECs (default: root/slo) and, when no SPEC is named, root/alerts and root/dashboards too:
    a spec given on the command line is built on its own unless --alerts/--dashboards say otherwise."""
    from generator.loaders import alerts as alert_loader
    from generator.loaders import dashboards as board_loader
    from generator.loaders import guardrails as guardrail_loader
    from generator.loaders import kubernetes as kubernetes_loader
    from generator.loaders import load_all, relative
    from generator.loaders.sloth import load_windows

    paths = list(specs) if specs else [root / "slo"]
    windows = load_windows(Path(windows_file), relative(Path(windows_file), root)) if windows_file else None
    if period:
        try:
            durations.parse(period)
        except ValueError as exc:
            raise SpecError(str(exc), field="--period") from None
    services = load_all(paths, root, period=period, windows=windows)
    alerts_dir = _directory(alerts, root / "alerts", not specs, "--alerts")
    am = alert_loader.load(alerts_dir, root, services) if alerts_dir else None
    boards_dir = _directory(dashboards, root / "dashboards", not specs, "--dashboards")
    boards, legacy = board_loader.load_dir(boards_dir, root) if boards_dir else ([], [])
    decl = Declarations(services=services, alertmanager=am,
                        guardrails=guardrail_loader.load(paths, root, services, am),
                        kubernetes=kubernetes_loader.load(paths, root), boards=boards, legacy_boards=legacy)
    log.debug("declared: %d service(s), routing %s, guardrails %s, %d dashboard declaration(s)", len(services),
              am.source if am is not None else "none", "yes" if decl.guardrails is not None else "none",
              len(boards) + len(legacy))
    return decl
