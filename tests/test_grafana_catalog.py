"""The metric catalog (generator/grafana/catalog.yml): its shape, and no entry that no panel reads.

The lint proves every metric a panel reads is listed; this proves the converse, so the list the
exporter test checks against real exporters is exactly what the boards depend on.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from generator import names, promql
from generator.checkers import dashlint
from generator.grafana import catalog, outputs
from generator.loaders import load_all
from generator.loaders.dashboards import load_dir

REPO = Path(__file__).resolve().parents[1]


def test_shape_every_exporter_has_version_checked_and_metrics() -> None:
    raw = yaml.safe_load((REPO / "generator" / "grafana" / "catalog.yml").read_text())
    assert {"postgres_exporter", "redis_exporter", "neo4j", "argo_rollouts", "kube_state_metrics",
            "blackbox_exporter", "maestro", "prometheus"} <= set(raw)
    for name, entry in raw.items():
        assert set(entry) == {"version", "checked", "metrics"}, name
        assert isinstance(entry["version"], str) and entry["version"], name
        assert entry["checked"] == "scraped" or entry["checked"].startswith("docs "), name
        assert entry["metrics"] == sorted(set(entry["metrics"])), f"{name}: sorted, no duplicates"
    assert raw["postgres_exporter"]["version"] == "0.11.1" and raw["redis_exporter"]["version"] == "1.45.0"
    assert (raw["postgres_exporter"]["checked"], raw["redis_exporter"]["checked"]) == ("scraped", "scraped")


def test_obsgen_entry_comes_from_names_and_families_resolve() -> None:
    assert catalog.load()[catalog.OBSGEN].metrics == tuple(sorted(names.NAMES))
    assert catalog.exporter_of(names.BURN_RATE) == catalog.OBSGEN
    assert catalog.exporter_of("http_server_request_duration_seconds_bucket") == "maestro"
    assert catalog.exporter_of("pg_replication_lag_seconds") is None  # postgres_exporter 0.13+, not 0.11.1


def test_every_catalog_entry_is_read_by_a_panel() -> None:
    files = outputs.outputs(load_all([REPO / "slo"], REPO), *load_dir(REPO / "dashboards", REPO))
    read: set[str] = set()
    for path, text in files.items():
        if path.startswith(outputs.DASHBOARDS + "/"):
            board = json.loads(text)
            values = dashlint.variable_values(board)
            for panel, _ in dashlint.panels(board):
                for target in panel.get("targets", []):
                    read |= {s.metric or "" for s in promql.selectors(dashlint.substitute(target["expr"], values))}
    for entry in catalog.load().values():
        if entry.exporter != catalog.OBSGEN:  # the contract lists every recorded series, read or not
            assert not set(entry.metrics) - read, (entry.exporter, sorted(set(entry.metrics) - read))
