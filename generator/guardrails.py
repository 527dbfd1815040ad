"""The guardrail declarations: endpoints to probe, and the monitoring pipeline's own health and cost.

The production-readiness runbook asked for one-off checks (curl for the HSTS header, openssl
for the certificate's end date, "is Prometheus evaluating its rules", "is the TSDB growing").
Declared here, beside the SLOs, they become blackbox modules, a scrape job, Probe objects and
alert rules that run all the time. One `Guardrails` per installation, because the blackbox
config, the scrape job and the pipeline alerts exist once; its `service` owns the tickets of
the Prometheus/Alertmanager pipeline (its team's routes deliver them).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from generator import durations, promql
from generator.errors import SpecError
from generator.model import NAME, Service
from generator.routing import Alertmanager
from generator.sli import ProbeSLI

RULES_NAME = "obsgen-guardrails"  # the rule file out/prometheus/rules/<RULES_NAME>.rules.yml
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_SCRAPE_INTERVAL = 30  # probe SLIs read a 1m base rate: two samples a minute at least


def _duration(value: object, where: str) -> int:
    try:
        return durations.parse(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise SpecError(str(exc), field=where) from None


def _positive(value: object, where: str, *, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise SpecError(f"{value!r} must be a positive {'integer' if integer else 'number'}", field=where)


def _job(value: object, where: str) -> None:
    if not isinstance(value, str) or not NAME.match(value):
        raise SpecError(f"{value!r} must be a job name: letters, digits, '_', '.' or '-'", field=where)


@dataclass(frozen=True)
class Probe:
    """An HTTPS endpoint the blackbox exporter probes for a 2xx over TLS (and reports its
    certificate's expiry); `hsts` also requires a Strict-Transport-Security header, `redirect`
    also probes http://<same host and path> for a 301/308 to https://."""

    url: str
    hsts: bool = False
    redirect: bool = False
    service: str | None = None  # whose team gets the tickets; None: the Guardrails' service

    @property
    def redirect_url(self) -> str:
        return "http" + self.url.removeprefix("https")

    def validate(self, where: str) -> None:
        if not isinstance(self.url, str):
            raise SpecError("must be an https:// URL", field=f"{where}.url")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme != "https" or not parts.hostname:
            raise SpecError(f"{self.url!r} must be an https:// URL (plain HTTP is probed only as the redirect "
                            "of an https Probe)", field=f"{where}.url")
        if parts.username or parts.password:
            raise SpecError("must not carry credentials: the URL is written to out/", field=f"{where}.url")
        for attr in ("hsts", "redirect"):
            if not isinstance(getattr(self, attr), bool):
                raise SpecError("must be true or false", field=f"{where}.{attr}")
        if self.redirect and parts.port is not None:
            raise SpecError(f"{self.url!r} names a port, so the plain-HTTP port to expect the redirect on is "
                            "unknown; probe the redirect of the default ports only", field=f"{where}.redirect")
        if self.service is not None and (not isinstance(self.service, str) or not NAME.match(self.service)):
            raise SpecError(f"{self.service!r} must be a service name", field=f"{where}.service")


@dataclass(frozen=True)
class Blackbox:
    """Where Prometheus reaches the blackbox exporter, and how the probes are scraped.

    `job` must be the job the probe SLIs select (`probe_success{job="blackbox",...}`)."""

    exporter: str = "blackbox-exporter:9115"
    job: str = "blackbox"
    interval: str = "15s"
    timeout: str = "10s"
    namespace: str = "monitoring"  # of the prometheus-operator Probe objects
    certificate_ticket: str = "21d"  # ticket when the earliest certificate expires sooner than this
    certificate_page: str = "7d"

    def validate(self, where: str) -> None:
        if not isinstance(self.exporter, str) or not _HOST_PORT.match(self.exporter):
            raise SpecError(f"{self.exporter!r} must be host:port", field=f"{where}.exporter")
        _job(self.job, f"{where}.job")
        interval = _duration(self.interval, f"{where}.interval")
        timeout = _duration(self.timeout, f"{where}.timeout")
        if interval > MAX_SCRAPE_INTERVAL:
            raise SpecError(f"must be at most {MAX_SCRAPE_INTERVAL}s: probe SLIs read a 1m rate, which needs "
                            "two samples a minute", field=f"{where}.interval")
        if timeout > interval:
            raise SpecError(f"must not exceed the interval {self.interval}", field=f"{where}.timeout")
        if not isinstance(self.namespace, str) or not _K8S_NAME.match(self.namespace):
            raise SpecError(f"{self.namespace!r} is not a Kubernetes namespace name", field=f"{where}.namespace")
        ticket = _duration(self.certificate_ticket, f"{where}.certificate_ticket")
        page = _duration(self.certificate_page, f"{where}.certificate_page")
        if page >= ticket:
            raise SpecError(f"must be shorter than certificate_ticket ({self.certificate_ticket}): the ticket "
                            "is the early warning", field=f"{where}.certificate_page")


@dataclass(frozen=True)
class TSDBGrowth:
    """Prometheus's own cost: head series or on-disk block bytes up by more than `*_percent`
    against `over` ago (a cardinality explosion, or retention that no longer keeps up)."""

    head_series_percent: float = 20
    storage_percent: float = 10
    over: str = "1d"

    def validate(self, where: str) -> None:
        _positive(self.head_series_percent, f"{where}.head_series_percent")
        _positive(self.storage_percent, f"{where}.storage_percent")
        _duration(self.over, f"{where}.over")


@dataclass(frozen=True)
class CardinalityBudget:
    """Series one scrape job may expose (summed over its targets, after metric relabelling) and,
    optionally, new series it may create per hour (churn). `job=None` is the budget of every job
    without its own."""

    series: int
    new_series_per_hour: int | None = None
    job: str | None = None

    def validate(self, where: str) -> None:
        _positive(self.series, f"{where}.series", integer=True)
        if self.new_series_per_hour is not None:
            _positive(self.new_series_per_hour, f"{where}.new_series_per_hour", integer=True)
        if self.job is not None:
            _job(self.job, f"{where}.job")


@dataclass(frozen=True)
class Guardrails:
    """The installation's guardrails (one, like the Alertmanager declaration)."""

    service: Service | str
    probes: Sequence[Probe] = ()
    blackbox: Blackbox = field(default_factory=Blackbox)
    tsdb: TSDBGrowth = field(default_factory=TSDBGrowth)
    cardinality: Sequence[CardinalityBudget] = ()
    prometheus_job: str = "prometheus"
    alertmanager_job: str = "alertmanager"
    runbook_url: str = ""  # default: the owning service's runbook
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.service, Service):
            object.__setattr__(self, "service", self.service.name)
        for attr in ("probes", "cardinality"):
            if isinstance(getattr(self, attr), list):
                object.__setattr__(self, attr, tuple(getattr(self, attr)))

    @property
    def owner(self) -> str:
        assert isinstance(self.service, str)  # __post_init__
        return self.service

    def probe_service(self, probe: Probe) -> str:
        return probe.service or self.owner

    def validate(self, services: Sequence[Service], alertmanager: Alertmanager | None = None) -> None:
        declared = {s.name: s for s in services}
        if not isinstance(self.service, str) or self.service not in declared:
            raise SpecError(f"{self.service!r} must be a service declared in slo/: its team gets the "
                            "pipeline's tickets", field="service")
        if RULES_NAME in declared:
            raise SpecError(f"a service named {RULES_NAME!r} would share the guardrails' rule file",
                            field="service")
        for attr in ("prometheus_job", "alertmanager_job"):
            _job(getattr(self, attr), attr)
        if not isinstance(self.runbook_url, str):
            raise SpecError("must be a string", field="runbook_url")
        for attr, kind in (("blackbox", Blackbox), ("tsdb", TSDBGrowth)):
            if not isinstance(getattr(self, attr), kind):
                raise SpecError(f"must be a {kind.__name__}", field=attr)
            getattr(self, attr).validate(attr)
        self._validate_probes(declared)
        self._validate_cardinality()
        self._validate_probe_slis(services)
        if alertmanager is not None:
            self._validate_routing(alertmanager)

    def _validate_probes(self, declared: dict[str, Service]) -> None:
        if not isinstance(self.probes, tuple):
            raise SpecError("must be a list of Probe", field="probes")
        seen: set[str] = set()
        for i, probe in enumerate(self.probes):
            where = f"probes[{i}]"
            if not isinstance(probe, Probe):
                raise SpecError("must be a Probe", field=where)
            probe.validate(where)
            if probe.url in seen:
                raise SpecError(f"{probe.url!r} is probed twice; one Probe per URL", field=f"{where}.url")
            seen.add(probe.url)
            if self.probe_service(probe) not in declared:
                raise SpecError(f"{self.probe_service(probe)!r} is not a service declared in slo/",
                                field=f"{where}.service")

    def _validate_cardinality(self) -> None:
        if not isinstance(self.cardinality, tuple):
            raise SpecError("must be a list of CardinalityBudget", field="cardinality")
        jobs: set[str | None] = set()
        for i, budget in enumerate(self.cardinality):
            where = f"cardinality[{i}]"
            if not isinstance(budget, CardinalityBudget):
                raise SpecError("must be a CardinalityBudget", field=where)
            budget.validate(where)
            if budget.job in jobs:
                what = f"job {budget.job!r}" if budget.job else "the default (job=None)"
                raise SpecError(f"{what} has a second budget", field=f"{where}.job")
            jobs.add(budget.job)

    def _validate_probe_slis(self, services: Sequence[Service]) -> None:
        """A probe SLI on our job must read a URL we probe with the plain module: unprobed, its SLO
        would be blind (SLIDataAbsent forever); probed for HSTS, a header regression would burn
        availability budget and page as an outage."""
        by_url = {p.url: p for p in self.probes}
        for svc in services:
            for slo in svc.slos:
                url = probed_url(slo.sli, self.blackbox.job)
                if url is None:
                    continue
                probe = by_url.get(url)
                if probe is None:
                    raise SpecError(f"SLO {svc.name}/{slo.name} reads probe_success of {url!r}, which no Probe "
                                    f"declares (add *slo_probes({svc.name!r}) or Probe({url!r}))", field="probes")
                if probe.hsts:
                    raise SpecError(f"{url!r} is read by SLO {svc.name}/{slo.name}: probe its HSTS header on "
                                    "another URL, or a missing header would count as an outage",
                                    field=f"probes[{self.probes.index(probe)}].hsts")

    def _validate_routing(self, am: Alertmanager) -> None:
        """Teams are the Alertmanager's own check (every declared service has one), so the tickets
        of the owner and of each probe's service have a route; the Watchdog needs its own."""
        if am.heartbeat is None:
            raise SpecError("the Watchdog needs a heartbeat receiver: declare Alertmanager(heartbeat=...) in "
                            "alerts/, or its silence would alarm nobody", field="service")


def probed_url(sli: object, job: str) -> str | None:
    """The URL a probe SLI reads when it selects our blackbox job and one instance exactly."""
    if not isinstance(sli, ProbeSLI):
        return None
    (sel,) = promql.selectors(sli.selector)
    matchers = {m.name: m for m in sel.matchers if m.op == "="}
    if "job" not in matchers or matchers["job"].value != job or "instance" not in matchers:
        return None
    return matchers["instance"].value


def slo_probes(service: Service, job: str = "blackbox") -> list[Probe]:
    """A plain Probe of every URL the service's probe SLIs read (so the SLO and its probe cannot drift)."""
    urls = [url for slo in service.slos if (url := probed_url(slo.sli, job)) is not None]
    return [Probe(url, service=service.name) for url in dict.fromkeys(urls)]
