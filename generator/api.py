"""What slo/*.py imports: the model classes under the names an SRE writes.

`from generator.api import *` keeps declarations short and stable even if the
model's modules move.
"""

from generator.model import SLO, Alerting, Service
from generator.sli import LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI
from generator.tiers import DEFAULT_TIERS, Tier

__all__ = [
           "DEFAULT_TIERS",
           "SLO",
           "Alerting",
           "LatencySLI",
           "ProbeSLI",
           "RatioSLI",
           "RawRatioSLI",
           "Service",
           "Tier",
]
