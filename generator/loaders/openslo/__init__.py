"""Load OpenSLO specs (`openslo/v1`, and the `openslo/v1alpha` SLO Sloth reads) into the model.

OpenSLO objects refer to each other by name (an SLO's `indicatorRef`, a policy's
`conditionRef`, a metric's `metricSourceRef`), so every OpenSLO file named on the command
line is read first and references resolve across them; one small reader per kind turns
what is referenced into model objects. The model then holds OpenSLO SLOs to the same rules
as Python and Sloth declarations, and unlike Sloth obsgen gives them multi-window tiers:
from their AlertPolicies when declared, else the defaults (or the --windows file's).
"""

from __future__ import annotations

from pathlib import Path

from generator import durations
from generator.errors import SpecError
from generator.loaders.openslo import slo as slo_v1
from generator.loaders.openslo import v1alpha
from generator.loaders.openslo.documents import V1, Catalog, Doc, claims, labels, mapping, text
from generator.model import SLO, Service
from generator.tiers import Tier

__all__ = ["claims", "load"]

DEFAULT_PERIOD = "30d"  # as for Sloth specs
SERVICE_SPEC_KEYS = ("description",)
# what the model checks last, named as the OpenSLO author wrote it
_MODEL_FIELDS = {"name": "metadata.name", "service": "spec.service", "alerting.tiers": "spec.alertPolicies",
                 "period": "spec.timeWindow", "objective": "spec.objectives"}


def _default_period(period: str | None, windows: tuple[str, tuple[Tier, ...]] | None) -> str:
    if period is not None:
        return period
    return windows[0] if windows is not None else DEFAULT_PERIOD


def _check_windows_period(doc: Doc, slos: list[SLO], windows: tuple[str, tuple[Tier, ...]] | None) -> None:
    """A windows file is Sloth's tuning for one period: refuse it for an SLO over another."""
    if windows is None:
        return
    for s in slos:
        if s.alerting.tiers == windows[1] and s.period_s != durations.parse(windows[0]):
            raise doc.error(f"the windows file is for a different period (sloPeriod {windows[0]}, timeWindow "
                            f"{s.period})", "spec.timeWindow", slo=s.name)


def _service(name: str, first: Doc, catalog: Catalog) -> tuple[dict[str, str], str]:
    """(labels, source) of a service from its Service document, when one is declared."""
    declared = catalog.by_kind["Service"]
    if not declared:
        return {}, ""
    doc = declared.get(name)
    if doc is None:
        raise first.error(f"{name!r} names no Service document (declared: {', '.join(sorted(declared))})",
                          "spec.service", slo=first.name)
    spec = mapping(doc.spec, "spec", SERVICE_SPEC_KEYS, doc, first.name, required=False)
    text(spec.get("description"), "spec.description", doc, first.name, required=False)
    return labels(doc, first.name), doc.file


def load(files: list[tuple[Path, str]], *, period: str | None = None,
         windows: tuple[str, tuple[Tier, ...]] | None = None) -> list[Service]:
    """Services from OpenSLO files, given as (path, repo-relative display name) pairs."""
    catalog = Catalog.read(files)
    default_period = _default_period(period, windows)
    default_tiers = windows[1] if windows is not None else None
    by_service: dict[str, list[tuple[Doc, SLO]]] = {}
    sources: dict[str, set[str]] = {}
    for doc in catalog.of("SLO"):
        reader = slo_v1.read if doc.version == V1 else v1alpha.read
        catalog.touched = {doc.file}
        service, slos = reader(doc, catalog, default_period, default_tiers)
        _check_windows_period(doc, slos, windows)
        by_service.setdefault(service, []).extend((doc, s) for s in slos)
        sources.setdefault(service, set()).update(catalog.touched)
    if not by_service:
        raise SpecError("declares no SLO (kind: SLO)", file=", ".join(d for _, d in files))
    out = []
    for name in sorted(by_service):
        entries = by_service[name]
        first = entries[0][0]
        service_labels, service_file = _service(name, first, catalog)
        files = sorted(sources[name] | ({service_file} if service_file else set()))
        svc = Service(name=name, slos=tuple(s for _, s in entries), labels=service_labels, source=", ".join(files))
        seen: dict[str, Doc] = {}
        for doc, s in entries:
            if s.name in seen:
                raise doc.error(f"SLO {s.name!r} of service {name!r} is also declared in {seen[s.name].file}",
                                "metadata.name", slo=s.name)
            seen[s.name] = doc
        try:
            svc.validate()
        except SpecError as exc:
            culprit = next((d for d, s in entries if s.name == exc.slo), first)
            exc.field = _MODEL_FIELDS.get(exc.field or "", exc.field)
            raise exc.located(file=culprit.file) from None
        out.append(svc)
    return out
