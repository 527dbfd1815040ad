"""The prometheus-operator Probe objects `obsgen build` writes (out/k8s/probe-*.yaml) validate against the
Probe CRD in ../shared/schemas/k8s: jsonschema against its openAPIV3Schema, plus every key looked up in
the schema's `properties` (the API server prunes or rejects undeclared fields, which jsonschema allows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conformance.conftest import REPO

CRD = "monitoring.coreos.com_probes.yaml"


def _find_schemas(start: Path = REPO) -> Path | None:
    for d in (start, *start.parents):
        candidate = d.parent / "shared" / "schemas" / "k8s"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def crd() -> dict[str, Any]:
    found = _find_schemas()
    if found is None:
        pytest.fail(f"conformance: no shared/schemas/k8s beside {REPO} or any of its parents; the CRD schemas "
                    "are required, see shared/README.md")
    return yaml.safe_load((found / CRD).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema(crd: dict[str, Any]) -> dict[str, Any]:
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]


@pytest.fixture(scope="module")
def probes(obsgen_build: Callable[..., Path]) -> dict[str, dict[str, Any]]:
    out = obsgen_build(REPO / "slo").parent
    found = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((out / "k8s").glob("probe-*.yaml"))}
    assert set(found) == {"probe-https-2xx.yaml", "probe-https-hsts.yaml", "probe-http-redirect.yaml"}
    return found


def undeclared(data: object, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            if key not in schema["properties"]:
                yield f"{path}/{key}"
            else:
                yield from undeclared(value, schema["properties"][key], f"{path}/{key}")
    elif isinstance(data, list) and "items" in schema:
        for i, item in enumerate(data):
            yield from undeclared(item, schema["items"], f"{path}/{i}")


def test_every_probe_validates_against_the_crd(crd: dict[str, Any], schema: dict[str, Any],
                                               probes: dict[str, dict[str, Any]]) -> None:
    for name, obj in probes.items():
        assert obj["apiVersion"] == f"{crd['spec']['group']}/v1" and obj["kind"] == crd["spec"]["names"]["kind"], name
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
