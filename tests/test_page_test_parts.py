"""page-test's pieces without Prometheus or Alertmanager: the rule file, the usage errors, the HTTP
client's secrecy, and the PagerDuty stand-in's fidelity (the end-to-end tests trust it to reject
what PagerDuty rejects, so that is tested here against PagerDuty's documented rules).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import cli
from generator.drill import drill_alert
from generator.model import SLO, Alerting, Service
from generator.pagetest import cleanup, rulefile
from generator.pagetest.alertmanager import Counters, parse_counters
from generator.pagetest.httpjson import Client, ServerError, display
from generator.sli import ProbeSLI
from generator.tiers import DEFAULT_TIERS, Tier
from tests.servers import ToolMissing
from tests.standins.pagerduty import PagerDuty
from tests.test_page_test import SLO_DECLARATION, alerts_declaration

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

KEY = "k" * 32


def _service(runbook: str = "https://runbooks.example.com/shop") -> Service:
    slo = SLO(name="availability", objective=99.5, sli=ProbeSLI('probe_success{job="blackbox"}'),
              alerting=Alerting(tiers=(*DEFAULT_TIERS, Tier("page", "4h", factor=1))))
    return Service(name="shop", slos=(slo,), runbook_url=runbook)


def test_rule_file_is_valid_for_promtool_and_keeps_values_literal(tmp_path: Path) -> None:
    drill = drill_alert(_service("https://runbooks.example.com/{{ page }}"), "pt-1")
    path = rulefile.path(tmp_path, "pt-1")
    rulefile.write(path, rulefile.render(drill, "pt-1", 1700000000.5))
    assert rulefile.is_page_test_file(path.name) and [p.name for p in tmp_path.iterdir()] == [path.name]
    [group] = yaml.safe_load(path.read_text())["groups"]
    [rule] = group["rules"]
    assert group["name"] == "obsgen-page-test-pt-1" and rule["alert"] == drill.name
    assert rule["expr"] == "vector(1) and on() (vector(time()) < 1700000000.500)"
    assert rule["labels"]["test_id"] == "pt-1" and rule["labels"]["test"] == "true"
    assert rule["annotations"]["runbook_url"] == 'https://runbooks.example.com/{{ "{{" }} page }}'
    promtool = shutil.which("promtool")
    if not promtool:
        raise ToolMissing("promtool not found (Debian package prometheus): apt-get install prometheus")
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_publishing_can_tell_page_test_files_apart() -> None:
    assert rulefile.is_page_test_file("obsgen-page-test-pt-20250101T000000-abc123.rules.yml")
    assert not rulefile.is_page_test_file("shop.rules.yml")
    assert not rulefile.is_page_test_file(".obsgen-page-test-pt-1.rules.yml.tmp")
    assert rulefile.path(Path("/r"), "pt-1").match("*.rules.yml")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout holding the end-to-end tests' declarations (service "shop")."""
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo" / "shop.py").write_text(SLO_DECLARATION)
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "shop.py").write_text(alerts_declaration("http://127.0.0.1:1/v2/enqueue",
                                                                    tmp_path / "key"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("args, message", [
    (["--service", "nope"], "--service 'nope': no such service (declared: shop)"),
    ([], "--prometheus-url and --rules-dir required (or --direct"),
    (["--prometheus-url", "http://127.0.0.1:1", "--rules-dir", "missing"], "--rules-dir missing: no such directory"),
    (["--direct", "--timeout", "soon"], "--timeout: 'soon' is not a duration"),
    (["--direct", "--pagerduty-api-url", "http://127.0.0.1:1"], "--pagerduty-api-url needs --pagerduty-token-file"),
    (["--direct", "--pagerduty-token-file", "absent"], "--pagerduty-token-file absent: No such file or directory"),
    (["--direct", "--alertmanager-url", "127.0.0.1:9093"], "--alertmanager-url must be an http(s) URL"),
])
def test_usage_errors_exit_2_with_one_line(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                           message: str) -> None:
    argv = ["page-test", "--service", "shop", "--alertmanager-url", "http://127.0.0.1:1", *args]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err, err


def test_urls_are_shown_without_credentials() -> None:
    assert display("https://user:s3cret@am.example.com:9093/prefix?token=abc") == "https://am.example.com:9093/prefix"
    client = Client("Alertmanager", "http://user:s3cret@127.0.0.1:1")
    with pytest.raises(ServerError) as caught:
        client.get_json("/api/v2/status")
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(client)
    assert str(caught.value).startswith("Alertmanager at http://127.0.0.1:1 is unreachable")


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _get(url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Token token={token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _trigger(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"routing_key": KEY, "event_action": "trigger", "dedup_key": "d1",
                             "payload": {"summary": "shop burns", "source": "shop", "severity": "critical"}}
    for key, value in changes.items():
        if key.startswith("payload_"):
            event["payload"][key.removeprefix("payload_")] = value
            event["payload"] = {k: v for k, v in event["payload"].items() if v is not None}
        else:
            event[key] = value
    return {k: v for k, v in event.items() if v is not None}


@pytest.mark.parametrize("event, error", [
    (_trigger(routing_key="short"), "Length of 'routing_key' is incorrect (should be 32 characters)"),
    (_trigger(event_action="open"), "'event_action' is invalid"),
    (_trigger(payload_severity="page"), "'payload.severity' is invalid"),
    (_trigger(payload_summary=""), "'payload.summary' is missing or blank"),
    (_trigger(payload_source=None), "'payload.source' is missing or blank"),
    (_trigger(event_action="resolve", dedup_key=None), "'dedup_key' is missing or blank"),
])
def test_pagerduty_standin_rejects_what_pagerduty_rejects(event: dict[str, Any], error: str) -> None:
    with PagerDuty() as pd:
        status, body = _post(pd.events_url, event)
        assert status == 400 and body["status"] == "invalid event"
        assert any(error in e for e in body["errors"]), body
        assert [e.status for e in pd.events] == [400] and pd.incidents == {}


def test_pagerduty_standin_keeps_incidents_by_dedup_key_and_guards_rest() -> None:
    with PagerDuty() as pd:
        assert _post(pd.events_url, _trigger())[0] == 202
        assert _post(pd.events_url, _trigger())[1]["dedup_key"] == "d1"  # joins the open incident
        assert _post(pd.events_url, _trigger(dedup_key="d2"))[0] == 202
        [first, second] = pd.incidents.values()
        assert (first.incident_key, first.alerts, second.incident_key) == ("d1", 2, "d2")
        assert _get(f"{pd.api_url}/incidents", None)[0] == 401
        assert _get(f"{pd.api_url}/incidents", "wrong")[0] == 401
        assert _post(pd.events_url, {"routing_key": KEY, "event_action": "resolve", "dedup_key": "d1"})[0] == 202
        status, body = _get(f"{pd.api_url}/incidents?statuses[]=triggered&statuses[]=acknowledged", pd.token)
        assert status == 200 and [i["incident_key"] for i in body["incidents"]] == ["d2"]
        assert _get(f"{pd.api_url}/incidents/{first.id}", pd.token)[1]["incident"]["status"] == "resolved"
        pd.fail_with(500)
        assert _post(pd.events_url, _trigger(dedup_key="d3"))[0] == 500
        assert [e.status for e in pd.events] == [202, 202, 202, 202, 500]


def test_delivery_counts_requests_of_the_expected_receiver_only() -> None:
    """0.25's request counters carry only `integration`; a later Alertmanager adds `receiver_name`,
    and then a heartbeat receiver's requests must not pass for the drill's."""
    v025 = textwrap.dedent('''\
        alertmanager_notifications_total{integration="pagerduty"} 9
        alertmanager_notification_requests_failed_total{integration="pagerduty"} 2
        alertmanager_notification_requests_total{integration="pagerduty"} 5
        alertmanager_notification_requests_total{integration="webhook"} 7
    ''')
    assert parse_counters(v025, "shop-pagerduty") == Counters(5, 2)
    labelled = textwrap.dedent('''\
        alertmanager_notification_requests_total{integration="pagerduty",receiver_name="heartbeat"} 40
        alertmanager_notification_requests_total{integration="pagerduty",receiver_name="shop-pagerduty"} 3
        alertmanager_notification_requests_failed_total{integration="pagerduty",receiver_name="shop-pagerduty"} 1
    ''')
    after = parse_counters(labelled, "shop-pagerduty")
    assert after == Counters(3, 1) and after.since(Counters(1, 0)) == (1, 1)


# -- page-test --cleanup ---------------------------------------------------------------------------------
def test_cleanup_removes_only_drill_files_and_says_whether_each_had_ended(tmp_path: Path) -> None:
    now = time.time()
    ended = rulefile.path(tmp_path, "pt-old")
    rulefile.write(ended, rulefile.render(drill_alert(_service(), "pt-old"), "pt-old", now - 60))
    live = rulefile.path(tmp_path, "pt-live")
    rulefile.write(live, rulefile.render(drill_alert(_service(), "pt-live"), "pt-live", now + 600))
    keep = ["team.rules.yml", "obsgen-publish-shop.rules.yml", "obsgen-page-test-notes.txt", ".obsgen-page-test-x.tmp"]
    for name in keep:
        (tmp_path / name).write_text("groups: []\n")
    out = io.StringIO()
    assert cleanup.run(tmp_path, None, out) == 0
    text = out.getvalue()
    assert f"removed {ended}: its alert had ended by itself at {rulefile.utc(float(f'{now - 60:.3f}'))}" in text
    assert f"removed {live}: its alert was still due to fire until" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    again = io.StringIO()
    assert cleanup.run(tmp_path, None, again) == 0
    assert again.getvalue() == f"page-test --cleanup: nothing to remove in {tmp_path}\n"


def test_cleanup_reports_a_file_it_cannot_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = rulefile.path(tmp_path, "pt-stuck")
    rulefile.write(path, rulefile.render(drill_alert(_service(), "pt-stuck"), "pt-stuck", time.time()))

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    out = io.StringIO()
    assert cleanup.run(tmp_path, None, out) == 1
    assert f"page-test --cleanup: FAILED: could not remove {path} (Permission denied)" in out.getvalue()


@pytest.mark.parametrize(("argv", "message"), [
    (["--cleanup"], "--cleanup needs --rules-dir"),
    (["--cleanup", "--rules-dir", "/nonexistent"], "--rules-dir /nonexistent: no such directory"),
    (["--cleanup", "--rules-dir", ".", "--service", "shop"], "--cleanup drills nothing: drop --service"),
    (["--service", "shop"], "--alertmanager-url required"),
])
def test_cleanup_and_drill_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["page-test", *argv]) == 2
    assert capsys.readouterr().err == f"obsgen page-test: {message}\n"
