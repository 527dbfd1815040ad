"""`obsgen publish`: put what out/ holds on the running Prometheus, Alertmanager and Grafana.

command (arguments, usage checks, the drift check, each target in turn, exit codes; report prints)
-> one module per target: prometheus (rule files in its rules directory), alertmanager (its
config file), grafana (dashboards through the HTTP API). Each target first plans (reads files and
servers, changes nothing: that plan is what --dry-run prints), then applies, confirms on the server
that the change took effect, and rolls itself back when it did not. diff renders the plans, files
writes atomically. HTTP goes through generator.pagetest.httpjson, as page-test's does.
"""
