"""metric_relabel_configs that move a Neo4j 5 database name out of the metric name into a label.

Neo4j 5's Prometheus endpoint names database metrics `neo4j_database_<db>_<metric>`, so
"active transactions" is a different metric per database and no fixed query (or catalog
entry) can name it. For each declared database these rules, added to the Neo4j scrape
job, rewrite it to `neo4j_database_<metric>{database="<db>"}`; the label is set first,
while the original name still matches.
"""

from __future__ import annotations

import re

from generator.grafana.declare import Neo4j


def _exposed(database: str) -> str:
    """How Neo4j spells the database inside a metric name: dots and dashes become underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", database)


def rules(dep: Neo4j) -> list[dict]:
    pattern = f"neo4j_database_{re.escape(_exposed(dep.database))}_(.+)"
    return [
        {"source_labels": ["__name__"], "regex": pattern, "target_label": "database",
         "replacement": dep.database},
        {"source_labels": ["__name__"], "regex": pattern, "target_label": "__name__",
         "replacement": "neo4j_database_$1"},
    ]


def path(service: str, dep: Neo4j) -> str:
    return f"prometheus/metric_relabel/{service}.{dep.name}.yml"  # a rule list, not a scrape_config_files file
