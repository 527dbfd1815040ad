"""The AnalysisTemplates `obsgen build` writes validate against Argo Rollouts' CRD (../shared/schemas/k8s).

jsonschema checks types and required fields against the CRD's openAPIV3Schema; the API server also
prunes (or, with strict field validation, rejects) fields the schema does not declare, which
jsonschema does not see, so every key is also looked up in the schema's `properties`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conformance.conftest import undeclared


@pytest.fixture(scope="module")
def schema(crd_schemas: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    return crd_schemas[("argoproj.io/v1alpha1", "AnalysisTemplate")]


@pytest.fixture(scope="module")
def templates(repo_build: Path) -> dict[str, dict[str, Any]]:
    out = repo_build
    found = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((out / "argo").glob("*.yml"))}
    assert "maestro-conductor-analysis.yml" in found
    return found


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
