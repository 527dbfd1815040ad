"""The guardrails' alert rules and their generated promtool tests (render/guardrail_rules.py, guardrail_tests.py).

The generated tests pass with the real promtool, and they are not decoration: each mutation of
the rule file below (a threshold, a `for`, an exclusion, a selector) makes them fail. The rules
keep obsgen's label contract and stay cheap (no rule reads every series of the TSDB).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator import promql
from generator.checkers import promtool
from generator.render.guardrail_tests import values

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
PROM = REPO / "out" / "prometheus"
RULES = PROM / "rules" / "obsgen-guardrails.rules.yml"
TESTS = sorted((PROM / "tests").glob("obsgen-guardrails.*test.yml"))


def require_promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is required (apt-get install prometheus); these tests never skip"
    return path


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def run_tests(rules_text: str, tmp_path: Path) -> promtool.Result:
    """The generated test files against rules_text, in a copy of out/prometheus."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "rules" / RULES.name).write_text(rules_text)
    for test in TESTS:
        shutil.copy(test, tmp_path / "tests" / test.name)
    return promtool.test_rules(require_promtool(), sorted((tmp_path / "tests").glob("*.yml")), tmp_path / "tests")


def test_promtool_accepts_the_rules_and_the_generated_tests_pass(tmp_path: Path) -> None:
    assert [t.name for t in TESTS] == ["obsgen-guardrails.long.test.yml", "obsgen-guardrails.test.yml"]
    res = promtool.check_rules(require_promtool(), [RULES], PROM)
    assert res.ok, res.lines
    res = run_tests(RULES.read_text(), tmp_path)
    assert res.ok, res.lines


MUTATIONS = [  # (what, pattern, replacement): each must make the generated tests fail
    ("the ticket warns at 14 days, not 21", r"< 1814400", "< 1209600"),
    ("the page waits for 3 days, not 7", r"< 604800", "< 259200"),
    ("a missing HSTS header counts as an outage", r"\n\s*unless on\(job, instance, module\)\n.*== 1", ""),
    ("ProbeFailing also covers the redirect probe", r'module=~"https_2xx\|https_hsts"', 'module=~".+"'),
    ("ProbeHSTSMissing fires after 5m, not 15m", r"(alert: ProbeHSTSMissing\n(?:.*\n){1,3}?\s+for: )15m", r"\g<1>5m"),
    ("PagerDuty alerts include Slack failures", r'integration="pagerduty"', 'integration=~".+"'),
    ("a skipped iteration is ignored", r"\n\s*or\n\s*increase\(prometheus_rule_group_iterations_missed_total.*", ""),
    ("the notifier's error ratio must be 100%", r"\) > 0\.01", ") > 1"),
    ("head series growth threshold 25% instead of 20%", r"> 1\.2 \*", "> 1.25 *"),
    ("storage growth compared with an hour ago", r"(storage_blocks_bytes\{[^}]*\} offset )1d", r"\g<1>1h"),
    ("the default budget is one series more", r'(relabeling\{job!~"maestro-conductor"\}\)) > 20000', r"\1 > 20001"),
    ("the default budget is one series less", r'(relabeling\{job!~"maestro-conductor"\}\)) > 20000', r"\1 > 19999"),
    ("the default budget also counts Maestro's job", r'\{job!~"maestro-conductor"\}', ""),
    ("Maestro's churn budget one less", r'(added\{job="maestro-conductor"\}\[1h\]\)\)) > 20000', r"\1 > 19999"),
    ("the default churn budget one more", r'(added\{job!~"maestro-conductor"\}\[1h\]\)\)) > 10000', r"\1 > 10001"),
    ("the Watchdog is quiet", r"expr: vector\(1\)", "expr: vector(1) == 0"),
]


@pytest.mark.parametrize(("what", "pattern", "replacement"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_generated_tests_catch_a_broken_rule(tmp_path: Path, what: str, pattern: str, replacement: str) -> None:
    original = RULES.read_text()
    mutated, n = re.subn(pattern, replacement, original)
    assert n >= 1, f"mutation {what!r} no longer applies to the rule file"
    res = run_tests(mutated, tmp_path)
    assert not res.ok, f"the generated tests still pass when {what}"


def test_every_alert_is_asserted_firing_and_quiet() -> None:
    seen: dict[str, set[bool]] = {}
    for path in TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for check in group["alert_rule_test"]:
                seen.setdefault(check["alertname"], set()).add(bool(check["exp_alerts"]))
    for name in {r["alert"] for r in rules()}:
        assert seen.get(name) == ({True} if name == "Watchdog" else {True, False}), name


def test_label_contract_component_and_no_slo() -> None:
    for rule in rules():
        labels = rule["labels"]
        assert "slo" not in labels and labels["component"] and labels["service"], rule["alert"]
        assert labels["severity"] in ("page", "ticket", "none"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook_url"], rule["alert"]
    severities = {(r["alert"], r["labels"]["severity"]) for r in rules()}
    assert ("Watchdog", "none") in severities
    assert {a for a, s in severities if s == "page"} == {"ProbeCertificateExpiring"}


def test_no_rule_reads_every_series() -> None:
    """Every selector names its metric: no `{__name__=~".+"}`, the most expensive rule one could ship."""
    for rule in rules():
        assert "__name__" not in rule["expr"] and "count" not in rule["expr"], rule["alert"]
        for sel in promql.selectors(rule["expr"]):
            assert sel.metric, (rule["alert"], sel)


def expand(notation: str) -> list[float]:
    """promtool's `a+bxn` notation, expanded independently of the generator."""
    out: list[float] = []
    for part in notation.split():
        m = re.fullmatch(r"(-?[0-9.e]+)(?:([+-])([0-9.e]+)x(\d+))?", part)
        assert m, part
        start = float(m[1])
        out.append(start)
        if m[2]:
            step = float(m[3]) * (1 if m[2] == "+" else -1)
            out.extend(start + step * k for k in range(1, int(m[4]) + 1))
    return out


@given(st.lists(st.integers(min_value=-50, max_value=2_000_000), min_size=1, max_size=40))
def test_values_notation_round_trips(samples: list[int]) -> None:
    assert expand(values([float(s) for s in samples])) == [float(s) for s in samples]


def test_values_notation_is_compact_for_steps_and_counters() -> None:
    assert values([1, 1, 1, 0, 0, 5, 6, 7, 8]) == "1+0x2 0+0x1 5+1x3"
    assert values([9.5]) == "9.5"


VARIANTS = {  # other declarations: the generated tests must pass for them too
    "no probes, no budgets": {"probes": []},
    "HSTS only, other thresholds": {
        "probes_extra": [("https://maestro.example.com/app", True, False)],
        "blackbox": {"certificate_ticket": "30d", "certificate_page": "1d12h", "interval": "30s", "timeout": "5s"},
        "tsdb": {"head_series_percent": 3.5, "storage_percent": 150, "over": "12h"},
        "cardinality": [{"series": 7, "new_series_per_hour": 5}]},
    "per-job budgets only, odd job names": {
        "cardinality": [{"job": "kube.state-metrics", "series": 1_000_000, "new_series_per_hour": 999},
                        {"job": "node_exporter", "series": 3}]},
}


def build_variant(variant: dict, tmp_path: Path) -> Path:
    from generator.guardrails import Blackbox, CardinalityBudget, Guardrails, Probe, TSDBGrowth, slo_probes
    from generator.loaders import load_all
    from generator.render import guardrail_outputs
    from generator.writer import write_tree

    services = load_all([REPO / "slo"], REPO)
    maestro = services[0]
    probes = variant.get("probes", [*slo_probes(maestro), Probe("https://maestro.example.com", hsts=True,
                                                                 redirect=True)])
    probes += [Probe(url, hsts=hsts, redirect=redirect) for url, hsts, redirect in variant.get("probes_extra", [])]
    g = Guardrails(service=maestro, probes=probes, blackbox=Blackbox(**variant.get("blackbox", {})),
                   tsdb=TSDBGrowth(**variant.get("tsdb", {})),
                   cardinality=[CardinalityBudget(**b) for b in variant.get("cardinality", [])], source="slo/x.py")
    if probes:
        g.validate(services)
    out = tmp_path / "out"
    write_tree(out, guardrail_outputs.outputs(g, services))
    return out / "prometheus"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_generated_tests_pass_for_other_declarations(tmp_path: Path, name: str) -> None:
    prom = build_variant(VARIANTS[name], tmp_path)
    res = promtool.check_rules(require_promtool(), sorted((prom / "rules").glob("*.yml")), prom)
    assert res.ok, res.lines
    res = promtool.test_rules(require_promtool(), sorted((prom / "tests").glob("*.yml")), prom / "tests")
    assert res.ok, res.lines
