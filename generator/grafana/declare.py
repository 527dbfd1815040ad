"""What dashboards/*.py declares: the rollout board's settings and a service's dependencies.

Like the SLO model these are frozen and validated before anything is rendered, so a
typo is one line naming the file, the object and the field (the loader adds the file
and the object's variable name), never a board that silently shows nothing.
Dependencies belong to a service: their "down" alerts carry its `service` label and
their board is built with its SLOs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator import durations, promql
from generator.errors import SpecError
from generator.model import NAME

UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # Grafana's uid limit; stable across builds
SEVERITIES = ("ticket", "page")
# Neo4j database names: ASCII letters, digits, dots and dashes (operations manual, "Database names")
NEO4J_DATABASE = re.compile(r"^[A-Za-z][A-Za-z0-9.-]{2,62}$")


def _matchers(value: object, where: str, *, optional: bool = False) -> str:
    """Label matchers as written inside `{...}`; checked by parsing a selector built from them."""
    if optional and value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise SpecError("must be label matchers such as 'job=\"postgres\"'", field=where)
    try:
        found = promql.selectors(f"up{{{value}}}")
    except promql.PromQLError as exc:
        raise SpecError(f"are not valid label matchers: {exc}", field=where) from None
    if len(found) != 1 or not found[0].matchers:
        raise SpecError("must be label matchers such as 'job=\"postgres\"'", field=where)
    return value.strip()


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise SpecError(f"{value!r} must be letters, digits, '_', '.' or '-'", field=where)
    return value


@dataclass(frozen=True)
class Dependency:
    """Common to every dependency: where its exporter's series are and how its outage alerts."""

    name: str
    selector: str
    severity: str = "ticket"
    down_for: str = "5m"
    kind = "dependency"

    def validate(self) -> None:
        _name(self.name, "name")
        _matchers(self.selector, "selector")
        if self.severity not in SEVERITIES:
            raise SpecError(f"{self.severity!r} must be one of {', '.join(SEVERITIES)}", field="severity")
        try:
            durations.parse(self.down_for)
        except (ValueError, TypeError) as exc:
            raise SpecError(str(exc), field="down_for") from None

    @property
    def up_metric(self) -> str:
        """The series that is 1 while the dependency answers (0 or absent: down)."""
        raise NotImplementedError

    @property
    def up_matchers(self) -> str:
        return self.selector

    @property
    def up_selector(self) -> str:
        return f"{self.up_metric}{{{self.up_matchers}}}"


@dataclass(frozen=True)
class Postgres(Dependency):
    """PostgreSQL through postgres_exporter; `database` filters the per-database panels (datname)."""

    name: str = "postgres"
    selector: str = 'job="postgres"'
    database: str = ".+"
    kind = "postgres"

    def validate(self) -> None:
        super().validate()
        try:
            re.compile(self.database)
        except (re.error, TypeError):
            raise SpecError(f"{self.database!r} is not a regular expression", field="database") from None

    @property
    def up_metric(self) -> str:
        return "pg_up"


@dataclass(frozen=True)
class Redis(Dependency):
    """Redis through redis_exporter."""

    name: str = "redis"
    selector: str = 'job="redis"'
    kind = "redis"

    @property
    def up_metric(self) -> str:
        return "redis_up"


@dataclass(frozen=True)
class Neo4j(Dependency):
    """Neo4j: the Enterprise Prometheus endpoint (`selector`), or blackbox probes (`probe`) for Community.

    Neo4j 5 writes the database name into its metric names; obsgen emits a metric_relabel_configs
    snippet that moves it into a `database` label, so the board and catalog name fixed metrics.
    """

    name: str = "neo4j"
    selector: str = 'job="neo4j"'
    database: str = "neo4j"
    probe: str | None = None
    edition: str = "enterprise"
    kind = "neo4j"

    def validate(self) -> None:
        if self.edition not in ("enterprise", "community"):
            raise SpecError(f"{self.edition!r} must be 'enterprise' or 'community'", field="edition")
        if self.edition == "community" and self.probe is None:
            raise SpecError("Community edition has no metrics endpoint: declare probe= (blackbox matchers of "
                            "the Bolt/HTTP probes)", field="probe")
        super().validate()
        _matchers(self.probe, "probe", optional=True)
        if not isinstance(self.database, str) or not NEO4J_DATABASE.match(self.database):
            raise SpecError(f"{self.database!r} is not a Neo4j database name", field="database")

    @property
    def up_metric(self) -> str:
        return "probe_success" if self.probe is not None else "up"

    @property
    def up_matchers(self) -> str:
        return self.probe if self.probe is not None else self.selector


@dataclass(frozen=True)
class Dependencies:
    """The Dependency board: one row per dependency, in the order declared."""

    service: str
    dependencies: tuple[Dependency, ...]
    uid: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.dependencies, list):
            object.__setattr__(self, "dependencies", tuple(self.dependencies))

    @property
    def board_uid(self) -> str:
        return self.uid or f"{self.service}-dependencies"

    def validate(self) -> None:
        _name(self.service, "service")
        _uid(self.board_uid)
        if not isinstance(self.dependencies, tuple) or not self.dependencies:
            raise SpecError("must be a non-empty list of Postgres(...), Redis(...) or Neo4j(...)",
                            field="dependencies")
        seen: set[str] = set()
        for i, dep in enumerate(self.dependencies):
            where = f"dependencies[{i}]"
            if not isinstance(dep, (Postgres, Redis, Neo4j)):
                raise SpecError("must be Postgres(...), Redis(...) or Neo4j(...)", field=where)
            try:
                dep.validate()
            except SpecError as exc:
                exc.field = f"{where}.{exc.field}" if exc.field else where
                raise
            if dep.name in seen:
                raise SpecError(f"{dep.name!r} is declared twice", field=f"{where}.name")
            seen.add(dep.name)


@dataclass(frozen=True)
class RolloutBoard:
    """Rollout Control: an Argo Rollout's phase and weight beside the SLIs of two of the service's SLOs.

    `errors_slo` names a counter-ratio SLO (its 5xx ratio is split canary vs stable by
    `hash_label`), `latency_slo` a latency SLO (its quantile is the objective, e.g. p95).
    """

    service: str
    namespace: str
    rollout: str
    errors_slo: str
    latency_slo: str
    uid: str = ""
    title: str = "Rollout Control"
    hash_label: str = "rollouts_pod_template_hash"
    tags: tuple[str, ...] = field(default=())

    @property
    def board_uid(self) -> str:
        return self.uid or f"{self.service}-rollout"

    def validate(self) -> None:
        _name(self.service, "service")
        _uid(self.board_uid)
        for fname in ("namespace", "rollout", "errors_slo", "latency_slo"):
            _name(getattr(self, fname), fname)
        if not isinstance(self.title, str) or not self.title.strip():
            raise SpecError("must be a non-empty string", field="title")
        if not isinstance(self.hash_label, str) or not promql.LABEL_NAME.match(self.hash_label):
            raise SpecError(f"{self.hash_label!r} is not a label name", field="hash_label")


def _uid(uid: object) -> None:
    if not isinstance(uid, str) or not UID.match(uid):
        raise SpecError(f"{uid!r} must be 1-40 letters, digits, '-' or '_' (Grafana's uid)", field="uid")


Declaration = RolloutBoard | Dependencies
