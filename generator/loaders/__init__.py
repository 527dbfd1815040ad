"""Find declaration files and hand each to the loader for its format."""

from __future__ import annotations

from pathlib import Path

from generator import log
from generator.errors import SpecError
from generator.model import Service
from generator.tiers import Tier

SPEC_SUFFIXES = (".py", ".yaml", ".yml")


def discover(paths: list[Path]) -> list[Path]:
    """Files named on the command line, or the spec files in named directories (sorted)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix in SPEC_SUFFIXES
                                and not f.name.startswith(("_", "."))))
        elif p.is_file():
            found.append(p)
        else:
            raise SpecError("no such file or directory", file=str(p))
    return found


def load(path: Path, display: str, *, period: str | None = None,
         windows: tuple[str, tuple[Tier, ...]] | None = None) -> list[Service]:
    if path.suffix == ".py":
        from generator.loaders import python

        if period or windows:
            raise SpecError("--period and --windows apply to YAML specs; declare period and tiers "
                            "in the Python module", file=display)
        return python.load(path, display)
    if path.suffix in (".yaml", ".yml"):
        from generator.loaders import openslo, sloth

        if openslo.claims(path, display):  # apiVersion: openslo/...; Sloth specs have `version:`
            return openslo.load([(path, display)], period=period, windows=windows)
        return sloth.load(path, display, period=period, windows=windows)
    raise SpecError("is not a .py or .yaml spec", file=display)


def load_all(paths: list[Path], root: Path, *, period: str | None = None,
             windows: tuple[str, tuple[Tier, ...]] | None = None) -> list[Service]:
    """Every service the paths declare; OpenSLO files are read together, since their objects
    refer to each other by name across files (an SLO here, its SLI or AlertPolicy there)."""
    from generator.loaders import openslo

    services: dict[str, Service] = {}

    def add(found: list[Service], display: str) -> None:
        for svc in found:
            if svc.name in services:
                raise SpecError(f"service {svc.name!r} is also declared in {services[svc.name].source}",
                                file=display, field="service")
            services[svc.name] = svc

    openslo_files: list[tuple[Path, str]] = []
    for path in discover(paths):
        display = relative(path, root)
        if path.suffix in (".yaml", ".yml") and openslo.claims(path, display):
            openslo_files.append((path, display))
            continue
        found = load(path, display, period=period, windows=windows)
        log.debug("read %s: %s", display, ", ".join(s.name for s in found))
        add(found, display)
    if openslo_files:
        found = openslo.load(openslo_files, period=period, windows=windows)
        log.debug("read OpenSLO %s: %s", ", ".join(d for _, d in openslo_files), ", ".join(s.name for s in found))
        add(found, openslo_files[0][1])
    return [services[k] for k in sorted(services)]


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name
