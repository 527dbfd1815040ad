"""The prometheus-operator Probe objects `obsgen build` writes (out/k8s/probe-*.yaml) validate against the
Probe CRD in ../shared/schemas/k8s: jsonschema against its openAPIV3Schema, plus every key looked up in
the schema's `properties` (the API server prunes or rejects undeclared fields, which jsonschema allows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conformance.conftest import undeclared

API_VERSION = "monitoring.coreos.com/v1"


@pytest.fixture(scope="module")
def schema(crd_schemas: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    return crd_schemas[(API_VERSION, "Probe")]


@pytest.fixture(scope="module")
def probes(repo_build: Path) -> dict[str, dict[str, Any]]:
    out = repo_build
    found = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((out / "k8s").glob("probe-*.yaml"))}
    assert set(found) == {"probe-https-2xx.yaml", "probe-https-hsts.yaml", "probe-http-redirect.yaml"}
    return found


def test_every_probe_validates_against_the_crd(schema: dict[str, Any], probes: dict[str, dict[str, Any]]) -> None:
    for name, obj in probes.items():
        assert (obj["apiVersion"], obj["kind"]) == (API_VERSION, "Probe"), name
        jsonschema.validate(obj, schema)
        assert list(undeclared(obj["spec"], schema["properties"]["spec"])) == [], name


def test_the_probes_select_like_the_scrape_job(probes: dict[str, dict[str, Any]]) -> None:
    """jobName is the job the probe SLIs select; the module travels as a label, as in the scrape job."""
    for obj in probes.values():
        spec = obj["spec"]
        assert spec["jobName"] == "blackbox" and spec["prober"]["url"].endswith(":9115")
        assert spec["targets"]["staticConfig"]["labels"] == {"module": spec["module"]}
    health = probes["probe-https-2xx.yaml"]["spec"]["targets"]["staticConfig"]["static"]
    assert health == ["https://maestro.example.com/health"]


@pytest.mark.parametrize(("where", "value"), [
    (("spec", "interval"), "15 seconds"),
    (("spec", "prober"), {"path": "/probe"}),  # no url
    (("spec", "targets", "staticConfig", "static"), "https://maestro.example.com"),
])
def test_the_schema_refuses_a_broken_probe(schema: dict[str, Any], probes: dict[str, dict[str, Any]],
                                           where: tuple[str, ...], value: object) -> None:
    obj = yaml.safe_load(yaml.safe_dump(probes["probe-https-2xx.yaml"]))
    parent = obj
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(obj, schema)
