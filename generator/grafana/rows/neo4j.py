"""A Neo4j dependency's row: the Enterprise Prometheus endpoint, and blackbox probes (Community's only signal).

Neo4j 5 puts the database name inside database metric names
(`neo4j_database_<db>_transaction_active`); relabel.py emits the metric_relabel_configs that
rename them to `neo4j_database_transaction_active{database="<db>"}`, which is what these
panels read. Global (dbms) metrics keep their names.
"""

from __future__ import annotations

from generator import promql
from generator.grafana import sdk
from generator.grafana.declare import Neo4j
from generator.grafana.rows import sel
from generator.grafana.rows.postgres import UP


def _probes(dep: Neo4j) -> list[sdk.Cell]:
    probe = promql.without_grafana_variables(dep.probe or "")  # declared text: literal on the board
    return [
        sdk.state_timeline("Probes (Bolt/HTTP)", "Blackbox probes of the Bolt and HTTP ports (probe_success): the "
                           "only signal for Community edition, and the outage signal for both.",
                           [sdk.query(sel("probe_success", probe), "{{instance}}")], mapping=UP, width=12),
        sdk.timeseries("Probe duration", "How long each blackbox probe took (probe_duration_seconds).",
                       sdk.SECONDS, [sdk.query(sel("probe_duration_seconds", probe), "{{instance}}")],
                       width=12, height=6, min_value=0),
    ]


def _enterprise(dep: Neo4j) -> list[sdk.Cell]:
    s = promql.without_grafana_variables(dep.selector)
    db = promql.without_grafana_variables(f"{s},database={promql.quote(dep.database)}")
    per_s = f"[{sdk.RATE_INTERVAL}]"
    return [
        sdk.timeseries("Bolt connections", "Bolt connections executing Cypher and idle "
                       "(neo4j_dbms_bolt_connections_running, _idle).", sdk.COUNT,
                       [sdk.query(sel("neo4j_dbms_bolt_connections_running", s), "{{instance}} running"),
                        sdk.query(sel("neo4j_dbms_bolt_connections_idle", s), "{{instance}} idle")],
                       width=8, min_value=0),
        sdk.timeseries(f"Active transactions ({dep.database})", "Transactions open now "
                       "(neo4j_database_transaction_active).", sdk.COUNT,
                       [sdk.query(sel("neo4j_database_transaction_active", db), "{{instance}}")], width=8,
                       min_value=0),
        sdk.timeseries(f"Commits and rollbacks ({dep.database})", "Transactions committed and rolled back per "
                       "second (neo4j_database_transaction_committed_total, _rollbacks_total).", sdk.OPS,
                       [sdk.query(f"rate({sel('neo4j_database_transaction_committed_total', db)}{per_s})",
                                  "{{instance}} commits"),
                        sdk.query(f"rate({sel('neo4j_database_transaction_rollbacks_total', db)}{per_s})",
                                  "{{instance}} rollbacks")], width=8, min_value=0),
        sdk.timeseries("Page cache hit ratio", "Share of page lookups served by the page cache "
                       "(neo4j_dbms_page_cache_hit_ratio); it should stay at 98-100%.", sdk.PERCENT_UNIT,
                       [sdk.query(sel("neo4j_dbms_page_cache_hit_ratio", s), "{{instance}}")], width=12,
                       min_value=0, max_value=1, lines=[sdk.Step(sdk.ORANGE, 0.98)]),
        sdk.timeseries(f"Checkpoint duration ({dep.database})", "Duration of the last checkpoint "
                       "(neo4j_database_check_point_duration); over 30 minutes needs a look.", sdk.MILLISECONDS,
                       [sdk.query(sel("neo4j_database_check_point_duration", db), "{{instance}}")], width=12,
                       min_value=0),
    ]


def row(dep: Neo4j) -> sdk.Row:
    cells = _enterprise(dep) if dep.edition == "enterprise" else []
    if dep.probe is not None:
        cells += _probes(dep)
    return sdk.Row(f"{dep.name}: Neo4j ({dep.edition})", cells)
