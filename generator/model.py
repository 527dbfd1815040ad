"""The declaration model: Service -> SLOs -> SLI, alerting and tiers.

Every loader (Python, Sloth YAML) produces these objects and every renderer reads
only these, so a rule about what is valid lives here once. Objects are frozen:
renderers cannot change what another renderer will see.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from generator import durations, names
from generator.errors import SpecError
from generator.promql import LABEL_NAME
from generator.sli import SLI, LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI
from generator.tiers import DEFAULT_TIERS, ResolvedTier, Tier, resolve

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ALERT_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Labels obsgen sets itself (README, "Alerts": the label contract); declarations may not set them.
MIN_WINDOW = 300
RESERVED_LABELS = frozenset({"service", "slo", "severity", "window", "component"})


def _labels(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError("must be a mapping of label names to strings", field=where)
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not LABEL_NAME.match(k) or k.startswith("__"):
            raise SpecError(f"{k!r} is not a valid label name", field=f"{where}.{k}")
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise SpecError(f"value {v!r} must be a string", field=f"{where}.{k}")
        if "\0" in str(v):  # no command line (amtool's route tests) and few tools pass a NUL on
            raise SpecError("value contains a NUL character", field=f"{where}.{k}")
        out[k] = str(v)
    return out


def _normalise(obj: object, attrs: tuple[str, ...]) -> None:
    """Label values the SRE wrote as numbers become the strings Prometheus will see."""
    for attr in attrs:
        value = getattr(obj, attr)
        if isinstance(value, Mapping):
            object.__setattr__(obj, attr, {k: (v if isinstance(v, str) or isinstance(v, bool)
                                               or not isinstance(v, (int, float)) else str(v))
                                           for k, v in value.items()})


@dataclass(frozen=True)
class Alerting:
    name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    page_labels: Mapping[str, str] = field(default_factory=dict)
    page_annotations: Mapping[str, str] = field(default_factory=dict)
    ticket_labels: Mapping[str, str] = field(default_factory=dict)
    ticket_annotations: Mapping[str, str] = field(default_factory=dict)
    page: bool = True
    ticket: bool = True
    tiers: tuple[Tier, ...] | None = None
    for_: str | None = None
    # Prometheus >= 2.42: a burn alert stays firing this long after its condition stops, so a page
    # whose burn dips under the factor for a few evaluations does not resolve and re-page (flapping).
    # Tiers of one severity share one rule, so the value is per SLO, or per severity.
    keep_firing_for: str | None = None
    page_keep_firing_for: str | None = None
    ticket_keep_firing_for: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.tiers, list):
            object.__setattr__(self, "tiers", tuple(self.tiers))
        _normalise(self, ("labels", "annotations", "page_labels", "page_annotations", "ticket_labels",
                          "ticket_annotations"))

    def keep_s(self, severity: str) -> int:
        """Seconds a burn alert of this severity keeps firing after its condition stops (0: none)."""
        own = self.page_keep_firing_for if severity == "page" else self.ticket_keep_firing_for
        value = own if own is not None else self.keep_firing_for
        return durations.parse(value) if value else 0


@dataclass(frozen=True)
class SLO:
    name: str
    objective: float
    sli: SLI
    period: str = "30d"
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    alerting: Alerting = field(default_factory=Alerting)
    interval: str = "30s"
    scrape_interval: str | None = None  # of the SLI's series; None: the probe's, else the service's, else 1m

    def __post_init__(self) -> None:
        _normalise(self, ("labels",))

    # -- derived ---------------------------------------------------------------
    @property
    def budget(self) -> float:
        """Allowed error ratio; computed as (100 - objective) / 100 exactly like Sloth."""
        return (100 - self.objective) / 100

    @property
    def period_s(self) -> int:
        return durations.parse(self.period)

    @property
    def interval_s(self) -> int:
        return durations.parse(self.interval)

    @property
    def scrape_s(self) -> int:
        """How often the SLI's series are scraped; the rules are sized for it (names.base_window)."""
        declared = self.scrape_interval or getattr(self.sli, "scrape_interval", None)
        return durations.parse(declared or names.DEFAULT_SCRAPE_INTERVAL)

    @property
    def base_window_s(self) -> int:
        return names.base_window(self.scrape_s)

    @property
    def declared_tiers(self) -> tuple[ResolvedTier, ...]:
        """Every tier, alerting or not: their windows are recorded either way (dashboards read them)."""
        declared = self.alerting.tiers if self.alerting.tiers is not None else DEFAULT_TIERS
        return tuple(resolve(t, self.period_s) for t in declared)

    @property
    def tiers(self) -> tuple[ResolvedTier, ...]:
        """The tiers that alert (page/ticket switched off drop theirs)."""
        return tuple(t for t in self.declared_tiers
                     if (t.severity == "page" and self.alerting.page)
                     or (t.severity == "ticket" and self.alerting.ticket))

    @property
    def _alert_base(self) -> str:
        if self.alerting.name:
            return self.alerting.name
        camel = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", self.name) if p)
        return camel if camel[:1].isalpha() else "SLO" + camel

    @property
    def alert_name(self) -> str:
        """The burn-rate alert (page and ticket tiers share it; severity and window tell them apart)."""
        return self.alerting.name or self._alert_base + "ErrorBudgetBurn"

    @property
    def absent_alert_name(self) -> str:
        return self._alert_base + "SLIDataAbsent"

    @property
    def exhausted_alert_name(self) -> str:
        return self._alert_base + "ErrorBudgetExhausted"

    @property
    def windows(self) -> tuple[int, ...]:
        """Every window a tier reads, plus the period, shortest first."""
        ws = {self.period_s}
        for t in self.declared_tiers:
            ws.update(t.windows)
        return tuple(sorted(ws))

    def validate(self) -> None:
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise SpecError(f"{self.name!r} must be letters, digits, '_', '.' or '-'", field="name")
        obj = self.objective
        if isinstance(obj, bool) or not isinstance(obj, (int, float)) or not math.isfinite(obj) \
                or not 0 < obj < 100:
            raise SpecError(f"{obj!r} must be a number between 0 and 100 (exclusive)", field="objective")
        for fname, value in (("period", self.period), ("interval", self.interval)):
            try:
                durations.parse(value)
            except ValueError as exc:
                raise SpecError(str(exc), field=fname) from None
        if not 10 <= self.interval_s <= 60 or 60 % self.interval_s:
            # ranges are cut half an interval off the samples, which then never sit on promtool's
            # 1m/5m evaluation grid either (generator/render/rules.py)
            raise SpecError("must divide 1m (10s, 15s, 20s, 30s or 1m): the short windows are built from it",
                            field="interval")
        if self.scrape_interval is not None:
            try:
                durations.parse(self.scrape_interval)
            except ValueError as exc:
                raise SpecError(str(exc), field="scrape_interval") from None
        if not isinstance(self.description, str):
            raise SpecError("must be a string", field="description")
        if not isinstance(self.sli, (RatioSLI, RawRatioSLI, ProbeSLI, LatencySLI)):
            raise SpecError("must be RatioSLI, ProbeSLI, LatencySLI or RawRatioSLI", field="sli")
        self.sli.validate()
        if not names.MIN_SCRAPE_S <= self.scrape_s <= names.MAX_SCRAPE_S:
            where = "scrape_interval" if self.scrape_interval else "sli.scrape_interval"
            raise SpecError(f"{durations.fmt(self.scrape_s)} is outside the supported 10s..1m: declare 10s for a "
                            "faster scrape (rules sized for 10s hold for any shorter interval); a slower scrape "
                            "cannot feed 5m windows", field=where)
        for where, mapping in (("labels", self.labels), ("alerting.labels", self.alerting.labels),
                               ("alerting.page_labels", self.alerting.page_labels),
                               ("alerting.ticket_labels", self.alerting.ticket_labels)):
            checked = _labels(mapping, where)
            clash = sorted(RESERVED_LABELS & set(checked))
            if clash:
                raise SpecError(f"label {clash[0]!r} is set by obsgen (label contract)",
                                field=f"{where}.{clash[0]}")
        for where, mapping in (("alerting.annotations", self.alerting.annotations),
                               ("alerting.page_annotations", self.alerting.page_annotations),
                               ("alerting.ticket_annotations", self.alerting.ticket_annotations)):
            _labels(mapping, where)  # annotation keys follow label-name rules too
        for flag in ("page", "ticket"):
            if not isinstance(getattr(self.alerting, flag), bool):
                raise SpecError("must be true or false", field=f"alerting.{flag}")
        if self.alerting.name is not None and (not isinstance(self.alerting.name, str)
                                               or not ALERT_NAME.match(self.alerting.name)):
            raise SpecError(f"{self.alerting.name!r} is not a valid alert name", field="alerting.name")
        for fname, value in (("for", self.alerting.for_), ("keep_firing_for", self.alerting.keep_firing_for),
                             ("page_keep_firing_for", self.alerting.page_keep_firing_for),
                             ("ticket_keep_firing_for", self.alerting.ticket_keep_firing_for)):
            if value is None:
                continue
            try:
                durations.parse(value)
            except ValueError as exc:
                raise SpecError(str(exc), field=f"alerting.{fname}") from None
        if self.alerting.tiers is not None:
            if not isinstance(self.alerting.tiers, tuple) or not self.alerting.tiers:
                raise SpecError("must be a non-empty list of tiers", field="alerting.tiers")
            for i, tier in enumerate(self.alerting.tiers):
                if not isinstance(tier, Tier):
                    raise SpecError("must be a Tier", field=f"alerting.tiers[{i}]")
                tier.validate(f"alerting.tiers[{i}]")
        seen: set[tuple[str, int]] = set()
        for t in self.declared_tiers:
            if (t.severity, t.long_s) in seen:
                raise SpecError(f"declares two {t.severity} tiers over {t.long}: they would be one alert (its "
                                "window label is the long window)", field="alerting.tiers")
            seen.add((t.severity, t.long_s))
            if min(t.windows) < MIN_WINDOW:
                raise SpecError(f"windows must be at least {durations.fmt(MIN_WINDOW)}: shorter ones "
                                "are noise at the base rate's resolution", field="alerting.tiers")
            if t.long_s > self.period_s:
                raise SpecError(f"window {t.long} is longer than the period {self.period}",
                                field="alerting.tiers")


# A service's SLO dashboard has uid `<service>-slos` (names.overview_uid), and Grafana uids are at most
# 40 letters, digits, '-' and '_'.
SERVICE_NAME_MAX = 40 - len("-slos")
SERVICE_NAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{SERVICE_NAME_MAX - 1}}}$")
# Mimir tenant IDs: up to 150 of these characters (Grafana Mimir's "About tenant IDs").
TENANT_ID = re.compile(r"^[A-Za-z0-9!_.*'()-]{1,150}$")
PARTIAL_RESPONSE = ("abort", "warn")


@dataclass(frozen=True)
class Ruler:
    """How a distributed ruler (Grafana Mimir, Thanos) should run the service's groups.

    `source_tenants`: Mimir federated rule groups read these tenants' series (the group is
    stored in the tenant mimirtool loads it into). `partial_response`: Thanos' strategy when a
    store is unreachable; "abort" because a burn rate computed from part of the data can page
    or stay silent for the wrong reason.
    """

    source_tenants: tuple[str, ...] = ()
    partial_response: str = "abort"

    def __post_init__(self) -> None:
        if isinstance(self.source_tenants, list):
            object.__setattr__(self, "source_tenants", tuple(self.source_tenants))

    def validate(self) -> None:
        if not isinstance(self.source_tenants, tuple):
            raise SpecError("must be a tuple of tenant IDs", field="ruler.source_tenants")
        for tenant in self.source_tenants:
            if not isinstance(tenant, str) or not TENANT_ID.match(tenant) or tenant in (".", ".."):
                raise SpecError(f"{tenant!r} is not a Mimir tenant ID (up to 150 letters, digits and "
                                "!-_.*'())", field="ruler.source_tenants")
        if len(set(self.source_tenants)) != len(self.source_tenants):
            raise SpecError("names a tenant twice", field="ruler.source_tenants")
        if self.partial_response not in PARTIAL_RESPONSE:
            raise SpecError(f"{self.partial_response!r} must be abort or warn (Thanos' strategies)",
                            field="ruler.partial_response")


@dataclass(frozen=True)
class Service:
    name: str
    slos: tuple[SLO, ...]
    owner: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    runbook_url: str = ""
    budget_policy: str = ""  # what the team does when the budget is spent (the SLO doc quotes it)
    ruler: Ruler = field(default_factory=Ruler)
    source: str = ""  # repo-relative path of the declaration, for the "generated from" mark
    scrape_interval: str | None = None  # of the SLIs' series, for SLOs that do not say (default 1m)

    def __post_init__(self) -> None:
        if isinstance(self.slos, list):
            object.__setattr__(self, "slos", tuple(self.slos))
        if isinstance(self.scrape_interval, str):  # SLOs (and probes) that declare their own keep it
            object.__setattr__(self, "slos", tuple(
                dataclasses.replace(s, scrape_interval=self.scrape_interval)
                if isinstance(s, SLO) and s.scrape_interval is None
                and getattr(s.sli, "scrape_interval", None) is None else s
                for s in self.slos))
        _normalise(self, ("labels",))
        if isinstance(self.labels, Mapping):  # Prometheus has no empty label; here it has nothing to unset either
            object.__setattr__(self, "labels", {k: v for k, v in self.labels.items() if v != ""})

    def validate(self) -> None:
        if not isinstance(self.name, str) or not NAME.match(self.name):
            raise SpecError(f"{self.name!r} must be letters, digits, '_', '.' or '-'", field="service")
        if not SERVICE_NAME.match(self.name):  # Grafana would refuse the board, and links to it would break
            raise SpecError(f"{self.name!r} must be at most {SERVICE_NAME_MAX} letters, digits, '_' or '-': its SLO "
                            f"dashboard's uid ({self.name}-slos) is a Grafana uid", field="service")
        checked = _labels(self.labels, "labels")
        clash = sorted(RESERVED_LABELS & set(checked))
        if clash:
            raise SpecError(f"label {clash[0]!r} is set by obsgen (label contract)",
                            field=f"labels.{clash[0]}")
        for fname in ("owner", "runbook_url", "budget_policy"):
            if not isinstance(getattr(self, fname), str):
                raise SpecError("must be a string", field=fname)
        if self.scrape_interval is not None:
            try:
                durations.parse(self.scrape_interval)
            except ValueError as exc:
                raise SpecError(str(exc), field="scrape_interval") from None
        if not isinstance(self.ruler, Ruler):
            raise SpecError("must be a Ruler(...)", field="ruler")
        self.ruler.validate()
        if not self.slos:
            raise SpecError("declares no SLOs", field="slos")
        seen: set[str] = set()
        for slo in self.slos:
            if not isinstance(slo, SLO):
                raise SpecError("must hold SLO objects", field="slos")
            try:
                slo.validate()
            except SpecError as exc:
                raise exc.located(slo=str(slo.name)) from None
            if slo.name in seen:
                raise SpecError("is declared twice in this service", slo=slo.name, field="name")
            seen.add(slo.name)
