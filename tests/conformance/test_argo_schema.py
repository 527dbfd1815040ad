"""The AnalysisTemplates `obsgen build` writes validate against Argo Rollouts' CRD (../shared/schemas/k8s).

jsonschema checks types and required fields against the CRD's openAPIV3Schema; the API server also
prunes (or, with strict field validation, rejects) fields the schema does not declare, which
jsonschema does not see, so every key is also looked up in the schema's `properties`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conformance.conftest import REPO

CRD = "argoproj.io_analysistemplates.yaml"


def _find_schemas(start: Path = REPO) -> Path | None:
    for d in (start, *start.parents):
        candidate = d.parent / "shared" / "schemas" / "k8s"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    found = _find_schemas()
    if found is None:
        pytest.fail(f"conformance: no shared/schemas/k8s beside {REPO} or any of its parents; the CRD schemas "
                    "are required, see shared/README.md")
    crd = yaml.safe_load((found / CRD).read_text(encoding="utf-8"))
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return version["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def templates(obsgen_build: Callable[..., Path]) -> dict[str, dict[str, Any]]:
    out = obsgen_build(REPO / "slo").parent
    found = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((out / "argo").glob("*.yml"))}
    assert "maestro-conductor-analysis.yml" in found
    return found


def undeclared(data: object, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Keys the schema does not declare (the API server would prune or reject them)."""
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            if key not in schema["properties"]:
                yield f"{path}/{key}"
            else:
                yield from undeclared(value, schema["properties"][key], f"{path}/{key}")
    elif isinstance(data, list) and "items" in schema:
        for i, item in enumerate(data):
            yield from undeclared(item, schema["items"], f"{path}/{i}")


def test_every_template_validates_against_the_crd(schema: dict[str, Any], templates: dict[str, dict]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    for name, doc in templates.items():
        errors = [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message[:200]}"
                  for e in validator.iter_errors(doc)]
        assert not errors, f"{name}: {errors}"
        assert list(undeclared(doc, schema)) == [], name
        assert (doc["apiVersion"], doc["kind"]) == ("argoproj.io/v1alpha1", "AnalysisTemplate")
        for metric in doc["spec"]["metrics"]:
            assert set(metric["provider"]) == {"prometheus"}, (name, metric["name"])


def test_the_check_is_not_vacuous(schema: dict[str, Any], templates: dict[str, dict]) -> None:
    """A wrong type and an invented key are both caught, so a pass above means something."""
    doc = yaml.safe_load(yaml.safe_dump(templates["maestro-conductor-analysis.yml"]))
    doc["spec"]["metrics"][0]["interval"] = 60
    doc["spec"]["metrics"][0]["provider"]["prometheus"]["queryTimeout"] = "5s"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(doc))
    assert list(undeclared(doc, schema)) == ["/spec/metrics/0/provider/prometheus/queryTimeout"]
