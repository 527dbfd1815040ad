"""From services to the files of out/: one renderer per target, one path scheme."""

from __future__ import annotations

from generator import report, yamlio
from generator.model import Service
from generator.render import promtool_tests, rules
from generator.routing import Alertmanager

ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ROUTE_TESTS = "alertmanager/routes.test.yml"


def rules_path(service: Service) -> str:
    return f"prometheus/rules/{service.name}.rules.yml"


def docs_outputs(service: Service) -> dict[str, str | bytes]:
    """out/docs: the alert-quality page (text) and one detection-time PNG per SLO (bytes)."""
    from generator.render import plots  # imports matplotlib: only when docs are built

    qualities = report.analyse(service)
    files: dict[str, str | bytes] = {f"docs/{report.markdown_name(service.name)}": report.markdown(service, qualities)}
    for q, png in zip(qualities, plots.detection_pngs(qualities), strict=True):
        files[f"docs/{report.png_name(q.service, q.slo)}"] = png
    return files


def alertmanager_outputs(am: Alertmanager, services: list[Service]) -> dict[str, str | bytes]:
    """out/alertmanager: the config Alertmanager loads as-is, and the route cases `obsgen check` runs."""
    from generator.render import alertmanager, route_tests

    mark = yamlio.mark(am.source)
    config = alertmanager.render(am, [s.name for s in services])
    cases = route_tests.render(am, services, ALERTMANAGER_CONFIG.rsplit("/", 1)[1])
    return {ALERTMANAGER_CONFIG: yamlio.dump(config, mark), ROUTE_TESTS: yamlio.dump(cases, mark)}


def outputs(services: list[Service], alertmanager: Alertmanager | None = None) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    if alertmanager is not None:
        files.update(alertmanager_outputs(alertmanager, services))
    for svc in services:
        mark = yamlio.mark(svc.source)
        files[rules_path(svc)] = yamlio.dump(rules.render(svc), mark)
        short, long = promtool_tests.render(svc, f"../rules/{svc.name}.rules.yml")
        files[f"prometheus/tests/{svc.name}.test.yml"] = yamlio.dump(short, mark)
        files[f"prometheus/tests/{svc.name}.long.test.yml"] = yamlio.dump(long, mark)
        files.update(docs_outputs(svc))
    return files
