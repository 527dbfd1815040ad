"""`keep_firing_for` on burn alerts: written into the rules, and proven by the generated promtool tests.

A page whose burn dips under its factor for a few evaluations resolves and pages again (flapping);
Prometheus >= 2.42 can hold a firing alert for `keep_firing_for` after its condition stops. The
generated tests must assert the page still firing after the condition has stopped (the hold), and
resolved once the hold is over, and those checks must fail when the rule lacks the option: on
promtool 2 and 3 (the toolchain fixture).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from generator import durations
from generator.errors import SpecError
from generator.model import SLO, Alerting, Service
from generator.render import promtool_tests, rules
from generator.scenarios import Instance
from generator.sli import RatioSLI

pytestmark = pytest.mark.usefixtures("toolchain")

SLI = RatioSLI(error_query='sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))',
               total_query='sum(rate(http_requests_total{job="shop"}[{{.window}}]))')


def _service(**alerting: str) -> Service:
    svc = Service(name="shop", source="slo/shop.py",
                  slos=(SLO(name="requests", objective=99.9, sli=SLI, alerting=Alerting(**alerting)),))
    svc.validate()
    return svc


def _write(svc: Service, root: Path, drop_keep: bool = False) -> Path:
    (root / "rules").mkdir(parents=True)
    (root / "tests").mkdir()
    doc = rules.render(svc)
    if drop_keep:  # the mutation: the same tests against a rule without the hold
        for group in doc["groups"]:
            for rule in group["rules"]:
                rule.pop("keep_firing_for", None)
    (root / "rules" / "shop.rules.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    short, _ = promtool_tests.render(svc, "../rules/shop.rules.yml")
    (root / "tests" / "shop.test.yml").write_text(yaml.safe_dump(short, sort_keys=False))
    return root / "tests"


def _promtool(tests: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", "test", "rules", "shop.test.yml"], cwd=tests, capture_output=True,
                          text=True, timeout=300)


def test_rules_carry_it_per_severity() -> None:
    svc = _service(keep_firing_for="10m", ticket_keep_firing_for="1h")
    burn = {r["labels"]["severity"]: r for g in rules.render(svc)["groups"] for r in g["rules"]
            if r.get("alert") == svc.slos[0].alert_name}
    assert burn["page"]["keep_firing_for"] == "10m"
    assert burn["ticket"]["keep_firing_for"] == "1h"
    plain = _service()
    assert all("keep_firing_for" not in r for g in rules.render(plain)["groups"] for r in g["rules"])


def test_a_bad_duration_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="keep_firing_for"):
        _service(page_keep_firing_for="soon")


def test_generated_tests_prove_the_hold_and_fail_without_it(tmp_path: Path) -> None:
    keep = "15m"
    svc = _service(page_keep_firing_for=keep)
    slo = svc.slos[0]
    tests = _write(svc, tmp_path / "held")
    proc = _promtool(tests)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

    # the outage group checks the 1h page while its condition is false but the hold is not over
    doc = yaml.safe_load((tests / "shop.test.yml").read_text())
    (outage,) = [g for g in doc["tests"] if g["name"] == "outage then recovery"]
    tier = next(t for t in slo.tiers if t.severity == "page" and t.long == "1h")
    page = Instance(slo.alert_name, (), "burn", tier, False, 0)
    segments = promtool_tests._outage(slo, promtool_tests._warm(slo.tiers, "page"), slo.tiers)[0]
    held = [c for c in outage["alert_rule_test"] if c["alertname"] == slo.alert_name
            and any(a["exp_labels"].get("window") == "1h" for a in c["exp_alerts"])
            and not page.active(slo, segments, durations.parse(c["eval_time"]))]
    assert held, "no check asserts the page during its hold"

    # the mutation: the same tests, the rule without keep_firing_for
    proc = _promtool(_write(svc, tmp_path / "dropped", drop_keep=True))
    assert proc.returncode != 0 and "FAILED" in proc.stdout + proc.stderr, "the hold's checks passed without it"
