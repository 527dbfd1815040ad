"""`obsgen page-test`: a real burn-page drill through Prometheus, Alertmanager and PagerDuty.

command (arguments, usage checks) -> run (the steps, cleanup, verdict), which talks to the servers
through prometheus, alertmanager and pagerduty (stdlib HTTP in httpjson) and writes its temporary
rule with rulefile. The alert itself is generator.drill's, shared with the generated route tests.
"""
