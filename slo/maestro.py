"""Maestro Conductor's SLOs.

Metrics (what the service and the blackbox exporter expose):
- probe_success{job="blackbox",instance="https://maestro.example.com/health"}: the blackbox
  exporter's HTTP probe of the health endpoint (1 = up), scraped every 15s.
- http_server_requests_total{job="maestro-conductor",code,method,rollouts_pod_template_hash}:
  requests served, by status code; the Argo Rollouts pod-template hash splits canary from stable.
- http_server_request_duration_seconds_bucket{job="maestro-conductor",le,...}: time to first
  byte, a histogram with the buckets below.
"""

from generator.api import DEFAULT_TIERS, SLO, Alerting, LatencySLI, ProbeSLI, RatioSLI, Service, Tier

JOB = 'job="maestro-conductor"'
TTFB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

maestro = Service(
    name="maestro-conductor",
    owner="team-conductor",
    labels={"team": "conductor"},
    runbook_url="https://runbooks.example.com/maestro-conductor",
    slos=[
        SLO(
            name="availability",
            objective=99.5,
            description="Health endpoint answers the blackbox probe: "
                        'probe_success{job="blackbox",instance="https://maestro.example.com/health"}.',
            sli=ProbeSLI('probe_success{job="blackbox",instance="https://maestro.example.com/health"}'),
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
