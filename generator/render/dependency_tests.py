"""promtool tests for the "dependency down" alerts, one test group per dependency.

In each group one dependency goes down, recovers, then its series vanish (the exporter is
gone) while every other dependency stays healthy; the alert must be silent just before
`for` has elapsed and firing just after, with exactly the labels routing will see. Input
series are solved from the declared matchers, so the test exercises the rule as written.
"""

from __future__ import annotations

from generator import durations, promql
from generator.errors import SpecError
from generator.grafana.declare import Dependencies, Dependency
from generator.model import Service
from generator.render import dependency_rules
from generator.render.promtool_tests import render_template
from generator.synth import solve

STEP = 60
MARGIN = 2 * STEP          # checks sit two evaluation intervals away from each state change
LOOKBACK = 300             # Prometheus' staleness lookback: a vanished series is absent after it


def _series(dep: Dependency, where: str) -> tuple[dict[str, str], list[promql.Matcher]]:
    matchers = list(promql.selectors(dep.up_selector)[0].matchers)
    labels = solve(matchers)
    if labels is None:
        raise SpecError(f"no series can match {dep.up_selector}", field=f"{where}.selector")
    return labels, matchers


def _series_text(metric: str, labels: dict[str, str]) -> str:
    return metric + promql.selector(dict(sorted(labels.items())))


def _fired(service: Service, dep: Dependency, labels: dict[str, str]) -> dict:
    rule = dependency_rules.rule(service, dep)
    merged = {**labels, **{k: render_template(v, {}) or "" for k, v in rule["labels"].items()}}
    return {"exp_labels": dict(sorted(merged.items())),
            "exp_annotations": {k: render_template(v, merged) or "" for k, v in rule["annotations"].items()}}


def _check(at: int, fired: list[dict]) -> dict:
    return {"eval_time": durations.fmt(at), "alertname": dependency_rules.ALERT, "exp_alerts": fired}


def _group(service: Service, declared: Dependencies, index: int,
           solved: list[tuple[dict[str, str], list[promql.Matcher]]]) -> dict:
    dep = declared.dependencies[index]
    for_s = durations.parse(dep.down_for)
    hold = max(1800, (for_s + 600 + STEP - 1) // STEP * STEP)   # long enough to fire inside each phase
    gone_from = 3 * hold
    end = gone_from + LOOKBACK + for_s + 600
    steps = end // STEP + 1
    labels, _ = solved[index]
    for j, (_, other) in enumerate(solved):
        other_dep = declared.dependencies[j]
        if j != index and other_dep.up_metric == dep.up_metric and all(m.matches(labels.get(m.name, ""))
                                                                       for m in other):
            raise SpecError(f"its series also match dependencies[{j}] ({other_dep.name}): one outage would alert "
                            "as two components; make the selectors disjoint",
                            field=f"dependencies[{index}].selector")
    n = hold // STEP
    faulty = f"1x{n - 1} 0x{n - 1} 1x{n - 1} _x{steps - 3 * n}"
    series = [{"series": _series_text(dep.up_metric, labels), "values": faulty}]
    for j, (other_labels, _) in enumerate(solved):
        if j != index:
            series.append({"series": _series_text(declared.dependencies[j].up_metric, other_labels),
                           "values": f"1x{steps - 1}"})
    absent_labels = {m.name: m.value for m in promql.selectors(dep.up_selector)[0].matchers if m.op == "="}
    checks = [
        _check(hold + for_s - MARGIN, []),
        _check(hold + for_s + MARGIN, [_fired(service, dep, labels)]),
        _check(2 * hold + MARGIN, []),
        _check(gone_from + for_s + MARGIN, []),
        _check(gone_from + LOOKBACK + for_s + MARGIN, [_fired(service, dep, absent_labels)]),
    ]
    return {"name": f"{dep.name} goes down, recovers, then its exporter vanishes",
            "interval": durations.fmt(STEP), "input_series": series, "alert_rule_test": checks}


def render(service: Service, declared: Dependencies, rules_file: str) -> dict:
    """The test file's document; rules_file is relative to the tests directory."""
    solved = [_series(dep, f"dependencies[{i}]") for i, dep in enumerate(declared.dependencies)]
    return {"rule_files": [rules_file], "evaluation_interval": durations.fmt(STEP),
            "tests": [_group(service, declared, i, solved) for i in range(len(declared.dependencies))]}
