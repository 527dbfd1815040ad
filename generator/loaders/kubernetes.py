"""Load the Kubernetes declaration (namespace, labels, Secret of out/k8s) from the .py declaration modules.

Read from the same modules as the SLOs, like Guardrails: it describes where this installation's
objects live, and there is one installation per build, so a second declaration is an error
rather than a guess about which one wins.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator.errors import SpecError
from generator.kubernetes import Kubernetes
from generator.loaders import discover, relative
from generator.loaders.python import run_module


def load(paths: list[Path], root: Path) -> Kubernetes:
    """The declaration among the .py specs in PATHS, or the defaults (namespace monitoring, no labels)."""
    found: list[tuple[str, str, Kubernetes]] = []  # (file, variable, declaration)
    for path in discover(paths):
        if path.suffix != ".py":
            continue
        display = relative(path, root)
        module = run_module(path, display)
        found.extend((display, name, v) for name, v in vars(module).items() if isinstance(v, Kubernetes))
    if not found:
        return Kubernetes()
    if len(found) > 1:
        raise SpecError(f"declares a second Kubernetes (the first is {found[0][1]} in {found[0][0]}); the objects "
                        "of out/k8s have one namespace", file=found[1][0], field=found[1][1])
    display, name, declared = found[0]
    try:
        declared.validate()
    except SpecError as exc:
        exc.field = f"{name}.{exc.field}" if exc.field else name
        raise exc.located(file=display) from None
    return replace(declared, source=display)
