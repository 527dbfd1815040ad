"""One page drill, step by step: raise the drill alert, watch it reach PagerDuty, resolve it, clean up.

Each step waits for evidence from the servers themselves (Prometheus's and Alertmanager's APIs,
Alertmanager's PagerDuty counters, PagerDuty's REST API) and prints it as it arrives, so an
on-call engineer sees where the path breaks. Cleanup runs whatever happened (errors, the timeout,
SIGINT/SIGTERM): a drill that may have reached Alertmanager is resolved first, then its rule file
is removed; a second Ctrl-C skips the resolve. Exit 0 only when trigger and resolve were confirmed.

Timing facts (Prometheus 2.42, Alertmanager 0.25) shape the steps: after every reload Prometheus's
notifier has no Alertmanager for up to 5 s (its discovery sends updates every 5 s) and drops what it
sends meanwhile, re-sending only after --rules.alert.resend-delay (1m by default). So the rule fires
after `for: 6s`, and the resolve is a rewrite of the rule ending RELOAD_SETTLE_S after the reload,
not at once; removing a firing rule would send no resolve at all. Another drill's reload would open
the same gap under this drill's notification, so drills sharing a rules directory reload one at a
time (reloadlock.py).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO, TypeVar

from generator import durations
from generator.drill import DrillAlert
from generator.pagetest import rulefile
from generator.pagetest.alertmanager import Alertmanager, Counters, HeldAlert
from generator.pagetest.httpjson import ServerError
from generator.pagetest.pagerduty import Incident, PagerDutyAPI
from generator.pagetest.prometheus import Prometheus
from generator.pagetest.reloadlock import ReloadLock
from generator.routing import TEST_ID, TEST_LABEL

EXIT_PASSED, EXIT_FAILED = 0, 1
POLL_S = 0.25
RELOAD_SETTLE_S = 6.0   # the resolve deadline after a reload: past Prometheus's 5 s notifier gap
LOAD_GRACE_S = 5.0      # /-/reload returns once rules are loaded; allow a little for slow servers
CLEANUP_WAIT_S = 20.0   # how long cleanup waits for a firing drill to resolve before removing it
CLOCK_SKEW_S = 2.0

T = TypeVar("T")


class Failed(Exception):
    """A step found the paging path broken; str() is the verdict's reason."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM; a BaseException so no step's `except Exception` can swallow it."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


@dataclass(frozen=True)
class Plan:
    service: str
    receiver: str                    # the team's PagerDuty receiver: where the drill must be routed
    drill: DrillAlert
    test_id: str
    alertmanager: Alertmanager
    timeout_s: int
    prometheus: Prometheus | None    # None: --direct
    rules_dir: Path | None
    pagerduty: PagerDutyAPI | None   # None: no REST confirmation


class Reporter:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def step(self, text: str) -> None:
        self.out.write(f"[{self.elapsed():6.1f}s] {text}\n")
        self.out.flush()

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class Signals:
    """SIGINT/SIGTERM raise Interrupted, except inside critical() (file writes) or once closing."""

    def __init__(self) -> None:
        self.received = 0
        self.last = ""
        self._hold = 0
        self._old: dict[int, object] = {}

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        self.last = signal.Signals(signum).name
        if not self._hold:
            raise Interrupted(self.last)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Let the block finish; a signal that came meanwhile is raised after it."""
        before = self.received
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1
        if self.received > before and not self._hold:
            raise Interrupted(self.last)

    def close(self) -> None:
        """From now on signals are only counted: the last cleanup steps are short and must finish."""
        self._hold += 1


class PageTest:
    def __init__(self, plan: Plan, out: TextIO = sys.stdout) -> None:
        self.plan = plan
        self.report = Reporter(out)
        self.signals = Signals()
        self.deadline = self.report.start + plan.timeout_s
        self.rule = rulefile.path(plan.rules_dir, plan.test_id) if plan.rules_dir else None
        self.lock = ReloadLock(plan.rules_dir) if plan.rules_dir else None  # one drill's reload at a time
        self.written = False    # the rule file exists
        self.loaded = False     # Prometheus reloaded since it was written: it may evaluate the rule
        self.posted_at = 0.0    # --direct: when the drill was posted to Alertmanager
        self.ends_at = 0.0      # when the drill alert ends by itself
        self.resolved = False   # the resolve was confirmed
        self.skew = 0.0         # Prometheus's clock minus ours
        self.others: set[str] = set()  # other drills seen in Alertmanager: their notifications share our counters

    # -- the whole run -----------------------------------------------------------------------
    def run(self) -> int:
        with self.signals:
            failure: str | None = "did not finish"
            try:
                failure = self._attempt()
            except Interrupted as exc:
                failure = self._interrupted(exc)
            finally:
                problems = self._cleanup()
            return self._verdict(failure, problems)

    def _attempt(self) -> str | None:
        try:
            self._preflight()
            if self.plan.prometheus is None:
                self._direct()
            else:
                self._through_prometheus(self.plan.prometheus)
            return None
        except (Failed, ServerError) as exc:
            self.report.step("this step failed (the verdict below says why); cleaning up")
            return str(exc)
        except Interrupted as exc:
            return self._interrupted(exc)

    def _interrupted(self, exc: Interrupted) -> str:
        self.report.step(f"{exc.signame}: cleaning up (interrupt again to skip resolving the drill first)")
        return f"interrupted by {exc.signame} before the resolve was confirmed"

    def _verdict(self, failure: str | None, problems: list[str]) -> int:
        p = self.plan
        if failure is None and not problems:
            self.report.line(f"page-test: PASSED: the drill of {p.service} reached {p.receiver} and resolved "
                             f"({self.report.elapsed():.1f} s, test_id {p.test_id})")
            return EXIT_PASSED
        reasons = ([failure] if failure else []) + [f"cleanup: {x}" for x in problems]
        self.report.line(f"page-test: FAILED: {'; '.join(reasons)} (test_id {p.test_id})")
        return EXIT_FAILED

    # -- steps -----------------------------------------------------------------------------------
    def _preflight(self) -> None:
        p, step = self.plan, self.report.step
        labels = ",".join(f'{k}="{v}"' for k, v in p.drill.labels.items())
        step(f"page-test {p.test_id}: drill alert {p.drill.name}{{{labels}}}; it must reach {p.receiver}")
        if p.prometheus is not None:
            version = p.prometheus.version()
            self.skew = p.prometheus.time() - time.time()
            step(f"Prometheus {p.prometheus.url} is up ({version})")
            if abs(self.skew) > CLOCK_SKEW_S:
                step(f"Prometheus's clock is {self.skew:+.1f} s from ours; the rule's deadlines follow its clock")
        version, receivers = p.alertmanager.status()
        if p.receiver not in receivers:
            raise Failed(f"Alertmanager {p.alertmanager.url} has no receiver {p.receiver!r} (it has "
                         f"{', '.join(receivers) or 'none'}): deploy the config `obsgen build` wrote to "
                         "out/alertmanager/alertmanager.yml")
        step(f"Alertmanager {p.alertmanager.url} is up ({version}) and has receiver {p.receiver}")
        if p.pagerduty is not None:
            p.pagerduty.check()
            step(f"PagerDuty's REST API {p.pagerduty.url} accepts the token")

    def _through_prometheus(self, prom: Prometheus) -> None:
        p, step = self.plan, self.report.step
        before = p.alertmanager.counters(p.receiver)
        self._quiet()  # from the reload until Alertmanager holds the alert: no other drill reloads
        self._write(self._prom_now() + p.timeout_s)
        step(f"wrote {self.rule}: the alert ends by itself at {rulefile.utc(self.ends_at)} even if page-test "
             "is killed")
        self._reload(prom)
        self._await_group(prom)
        self._await_firing(prom)
        self._await_routed()
        self._unquiet()
        self._await_delivery(before, "the page")
        incident = self._await_incident() if p.pagerduty else None
        after = p.alertmanager.counters(p.receiver)
        self._quiet()  # from the reload until Alertmanager has the resolve
        self._write(self._prom_now() + RELOAD_SETTLE_S)
        step(f"trigger confirmed; rewrote the rule to end at {rulefile.utc(self.ends_at)}, {RELOAD_SETTLE_S:g} s "
             "from now: Prometheus drops notifications in the first seconds after a reload")
        self._reload(prom)
        reloaded = time.monotonic()
        self._await("Prometheus to find its Alertmanagers again after the reload",
                    lambda: True if prom.alertmanagers() else None)
        gap = time.monotonic() - reloaded
        if gap >= RELOAD_SETTLE_S:
            step(f"Prometheus had no Alertmanager for {gap:.1f} s after the reload, longer than usual: the resolve "
                 "may be dropped and re-sent only after its --rules.alert.resend-delay (default 1m)")
        self._await("Prometheus to resolve the drill alert",
                    lambda: True if prom.alert_state(TEST_ID, p.test_id) is None else None)
        step("Prometheus resolved the drill alert")
        self._await_left_alertmanager()
        self._unquiet()
        self._await_delivery(after, "the resolve")
        if incident is not None:
            self._await_incident_resolved(incident)
        self.resolved = True

    def _direct(self) -> None:
        p, step, am = self.plan, self.report.step, self.plan.alertmanager
        step("--direct: Prometheus is left out; the drill alert is posted to Alertmanager")
        before = am.counters(self.plan.receiver)
        start = time.time()
        with self.signals.critical():
            am.post(p.drill.labels, p.drill.annotations, start, start + p.timeout_s)
            self.posted_at, self.ends_at = start, start + p.timeout_s
        step(f"posted the drill alert to Alertmanager; it ends by itself at {rulefile.utc(self.ends_at)} even if "
             "page-test is killed")
        self._await_routed()
        self._await_delivery(before, "the page")
        incident = self._await_incident() if p.pagerduty else None
        after = am.counters(self.plan.receiver)
        self._post_resolve()
        step("trigger confirmed; posted the drill alert again with endsAt=now to resolve it")
        self._await_left_alertmanager()
        self._await_delivery(after, "the resolve")
        if incident is not None:
            self._await_incident_resolved(incident)
        self.resolved = True

    def _post_resolve(self) -> None:
        p = self.plan
        with self.signals.critical():
            self.ends_at = time.time()
            p.alertmanager.post(p.drill.labels, p.drill.annotations, self.posted_at, self.ends_at)

    def _quiet(self, until: float | None = None) -> bool:
        """Hold the reload lock (see reloadlock.py); waiting counts against the run's deadline, or `until`."""
        if self.lock is None:
            return True
        end = self.deadline if until is None else until
        rules_dir = self.lock.path

        def waiting() -> None:
            self.report.step(f"another page-test is reloading Prometheus from {rules_dir}: waiting until its drill "
                             "has reached Alertmanager (one reload at a time, or one drill's notification is lost)")

        got = self.lock.acquire(end, waiting)
        if not got and until is None:
            raise Failed(f"timed out after {durations.fmt(self.plan.timeout_s)} waiting for another page-test's "
                         f"reload (it holds the lock on {self.lock.path})")
        return got

    def _unquiet(self) -> None:
        if self.lock is not None:
            self.lock.release()

    def _prom_now(self) -> float:
        return time.time() + self.skew

    def _write(self, deadline: float) -> None:
        assert self.rule is not None
        p = self.plan
        try:
            with self.signals.critical():
                rulefile.write(self.rule, rulefile.render(p.drill, p.test_id, deadline))
                self.written = True
                self.ends_at = deadline
        except OSError as exc:
            raise Failed(f"cannot write {self.rule}: {exc.strerror or exc}") from None

    def _reload(self, prom: Prometheus) -> None:
        prom.reload()
        self.loaded = self.written
        self.report.step("Prometheus reloaded its rules")

    def _await(self, what: str, check: Callable[[], T | None], *, limit: float | None = None,
               hint: Callable[[], str] | None = None) -> T:
        """Poll check until it returns something; Failed when limit (default: the run's deadline) passes."""
        end = self.deadline if limit is None else limit
        while True:
            result = check()
            if result is not None:
                return result
            left = end - time.monotonic()
            if left <= 0:
                extra = hint() if hint else ""
                if end >= self.deadline:
                    raise Failed(f"timed out after {durations.fmt(self.plan.timeout_s)} waiting for {what}{extra}")
                raise Failed(f"gave up waiting for {what}{extra}")
            time.sleep(min(POLL_S, left))

    def _await_group(self, prom: Prometheus) -> None:
        assert self.rule is not None
        name, rule = rulefile.group_name(self.plan.test_id), self.rule

        def not_loaded() -> str:
            files = ", ".join(prom.rule_files()) or "none"
            return (f": Prometheus did not load {rule.name} after the reload; its rule_files are {files}, and "
                    "--rules-dir must be a directory they cover (as Prometheus sees it)")

        limit = min(self.deadline, time.monotonic() + LOAD_GRACE_S)
        group = self._await("the drill rule group", lambda: prom.rule_group(name), limit=limit, hint=not_loaded)
        group = self._await("the drill rule's first evaluation",
                            lambda: g if (g := prom.rule_group(name)) and g.health != "unknown" else None)
        if group.health != "ok":
            raise Failed(f"Prometheus cannot evaluate the drill rule: {group.last_error or group.health}")
        self.report.step(f"Prometheus loaded rule group {name} from {group.file} (health ok)")

    def _await_firing(self, prom: Prometheus) -> None:
        seen: set[str] = set()

        def firing() -> bool | None:
            state = prom.alert_state(TEST_ID, self.plan.test_id)
            if state == "pending" and state not in seen:
                seen.add(state)
                self.report.step(f"the drill alert is pending in Prometheus (for: {rulefile.FOR})")
            return True if state == "firing" else None

        self._await("Prometheus to fire the drill alert", firing)
        self.report.step("the drill alert is firing in Prometheus")

    def _await_routed(self) -> HeldAlert:
        p = self.plan

        def routed() -> HeldAlert | None:
            held = p.alertmanager.held(TEST_ID, p.test_id)
            if held is None or held.state == "unprocessed":
                return None
            if held.silenced_by:
                raise Failed(f"Alertmanager holds the drill but silence {', '.join(held.silenced_by)} suppresses "
                             f"it: real pages of {p.service} would be silenced too")
            if held.inhibited_by:
                raise Failed(f"Alertmanager holds the drill but alert {', '.join(held.inhibited_by)} inhibits it: "
                             "the deployed inhibit_rules are not the generated ones")
            if p.receiver not in held.receivers:
                raise Failed(f"Alertmanager routed the drill to {', '.join(held.receivers) or 'no receiver'}, not "
                             f"{p.receiver}: the deployed routes are not the ones `obsgen build` generated")
            return held

        def where_sent() -> str:
            if p.prometheus is None:
                return ""
            try:
                targets = p.prometheus.alertmanagers()
            except ServerError:
                return ""
            if not targets:
                return " (Prometheus lists no Alertmanager to send to: check alerting.alertmanagers in its config)"
            return f" (Prometheus sends alerts to {', '.join(targets)})"

        held = self._await("Alertmanager to hold the drill alert", routed, hint=where_sent)
        self.report.step(f"Alertmanager holds it ({held.state}) and routed it to {p.receiver}")
        return held

    def _await_delivery(self, before: Counters, what: str) -> None:
        am = self.plan.alertmanager

        seen: list[int] = []
        self._note_other_drills()

        def delivered() -> int | None:
            ok, failed = am.counters(self.plan.receiver).since(before)
            if failed > 0:
                raise Failed(f"Alertmanager failed to deliver {what} to PagerDuty ({failed} failed request(s) of "
                             "its pagerduty integration): its log says why (look for 'Notify attempt failed'); "
                             "check the routing key file and that Alertmanager reaches the PagerDuty events URL")
            seen.append(ok)
            # twice in a row: the total and the failed counter are raised one after the other
            return ok if ok > 0 and len(seen) > 1 and seen[-2] > 0 else None

        ok = self._await(f"Alertmanager to deliver {what} to PagerDuty", delivered,
                         hint=lambda: " (the page route's group_wait and group_interval decide when it is sent)")
        self.report.step(f"Alertmanager delivered {what} to PagerDuty (pagerduty requests: +{ok} accepted, "
                         "+0 failed)")

    def _note_other_drills(self) -> None:
        """Another page-test's drill in the same Alertmanager raises the same per-integration counters, so
        a delivery seen there may be the other drill's: say so once, unless the REST check names ours."""
        p = self.plan
        new = p.alertmanager.drills(TEST_LABEL, "true", TEST_ID) - {p.test_id, ""} - self.others
        if not new:
            return
        first = not self.others
        self.others |= new
        if first and p.pagerduty is None:
            self.report.step(f"another drill is in Alertmanager too ({', '.join(sorted(new))}): Alertmanager counts "
                             "PagerDuty requests per integration only, so a delivery seen now may be the other "
                             "drill's; --pagerduty-token-file makes page-test confirm its own incident")

    def _await_left_alertmanager(self) -> None:
        p = self.plan
        self._await("Alertmanager to mark the drill alert resolved",
                    lambda: True if p.alertmanager.held(TEST_ID, p.test_id) is None else None)
        self.report.step("Alertmanager marked the drill alert resolved")

    def _await_incident(self) -> Incident:
        pd = self.plan.pagerduty
        assert pd is not None
        incident = self._await(f"PagerDuty to open an incident titled with {self.plan.test_id}",
                               lambda: pd.open_incident(self.plan.test_id))
        self.report.step(f"PagerDuty incident #{incident.number} ({incident.id}) is {incident.status}: "
                         f"{incident.title}")
        return incident

    def _await_incident_resolved(self, incident: Incident) -> None:
        pd = self.plan.pagerduty
        assert pd is not None
        self._await(f"PagerDuty to resolve incident #{incident.number}",
                    lambda: True if pd.incident(incident.id).status == "resolved" else None)
        self.report.step(f"PagerDuty incident #{incident.number} ({incident.id}) is resolved")

    # -- cleanup ---------------------------------------------------------------------------------
    def _cleanup(self) -> list[str]:
        """Problems that leave something behind (each one line); resolving first is best effort."""
        if not self.resolved:
            try:
                self._resolve_for_cleanup()
            except Interrupted:
                self.report.step("interrupted again: removing the drill without waiting for its resolve")
            except (Failed, ServerError) as exc:
                self.report.step(f"could not resolve the drill alert first: {exc}")
        self.signals.close()
        problems: list[str] = []
        try:
            if self.written:
                assert self.rule is not None
                try:
                    self.rule.unlink(missing_ok=True)
                    self.written = False
                    self.report.step(f"removed {self.rule}")
                except OSError as exc:
                    problems.append(f"could not remove {self.rule} ({exc.strerror or exc}): delete it by hand")
                if self.loaded and self.plan.prometheus is not None:
                    self._quiet(until=time.monotonic() + CLEANUP_WAIT_S)  # then reload anyway: cleanup must end
                    try:
                        self.plan.prometheus.reload()
                        self.report.step("Prometheus reloaded its rules: the drill rule is gone")
                    except ServerError as exc:
                        problems.append(f"{exc}; the drill rule stays loaded (ending at "
                                        f"{rulefile.utc(self.ends_at)}) until Prometheus next reloads")
        finally:
            self._unquiet()
        if not self.resolved and (self.loaded or self.posted_at):
            self._report_leftover()
        return problems

    def _resolve_for_cleanup(self) -> None:
        p, step = self.plan, self.report.step
        limit = time.monotonic() + CLEANUP_WAIT_S
        if p.prometheus is None:
            if self.posted_at:
                self._post_resolve()
                step("resolved the drill alert in Alertmanager (posted it with endsAt=now)")
            return
        if not self.loaded:
            return
        prom = p.prometheus
        if prom.alert_state(TEST_ID, p.test_id) != "firing" and not self._may_be_held():
            return  # Prometheus never sent it: a pending alert is not notified, removing the rule is enough
        self._quiet(until=limit)  # held already when a step failed inside its window
        self._write(self._prom_now() + RELOAD_SETTLE_S)
        step(f"resolving the drill alert before removing its rule (it ends at {rulefile.utc(self.ends_at)})")
        prom.reload()
        self._await("the drill alert to resolve", lambda: True if prom.alert_state(TEST_ID, p.test_id) is None
                    and p.alertmanager.held(TEST_ID, p.test_id) is None else None, limit=limit)
        step("Prometheus and Alertmanager resolved the drill alert; PagerDuty gets the resolve at the page "
             "route's next group_interval")

    def _may_be_held(self) -> bool:
        try:
            return self.plan.alertmanager.held(TEST_ID, self.plan.test_id) is not None
        except ServerError:
            return True

    def _report_leftover(self) -> None:
        try:
            held = self.plan.alertmanager.held(TEST_ID, self.plan.test_id)
        except ServerError:
            return
        if held is not None:
            self.report.step(f"Alertmanager still holds the drill alert {self.plan.test_id}; it expires by itself "
                             "(Prometheus sent it with an endsAt a few resend delays ahead) and PagerDuty then gets "
                             "the resolve")
