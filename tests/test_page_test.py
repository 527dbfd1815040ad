"""`obsgen page-test` end to end: the real Prometheus and Alertmanager, a local PagerDuty.

Each test declares its own service and Alertmanager routing (as an SRE would in slo/ and
alerts/), renders the Alertmanager config from them with obsgen, and starts the Debian
packages' servers on free 127.0.0.1 ports: Prometheus evaluating every second with a 1 s resend
delay, Alertmanager with 1 s group_wait and 2 s group_interval, its PagerDuty receiver pointed
at tests/standins/pagerduty.py (which rejects what PagerDuty rejects). page-test runs as the
user runs it, a subprocess, and must leave no rule file behind whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.drill import drill_alert
from generator.loaders import alerts as alerts_loader
from generator.loaders import load_all
from generator.model import Service
from generator.pagetest import cleanup
from generator.pagetest.alertmanager import Alertmanager as AlertmanagerAPI
from generator.pagetest.rulefile import PREFIX
from generator.render import alertmanager as am_render
from tests import servers
from tests.standins.pagerduty import PagerDuty

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

ROUTING_KEY = "R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32"
SERVICE = "shop"
RECEIVER = "shop-pagerduty"
RUN_TIMEOUT_S = 90
NO_RESEND_S = 40

SLO_DECLARATION = textwrap.dedent('''
    from generator.api import DEFAULT_TIERS, SLO, Alerting, ProbeSLI, Service, Tier

    shop = Service(
        name="shop",
        runbook_url="https://runbooks.example.com/shop",
        slos=[
            SLO(
                name="availability",
                objective=99.5,
                sli=ProbeSLI('probe_success{job="blackbox",instance="https://shop.example.com/health"}'),
                alerting=Alerting(tiers=(*DEFAULT_TIERS, Tier("page", "4h", factor=1))),
            ),
        ],
    )
''')


def alerts_declaration(events_url: str, key_file: Path) -> str:
    return textwrap.dedent(f'''
        from generator.api import Alertmanager, PagerDuty, Team, Timing, Webhook

        # fast timings so the drill takes seconds; the page timing still groups by test_id
        PAGE = Timing(("alertname", "service", "slo", "test_id"), "1s", "2s", "1h")
        TICKET = Timing(("alertname", "service", "slo", "component"), "1s", "2s", "1h")

        alertmanager = Alertmanager(
            default=Webhook(name="default-hook", url="http://127.0.0.1:9/default"),
            default_timing=Timing(("alertname", "service"), "1s", "2s", "1h"),
            teams=[Team(name="shop-team", services=["shop"],
                        page=PagerDuty(name="{RECEIVER}", routing_key_file={str(key_file)!r}, url={events_url!r}),
                        ticket=Webhook(name="shop-tickets", url="http://127.0.0.1:9/tickets"),
                        page_timing=PAGE, ticket_timing=TICKET)],
        )
    ''')


@dataclass
class Lab:
    work: Path
    rules: Path
    spec: Path
    alerts: Path
    services: list[Service]
    pagerduty: PagerDuty
    alertmanager_url: str
    prometheus_url: str | None
    token_file: Path

    def args(self, *extra: str, direct: bool = False) -> list[str]:
        cmd = [sys.executable, "-m", "generator", "page-test", str(self.spec), "--alerts", str(self.alerts),
               "--service", SERVICE, "--alertmanager-url", self.alertmanager_url]
        if direct:
            cmd.append("--direct")
        else:
            assert self.prometheus_url
            cmd += ["--prometheus-url", self.prometheus_url, "--rules-dir", str(self.rules)]
        return cmd + list(extra)

    def page_test(self, *extra: str, direct: bool = False) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        proc = subprocess.run(self.args(*extra, direct=direct), cwd=self.work, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S)
        print(f"page-test took {time.monotonic() - started:.1f} s:\n{proc.stdout}{proc.stderr}")
        return proc

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.rules.iterdir())


@pytest.fixture
def make_lab(tmp_path: Path) -> Iterator[Callable[..., Lab]]:
    """Start the servers a test asks for; all are stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def make(*, prometheus: bool = True, lifecycle: bool = True, alertmanager: bool = True) -> Lab:
            rules = tmp_path / "rules"
            rules.mkdir()
            (tmp_path / "slo").mkdir()
            spec = tmp_path / "slo" / "shop.py"
            spec.write_text(SLO_DECLARATION)
            key_file = tmp_path / "pagerduty-routing-key"
            key_file.write_text(ROUTING_KEY + "\n")
            token_file = tmp_path / "pagerduty-rest-token"
            pd = stack.enter_context(PagerDuty())
            token_file.write_text(pd.token + "\n")
            (tmp_path / "alerts").mkdir()
            (tmp_path / "alerts" / "shop.py").write_text(alerts_declaration(pd.events_url, key_file))
            services = load_all([spec], tmp_path)
            decl = alerts_loader.load(tmp_path / "alerts", tmp_path, services)
            assert decl is not None
            if alertmanager:
                config = am_render.render(decl, [s.name for s in services])
                am = stack.enter_context(servers.Alertmanager(config, tmp_path))
                am_url, am_target = am.url, am.target
            else:  # a port nobody listens on
                am_target = f"127.0.0.1:{servers.lab.free_port()}"
                am_url = f"http://{am_target}"
            prom_url = None
            if prometheus:
                prom = stack.enter_context(servers.prometheus(tmp_path, rules, am_target, lifecycle=lifecycle))
                prom_url = prom.url
            return Lab(tmp_path, rules, spec, tmp_path / "alerts", services, pd, am_url, prom_url, token_file)

        yield make


def verdict(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("page-test: ")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def run_id(proc: subprocess.CompletedProcess[str]) -> str:
    return verdict(proc).rsplit("test_id ", 1)[1].rstrip(")")


def assert_no_secrets(proc: subprocess.CompletedProcess[str], lab: Lab) -> None:
    for secret in (ROUTING_KEY, lab.pagerduty.token):
        assert secret not in proc.stdout + proc.stderr


def assert_paged_and_resolved(lab: Lab, test_id: str) -> None:
    """PagerDuty got one valid trigger and then a resolve of the same incident, nothing rejected."""
    events = lab.pagerduty.events_for(test_id)
    assert [(e.action, e.status) for e in events] == [("trigger", 202), ("resolve", 202)], events
    trigger, resolve = events
    assert trigger.dedup_key and trigger.dedup_key == resolve.dedup_key
    assert trigger.body["routing_key"] == ROUTING_KEY
    payload = trigger.payload
    assert payload["severity"] == "critical"
    assert f"[page-test {test_id}]" in payload["summary"]
    assert payload["source"] == SERVICE
    assert payload["custom_details"]["test_id"] == test_id
    assert {"href": "https://runbooks.example.com/shop", "text": "Runbook"} in trigger.body["links"]
    [incident] = [i for i in lab.pagerduty.incidents.values() if test_id in i.title]
    assert incident.status == "resolved"


def test_servers_are_installed() -> None:
    """The end-to-end tests need the Debian packages; a missing one fails here, naming it."""
    for binary, package in (("prometheus", "prometheus"), ("prometheus-alertmanager", "prometheus-alertmanager")):
        servers.require(binary, package)


def test_drill_pages_pagerduty_and_resolves(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    started = time.monotonic()
    proc = lab.page_test()
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Prometheus re-sends a dropped notification only after its resend delay (1m here, the default)
    assert took < NO_RESEND_S, f"{took:.0f} s: a notification waited for a re-send"
    assert verdict(proc).startswith(f"page-test: PASSED: the drill of {SERVICE} reached {RECEIVER} and resolved")
    out = proc.stdout
    for step in ("Prometheus loaded rule group", "the drill alert is firing in Prometheus",
                 f"Alertmanager holds it (active) and routed it to {RECEIVER}",
                 "Alertmanager delivered the page to PagerDuty", "Prometheus resolved the drill alert",
                 "Alertmanager delivered the resolve to PagerDuty", f"removed {lab.rules}/{PREFIX}"):
        assert step in out, step
    assert all(line.startswith("[") for line in out.splitlines()[:-1]), out
    assert_paged_and_resolved(lab, run_id(proc))
    assert lab.leftovers() == []
    assert_no_secrets(proc, lab)


def test_drill_confirms_the_incident_through_pagerduty_rest(make_lab: Callable[..., Lab]) -> None:
    """The REST check is the same after Prometheus or --direct; --direct keeps this test at seconds."""
    lab = make_lab(prometheus=False)
    proc = lab.page_test("--pagerduty-api-url", lab.pagerduty.api_url,
                         "--pagerduty-token-file", str(lab.token_file), direct=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tid = run_id(proc)
    [incident] = [i for i in lab.pagerduty.incidents.values() if tid in i.title]
    assert f"PagerDuty incident #{incident.number} ({incident.id}) is triggered" in proc.stdout
    assert f"PagerDuty incident #{incident.number} ({incident.id}) is resolved" in proc.stdout
    assert_paged_and_resolved(lab, tid)
    assert lab.leftovers() == []
    assert_no_secrets(proc, lab)


def test_wrong_rest_token_fails_before_anything_is_written(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    lab.token_file.write_text("not-the-token\n")
    proc = lab.page_test("--pagerduty-api-url", lab.pagerduty.api_url,
                         "--pagerduty-token-file", str(lab.token_file))
    assert proc.returncode == 1
    assert "refused the token (HTTP 401)" in verdict(proc)
    assert "not-the-token" not in proc.stdout + proc.stderr
    assert lab.pagerduty.events == [] and lab.leftovers() == []


def test_direct_posts_to_alertmanager_only(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(prometheus=False)
    proc = lab.page_test(direct=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--direct: Prometheus is left out" in proc.stdout
    assert_paged_and_resolved(lab, run_id(proc))
    assert lab.leftovers() == []


def test_alertmanager_down(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(alertmanager=False)
    proc = lab.page_test()
    assert proc.returncode == 1
    assert f"page-test: FAILED: Alertmanager at {lab.alertmanager_url} is unreachable" in verdict(proc)
    assert lab.leftovers() == [] and lab.pagerduty.events == []


def test_pagerduty_answering_500(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    lab.pagerduty.fail_with(500)
    proc = lab.page_test()
    assert proc.returncode == 1
    assert "FAILED: Alertmanager failed to deliver the page to PagerDuty" in verdict(proc)
    assert lab.pagerduty.events and {e.status for e in lab.pagerduty.events} == {500}
    assert lab.leftovers() == []
    # cleanup resolved the drill before removing its rule: Alertmanager no longer holds it
    assert "Prometheus and Alertmanager resolved the drill alert" in proc.stdout
    assert AlertmanagerAPI(lab.alertmanager_url).held("test_id", run_id(proc)) is None


def test_prometheus_reload_refused(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(lifecycle=False)
    proc = lab.page_test()
    assert proc.returncode == 1
    line = verdict(proc)
    assert "Prometheus runs without --web.enable-lifecycle" in line and "HTTP 403" in line, line
    assert lab.leftovers() == [] and lab.pagerduty.events == []


class Lines:
    """A subprocess's stdout, line by line as it comes, without blocking the test forever."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        stream = proc.stdout
        threading.Thread(target=lambda: [self.queue.put(line) for line in stream], daemon=True).start()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while not any(text in line for line in self.seen):
            try:
                self.seen.append(self.queue.get(timeout=max(0.01, end - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{''.join(self.seen)}") from None

    def rest(self) -> str:
        time.sleep(0.2)
        while not self.queue.empty():
            self.seen.append(self.queue.get())
        return "".join(self.seen)


def test_interrupted_by_sigint_twice(make_lab: Callable[..., Lab]) -> None:
    """Ctrl-C once the drill fires: cleanup starts resolving it; a second Ctrl-C removes the rule at once."""
    lab = make_lab()
    proc = subprocess.Popen(lab.args(), cwd=lab.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = Lines(proc)
        lines.wait_for("the drill alert is firing in Prometheus")
        assert lab.leftovers()
        proc.send_signal(signal.SIGINT)
        lines.wait_for("resolving the drill alert before removing its rule")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=RUN_TIMEOUT_S) == 1
        stdout, stderr = lines.rest(), proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(stdout, stderr)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert "page-test: FAILED: interrupted by SIGINT before the resolve was confirmed" in verdict(done)
    assert "interrupted again: removing the drill without waiting for its resolve" in stdout
    assert lab.leftovers() == []
    assert "Prometheus reloaded its rules: the drill rule is gone" in stdout
    with urllib.request.urlopen(f"{lab.prometheus_url}/api/v1/rules") as r:
        assert PREFIX.encode() not in r.read()


def test_timeout(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab()
    proc = lab.page_test("--timeout", "3s")
    assert proc.returncode == 1
    assert "page-test: FAILED: timed out after 3s waiting for Prometheus to fire the drill alert" in verdict(proc)
    assert lab.leftovers() == []
    assert lab.pagerduty.events == []


def test_drill_and_real_page_are_separate_incidents_and_only_the_real_page_inhibits(
        make_lab: Callable[..., Lab]) -> None:
    """The generated group_by puts test_id in the page groups and the inhibit rule ignores test="true":
    a drill during a real incident opens its own PagerDuty incident and hides nothing."""
    lab = make_lab(prometheus=False)
    am = AlertmanagerAPI(lab.alertmanager_url)
    service = lab.services[0]
    drill = drill_alert(service, "pt-drill")
    real_page = {k: v for k, v in drill.labels.items() if k not in ("test", "test_id")}
    ticket = {**real_page, "severity": "ticket", "window": "1d"}
    now = time.time()
    am.post(drill.labels, drill.annotations, now, now + 60)
    am.post(ticket, {"summary": "shop availability: slow burn"}, now, now + 60)

    def wait(what: str, check: Callable[[], bool]) -> None:
        end = time.monotonic() + 20
        while not check():
            assert time.monotonic() < end, f"timed out waiting for {what}"
            time.sleep(0.1)

    wait("the drill's trigger", lambda: any(e.action == "trigger" for e in lab.pagerduty.events))
    held_ticket = am.held("severity", "ticket")
    assert held_ticket is not None and held_ticket.state == "active" and held_ticket.inhibited_by == ()

    am.post(real_page, {"summary": "shop availability: fast burn"}, now, now + 60)
    wait("the real page's trigger", lambda: sum(e.action == "trigger" for e in lab.pagerduty.events) == 2)
    keys = {e.dedup_key for e in lab.pagerduty.events if e.action == "trigger"}
    assert len(keys) == 2, lab.pagerduty.events
    assert len([i for i in lab.pagerduty.incidents.values() if i.status == "triggered"]) == 2
    with urllib.request.urlopen(f"{lab.alertmanager_url}/api/v2/alerts") as r:
        held = json.load(r)
    [real] = [a["fingerprint"] for a in held if a["labels"] == real_page]
    held_ticket = am.held("severity", "ticket")
    assert held_ticket is not None and held_ticket.state == "suppressed" and held_ticket.inhibited_by == (real,)


# -- faults: kill -9, leftovers, two drills at once -------------------------------------------------------
KILL_TIMEOUT = "15s"  # the drill's deadline: near, so the test waits it out (the drill fires after ~7 s)


def test_kill_9_leaves_a_rule_that_ends_by_itself_and_cleanup_removes_only_drill_files(
        make_lab: Callable[..., Lab]) -> None:
    """No cleanup runs after SIGKILL: the rule file stays, but its deadline (now + --timeout) ends the alert
    in Prometheus and so in Alertmanager; `page-test --cleanup` then removes it, and nothing else."""
    lab = make_lab()
    (lab.rules / "team.rules.yml").write_text("groups: []\n")  # an SRE's own file: never touched
    proc = subprocess.Popen(lab.args("--timeout", KILL_TIMEOUT), cwd=lab.work, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = Lines(proc)
        lines.wait_for(f"Alertmanager holds it (active) and routed it to {RECEIVER}")
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    test_id = re.search(r"page-test (pt-[\w-]+): drill alert", lines.rest())
    assert test_id, lines.rest()
    [left] = [p for p in lab.rules.iterdir() if p.name.startswith(PREFIX)]
    end = cleanup.deadline(left)
    assert end is not None and end > time.time()
    am = AlertmanagerAPI(lab.alertmanager_url)
    assert am.held("test_id", test_id[1]) is not None, "the drill vanished before its deadline"
    limit = end + 30  # Prometheus stops it at the deadline and sends the resolve at once
    while am.held("test_id", test_id[1]) is not None:
        assert time.time() < limit, "the drill alert did not resolve after its deadline"
        time.sleep(0.25)
    assert time.time() >= end - 1, "resolved before the deadline: something else ended it"
    done = subprocess.run([sys.executable, "-m", "generator", "page-test", "--cleanup", "--rules-dir", str(lab.rules),
                           "--prometheus-url", str(lab.prometheus_url)], cwd=lab.work, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {left}: its alert had ended by itself" in done.stdout
    assert lab.leftovers() == ["team.rules.yml"]
    with urllib.request.urlopen(f"{lab.prometheus_url}/api/v1/rules") as r:
        assert PREFIX.encode() not in r.read()


def test_two_drills_of_one_service_at_once_do_not_step_on_each_other(make_lab: Callable[..., Lab]) -> None:
    """Distinct test_ids, rule files and rule groups: each drill's alert fires, reaches PagerDuty as its own
    incident and resolves, and each removes only its own file. They reload Prometheus one at a time (one
    waits for the other's alert to reach Alertmanager: a reload in between would drop that notification
    and cost it a minute's resend delay). Alertmanager 0.25 counts PagerDuty requests per integration, so
    without a REST token a drill cannot tell its delivery from the other's: it says so."""
    lab = make_lab()
    procs = [subprocess.Popen(lab.args(), cwd=lab.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        results = [p.communicate(timeout=RUN_TIMEOUT_S * 2) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    done = [subprocess.CompletedProcess(p.args, p.returncode, out, err) for p, (out, err) in zip(procs, results,
                                                                                                strict=True)]
    for proc in done:
        print(proc.stdout, proc.stderr)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [run_id(proc) for proc in done]
    assert len(set(ids)) == 2
    assert any("another page-test is reloading Prometheus" in proc.stdout for proc in done)
    assert all(took < NO_RESEND_S for took in (float(verdict(p).rsplit("(", 1)[1].split(" s,")[0]) for p in done))
    assert any(f"another drill is in Alertmanager too ({other})" in proc.stdout
               for proc, other in zip(done, reversed(ids), strict=True))
    end = time.monotonic() + 10  # a resolve the other drill's counters answered for may still be on its way
    while any(len(lab.pagerduty.events_for(t)) < 2 for t in ids) and time.monotonic() < end:
        time.sleep(0.2)
    for test_id in ids:
        assert_paged_and_resolved(lab, test_id)
    assert lab.leftovers() == []
