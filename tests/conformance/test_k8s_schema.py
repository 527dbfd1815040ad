"""Every Kubernetes object `obsgen build` writes (out/k8s and out/argo) against the API's own rules.

Custom resources are checked with jsonschema against the `openAPIV3Schema` of their served version in
the CRDs of ../shared/schemas/k8s (PrometheusRule, AlertmanagerConfig, Probe, AnalysisTemplate), and
every key is looked up in the schema's `properties`, since the API server prunes (or with strict field
validation rejects) what the schema does not declare, which jsonschema lets through. An
AlertmanagerConfig's child routes are free-form to the API server, but the operator decodes them as
routes, so they are held to the top route's schema. ConfigMaps, a core kind with no CRD, are checked
for what the API server requires. Names and labels are checked as the API server checks them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.kubernetes import DNS_LABEL, DNS_SUBDOMAIN, valid_label_key, valid_label_value, valid_secret_key
from tests.conformance.conftest import undeclared


@pytest.fixture(scope="module")
def schemas(crd_schemas: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return crd_schemas


@pytest.fixture(scope="module")
def written(repo_build: Path) -> dict[str, list[Any]]:
    """out/k8s/* and out/argo/* of a build of the repo's declarations (alerts/ too): file -> its YAML documents."""
    out = repo_build
    return {p.relative_to(out).as_posix(): list(yaml.safe_load_all(p.read_text(encoding="utf-8")))
            for d in ("k8s", "argo") for p in sorted((out / d).glob("*")) if p.is_file()}


def k8s_objects(written: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    return {f"{path}#{i}": doc for path, docs in written.items() for i, doc in enumerate(docs)
            if isinstance(doc, dict) and "apiVersion" in doc}


def schema_errors(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message[:200]}" for e in validator.iter_errors(obj)]
    errors += [f"{key}: not in the schema" for key in undeclared(obj, schema)]
    if obj["kind"] == "AlertmanagerConfig":
        route_schema = schema["properties"]["spec"]["properties"]["route"]

        def children(route: dict[str, Any], where: str) -> Iterator[str]:
            for i, child in enumerate(route.get("routes", [])):
                here = f"{where}/routes/{i}"
                for e in jsonschema.Draft7Validator(route_schema).iter_errors(child):
                    yield f"{here}/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                yield from (f"{here}{k}: not in the route schema" for k in undeclared(child, route_schema))
                yield from children(child, here)

        errors += list(children(obj["spec"].get("route", {}), "spec/route"))
    return errors


def metadata_errors(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata", {})
    errors = []
    name = meta.get("name")
    if not isinstance(name, str) or len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        errors.append(f"metadata.name {name!r} is not a DNS-1123 subdomain")
    namespace = meta.get("namespace")  # none: `kubectl apply -n` decides (the AnalysisTemplates)
    if namespace is not None and (not isinstance(namespace, str) or len(namespace) > 63
                                  or not DNS_LABEL.match(namespace)):
        errors.append(f"metadata.namespace {namespace!r} is not a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        if not valid_label_key(key) or not isinstance(value, str) or not valid_label_value(value):
            errors.append(f"label {key}={value!r} is not a valid label")
    return errors


def configmap_errors(obj: dict[str, Any]) -> list[str]:
    errors = []
    if obj.get("apiVersion") != "v1":
        errors.append("apiVersion must be v1")
    if set(obj) - {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}:
        errors.append(f"unknown fields {sorted(set(obj) - {'apiVersion', 'kind', 'metadata', 'data'})}")
    data = obj.get("data", {})
    if not isinstance(data, dict):
        return [*errors, "data must be a map"]
    for key, value in data.items():
        if not isinstance(key, str) or not valid_secret_key(key):
            errors.append(f"data key {key!r} is not a valid key")
        if not isinstance(value, str):
            errors.append(f"data[{key!r}] must be a string, not {type(value).__name__}")
    if sum(len(str(v).encode()) for v in data.values()) > 1024 * 1024:
        errors.append("data exceeds 1 MiB")
    return errors


def errors_of(obj: dict[str, Any], schemas: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    errors = metadata_errors(obj)
    if obj.get("kind") == "ConfigMap":
        return errors + configmap_errors(obj)
    schema = schemas.get((obj["apiVersion"], obj["kind"]))
    if schema is None:
        return [*errors, f"no schema for {obj['apiVersion']} {obj['kind']}: add its CRD to shared/schemas/k8s"]
    return errors + schema_errors(obj, schema)


def test_every_object_validates(schemas: dict[tuple[str, str], dict[str, Any]],
                                written: dict[str, list[Any]]) -> None:
    found = k8s_objects(written)
    kinds = {obj["kind"] for obj in found.values()}
    assert kinds >= {"PrometheusRule", "ConfigMap", "AlertmanagerConfig", "Probe", "AnalysisTemplate"}, kinds
    failures = {where: errs for where, obj in found.items() if (errs := errors_of(obj, schemas))}
    assert failures == {}


def test_files_that_are_not_objects_are_kube_state_metrics_configs(written: dict[str, list[Any]]) -> None:
    """The only YAML in out/k8s without an apiVersion is read by kube-state-metrics, not the API server."""
    others = [(path, doc) for path, docs in written.items() for doc in docs
              if not (isinstance(doc, dict) and "apiVersion" in doc)]
    assert all(doc.get("kind") == "CustomResourceStateMetrics" and "spec" in doc for _, doc in others), others


def _get(written: dict[str, list[Any]], kind: str) -> dict[str, Any]:
    obj = next(o for o in k8s_objects(written).values() if o["kind"] == kind)
    return yaml.safe_load(yaml.safe_dump(obj))


@pytest.mark.parametrize(("kind", "break_it", "expected"), [
    ("AlertmanagerConfig", lambda o: o["spec"]["route"]["routes"][0]["matchers"][0].update(matchType="=="),
     "routes/0/matchers/0/matchType"),
    ("AlertmanagerConfig", lambda o: o["spec"]["route"]["routes"][1].update(group_by=["alertname"]),
     "group_by: not in the route schema"),
    ("AlertmanagerConfig", lambda o: o["spec"]["receivers"][0].update(email_configs=[]), "email_configs"),
    ("PrometheusRule", lambda o: o["spec"]["groups"][0].pop("name"), "'name' is a required property"),
    ("PrometheusRule", lambda o: o["spec"]["groups"][0].update(interval="30 seconds"), "interval"),
    ("ConfigMap", lambda o: o["data"].update({"x.json": 1}), "must be a string"),
    ("ConfigMap", lambda o: o["metadata"].update(name="Obsgen_Dashboard"), "DNS-1123"),
    ("Probe", lambda o: o["metadata"]["labels"].update({"release": "not a value"}), "not a valid label"),
])
def test_the_checks_are_not_vacuous(schemas: dict[tuple[str, str], dict[str, Any]], written: dict[str, list[Any]],
                                    kind: str, break_it: Callable[[dict[str, Any]], object], expected: str) -> None:
    obj = _get(written, kind)
    assert errors_of(obj, schemas) == []
    break_it(obj)
    errors = errors_of(obj, schemas)
    assert any(expected in e for e in errors), errors
