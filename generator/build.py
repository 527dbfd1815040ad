"""From services to the files of out/: one renderer per target, one path scheme."""

from __future__ import annotations

from generator import yamlio
from generator.model import Service
from generator.render import promtool_tests, rules


def rules_path(service: Service) -> str:
    return f"prometheus/rules/{service.name}.rules.yml"


def outputs(services: list[Service]) -> dict[str, str]:
    files: dict[str, str] = {}
    for svc in services:
        mark = yamlio.mark(svc.source)
        files[rules_path(svc)] = yamlio.dump(rules.render(svc), mark)
        short, long = promtool_tests.render(svc, f"../rules/{svc.name}.rules.yml")
        files[f"prometheus/tests/{svc.name}.test.yml"] = yamlio.dump(short, mark)
        files[f"prometheus/tests/{svc.name}.long.test.yml"] = yamlio.dump(long, mark)
    return files
