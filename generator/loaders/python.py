"""Load Service declarations from a Python module (slo/*.py).

Python gives SREs loops, shared helpers and imports; the loader only runs the
module and collects the Service objects it defines at module level. Errors the
module raises (typos, bad values) become one-line spec errors naming the file.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from generator.errors import SpecError
from generator.model import Service

T = TypeVar("T")

def run_module(path: Path, display: str) -> ModuleType:
    """Execute a declaration module; whatever it raises becomes one SpecError line naming the file."""
    name = f"obsgen_spec_{abs(hash(str(path.resolve()))):x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpecError("cannot be imported as a Python module", file=display)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SpecError as exc:
        raise exc.located(file=display) from None
    except SyntaxError as exc:
        raise SpecError(f"line {exc.lineno}: {exc.msg}", file=display) from None
    except Exception as exc:  # the user's module: report where, not a traceback
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == spec.origin]
        line = f"line {frames[-1].lineno}: " if frames else ""
        raise SpecError(f"{line}{type(exc).__name__}: {exc}", file=display) from None
    finally:
        sys.modules.pop(name, None)
    return module


def load(path: Path, display: str) -> list[Service]:
    module = run_module(path, display)
    found: list[Service] = []
    for value in vars(module).values():
        if isinstance(value, Service):
            found.append(value)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Service) for v in value):
            found.extend(value)
    unique = {id(s): s for s in found}
    services = sorted(unique.values(), key=lambda s: s.name)
    if not services:
        raise SpecError("defines no Service at module level", file=display)
    out = []
    for svc in services:
        svc = replace(svc, source=display)
        try:
            svc.validate()
        except SpecError as exc:
            raise exc.located(file=display) from None
        out.append(svc)
    return out


def find_one(paths: list[Path], root: Path, kind: type[T], why_one: str) -> tuple[str, str, T] | None:
    """The single `kind` object declared at module level among the .py specs in PATHS, as (file, variable,
    value), or None. Installation-wide declarations (Guardrails, Kubernetes) live beside the SLOs; a
    second one is an error (`why_one` says why) rather than a guess about which wins."""
    from generator.loaders import discover, relative

    found: list[tuple[str, str, T]] = []
    for path in discover(paths):
        if path.suffix != ".py":
            continue
        display = relative(path, root)
        module = run_module(path, display)
        found.extend((display, name, v) for name, v in vars(module).items() if isinstance(v, kind))
    if len(found) > 1:
        raise SpecError(f"declares a second {kind.__name__} (the first is {found[0][1]} in {found[0][0]}); "
                        f"{why_one}", file=found[1][0], field=found[1][1])
    return found[0] if found else None
