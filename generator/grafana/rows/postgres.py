"""A Postgres dependency's row, from postgres_exporter 0.11.1 (Debian bookworm) with default flags.

Names are the ones that version exposes (catalog.yml, checked by scraping it): 0.11.1 has no
`pg_replication_lag_seconds` (0.13+) and `pg_replication_lag` only with a custom queries.yaml,
so replication lag is the primary's view in bytes (pg_stat_replication_pg_wal_lsn_diff).
"""

from __future__ import annotations

from generator import promql
from generator.grafana import sdk
from generator.grafana.declare import Postgres
from generator.grafana.rows import sel

UP = {"1": ("up", sdk.GREEN), "0": ("down", sdk.RED)}


def _rate(metric: str, matchers: str) -> str:
    return f"sum by (datname) (rate({sel(metric, matchers)}[{sdk.RATE_INTERVAL}]))"


def row(dep: Postgres) -> sdk.Row:
    s = promql.without_grafana_variables(dep.selector)  # declared text: literal on the board as in the rules
    db = promql.without_grafana_variables(f"{s},datname=~{promql.quote(dep.database)}")
    hit, read = _rate("pg_stat_database_blks_hit", db), _rate("pg_stat_database_blks_read", db)
    return sdk.Row(f"{dep.name}: PostgreSQL (postgres_exporter)", [
        sdk.stat("Up", f"pg_up: 1 while postgres_exporter can query {dep.name} (min over instances).", sdk.NONE,
                 [sdk.query(f"min({sel('pg_up', s)})", "up")], width=4, height=6, mapping=UP,
                 steps=[sdk.Step(sdk.RED), sdk.Step(sdk.GREEN, 1)]),
        sdk.timeseries("Connections vs max_connections", "Backends by instance (pg_stat_activity_count, all "
                       "states) against the server's max_connections setting.", sdk.COUNT,
                       [sdk.query(f"sum by (instance) ({sel('pg_stat_activity_count', s)})",
                                  "{{instance}} connections"),
                        sdk.query(f"max by (instance) ({sel('pg_settings_max_connections', s)})",
                                  "{{instance}} max_connections")], width=10, height=6, min_value=0),
        sdk.timeseries("Commits and rollbacks", "Transactions committed and rolled back per second, per database "
                       "(pg_stat_database_xact_commit, _xact_rollback).", sdk.OPS,
                       [sdk.query(_rate("pg_stat_database_xact_commit", db), "{{datname}} commits"),
                        sdk.query(_rate("pg_stat_database_xact_rollback", db), "{{datname}} rollbacks")],
                       width=10, height=6, min_value=0),
        sdk.timeseries("Deadlocks", "Deadlocks detected per database in each interval "
                       "(increase of pg_stat_database_deadlocks).", sdk.COUNT,
                       [sdk.query(f"sum by (datname) (increase({sel('pg_stat_database_deadlocks', db)}"
                                  f"[{sdk.RATE_INTERVAL}]))", "{{datname}}")], width=8, min_value=0),
        sdk.timeseries("Cache hit ratio", "Share of block reads served from shared buffers: blks_hit / (blks_hit + "
                       "blks_read), per database. Below ~99% the working set no longer fits in memory.",
                       sdk.PERCENT_UNIT, [sdk.query(f"{hit}\n/\n({hit} + {read})", "{{datname}}")],
                       width=8, min_value=0, max_value=1),
        sdk.timeseries("Replication lag (bytes)", "How far each standby is behind the primary's WAL, in bytes "
                       "(pg_stat_replication_pg_wal_lsn_diff, reported by the primary; empty without standbys).",
                       sdk.BYTES, [sdk.query(f"max by (instance, application_name) "
                                             f"({sel('pg_stat_replication_pg_wal_lsn_diff', s)})",
                                             "{{instance}} → {{application_name}}")], width=8, min_value=0),
    ])
