"""out/mixin evaluated with the jsonnet Python binding: exactly our rules and dashboards, and `_config`
overrides that change the rules the way obsgen changes them for the changed SLO.

The mixin is imported the way a jsonnet stack imports it (`-J` pointing at its directory, then
`import 'mixin.libsonnet'`); what it yields is compared with the YAML and JSON the same build wrote,
and, after an override, with rules.render of the SLO declared with the new objective or selector.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import _jsonnet
import pytest
import yaml

from generator import build, declarations, yamlio
from generator.checkers import promtool
from generator.loaders import load_all
from generator.model import Service
from generator.render import mixin, rules

REPO = Path(__file__).resolve().parents[1]
SNIPPET = """
local m = (import 'mixin.libsonnet') + %s;
{ rules: m.prometheusRules, alerts: m.prometheusAlerts, dashboards: m.grafanaDashboards, config: m._config }
"""


@pytest.fixture(scope="module")
def services() -> list[Service]:
    return load_all([REPO / "slo"], REPO)


@pytest.fixture(scope="module")
def built(services: list[Service], tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str | bytes], Path]:
    """The build's files, and a directory holding its out/mixin as a jsonnet library path."""
    files = build.outputs(declarations.load(REPO), only={"prometheus", "grafana", "mixin"})
    lib = tmp_path_factory.mktemp("jsonnet-path")
    for path, text in files.items():
        if path.startswith("mixin/"):
            (lib / path).parent.mkdir(parents=True, exist_ok=True)
            (lib / path).write_text(str(text), encoding="utf-8")
    return files, lib


def requests_objective(jsonnet_value: str) -> str:
    return "{ _config+:: { slos+: { 'maestro-conductor'+: { requests+: { objective: VALUE } } } } }".replace(
        "VALUE", jsonnet_value)


def evaluate(lib: Path, override: str = "{}") -> dict[str, Any]:
    return json.loads(_jsonnet.evaluate_snippet("test", SNIPPET % override, jpathdir=[str(lib / "mixin")]))


def joined(result: dict[str, Any]) -> list[dict[str, Any]]:
    """prometheusRules and prometheusAlerts put back together: each `<group>-alerts` after its group."""
    alert_groups = {g["name"]: g for g in result["alerts"]["groups"]}
    out = []
    for g in result["rules"]["groups"]:
        alerts_of = alert_groups.pop(f"{g['name']}-alerts", None)
        if alerts_of is not None:
            assert alerts_of["interval"] == g["interval"]
        out.append({"name": g["name"], "interval": g["interval"],
                    "rules": g["rules"] + (alerts_of["rules"] if alerts_of else [])})
    assert alert_groups == {}, "an alert group without its recording group"
    return out


def slo_rule_groups(files: dict[str, str | bytes], services: list[Service]) -> list[dict[str, Any]]:
    return [g for s in services for g in yaml.safe_load(files[build.rules_path(s)])["groups"]]


def test_the_mixin_yields_exactly_the_slo_rules_we_wrote(built: tuple[dict, Path], services: list[Service]) -> None:
    files, lib = built
    result = evaluate(lib)
    assert all("record" in r for g in result["rules"]["groups"] for r in g["rules"])
    assert all("alert" in r for g in result["alerts"]["groups"] for r in g["rules"])
    names = [g["name"] for g in result["rules"]["groups"] + result["alerts"]["groups"]]
    assert len(names) == len(set(names)), "kube-prometheus puts both in one PrometheusRule"
    assert joined(result) == slo_rule_groups(files, services)


@pytest.mark.usefixtures("toolchain")
def test_alerts_and_rules_in_one_file_as_kube_prometheus_puts_them_pass_promtool(built: tuple[dict, Path],
                                                                                    tmp_path: Path) -> None:
    result = evaluate(built[1])
    rule_file = tmp_path / "mixin.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": result["alerts"]["groups"] + result["rules"]["groups"]}))
    checked = promtool.check_rules(promtool.find(), [rule_file], tmp_path)
    assert checked.ok, checked.lines


def test_the_mixin_yields_exactly_the_dashboards_we_wrote(built: tuple[dict, Path]) -> None:
    files, lib = built
    boards = {Path(p).name: json.loads(v) for p, v in files.items() if p.startswith("grafana/dashboards/")}
    assert len(boards) >= 4
    assert evaluate(lib)["dashboards"] == boards


def test_config_holds_each_slos_objective_and_selector(built: tuple[dict, Path], services: list[Service]) -> None:
    config = evaluate(built[1])["config"]["slos"]
    for svc in services:
        assert set(config[svc.name]) == {slo.name for slo in svc.slos}
        for slo in svc.slos:
            assert config[svc.name][slo.name]["objective"] == slo.objective
    maestro = config["maestro-conductor"]
    assert maestro["requests"]["selector"] == maestro["ttfb-p95"]["selector"] == 'job="maestro-conductor"'
    assert maestro["availability"]["selector"] == 'job="blackbox",instance="https://maestro.example.com/health"'


def _changed(services: list[Service], objective: dict[str, float], job: dict[str, str]) -> list[Service]:
    """The services as an SRE would redeclare them: new objectives, and a new job in the SLIs' selectors."""
    old = 'job="maestro-conductor"'
    out = []
    for svc in services:
        slos = []
        for slo in svc.slos:
            if slo.name in objective:
                slo = replace(slo, objective=objective[slo.name])
            if slo.name in job:
                sli = slo.sli
                fields = {f: getattr(sli, f).replace(old, job[slo.name]) for f in
                          ("total_query", "error_query", "matchers") if isinstance(getattr(sli, f, None), str)}
                slo = replace(slo, sli=replace(sli, **fields))
            slos.append(slo)
        out.append(replace(svc, slos=slos))
    return out


def test_overriding_config_changes_the_rules_as_obsgen_would(built: tuple[dict, Path],
                                                             services: list[Service]) -> None:
    override = """{ _config+:: { slos+: { 'maestro-conductor'+: {
        availability+: { objective: 99.9 },
        requests+: { selector: 'job="maestro-canary"' },
        'ttfb-p95'+: { objective: 99, selector: 'job="maestro-canary",namespace="prod"' },
    } } } }"""
    result = joined(evaluate(built[1], override))
    changed = _changed(services, {"availability": 99.9, "ttfb-p95": 99},
                       {"requests": 'job="maestro-canary"', "ttfb-p95": 'job="maestro-canary",namespace="prod"'})
    assert result == [g for s in changed for g in rules.render(s)["groups"]]
    assert result != slo_rule_groups(built[0], services)
    # and in the places an SRE looks: the objective series, the budget every burn rate divides by, the SLI
    by_record = {(r["labels"]["slo"], r["record"], r["labels"].get("window")): r["expr"]
                 for g in result for r in g["rules"] if "record" in r}
    assert by_record["availability", "obsgen:objective:ratio", None] == "vector(0.999)"
    assert by_record["availability", "obsgen:burn_rate:ratio", "1h"].endswith(" / 0.001")
    assert by_record["ttfb-p95", "obsgen:error_budget:ratio", None] == "vector(0.01)"
    assert 'job="maestro-canary"' in by_record["requests", "obsgen:sli_total:rate1m", None]
    assert by_record["requests", "obsgen:burn_rate:ratio", "1h"].endswith(" / 0.001")  # objective untouched


@pytest.mark.parametrize("objective", [90, 95.5, 99, 99.25, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 99.9999])
def test_jsonnet_writes_every_objective_as_obsgen_does(built: tuple[dict, Path], services: list[Service],
                                                       objective: float) -> None:
    """Numbers are formatted by Jsonnet's %.12g on one side and rules.py on the other: they must agree."""
    result = joined(evaluate(built[1], requests_objective(repr(objective))))
    assert result == [g for s in _changed(services, {"requests": objective}, {}) for g in rules.render(s)["groups"]]


@pytest.mark.parametrize(("value", "message"), [("100", "objective must be a number between 0 and 100"),
                                                ("'99.9'", "objective must be a number"),
                                                ("0", "maestro-conductor/requests: objective")])
def test_a_bad_override_names_the_slo(built: tuple[dict, Path], value: str, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        evaluate(built[1], requests_objective(value))


def test_every_file_is_marked_and_the_entry_point_imports_the_others(built: tuple[dict, Path]) -> None:
    files, _ = built
    mixin_files = {p: str(v) for p, v in files.items() if p.startswith("mixin/")}
    assert sorted(mixin_files) == sorted(f"mixin/{n}" for n in ("mixin.libsonnet", "config.libsonnet",
                                                                "rules.libsonnet", "dashboards.libsonnet"))
    for path, text in mixin_files.items():
        assert yamlio.marked_sources(text.split("\n", 1)[0]), path
    entry = mixin_files["mixin/mixin.libsonnet"]
    for name in ("config", "rules", "dashboards"):
        assert f"import '{name}.libsonnet'" in entry


def test_no_services_no_mixin() -> None:
    assert mixin.outputs({}, []) == {}
