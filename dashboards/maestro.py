"""Maestro Conductor's Grafana boards: Rollout Control and its dependencies.

The runbook's "SLO panels populated" check opens /d/maestro-rollout. Exporters (scrape jobs):
- postgres: prometheus-postgres-exporter, job="postgres", database "maestro";
- redis: prometheus-redis-exporter, job="redis";
- neo4j: Enterprise Prometheus endpoint (server.metrics.prometheus.enabled=true), job="neo4j", database
  "neo4j"; the blackbox exporter probes Bolt (tcp_connect) and HTTP, which is also what Community
  edition would be left with.
"""

from generator.api import Dependencies, Neo4j, Postgres, Redis, RolloutBoard

SERVICE = "maestro-conductor"

rollout = RolloutBoard(
    service=SERVICE,
    uid="maestro-rollout",
    title="Maestro Conductor: Rollout Control",
    namespace="maestro",
    rollout="maestro-conductor",
    errors_slo="requests",
    latency_slo="ttfb-p95",
)

dependencies = Dependencies(
    service=SERVICE,
    uid="maestro-dependencies",
    title="Maestro Conductor: dependencies",
    dependencies=[
        Postgres(name="postgres", selector='job="postgres"', database="maestro"),
        Redis(name="redis", selector='job="redis"'),
        Neo4j(name="neo4j", selector='job="neo4j"', database="neo4j",
              probe='job="blackbox-neo4j",instance=~"bolt://neo4j:7687|http://neo4j:7474"'),
    ],
)
