"""OpenSLO documents: read from files, indexed by kind and name, typed field access.

OpenSLO splits one SLO across documents (SLI, DataSource, AlertPolicy, AlertCondition,
Service) that refer to each other by name, possibly from other files. They are indexed
first so a reference resolves wherever it was declared, and every error names the file
and the path inside the document the user wrote, not obsgen's model fields.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.loaders.yamldocs import StrictLoader, describe, read_documents

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
VERSIONS = (V1, V1ALPHA)
KINDS = ("SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource", "Service")
METADATA_KEYS = ("name", "displayName", "labels", "annotations")


@dataclass(frozen=True)
class Doc:
    """One OpenSLO object: `where` prefixes error fields when it is not the SLO being built."""

    version: str
    kind: str
    name: str
    metadata: dict[str, Any]
    spec: Any
    file: str
    number: int  # position in its file (1-based), for errors about unnamed objects

    @property
    def where(self) -> str:
        return f"{self.kind} {self.name}"

    def error(self, message: str, field: str, *, slo: str | None = None) -> SpecError:
        """An error inside this document, for an SLO built from (or referring to) it."""
        prefix = "" if self.kind == "SLO" else f"{self.where}: "
        return SpecError(message, file=self.file, slo=slo, field=prefix + field)


def first_version(docs: list[Any]) -> str | None:
    """The apiVersion a YAML file opens with (a top-level list counts its first item)."""
    for doc in docs:
        if isinstance(doc, list):
            doc = doc[0] if doc else None
        if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str):
            return doc["apiVersion"]
        return None
    return None


def claims(path: Path, display: str) -> bool:
    """Whether a YAML file is OpenSLO (apiVersion openslo/...) rather than a Sloth spec."""
    version = first_version(read_documents(path, display, StrictLoader))
    return version is not None and version.startswith("openslo/")


def _objects(docs: list[Any]) -> Iterator[Any]:
    for doc in docs:
        if isinstance(doc, list):  # OpenSLO's own examples put several objects in one YAML list
            yield from doc
        else:
            yield doc


def read_object(value: object, file: str, number: int, *, kind: str | None = None,
                version: str | None = None) -> Doc:
    """A top-level object, or an inline one (`kind` and `version` then come from its holder)."""
    where = f"document {number}"
    if not isinstance(value, dict):
        raise SpecError(f"must be an OpenSLO object (apiVersion, kind, metadata, spec), got {describe(value)}",
                        file=file, field=where)
    keys = ("apiVersion", "kind", "metadata", "spec")
    if "version" in value and "apiVersion" not in value:
        raise SpecError("is a Sloth prometheus/v1 spec among OpenSLO objects: put it in a file of its own",
                        file=file, field=f"{where}.version")
    for key in value:
        if key not in keys:
            raise SpecError(f"unknown key; an OpenSLO object takes only {', '.join(keys)}", file=file,
                            field=f"{where}.{key}")
    found_version = value.get("apiVersion", version)
    if found_version not in VERSIONS:
        shown = "is missing" if found_version is None else f"{found_version!r} is not supported"
        raise SpecError(f"{shown}: obsgen reads {' and '.join(VERSIONS)}", file=file,
                        field=f"{where}.apiVersion")
    found_kind = value.get("kind", kind)
    if kind is not None and found_kind != kind:
        raise SpecError(f"is {found_kind!r}; only an {kind} can be written here", file=file, field=f"{where}.kind")
    if found_kind not in KINDS:
        raise SpecError(f"{found_kind!r} is not an OpenSLO kind ({', '.join(KINDS)})", file=file,
                        field=f"{where}.kind")
    metadata = value.get("metadata")
    if not isinstance(metadata, dict):
        raise SpecError("is missing" if metadata is None else f"must be a mapping, got {describe(metadata)}",
                        file=file, field=f"{where}.metadata")
    for key in metadata:
        if key not in METADATA_KEYS:
            raise SpecError(f"unknown key; metadata takes only {', '.join(METADATA_KEYS)}", file=file,
                            field=f"{where}.metadata.{key}")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError("is missing" if name in (None, "") else f"must be a string, got {describe(name)}",
                        file=file, field=f"{where}.metadata.name")
    return Doc(found_version, found_kind, name, metadata, value.get("spec"), file, number)


@dataclass
class Catalog:
    """Every object of the files being loaded, by kind and name; `touched` collects the files
    references were resolved in, so a service's "generated from" mark names all its sources."""

    by_kind: dict[str, dict[str, Doc]]
    touched: set[str] = default(default_factory=set)

    @classmethod
    def read(cls, files: list[tuple[Path, str]]) -> Catalog:
        by_kind: dict[str, dict[str, Doc]] = {k: {} for k in KINDS}
        for path, display in files:
            for number, value in enumerate(_objects(read_documents(path, display, StrictLoader)), start=1):
                doc = read_object(value, display, number)
                seen = by_kind[doc.kind].get(doc.name)
                if seen is not None:
                    raise SpecError(f"{doc.kind} {doc.name!r} is also declared in {seen.file} "
                                    f"(document {seen.number})", file=display, field=f"document {number}")
                by_kind[doc.kind][doc.name] = doc
        return cls(by_kind)

    def of(self, kind: str) -> list[Doc]:
        return [self.by_kind[kind][n] for n in sorted(self.by_kind[kind])]

    def ref(self, kind: str, name: object, holder: Doc, field: str, slo: str) -> Doc:
        if not isinstance(name, str) or not name:
            raise holder.error(f"must name an {kind}", field, slo=slo)
        found = self.by_kind[kind].get(name)
        if found is None:
            known = ", ".join(sorted(self.by_kind[kind])) or "none"
            raise holder.error(f"no {kind} named {name!r} is declared (declared: {known})", field, slo=slo)
        self.touched.add(found.file)
        return found


# -- typed access ---------------------------------------------------------------------------------
def mapping(value: object, field: str, keys: tuple[str, ...], doc: Doc, slo: str,
            *, required: bool = True) -> dict[str, Any]:
    """A block holding only the keys OpenSLO defines there: a typo must not silently drop a field."""
    if value is None:
        if required:
            raise doc.error("is missing", field, slo=slo)
        return {}
    if not isinstance(value, dict):
        raise doc.error(f"must be a mapping, got {describe(value)}", field, slo=slo)
    for key in value:
        if key not in keys:
            raise doc.error(f"unknown key; {field.rsplit('.', 1)[-1]} takes only {', '.join(keys)}",
                            f"{field}.{key}", slo=slo)
    return value


def text(value: object, field: str, doc: Doc, slo: str, *, required: bool = True) -> str:
    if isinstance(value, str) and value.strip():
        return value
    if value is None or value == "":
        if required:
            raise doc.error("is missing", field, slo=slo)
        return ""
    raise doc.error(f"must be a string, got {describe(value)}", field, slo=slo)


def number(value: object, field: str, doc: Doc, slo: str) -> float:
    if value is None:
        raise doc.error("is missing", field, slo=slo)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise doc.error(f"must be a number, got {describe(value)}", field, slo=slo)
    try:
        number = float(value)
    except OverflowError:
        raise doc.error("is too large a number", field, slo=slo) from None
    if not math.isfinite(number):
        raise doc.error(f"must be a finite number, not {value}", field, slo=slo)
    return number


def flag(value: object, field: str, doc: Doc, slo: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise doc.error(f"must be true or false, got {describe(value)}", field, slo=slo)
    return value


def items(value: object, field: str, doc: Doc, slo: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise doc.error(f"must be a list, got {describe(value)}", field, slo=slo)
    return value


def labels(doc: Doc, slo: str) -> dict[str, str]:
    """metadata.labels as Prometheus labels: OpenSLO allows a list of values, joined with ','."""
    from generator.promql import LABEL_NAME

    value = doc.metadata.get("labels")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise doc.error(f"must be a mapping, got {describe(value)}", "metadata.labels", slo=slo)
    out: dict[str, str] = {}
    for key, raw in value.items():
        field = f"metadata.labels.{key}"
        if not isinstance(key, str) or not LABEL_NAME.match(key) or key.startswith("__"):
            raise doc.error(f"{key!r} cannot be a Prometheus label name (letters, digits and '_')", field, slo=slo)
        values = raw if isinstance(raw, list) else [raw]
        if not values or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            raise doc.error("must be a string or a list of strings", field, slo=slo)
        out[key] = ",".join(str(v) for v in values)
    return out
