"""The metric catalog's Postgres and Redis entries against the real exporters they name.

A dashboard panel over a metric its exporter does not expose is silently empty in Grafana, and
exporters rename metrics between versions (postgres_exporter 0.13 added pg_replication_lag_seconds,
for one). The catalog records which version each entry was checked against; this test starts that
exporter on real servers (a primary and its replica, so replication series exist) and scrapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import exporters

pytestmark = pytest.mark.live  # it starts PostgreSQL, Redis and their exporters

CATALOG = Path(__file__).resolve().parents[1] / "generator" / "grafana" / "catalog.yml"
SCRAPED: dict[str, Callable[[Path], Any]] = {
    "postgres_exporter": exporters.scraped_postgres,
    "redis_exporter": exporters.scraped_redis,
}


def catalog_entry(path: Path, key: str) -> tuple[str, list[str]]:
    """(version, metric names) of one exporter's entry; metrics may be names or {name: ...} mappings."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and key in data, f"{path}: no {key!r} entry"
    entry = data[key]
    assert entry.get("checked") == "scraped", f"{path}: {key}.checked is {entry.get('checked')!r}, not 'scraped'"
    names = [m["name"] if isinstance(m, dict) else m for m in entry.get("metrics") or []]
    assert names and all(isinstance(n, str) for n in names), f"{path}: {key}.metrics must be a list of names"
    return str(entry["version"]), names


def problems(key: str, version: str, metrics: list[str], exposition: exporters.Exposition,
             running: list[str]) -> list[str]:
    """Everything wrong with one catalog entry given what the running exporters expose."""
    found = [f"{key}: catalog version {version} but the running exporter reports {v}"
             for v in sorted(set(running)) if v != version]
    found += [f"{key} {version}: {name} is not exposed" for name in metrics if not exposition.exposes(name)]
    return found


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[exporters.Exposition, list[str]]]]:
    """Both exporters scraped once per module (servers stopped before the tests assert anything)."""
    logs = tmp_path_factory.mktemp("exporter-logs")
    result = {}
    for key, start in SCRAPED.items():
        with start(logs) as running:
            result[key] = exporters.scrape_all(running)
    yield result


@pytest.mark.parametrize("key", sorted(SCRAPED))
def test_catalog_entry_matches_the_running_exporter(key: str, scraped: dict) -> None:
    version, metrics = catalog_entry(CATALOG, key)
    exposition, running = scraped[key]
    assert not problems(key, version, metrics, exposition, running)


def test_a_renamed_metric_and_a_wrong_version_are_reported(scraped: dict, tmp_path: Path) -> None:
    """The check itself: pg_replication_lag_seconds (0.13+) is absent from 0.11.1, 0.13.2 is not 0.11.1."""
    exposition, running = scraped["postgres_exporter"]
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(yaml.safe_dump({"postgres_exporter": {
        "version": "0.13.2", "checked": "scraped",
        "metrics": ["pg_up", "pg_replication_lag_seconds", {"name": "pg_stat_database_xact_commit"}]}}))
    version, metrics = catalog_entry(catalog, "postgres_exporter")
    assert problems("postgres_exporter", version, metrics, exposition, running) == [
        "postgres_exporter: catalog version 0.13.2 but the running exporter reports 0.11.1",
        "postgres_exporter 0.13.2: pg_replication_lag_seconds is not exposed",
    ]


def test_the_scrapes_hold_what_only_a_working_replicated_setup_exposes(scraped: dict) -> None:
    """Guards the harness: a primary that did no work or lost its replica would hide these series."""
    pg, _ = scraped["postgres_exporter"]
    redis, _ = scraped["redis_exporter"]
    for name in ("pg_up", "pg_stat_database_xact_rollback", "pg_stat_replication_pg_wal_lsn_diff",
                 "postgres_exporter_build_info"):
        assert pg.exposes(name), name
    for name in ("redis_up", "redis_keyspace_hits_total", "redis_master_link_up", "redis_connected_slaves",
                 "redis_exporter_build_info"):
        assert redis.exposes(name), name
    assert pg.families["pg_stat_database_xact_commit"] == "counter"


def test_histogram_samples_count_as_exposed() -> None:
    text = ("# TYPE req_seconds histogram\nreq_seconds_bucket{le=\"1\"} 2\nreq_seconds_sum 1.5\n"
            "req_seconds_count 2\nuntyped_thing 1\n")
    exposition = exporters.parse(text)
    assert exposition.families == {"req_seconds": "histogram", "untyped_thing": "untyped"}
    assert exposition.exposes("req_seconds_bucket") and exposition.exposes("req_seconds")
    assert not exposition.exposes("req_seconds_total")


def test_a_missing_exporter_fails_with_the_apt_get_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FAIL (AssertionError), never a skip: `make tools` installs the packages."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AssertionError, match=r"redis-server not found \(Debian package redis-server\): apt-get"):
        with exporters.redis():
            pass
