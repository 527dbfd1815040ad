"""The Dependency board: one row per declared dependency, in declaration order.

Removing a dependency from dashboards/ removes its row (and its "down" alert); each row
module knows its exporter's metric names (catalog.yml lists them).
"""

from __future__ import annotations

from typing import Any

from generator.grafana import sdk
from generator.grafana.declare import Dependencies, Dependency, Neo4j, Postgres, Redis
from generator.grafana.rows import neo4j, postgres, redis


def _row(dep: Dependency) -> sdk.Row:
    if isinstance(dep, Postgres):
        return postgres.row(dep)
    if isinstance(dep, Redis):
        return redis.row(dep)
    if isinstance(dep, Neo4j):
        return neo4j.row(dep)
    raise TypeError(f"no row for {type(dep).__name__}")  # validate() admits only the three kinds


def build(decl: Dependencies, description: str) -> dict[str, Any]:
    title = decl.title or f"{decl.service}: dependencies"
    return sdk.board(decl.board_uid, title, description, [_row(d) for d in decl.dependencies],
                     tags=["obsgen", "dependencies", decl.service])
