"""The guardrails' files of out/: where each renderer's output goes, with the generated mark.

Kept beside build.py (which calls it) so the guardrails' path scheme is in one place:
`obsgen check` finds the blackbox config and the scrape jobs by these paths.
"""

from __future__ import annotations

from generator import yamlio
from generator.guardrails import RULES_NAME, Guardrails
from generator.model import Service
from generator.render import blackbox, guardrail_rules, guardrail_tests, k8s_probe, scrape

BLACKBOX_CONFIG = "blackbox/blackbox.yml"
SCRAPE_DIR = "prometheus/scrape"
SCRAPE_CONFIG = f"{SCRAPE_DIR}/blackbox.yml"
RULES = f"prometheus/rules/{RULES_NAME}.rules.yml"
TESTS = f"prometheus/tests/{RULES_NAME}.test.yml"
LONG_TESTS = f"prometheus/tests/{RULES_NAME}.long.test.yml"


def outputs(g: Guardrails, services: list[Service]) -> dict[str, str | bytes]:
    mark = yamlio.mark(g.source)
    files: dict[str, str | bytes] = {
        RULES: yamlio.dump(guardrail_rules.render(g, services), mark),
    }
    short, long = guardrail_tests.render(g, services, f"../rules/{RULES.rsplit('/', 1)[1]}")
    files[TESTS] = yamlio.dump(short, mark)
    files[LONG_TESTS] = yamlio.dump(long, mark)
    if g.probes:
        files[BLACKBOX_CONFIG] = yamlio.dump(blackbox.render(g), mark)
        files[SCRAPE_CONFIG] = yamlio.dump(scrape.render(g), mark)
        for name, obj in k8s_probe.render(g).items():
            files[f"k8s/{name}"] = yamlio.dump(obj, mark)
    return files
