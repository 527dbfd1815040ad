"""A hand-written grafanalib board (grafanalib's `*.dashboard.py` convention: a module-level `dashboard`).

obsgen renders it, upgrades what Grafana would migrate on load (schemaVersion 12 -> 42, datasource
names -> references, legacy keys dropped) and lints it like the generated boards.
"""

from grafanalib.core import Dashboard, GridPos, Stat, Target, Template, Templating, TimeSeries

DATASOURCE = "${datasource}"
JOB = 'job="maestro-conductor"'
WINDOW = "[$__rate_interval]"

dashboard = Dashboard(
    title="Maestro Conductor: traffic",
    uid="maestro-traffic",
    description="Requests, status codes and latency of Maestro Conductor (hand-written with grafanalib).",
    tags=["maestro-conductor", "grafanalib"],
    timezone="browser",
    templating=Templating(list=[Template(name="datasource", label="Data source", type="datasource",
                                         query="prometheus")]),
    panels=[
        TimeSeries(
            title="Requests per second by status code",
            description="HTTP requests served per second, by status code (http_server_requests_total).",
            dataSource=DATASOURCE, unit="reqps", gridPos=GridPos(h=8, w=12, x=0, y=0),
            targets=[Target(expr=f"sum by (code) (rate(http_server_requests_total{{{JOB}}}{WINDOW}))",
                            legendFormat="{{code}}", refId="A")],
        ),
        TimeSeries(
            title="Latency quantiles",
            description="Median and 99th percentile time to first byte (http_server_request_duration_seconds).",
            dataSource=DATASOURCE, unit="s", gridPos=GridPos(h=8, w=12, x=12, y=0),
            targets=[Target(expr=f"histogram_quantile({q}, sum by (le) "
                                 f"(rate(http_server_request_duration_seconds_bucket{{{JOB}}}{WINDOW})))",
                            legendFormat=f"p{round(q * 100)}", refId=ref)
                     for q, ref in ((0.5, "A"), (0.99, "B"))],
        ),
        Stat(
            title="5xx share now",
            description="Share of requests answered with a 5xx over the last rate interval.",
            dataSource=DATASOURCE, format="percentunit", gridPos=GridPos(h=4, w=6, x=0, y=8),
            targets=[Target(expr=f'sum(rate(http_server_requests_total{{{JOB},code=~"5.."}}{WINDOW})) / '
                                 f"sum(rate(http_server_requests_total{{{JOB}}}{WINDOW}))",
                            legendFormat="5xx", refId="A")],
        ),
    ],
).auto_panel_ids()
