"""generator.render.rulers: out/rulers/ as Grafana Mimir's and Thanos' rulers read it.

Structure is checked against the formats themselves (mimirtool's rule namespace file: `namespace`
+ Prometheus rule groups with Mimir's extra group keys; Thanos: Prometheus rule groups with
`partial_response_strategy`), key by key and type by type. The same groups with the ruler keys
removed must be byte-for-byte the plain Prometheus groups and pass the real `promtool check rules`,
which rejects the files as they are (so the ruler keys are really there, and really need removing).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from generator import build
from generator.checkers import promtool
from generator.declarations import Declarations
from generator.errors import SpecError
from generator.loaders import load_all
from generator.model import Ruler, Service
from generator.render import rulers

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

ROOT = Path(__file__).resolve().parents[1]
# prometheus/model/rulefmt RuleGroup and Rule keys (Prometheus 2.x)
PROM_GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules", "labels"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
# Mimir's ruler adds these per group (mimirtool rules load reads them)
MIMIR_GROUP_KEYS = PROM_GROUP_KEYS | {"source_tenants", "evaluation_delay", "align_evaluation_time_on_interval"}
THANOS_GROUP_KEYS = PROM_GROUP_KEYS | {"partial_response_strategy"}


@pytest.fixture(scope="module")
def maestro() -> Service:
    [svc] = load_all([ROOT / "slo"], ROOT)
    return svc


def built(svc: Service) -> dict[str, dict]:
    files = build.outputs(Declarations([svc]), only={"prometheus", "rulers"})
    return {rel: yaml.safe_load(text) for rel, text in files.items() if rel.endswith(".rules.yml") or
            rel.startswith("rulers/")}


def check_rules_shape(groups: object, group_keys: set[str]) -> None:
    assert isinstance(groups, list) and groups
    for group in groups:
        assert isinstance(group, dict) and set(group) <= group_keys, set(group) - group_keys
        assert isinstance(group["name"], str) and isinstance(group["rules"], list)
        for rule in group["rules"]:
            assert set(rule) <= RULE_KEYS and isinstance(rule["expr"], str)
            assert ("record" in rule) != ("alert" in rule)


def strip(groups: list[dict], keys: tuple[str, ...]) -> list[dict]:
    return [{k: v for k, v in g.items() if k not in keys} for g in groups]


DECLARED = Ruler(source_tenants=("team-conductor", "platform"), partial_response="warn")


@pytest.mark.parametrize("ruler", [Ruler(), DECLARED], ids=["defaults", "declared"])
def test_ruler_files_have_the_rulers_structure_and_the_prometheus_groups(maestro: Service, ruler: Ruler,
                                                                         tmp_path: Path) -> None:
    svc = replace(maestro, ruler=ruler)
    files = built(svc)
    mimir_path, thanos_path = rulers.paths(svc)
    plain = files[build.rules_path(svc)]["groups"]
    mimir, thanos = files[mimir_path], files[thanos_path]

    assert set(mimir) == {"namespace", "groups"} and mimir["namespace"] == svc.name
    check_rules_shape(mimir["groups"], MIMIR_GROUP_KEYS)
    for group in mimir["groups"]:
        if ruler.source_tenants:
            assert group["source_tenants"] == list(ruler.source_tenants)
        else:
            assert "source_tenants" not in group
    assert set(thanos) == {"groups"}
    check_rules_shape(thanos["groups"], THANOS_GROUP_KEYS)
    assert {g["partial_response_strategy"] for g in thanos["groups"]} == {ruler.partial_response}

    assert strip(mimir["groups"], rulers.MIMIR_KEYS) == plain
    assert strip(thanos["groups"], rulers.THANOS_KEYS) == plain

    binary = promtool.find()
    stripped = []
    for name, groups in (("mimir", strip(mimir["groups"], rulers.MIMIR_KEYS)),
                         ("thanos", strip(thanos["groups"], rulers.THANOS_KEYS))):
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        stripped.append(path)
    result = promtool.check_rules(binary, stripped, tmp_path)
    assert result.ok, result.lines

    raw = tmp_path / "thanos-as-written.yml"
    raw.write_text(yaml.safe_dump(thanos, sort_keys=False))
    assert not promtool.check_rules(binary, [raw], tmp_path).ok, "promtool took partial_response_strategy"


@pytest.mark.parametrize(("ruler", "field", "words"), [
    (Ruler(source_tenants=("bad tenant",)), "ruler.source_tenants", "not a Mimir tenant ID"),
    (Ruler(source_tenants=("a", "a")), "ruler.source_tenants", "twice"),
    (Ruler(source_tenants=("..",)), "ruler.source_tenants", "not a Mimir tenant ID"),
    (Ruler(partial_response="ignore"), "ruler.partial_response", "abort or warn"),
])
def test_bad_ruler_declarations_are_refused(maestro: Service, ruler: Ruler, field: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        replace(maestro, ruler=ruler).validate()
    assert caught.value.field == field and words in caught.value.message
