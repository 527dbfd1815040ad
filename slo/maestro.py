"""Maestro Conductor's SLOs.

Metrics (what the service and the blackbox exporter expose):
- probe_success{job="blackbox",instance="https://maestro.example.com/health"}: the blackbox
  exporter's HTTP probe of the health endpoint (1 = up), scraped every 15s.
- http_server_requests_total{job="maestro-conductor",code,method,rollouts_pod_template_hash}:
  requests served, by status code; the Argo Rollouts pod-template hash splits canary from stable.
- http_server_request_duration_seconds_bucket{job="maestro-conductor",le,...}: time to first
  byte, a histogram with the buckets below.
"""

from generator.api import (
    DEFAULT_TIERS,
    SLO,
    Alerting,
    Blackbox,
    CardinalityBudget,
    Guardrails,
    LatencySLI,
    Probe,
    ProbeSLI,
    RatioSLI,
    Service,
    Tier,
    TSDBGrowth,
    slo_probes,
)

JOB = 'job="maestro-conductor"'
TTFB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

maestro = Service(
    name="maestro-conductor",
    owner="team-conductor",
    labels={"team": "conductor"},
    runbook_url="https://runbooks.example.com/maestro-conductor",
    budget_policy=(
        "While an SLO has error budget left, team-conductor ships as usual. When its 30-day budget is "
        "spent, feature releases stop: only fixes and reliability work are deployed until the SLO is "
        "back within its objective. An incident that spends more than 20% of a budget gets a "
        "postmortem with at least one action item owned by the team. If the team disagrees with the "
        "budget's verdict (the SLI measured the wrong thing), the SLO is fixed first, never ignored."
    ),
    slos=[
        SLO(
            name="availability",
            objective=99.5,
            description="Health endpoint answers the blackbox probe: "
                        'probe_success{job="blackbox",instance="https://maestro.example.com/health"}.',
            sli=ProbeSLI('probe_success{job="blackbox",instance="https://maestro.example.com/health"}',
                         scrape_interval="15s"),
            alerting=Alerting(
                # the runbook's page: burn > 1x over 4h, i.e.
                # (1 - avg_over_time(probe_success[4h])) > (1 - 0.995)
                tiers=(*DEFAULT_TIERS, Tier("page", "4h", factor=1)),
            ),
        ),
        SLO(
            name="requests",
            objective=99.9,
            description="Requests answered without a 5xx: "
                        f"http_server_requests_total{{{JOB},code=~\"5..\"}} over all requests.",
            sli=RatioSLI(
                error_query=f'sum(rate(http_server_requests_total{{{JOB},code=~"5.."}}[{{{{.window}}}}]))',
                total_query=f"sum(rate(http_server_requests_total{{{JOB}}}[{{{{.window}}}}]))",
            ),
        ),
        SLO(
            name="ttfb-p95",
            objective=95,
            description="95% of requests get their first byte within 500 ms: "
                        "http_server_request_duration_seconds_bucket{le=\"0.5\"} over _count.",
            sli=LatencySLI(
                metric="http_server_request_duration_seconds",
                matchers=JOB,
                threshold=0.5,
                buckets=TTFB_BUCKETS,
            ),
        ),
    ],
)

# The runbook's production-readiness checks, run continuously (README, "Guardrails"). Maestro's team
# owns this installation's Prometheus/Alertmanager pipeline too, so the pipeline's tickets reach
# #conductor-tickets and the Watchdog's heartbeat is declared in alerts/maestro.py.
guardrails = Guardrails(
    service=maestro,
    probes=[
        *slo_probes(maestro),  # https://maestro.example.com/health, what the availability SLO reads
        Probe("https://maestro.example.com", hsts=True, redirect=True),
    ],
    blackbox=Blackbox(exporter="blackbox-exporter.monitoring.svc:9115", job="blackbox", interval="15s"),
    tsdb=TSDBGrowth(head_series_percent=20, storage_percent=10, over="1d"),
    cardinality=[
        CardinalityBudget(series=20_000, new_series_per_hour=10_000),  # any job without its own budget
        CardinalityBudget(job="maestro-conductor", series=50_000, new_series_per_hour=20_000),
    ],
)
