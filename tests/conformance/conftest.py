"""Conformance tests read the reference material in ../shared (beside the repo), and only they do.

A missing ../shared is a failure, not a skip: CI always has it, and a green run that compared
nothing would hide a broken checkout.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def find_shared(*parts: str, start: Path = REPO) -> Path | None:
    """The nearest `shared/<parts>` beside the repo or one of its ancestors."""
    for d in (start, *start.parents):
        candidate = d.parent.joinpath("shared", *parts)
        if candidate.is_dir():
            return candidate
    return None


def require_shared(*parts: str, what: str) -> Path:
    found = find_shared(*parts)
    if found is None:
        pytest.fail(f"conformance: no shared/{'/'.join(parts)} beside {REPO} or any of its parents; {what} "
                    "are required, see shared/README.md")
    return found


@pytest.fixture(scope="session")
def sloth_dir() -> Path:
    return require_shared("peers", "sloth", what="the Sloth golden files")


@pytest.fixture(scope="session")
def grafana_schemas() -> Path:
    return require_shared("schemas", "grafana", what="Grafana's dashboard schemas")


class _CRDLoader(yaml.SafeLoader):
    """PyYAML reads a bare `=` (a matchType enum value) as YAML 1.1's `value` tag; Kubernetes reads a string."""


_CRDLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope="session")
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema, for every served version of every CRD in shared/schemas/k8s."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(require_shared("schemas", "k8s", what="the CRD schemas").glob("*.yaml")):
        crd = yaml.load(path.read_text(encoding="utf-8"), Loader=_CRDLoader)
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                out[key] = version["schema"]["openAPIV3Schema"]
    assert {k for _, k in out} >= {"PrometheusRule", "AlertmanagerConfig", "Probe", "AnalysisTemplate"}
    return out


def undeclared(data: object, schema: dict[str, Any], path: str = "") -> Iterator[str]:
    """Keys the schema does not declare: the API server prunes (or with strict field validation rejects)
    them, which jsonschema lets through."""
    if isinstance(data, dict) and "properties" in schema:
        for key, value in data.items():
            if key not in schema["properties"]:
                yield f"{path}/{key}"
            else:
                yield from undeclared(value, schema["properties"][key], f"{path}/{key}")
    elif isinstance(data, list) and "items" in schema:
        for i, item in enumerate(data):
            yield from undeclared(item, schema["items"], f"{path}/{i}")


@pytest.fixture(scope="session")
def obsgen_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Run `obsgen build SPEC --out TMP FLAGS...` (memoised); returns TMP/prometheus."""
    cache: dict[tuple[str, ...], Path] = {}

    def build(spec: Path, *flags: str) -> Path:
        key = (str(spec), *flags)
        if key not in cache:
            out = tmp_path_factory.mktemp("obsgen-" + spec.stem)
            proc = subprocess.run([sys.executable, "-m", "generator", "build", str(spec), "--out", str(out),
                                   *flags], cwd=REPO, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, f"obsgen build {spec.name} {' '.join(flags)}: {proc.stderr}"
            cache[key] = out / "prometheus"
        return cache[key]

    return build


@pytest.fixture(scope="session")
def repo_build(obsgen_build: Callable[..., Path]) -> Path:
    """out/ of a build of everything the repo declares (slo/, alerts/, dashboards/), as `obsgen build` in it."""
    return obsgen_build(REPO / "slo", "--alerts", str(REPO / "alerts"), "--dashboards", str(REPO / "dashboards")).parent
