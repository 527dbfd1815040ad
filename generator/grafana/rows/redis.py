"""A Redis dependency's row, from redis_exporter 1.45.0 (Debian bookworm): names in catalog.yml, scraped."""

from __future__ import annotations

from generator import promql
from generator.grafana import sdk
from generator.grafana.declare import Redis
from generator.grafana.rows import sel
from generator.grafana.rows.postgres import UP


def _rate(metric: str, matchers: str) -> str:
    return f"sum by (instance) (rate({sel(metric, matchers)}[{sdk.RATE_INTERVAL}]))"


def row(dep: Redis) -> sdk.Row:
    s = promql.without_grafana_variables(dep.selector)  # declared text: literal on the board as in the rules
    hits, misses = _rate("redis_keyspace_hits_total", s), _rate("redis_keyspace_misses_total", s)
    return sdk.Row(f"{dep.name}: Redis (redis_exporter)", [
        sdk.stat("Up", f"redis_up: 1 while redis_exporter reaches {dep.name} (min over instances).", sdk.NONE,
                 [sdk.query(f"min({sel('redis_up', s)})", "up")], width=4, height=6, mapping=UP,
                 steps=[sdk.Step(sdk.RED), sdk.Step(sdk.GREEN, 1)]),
        sdk.timeseries("Clients", "Connected and blocked clients against maxclients "
                       "(redis_connected_clients, redis_blocked_clients, redis_config_maxclients).", sdk.COUNT,
                       [sdk.query(sel("redis_connected_clients", s), "{{instance}} connected"),
                        sdk.query(sel("redis_blocked_clients", s), "{{instance}} blocked"),
                        sdk.query(sel("redis_config_maxclients", s), "{{instance}} maxclients")],
                       width=10, height=6, min_value=0),
        sdk.timeseries("Memory used vs maxmemory", "redis_memory_used_bytes against redis_memory_max_bytes "
                       "(0 means no limit: evictions never happen, the host runs out instead).", sdk.BYTES,
                       [sdk.query(sel("redis_memory_used_bytes", s), "{{instance}} used"),
                        sdk.query(sel("redis_memory_max_bytes", s), "{{instance}} maxmemory")],
                       width=10, height=6, min_value=0),
        sdk.timeseries("Hit ratio", "Keyspace hits / (hits + misses) per instance.", sdk.PERCENT_UNIT,
                       [sdk.query(f"{hits}\n/\n({hits} + {misses})", "{{instance}}")], width=6, min_value=0,
                       max_value=1),
        sdk.timeseries("Evictions", "Keys evicted per second because maxmemory was reached "
                       "(redis_evicted_keys_total).", sdk.OPS,
                       [sdk.query(_rate("redis_evicted_keys_total", s), "{{instance}}")], width=6, min_value=0),
        sdk.timeseries("Commands per second", "Commands processed per second (redis_commands_processed_total).",
                       sdk.OPS, [sdk.query(_rate("redis_commands_processed_total", s), "{{instance}}")],
                       width=6, min_value=0),
        sdk.stat("Replicas connected", "redis_connected_slaves on the primary.", sdk.COUNT,
                 [sdk.query(f"max({sel('redis_connected_slaves', s)})", "replicas")], width=6, height=8,
                 decimals=0),
        sdk.state_timeline("Replication: master link", "redis_master_link_up on replicas (1: the link to the "
                           "master is up; primaries have no such series).",
                           [sdk.query(sel("redis_master_link_up", s), "{{instance}}")], mapping=UP, height=5),
    ])
