"""out/alertmanager: the config amtool accepts, and route tests that catch a route edited by hand.

Runs the real amtool (Debian's prometheus-alertmanager); missing, the tests fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.checkers import amtool
from generator.render.alertmanager import matcher

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
CONFIG = OUT / "alertmanager" / "alertmanager.yml"
CASES = OUT / "alertmanager" / "routes.test.yml"


def require_amtool() -> str:
    path = os.environ.get("AMTOOL") or shutil.which("amtool")
    assert path, "amtool is required (apt-get install prometheus-alertmanager); these tests never skip"
    return path


def config() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def cases() -> list[dict]:
    return yaml.safe_load(CASES.read_text())["cases"]


def service_route(cfg: dict, service: str = "maestro-conductor") -> dict:
    return next(r for r in cfg["route"]["routes"] if r["matchers"] == [f'service="{service}"'])


def route_to(labels: dict[str, str], cfg_path: Path) -> str:
    args = [matcher(k, "=", v) for k, v in labels.items()]
    proc = subprocess.run([require_amtool(), "config", "routes", "test", f"--config.file={cfg_path}", *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_amtool_accepts_the_config() -> None:
    res = amtool.check_config(require_amtool(), CONFIG)
    assert res.ok, res.lines


def test_every_route_case_passes() -> None:
    res, count = amtool.test_routes(require_amtool(), CASES)
    assert res.ok, res.lines
    assert count == len(cases()) >= 20


def test_cases_cover_pages_tickets_testpage_drill_and_the_default() -> None:
    by_receiver: dict[str, list[dict]] = {}
    for case in cases():
        by_receiver.setdefault(case["receiver"], []).append(case["labels"])
    pages = by_receiver["conductor-pagerduty"]
    assert {lab["slo"] for lab in pages if lab.get("severity") == "page" and "test" not in lab
            and "component" not in lab} == {  # a component's page (the 7-day certificate) has no slo
        "availability", "requests", "ttfb-p95"}
    assert any(lab["alertname"] == "TestPage" for lab in pages)
    assert any(lab.get("test") == "true" and lab["window"] == "4h" and lab["slo"] == "availability" for lab in pages)
    assert {lab["severity"] for lab in by_receiver["conductor-tickets"]} == {"ticket"}
    assert any(lab.get("service") == "obsgen-route-test-unknown-service" for lab in by_receiver["sre-mailbox"])


def test_testpage_lands_where_the_burn_pages_land() -> None:
    page = next(c["labels"] for c in cases() if c["labels"].get("severity") == "page")
    assert route_to({"alertname": "TestPage", "service": "maestro-conductor"}, CONFIG) == route_to(page, CONFIG)


@pytest.mark.parametrize("matched", ['alertname="TestPage"', 'severity="page"', 'severity="ticket"'])
def test_obsgen_check_fails_when_a_route_is_pointed_elsewhere_by_hand(tmp_path: Path, matched: str) -> None:
    out = tmp_path / "out"
    shutil.copytree(OUT / "alertmanager", out / "alertmanager")
    cfg = config()
    target = next(r for r in service_route(cfg)["routes"] if r["matchers"] == [matched])
    target["receiver"] = "sre-mailbox"
    (out / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(cfg))
    res, _ = amtool.test_routes(require_amtool(), out / "alertmanager" / "routes.test.yml")
    assert not res.ok
    assert all("expected conductor-" in line and "sre-mailbox" in line for line in res.lines), res.lines
    if matched != 'severity="page"':
        return
    # and the command a user runs says so, with exit 1 (promtool's part runs on the real rules)
    shutil.copytree(OUT / "prometheus", out / "prometheus")
    proc = subprocess.run([sys.executable, "-m", "generator", "check", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "amtool route tests: FAILED" in proc.stdout


def test_inhibition_needs_an_slo_on_both_sides_and_ignores_drills() -> None:
    (rule,) = config()["inhibit_rules"]
    assert 'slo=~".+"' in rule["source_matchers"] and 'slo=~".+"' in rule["target_matchers"]
    assert 'severity="page"' in rule["source_matchers"] and 'severity="ticket"' in rule["target_matchers"]
    assert 'test!="true"' in rule["source_matchers"]
    assert rule["equal"] == ["service", "slo"]


def test_pagerduty_gets_its_own_severities_and_the_links() -> None:
    (pd,) = next(r for r in config()["receivers"] if r["name"] == "conductor-pagerduty")["pagerduty_configs"]
    assert pd["url"] == "https://events.pagerduty.com/v2/enqueue"
    # every value the template can yield is one PagerDuty accepts
    assert set(re.findall(r"\}\}(\w+)\{\{", pd["severity"])) | {"critical"} <= {"critical", "error", "warning", "info"}
    assert '"ticket" }}warning' in pd["severity"] and "{{ else }}critical" in pd["severity"]
    assert {link["text"] for link in pd["links"]} == {"Runbook", "SLO dashboard"}
    assert pd["details"]["slo"] == "{{ .CommonLabels.slo }}"
    assert pd["routing_key_file"].startswith("/etc/alertmanager/secrets/")


def test_pages_group_by_test_id_so_a_drill_is_its_own_incident() -> None:
    for route in service_route(config())["routes"]:
        if route["receiver"] == "conductor-pagerduty":
            assert "test_id" in route["group_by"] and "slo" in route["group_by"]


def test_matcher_escapes_what_alertmanager_would_misread() -> None:
    assert matcher("team", "=", 'a "b" \\c\nd') == 'team="a \\"b\\" \\\\c\\nd"'


# -- the Watchdog's heartbeat and the guardrails' routes ------------------------------------------------
GUARDRAIL_RULES = OUT / "prometheus" / "rules" / "obsgen-guardrails.rules.yml"


def guardrail_rules() -> list[dict]:
    return [r for g in yaml.safe_load(GUARDRAIL_RULES.read_text())["groups"] for r in g["rules"]]


def test_the_watchdog_reaches_the_heartbeat_first_and_at_once() -> None:
    cfg = config()
    first = cfg["route"]["routes"][0]
    assert first["matchers"] == ['alertname="Watchdog"', 'component="watchdog"']
    assert first["group_wait"] == "0s" and first["repeat_interval"] in ("1m", "2m", "3m", "4m", "5m")
    (watchdog,) = [r for r in guardrail_rules() if r["alert"] == "Watchdog"]
    assert watchdog["expr"] == "vector(1)"
    # its real labels (service included) would match the service route too: the heartbeat must win
    assert route_to({"alertname": "Watchdog", **watchdog["labels"]}, CONFIG) == first["receiver"]


def test_the_heartbeat_never_gets_a_resolve() -> None:
    receiver = next(r for r in config()["receivers"] if r["name"] == config()["route"]["routes"][0]["receiver"])
    (hook,) = receiver["webhook_configs"]
    assert hook["send_resolved"] is False
    assert hook["http_config"]["authorization"]["credentials_file"].startswith("/etc/alertmanager/secrets/")


def test_every_guardrail_alert_has_a_route_case_to_its_team() -> None:
    names = {c["labels"]["alertname"]: c for c in cases() if c["name"].startswith("guardrail ")}
    assert {r["alert"] for r in guardrail_rules()} == set(names)
    for case in cases():
        if case["name"].startswith("guardrail ") and case["labels"]["alertname"] != "Watchdog":
            assert "slo" not in case["labels"]
            expected = "conductor-pagerduty" if case["labels"]["severity"] == "page" else "conductor-tickets"
            assert case["receiver"] == expected, case


def test_obsgen_check_fails_when_the_heartbeat_route_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "alertmanager").mkdir()
    shutil.copy(CASES, tmp_path / "alertmanager" / "routes.test.yml")
    cfg = config()
    cfg["route"]["routes"] = cfg["route"]["routes"][1:]
    (tmp_path / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(cfg))
    res, _ = amtool.test_routes(require_amtool(), tmp_path / "alertmanager" / "routes.test.yml")
    assert not res.ok
    assert [line for line in res.lines if "Watchdog" in line and "expected watchdog-heartbeat" in line], res.lines
