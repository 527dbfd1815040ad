"""obsgen: observability-as-code for SLOs (rules, tests, routes, dashboards)."""

__version__ = "0.1.0"
