"""From services to the files of out/: one renderer per target, one path scheme."""

from __future__ import annotations

from collections.abc import Collection

from generator import log, report, targets, yamlio
from generator.declarations import Declarations
from generator.grafana.outputs import outputs as grafana_outputs
from generator.guardrails import Guardrails
from generator.model import Service
from generator.render import promtool_tests, rules
from generator.routing import Alertmanager

ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ROUTE_TESTS = "alertmanager/routes.test.yml"
NATIVE_TESTS = "native"  # <service>.native[.long].test.yml: native-histogram inputs (promtool >= 3)


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


def alertmanager_outputs(am: Alertmanager, services: list[Service],
                         guardrails: Guardrails | None = None) -> dict[str, str | bytes]:
    """out/alertmanager: the config Alertmanager loads as-is, and the route cases `obsgen check` runs."""
    from generator.render import alertmanager, route_tests

    mark = yamlio.mark(am.source)
    config = alertmanager.render(am, [s.name for s in services])
    cases = route_tests.render(am, services, ALERTMANAGER_CONFIG.rsplit("/", 1)[1], guardrails)
    return {ALERTMANAGER_CONFIG: yamlio.dump(config, mark), ROUTE_TESTS: yamlio.dump(cases, mark)}


def outputs(decl: Declarations, *, only: Collection[str] | None = None) -> dict[str, str | bytes]:
    """Every file of out/, or with `only` those of the chosen targets (generator/targets.py)."""
    services, am = decl.services, decl.alertmanager
    files: dict[str, str | bytes] = {}
    if am is not None:
        files.update(alertmanager_outputs(am, services, decl.guardrails))
    if decl.guardrails is not None:
        from generator.render import guardrail_outputs

        files.update(guardrail_outputs.outputs(decl.guardrails, services))  # probes, pipeline and cost alerts
    for svc in services:
        mark = yamlio.mark(svc.source)
        files[rules_path(svc)] = yamlio.dump(rules.render(svc), mark)
        short, long = promtool_tests.render(svc, f"../rules/{svc.name}.rules.yml")
        files[f"prometheus/tests/{svc.name}.test.yml"] = yamlio.dump(short, mark)
        files[f"prometheus/tests/{svc.name}.long.test.yml"] = yamlio.dump(long, mark)
        native = promtool_tests.render_native(svc, f"../rules/{svc.name}.rules.yml")
        if native is not None:  # promtool >= 3 reads native-histogram input (obsgen check says so)
            files[f"prometheus/tests/{svc.name}.{NATIVE_TESTS}.test.yml"] = yamlio.dump(native[0], mark)
            files[f"prometheus/tests/{svc.name}.{NATIVE_TESTS}.long.test.yml"] = yamlio.dump(native[1], mark)
        if targets.wanted(only, "docs"):  # the plots are the slow part of a build
            files.update(docs_outputs(svc))
    # out/grafana, plus the dependency alerts dashboards/ declares
    files.update(grafana_outputs(services, decl.boards, decl.legacy_boards))
    files.update(targets.publishing(services, am, only))  # slos.md, out/rulers, out/argo
    files.update(targets.wrapping(files, services, decl.kubernetes, only))  # out/k8s, out/mixin: around the above
    chosen = targets.select(files, only)
    log.debug("rendered %d files (%s)", len(chosen), ", ".join(sorted(only)) if only is not None else "all targets")
    return chosen
