"""The metric catalog: which exporter (and which version of it) exposes each metric a panel reads.

A panel that reads a metric nobody exposes shows "No data" forever and nobody notices;
`obsgen check` refuses such a panel instead. The catalog is package data
(catalog.yml) so the lint works from any checkout; obsgen's own recorded series
come from names.py, never from a second list that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from generator import __version__, names

OBSGEN = "obsgen"
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


@dataclass(frozen=True)
class Entry:
    exporter: str
    version: str
    checked: str
    metrics: tuple[str, ...]


@cache
def load() -> dict[str, Entry]:
    raw = yaml.safe_load(resources.files("generator.grafana").joinpath("catalog.yml").read_text("utf-8"))
    entries = {name: Entry(name, str(e["version"]), str(e["checked"]), tuple(e["metrics"])) for name, e in raw.items()}
    entries[OBSGEN] = Entry(OBSGEN, __version__, "generated from generator/names.py", tuple(sorted(names.NAMES)))
    return entries


def exporter_of(metric: str) -> str | None:
    """The catalog entry listing `metric` (or its histogram family), None when none does."""
    candidates = [metric] + [metric.removesuffix(s) for s in HISTOGRAM_SUFFIXES if metric.endswith(s)]
    for entry in load().values():
        if any(c in entry.metrics for c in candidates):
            return entry.exporter
    return None
