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
from generator.loaders.python import find_one


def load(paths: list[Path], root: Path) -> Kubernetes:
    """The declaration among the .py specs in PATHS, or the defaults (namespace monitoring, no labels)."""
    found = find_one(paths, root, Kubernetes, "the objects of out/k8s have one namespace")
    if found is None:
        return Kubernetes()
    display, name, declared = found
    try:
        declared.validate()
    except SpecError as exc:
        exc.field = f"{name}.{exc.field}" if exc.field else name
        raise exc.located(file=display) from None
    return replace(declared, source=display)
