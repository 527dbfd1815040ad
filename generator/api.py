"""What slo/*.py imports: the model classes under the names an SRE writes.

`from generator.api import *` keeps declarations short and stable even if the
model's modules move.
"""

from generator.grafana.declare import Dependencies, Neo4j, Postgres, Redis, RolloutBoard
from generator.guardrails import Blackbox, CardinalityBudget, Guardrails, Probe, TSDBGrowth, slo_probes
from generator.kubernetes import Kubernetes
from generator.model import SLO, Alerting, Ruler, Service
from generator.routing import (
    DEFAULT_TIMING,
    HEARTBEAT_TIMING,
    PAGE_TIMING,
    TICKET_TIMING,
    Alertmanager,
    Email,
    PagerDuty,
    Slack,
    Team,
    Timing,
    Webhook,
)
from generator.sli import LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI
from generator.tiers import DEFAULT_TIERS, Tier

__all__ = [
    "DEFAULT_TIERS",
    "DEFAULT_TIMING",
    "HEARTBEAT_TIMING",
    "PAGE_TIMING",
    "SLO",
    "TICKET_TIMING",
    "Alerting",
    "Alertmanager",
    "Blackbox",
    "CardinalityBudget",
    "Dependencies",
    "Email",
    "Guardrails",
    "Kubernetes",
    "LatencySLI",
    "Neo4j",
    "PagerDuty",
    "Postgres",
    "Probe",
    "ProbeSLI",
    "RatioSLI",
    "RawRatioSLI",
    "Redis",
    "RolloutBoard",
    "Ruler",
    "Service",
    "Slack",
    "TSDBGrowth",
    "Team",
    "Tier",
    "Timing",
    "Webhook",
    "slo_probes",
]
