"""Load Sloth `prometheus/v1` YAML specs (and Sloth AlertWindows files) into the model.

Teams arrive with Sloth specs; reading them as they are keeps migration a rename, and
the model then holds them to the same rules as Python declarations. Sloth is strict
about unknown keys, so are we: a typo such as `disabled:` must not silently keep an
alert paging. Where Sloth and obsgen's label contract disagree (Sloth specs routinely
set `severity`), obsgen's contract wins with a warning rather than a failure, so a
stock Sloth spec still builds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from generator import durations
from generator.errors import SpecError
from generator.loaders.yamldocs import Float, Int, SpecLoader, StrictLoader, describe, read_documents
from generator.model import RESERVED_LABELS, SLO, Alerting, Service
from generator.promql import LABEL_NAME
from generator.sli import SLI, RatioSLI, RawRatioSLI
from generator.tiers import Tier, from_alert_windows

VERSION = "prometheus/v1"
DEFAULT_PERIOD = "30d"  # Sloth's default --default-slo-period

_TOP_KEYS = ("version", "service", "labels", "slos")
_SLO_KEYS = ("name", "objective", "description", "labels", "sli", "alerting")
_SLI_KEYS = ("events", "raw", "plugin")
_EVENTS_KEYS = ("error_query", "total_query")
_RAW_KEYS = ("error_ratio_query",)
_ALERTING_KEYS = ("name", "labels", "annotations", "page_alert", "ticket_alert")
_ALERT_KEYS = ("disable", "labels", "annotations")

# The model names fields after its own attributes; users should see the Sloth path they wrote.
_SLOTH_FIELDS = (
    ("sli.error_query", "sli.events.error_query"),
    ("sli.total_query", "sli.events.total_query"),
    ("sli.error_ratio_query", "sli.raw.error_ratio_query"),
    ("alerting.page_labels", "alerting.page_alert.labels"),
    ("alerting.page_annotations", "alerting.page_alert.annotations"),
    ("alerting.ticket_labels", "alerting.ticket_alert.labels"),
    ("alerting.ticket_annotations", "alerting.ticket_alert.annotations"),
)


# -- typed access ----------------------------------------------------------------------------------
def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _mapping(value: object, where: str, keys: tuple[str, ...], what: str = "") -> dict[str, Any]:
    """A block of the spec with only Sloth's keys; null counts as an empty block, as in Sloth."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping, got {describe(value)}", field=where or None)
    for key in value:
        if key not in keys:
            raise SpecError(f"unknown key; {what or where} takes only {', '.join(keys)}",
                            field=_join(where, key))
    return value


def _text(value: object, where: str, *, required: bool = True) -> str:
    """A string field read like Go's YAML decoder: a plain number keeps its written text."""
    if isinstance(value, str):
        return value
    if isinstance(value, (Int, Float)):
        return value.text
    if value is None:
        if required:
            raise SpecError("is missing", field=where)
        return ""
    hint = "; quote it" if isinstance(value, bool) else ""
    raise SpecError(f"must be a string, got {describe(value)}{hint}", field=where)


def _objective(value: object) -> float:
    if value is None:
        raise SpecError("is missing", field="objective")
    if isinstance(value, bool):
        raise SpecError(f"{str(value).lower()} is a boolean; the objective must be a number such as 99.9",
                        field="objective")
    if isinstance(value, str):
        raise SpecError(f"{value!r} is a string; the objective must be a plain number such as 99.9 "
                        "(no quotes, no % sign)", field="objective")
    if not isinstance(value, (int, float)):
        raise SpecError(f"must be a number such as 99.9, got {describe(value)}", field="objective")
    try:
        return float(value)  # plain float: the Float wrapper must not leak into the model
    except OverflowError:
        raise SpecError("is too large a number", field="objective") from None


def _flag(value: object, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SpecError(f"must be true or false, got {describe(value)}", field=where)
    return value


# -- labels ----------------------------------------------------------------------------------------
def _reserved_reason(key: str, where: str, service: str, slo: str | None) -> str:
    if key == "severity":
        if where.startswith("alerting.page_alert"):
            return "obsgen sets severity=page itself"
        if where.startswith("alerting.ticket_alert"):
            return "obsgen sets severity=ticket itself"
        return "obsgen sets severity=page or severity=ticket itself"
    if key == "service":
        return f"obsgen sets service={service} itself"
    if key == "slo":
        return f"obsgen sets slo={slo} itself" if slo else "obsgen sets slo to each SLO's name itself"
    if key == "window":
        return "obsgen sets window to each burn-rate window itself"
    return f"obsgen sets {key} itself (label contract)"


def _labels(value: object, where: str, display: str, service: str, slo: str | None,
            *, reserved: bool = True) -> dict[str, str]:
    """Label (or annotation) names checked against the Sloth path the user wrote; labels obsgen
    reserves are dropped with a warning because obsgen's label contract decides routing."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping of names to strings, got {describe(value)}", field=where)
    out: dict[str, str] = {}
    for key, raw in value.items():
        name = key.text if isinstance(key, (Int, Float)) else str(key)
        field = f"{where}.{name}"
        if isinstance(key, bool):
            raise SpecError("YAML reads this key as a boolean (on/off/yes/no/true/false): quote it",
                            field=field)
        if reserved and isinstance(key, str) and key in RESERVED_LABELS:
            shown = raw.text if isinstance(raw, (Int, Float)) else raw
            prefix = f"{display}: slo {slo}: " if slo else f"{display}: "
            print(f"{prefix}{field}={shown!r} ignored: {_reserved_reason(name, where, service, slo)}",
                  file=sys.stderr)
            continue
        if not isinstance(key, str) or not LABEL_NAME.match(key) or key.startswith("__"):
            raise SpecError(f"{name!r} is not a valid label name", field=field)
        if raw is None:
            raise SpecError("has no value", field=field)
        out[key] = _text(raw, field)
    return out


# -- spec ------------------------------------------------------------------------------------------
def _sli(value: object) -> SLI:
    block = _mapping(value, "sli", _SLI_KEYS)
    if "plugin" in block:
        raise SpecError("Sloth SLI plugins are not supported; write the plugin's queries as sli.events "
                        "or sli.raw", field="sli.plugin")
    given = [k for k in ("events", "raw") if block.get(k) is not None]
    if len(given) != 1:
        raise SpecError("give exactly one of sli.events and sli.raw" if given
                        else "is missing: give sli.events or sli.raw", field="sli")
    if given[0] == "events":
        events = _mapping(block["events"], "sli.events", _EVENTS_KEYS)
        error = _text(events.get("error_query"), "sli.events.error_query")
        total = _text(events.get("total_query"), "sli.events.total_query")
        return RatioSLI(error_query=error, total_query=total)
    raw = _mapping(block["raw"], "sli.raw", _RAW_KEYS)
    return RawRatioSLI(error_ratio_query=_text(raw.get("error_ratio_query"), "sli.raw.error_ratio_query"))


def _alerting(value: object, display: str, service: str, slo: str,
              tiers: tuple[Tier, ...] | None) -> Alerting:
    block = _mapping(value, "alerting", _ALERTING_KEYS)
    page = _mapping(block.get("page_alert"), "alerting.page_alert", _ALERT_KEYS)
    ticket = _mapping(block.get("ticket_alert"), "alerting.ticket_alert", _ALERT_KEYS)
    name = _text(block.get("name"), "alerting.name", required=False) or None

    def labels(v: object, where: str) -> dict[str, str]:
        return _labels(v, where, display, service, slo)

    def annotations(v: object, where: str) -> dict[str, str]:
        return _labels(v, where, display, service, slo, reserved=False)

    return Alerting(
        name=name,
        labels=labels(block.get("labels"), "alerting.labels"),
        annotations=annotations(block.get("annotations"), "alerting.annotations"),
        page_labels=labels(page.get("labels"), "alerting.page_alert.labels"),
        page_annotations=annotations(page.get("annotations"), "alerting.page_alert.annotations"),
        ticket_labels=labels(ticket.get("labels"), "alerting.ticket_alert.labels"),
        ticket_annotations=annotations(ticket.get("annotations"), "alerting.ticket_alert.annotations"),
        page=not _flag(page.get("disable"), "alerting.page_alert.disable"),
        ticket=not _flag(ticket.get("disable"), "alerting.ticket_alert.disable"),
        tiers=tiers,
    )


def _slo(value: object, index: int, display: str, service: str, period: str,
         tiers: tuple[Tier, ...] | None) -> SLO:
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping, got {describe(value)}", field=f"slos[{index}]")
    name = value.get("name")
    if isinstance(name, (Int, Float)):
        name = name.text
    if not isinstance(name, str) or not name:
        # without a usable name the SLO can only be pointed at by position
        raise SpecError("is missing" if name is None or name == "" else f"must be a string, got {describe(name)}",
                        field=f"slos[{index}].name")
    try:
        block = _mapping(value, "", _SLO_KEYS, "an SLO")
        return SLO(
            name=name,
            objective=_objective(block.get("objective")),
            sli=_sli(block.get("sli")),
            period=period,
            description=_text(block.get("description"), "description", required=False),
            labels=_labels(block.get("labels"), "labels", display, service, name),
            alerting=_alerting(block.get("alerting"), display, service, name, tiers),
        )
    except SpecError as exc:
        raise exc.located(slo=name) from None


def _sloth_field(field: str | None) -> str | None:
    for ours, theirs in _SLOTH_FIELDS:
        if field == ours or (field or "").startswith(ours + "."):
            return theirs + (field or "")[len(ours):]
    return field


def _service(doc: object, display: str, period: str, tiers: tuple[Tier, ...] | None) -> Service:
    if not isinstance(doc, dict):
        raise SpecError(f"must be a mapping (a Sloth {VERSION} spec), got {describe(doc)}")
    if "version" not in doc and doc.get("kind") == "AlertWindows":
        raise SpecError("is a Sloth AlertWindows file: pass it as the windows file, not as a spec",
                        field="kind")
    if "version" not in doc and "apiVersion" in doc:
        raise SpecError(f"apiVersion {doc['apiVersion']!r} is not supported: obsgen reads Sloth "
                        f"{VERSION} specs (version: {VERSION})", field="apiVersion")
    version = doc.get("version")
    if version != VERSION:
        raise SpecError("is missing" if version is None
                        else f"unknown version {version!r}: obsgen reads Sloth {VERSION!r} specs",
                        field="version")
    block = _mapping(doc, "", _TOP_KEYS, f"a Sloth {VERSION} spec")
    name = _text(block.get("service"), "service")
    labels = _labels(block.get("labels"), "labels", display, name, None)
    slos = block.get("slos")
    if not isinstance(slos, list) or not slos:
        raise SpecError("is missing or empty: declare at least one SLO" if slos is None or slos == []
                        else f"must be a list of SLOs, got {describe(slos)}", field="slos")
    svc = Service(name=name, slos=tuple(_slo(s, i, display, name, period, tiers) for i, s in enumerate(slos)),
                  labels=labels, source=display)
    try:
        svc.validate()
    except SpecError as exc:
        exc.field = _sloth_field(exc.field)
        raise
    return svc


def _period(period: str | None, windows: tuple[str, tuple[Tier, ...]] | None, display: str) -> str:
    """Sloth specs carry no period: the caller's, else the windows file's, else Sloth's 30d."""
    if period is not None and windows is not None:
        try:
            same = durations.parse(period) == durations.parse(windows[0])
        except ValueError as exc:
            raise SpecError(str(exc), file=display, field="period") from None
        if not same:
            raise SpecError(f"the windows file is for a different period (sloPeriod {windows[0]}, "
                            f"period {period})", file=display, field="period")
    if period is not None:
        return period
    if windows is not None:
        return windows[0]
    return DEFAULT_PERIOD


def load(path: Path, display: str, *, period: str | None = None,
         windows: tuple[str, tuple[Tier, ...]] | None = None) -> list[Service]:
    chosen = _period(period, windows, display)
    tiers = windows[1] if windows is not None else None
    docs = read_documents(path, display, SpecLoader)
    services: list[Service] = []
    seen: dict[str, int] = {}
    for number, doc in enumerate(docs, start=1):
        try:
            svc = _service(doc, display, chosen, tiers)
            if svc.name in seen:
                raise SpecError(f"service {svc.name!r} is also declared in document {seen[svc.name]} "
                                "of this file", field="service")
        except SpecError as exc:
            if len(docs) > 1 and exc.slo is None:
                # several services in one file: say which document, or the field is ambiguous
                exc.field = f"document {number}" + (f": {exc.field}" if exc.field else "")
            raise exc.located(file=display) from None
        seen[svc.name] = number
        services.append(svc)
    return services


def load_windows(path: Path, display: str) -> tuple[str, tuple[Tier, ...]]:
    """A Sloth AlertWindows file, so teams keep the custom windows they tuned for Sloth."""
    docs = read_documents(path, display, StrictLoader)
    if len(docs) != 1:
        raise SpecError(f"holds {len(docs)} YAML documents; a windows file holds one AlertWindows spec",
                        file=display)
    doc = docs[0]
    if isinstance(doc, dict) and doc.get("apiVersion", "sloth.slok.dev/v1") != "sloth.slok.dev/v1":
        raise SpecError(f"apiVersion {doc['apiVersion']!r} is not sloth.slok.dev/v1", file=display,
                        field="apiVersion")
    try:
        return from_alert_windows(doc, display)
    except SpecError as exc:
        raise exc.located(file=display) from None

