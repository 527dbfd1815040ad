"""What slo/*.py imports: the model classes under the names an SRE writes.

`from generator.api import *` keeps declarations short and stable even if the
model's modules move.
"""

from generator.model import SLO, Alerting, Service
from generator.routing import (
    DEFAULT_TIMING,
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
    "PAGE_TIMING",
    "SLO",
    "TICKET_TIMING",
    "Alerting",
    "Alertmanager",
    "Email",
    "LatencySLI",
    "PagerDuty",
    "ProbeSLI",
    "RatioSLI",
    "RawRatioSLI",
    "Service",
    "Slack",
    "Team",
    "Tier",
    "Timing",
    "Webhook",
]
