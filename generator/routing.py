"""The Alertmanager declarations (alerts/*.py): teams, their receivers, and timings.

Kept apart from the SLO model (kube-prometheus keeps config apart from rules): the
same SLOs can be routed differently per installation. Receivers take secrets only
as file paths (`*_file`, `credentials_file`), so a declaration cannot put a key in
out/; the dataclasses have no field that could hold one.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from generator import durations
from generator.errors import SpecError
from generator.model import NAME, Service
from generator.promql import LABEL_NAME

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
TEST_PAGE_ALERT = "TestPage"
# the always-firing alert whose arrival at the heartbeat receiver proves the pipeline works
WATCHDOG_ALERT, WATCHDOG_COMPONENT = "Watchdog", "watchdog"
# page-test's alerts carry these; routes group by TEST_ID so a drill is its own incident
TEST_LABEL, TEST_ID = "test", "test_id"
# the oldest Alertmanager the generated config must load on (Alertmanager(version=...)); what it allows
OLDEST_ALERTMANAGER = "0.25"
URL_FILE_SINCE = (0, 26)  # webhook_configs' url_file
# a URL path segment this long and mixed is a token, not a path (Slack/Discord-style hook URLs)
_SECRET_SEGMENT = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-]{20,}$")


@dataclass(frozen=True)
class Timing:
    """When Alertmanager notifies a group: first after group_wait, then changes every
    group_interval (resolves included), and again every repeat_interval while firing."""

    group_by: tuple[str, ...]
    group_wait: str
    group_interval: str
    repeat_interval: str

    def validate(self, where: str) -> None:
        if not isinstance(self.group_by, tuple) or not self.group_by:
            raise SpecError("must be a non-empty tuple of label names", field=f"{where}.group_by")
        for name in self.group_by:
            if not isinstance(name, str) or not LABEL_NAME.match(name):
                raise SpecError(f"{name!r} is not a label name", field=f"{where}.group_by")
        for attr in ("group_wait", "group_interval", "repeat_interval"):
            if attr == "group_wait" and self.group_wait == "0s":
                continue  # notify at once: the heartbeat's first beat should not wait
            try:
                durations.parse(getattr(self, attr))
            except (TypeError, ValueError) as exc:
                raise SpecError(str(exc), field=f"{where}.{attr}") from None


# Pages: one PagerDuty incident per service and SLO (test_id keeps a drill apart; real alerts
# have none, so it groups them as before). 30s batches the tiers that start together; 5m is how
# late a resolve or a newly firing tier reaches PagerDuty; PagerDuty dedups re-sends, so the 4h
# repeat only re-opens an incident resolved by hand while the budget still burns.
PAGE_TIMING = Timing(("alertname", "service", "slo", TEST_ID), "30s", "5m", "4h")
# Tickets: nobody is woken, so batch for 5m, update at most every 30m, remind daily.
TICKET_TIMING = Timing(("alertname", "service", "slo", "component"), "5m", "30m", "24h")
# Anything else (unknown services, severities we do not route): grouped per alert and service.
DEFAULT_TIMING = Timing(("alertname", "service"), "1m", "10m", "12h")
# The heartbeat: at once, then about every 1-2 minutes (Alertmanager re-sends at the first group_interval
# tick after repeat_interval), so a receiver's grace period of 5m tolerates a missed send.
HEARTBEAT_TIMING = Timing(("alertname",), "0s", "1m", "1m")


def _name(value: object, where: str) -> None:
    if not isinstance(value, str) or not NAME.match(value):
        raise SpecError(f"{value!r} must be letters, digits, '_', '.' or '-'", field=f"{where}.name")


def _file(value: object, where: str) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise SpecError("must be the path of a file holding the secret (mounted from a secret store)",
                        field=where)


def _url(value: object, where: str, *, secret_free: bool) -> None:
    if not isinstance(value, str):
        raise SpecError("must be a URL string", field=where)
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpecError(f"{value!r} is not an http(s) URL", field=where)
    if secret_free:
        # Name the field, never echo the URL: it may hold the very secret we refuse.
        if parts.username or parts.password:
            raise SpecError("must not carry credentials; use credentials_file", field=where)
        if parts.query or parts.fragment:
            raise SpecError("must not carry a query string (tokens belong in credentials_file)", field=where)
        if any(_SECRET_SEGMENT.match(seg) for seg in parts.path.split("/")):
            raise SpecError("has a token-like path segment; put the token in credentials_file, or the whole URL "
                            "in url_file (Alertmanager >= 0.26: declare Alertmanager(version=\"0.26\"))",
                            field=where)


@dataclass(frozen=True)
class PagerDuty:
    """A PagerDuty service, Events API v2. The routing key is read by Alertmanager from a file."""

    name: str
    routing_key_file: str
    url: str = PAGERDUTY_EVENTS_URL

    def validate(self, where: str) -> None:
        _name(self.name, where)
        _file(self.routing_key_file, f"{where}.routing_key_file")
        _url(self.url, f"{where}.url", secret_free=True)


@dataclass(frozen=True)
class Slack:
    """A Slack incoming webhook; its URL is the secret, so only api_url_file exists."""

    name: str
    api_url_file: str
    channel: str

    def validate(self, where: str) -> None:
        _name(self.name, where)
        _file(self.api_url_file, f"{where}.api_url_file")
        if not isinstance(self.channel, str) or not self.channel.strip():
            raise SpecError("must name a channel, e.g. '#team-tickets'", field=f"{where}.channel")


@dataclass(frozen=True)
class Webhook:
    """A ticketing webhook; a bearer token, if any, comes from credentials_file. A URL that is itself
    the secret (a token in its path or query) comes from url_file (Alertmanager >= 0.26)."""

    name: str
    url: str | None = None
    credentials_file: str | None = None
    url_file: str | None = None

    def validate(self, where: str) -> None:
        _name(self.name, where)
        if (self.url is None) == (self.url_file is None):
            raise SpecError("give exactly one of url and url_file", field=where)
        if self.url is not None:
            _url(self.url, f"{where}.url", secret_free=True)
        else:
            _file(self.url_file, f"{where}.url_file")
        if self.credentials_file is not None:
            _file(self.credentials_file, f"{where}.credentials_file")


@dataclass(frozen=True)
class Email:
    """Mail through an SMTP relay; the password, if any, comes from auth_password_file."""

    name: str
    to: str
    sender: str
    smarthost: str
    auth_username: str | None = None
    auth_password_file: str | None = None
    require_tls: bool = True

    def validate(self, where: str) -> None:
        _name(self.name, where)
        for attr in ("to", "sender"):
            value = getattr(self, attr)
            if not isinstance(value, str) or "@" not in value:
                raise SpecError(f"{value!r} is not an email address", field=f"{where}.{attr}")
        if not isinstance(self.smarthost, str) or not re.match(r"^[^\s:]+:\d+$", self.smarthost):
            raise SpecError("must be host:port", field=f"{where}.smarthost")
        if (self.auth_username is None) != (self.auth_password_file is None):
            raise SpecError("auth_username and auth_password_file go together", field=f"{where}.auth_username")
        if self.auth_password_file is not None:
            _file(self.auth_password_file, f"{where}.auth_password_file")
        if not isinstance(self.require_tls, bool):
            raise SpecError("must be true or false", field=f"{where}.require_tls")


Receiver = PagerDuty | Slack | Webhook | Email
TICKET_KINDS = (Slack, Webhook, Email)


@dataclass(frozen=True)
class Team:
    """Who owns some services: their pages go to `page`, their tickets to `ticket`."""

    name: str
    services: Sequence[str]
    page: PagerDuty
    ticket: Slack | Webhook | Email
    page_timing: Timing = PAGE_TIMING
    ticket_timing: Timing = TICKET_TIMING

    def __post_init__(self) -> None:
        if isinstance(self.services, (list, tuple)):
            object.__setattr__(self, "services", tuple(self.services))

    def validate(self, where: str) -> None:
        _name(self.name, where)
        if not isinstance(self.services, tuple) or not self.services:
            raise SpecError("must list the services this team owns", field=f"{where}.services")
        if not isinstance(self.page, PagerDuty):
            raise SpecError("must be a PagerDuty receiver", field=f"{where}.page")
        self.page.validate(f"{where}.page")
        if not isinstance(self.ticket, TICKET_KINDS):
            raise SpecError("must be a Slack, Webhook or Email receiver", field=f"{where}.ticket")
        self.ticket.validate(f"{where}.ticket")
        for attr in ("page_timing", "ticket_timing"):
            timing = getattr(self, attr)
            if not isinstance(timing, Timing):
                raise SpecError("must be a Timing", field=f"{where}.{attr}")
            timing.validate(f"{where}.{attr}")
        if TEST_ID not in self.page_timing.group_by:
            raise SpecError(f"must group by {TEST_ID!r} so a page-test drill never merges into a real "
                            "incident", field=f"{where}.page_timing.group_by")


@dataclass(frozen=True)
class Alertmanager:
    """The whole routing declaration: exactly one per installation (alerts/*.py)."""

    teams: Sequence[Team]
    default: Receiver
    default_timing: Timing = DEFAULT_TIMING
    grafana_url: str = ""
    resolve_timeout: str = "5m"
    test_page_alert: str = TEST_PAGE_ALERT
    heartbeat: PagerDuty | Webhook | None = None  # where the Watchdog goes; its silence is the alarm
    heartbeat_timing: Timing = HEARTBEAT_TIMING
    version: str = OLDEST_ALERTMANAGER  # the oldest Alertmanager the config must load on
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.teams, list):
            object.__setattr__(self, "teams", tuple(self.teams))

    def receivers(self) -> list[Receiver]:
        """Every distinct receiver, default first, in declaration order, the heartbeat last."""
        seen: dict[str, Receiver] = {self.default.name: self.default}
        for team in self.teams:
            for r in (team.page, team.ticket):
                seen.setdefault(r.name, r)
        if self.heartbeat is not None:
            seen.setdefault(self.heartbeat.name, self.heartbeat)
        return list(seen.values())

    def team_of(self, service: str) -> Team | None:
        return next((t for t in self.teams if service in t.services), None)

    def validate(self, services: Sequence[Service]) -> None:
        if not isinstance(self.teams, tuple) or not self.teams:
            raise SpecError("must declare at least one Team", field="teams")
        if not isinstance(self.default, (PagerDuty, *TICKET_KINDS)):
            raise SpecError("must be a PagerDuty, Slack, Webhook or Email receiver", field="default")
        self.default.validate("default")
        if not isinstance(self.default_timing, Timing):
            raise SpecError("must be a Timing", field="default_timing")
        self.default_timing.validate("default_timing")
        try:
            durations.parse(self.resolve_timeout)
        except (TypeError, ValueError) as exc:
            raise SpecError(str(exc), field="resolve_timeout") from None
        if self.grafana_url:
            _url(self.grafana_url, "grafana_url", secret_free=True)
        owner: dict[str, str] = {}
        by_name: dict[str, Receiver] = {self.default.name: self.default}
        for i, team in enumerate(self.teams):
            where = f"teams[{i}]"
            if not isinstance(team, Team):
                raise SpecError("must be a Team", field=where)
            team.validate(where)
            for svc in team.services:
                if svc in owner:
                    raise SpecError(f"service {svc!r} is already owned by team {owner[svc]!r}",
                                    field=f"{where}.services")
                owner[svc] = team.name
            for attr in ("page", "ticket"):
                r = getattr(team, attr)
                if by_name.setdefault(r.name, r) != r:
                    raise SpecError(f"receiver name {r.name!r} is declared twice with different settings",
                                    field=f"{where}.{attr}.name")
        self._validate_heartbeat(by_name)
        self._validate_version()
        declared = {s.name for s in services}
        for svc in sorted(set(owner) - declared):
            raise SpecError(f"service {svc!r} is not declared in slo/", field=f"team {owner[svc]}.services")
        for svc in sorted(declared - set(owner)):
            raise SpecError(f"service {svc!r} has no team: its pages would reach nobody", field="teams")

    @property
    def version_tuple(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    def _validate_version(self) -> None:
        if not isinstance(self.version, str) or not re.match(r"^\d+\.\d+(\.\d+)?$", self.version):
            raise SpecError(f"{self.version!r} is not an Alertmanager version such as 0.26", field="version")
        if self.version_tuple < (0, 25):
            raise SpecError("must be at least 0.25: the config reads secrets from files (routing_key_file, "
                            "auth_password_file)", field="version")
        if self.version_tuple >= URL_FILE_SINCE:
            return
        for r in self.receivers():
            if isinstance(r, Webhook) and r.url_file is not None:
                raise SpecError(f"webhook url_file needs Alertmanager >= 0.26, and this config must load on "
                                f"{self.version}: declare Alertmanager(version=\"0.26\") (or newer)",
                                field=f"receiver {r.name}.url_file")

    def _validate_heartbeat(self, others: dict[str, Receiver]) -> None:
        """A receiver of its own: it never gets resolves (a resolve reaching a heartbeat URL would
        count as a beat just as Prometheus stops), so it cannot share a name with a real receiver."""
        if self.heartbeat is None:
            return
        if not isinstance(self.heartbeat, (PagerDuty, Webhook)):
            raise SpecError("must be a Webhook (a heartbeat / dead man's switch URL) or a PagerDuty receiver",
                            field="heartbeat")
        self.heartbeat.validate("heartbeat")
        if self.heartbeat.name in others:
            raise SpecError(f"receiver name {self.heartbeat.name!r} is already used; the heartbeat needs a "
                            "receiver of its own", field="heartbeat.name")
        if not isinstance(self.heartbeat_timing, Timing):
            raise SpecError("must be a Timing", field="heartbeat_timing")
        self.heartbeat_timing.validate("heartbeat_timing")
