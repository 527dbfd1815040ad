"""How a publish describes changes (generator/publish/diff.py, report.py): rule groups by name and their
rules by name and labels, YAML with Alertmanager's spellings normalised, dashboards by panel title."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from generator.publish import diff
from generator.publish.report import Outcome, summary

REPO = Path(__file__).resolve().parents[1]


def repo_groups(file: str) -> dict[str, dict]:
    return {g["name"]: g for g in diff.groups_in((REPO / "out/prometheus/rules" / file).read_text())}


def test_a_changed_rule_is_named_by_its_labels_not_just_its_name() -> None:
    old = repo_groups("maestro-conductor.dependencies.rules.yml")
    new = copy.deepcopy(old)
    name = "obsgen-maestro-conductor-dependencies"
    down = new[name]["rules"]
    assert len({r["alert"] for r in down}) == 1 < len(down), "one alert name for every dependency"
    down[1]["for"] = "10m"
    new["obsgen-shop-availability"] = {"name": "obsgen-shop-availability", "interval": "30s", "rules": [{}]}
    assert down[1]["labels"]["component"] == "redis"
    assert diff.group_lines(old, new) == [f"~ group {name}: rules changed: DependencyDown{{component=redis}}",
                                          "+ group obsgen-shop-availability (1 rules)"]
    del new[name]
    assert diff.group_lines(old, new)[0] == f"- group {name}"


def test_a_group_setting_and_added_or_removed_rules_are_named() -> None:
    old = {"g": {"name": "g", "interval": "30s", "rules": [{"record": "a", "expr": "1"}, {"record": "b", "expr": "1"}]}}
    new = {"g": {"name": "g", "interval": "1m", "rules": [{"record": "a", "expr": "1"}, {"record": "c", "expr": "1"}]}}
    assert diff.group_lines(old, new) == ["~ group g: interval 30s -> 1m; rules added: c; rules removed: b"]
    reordered = {"g": {**old["g"], "rules": list(reversed(old["g"]["rules"]))}}
    assert diff.group_lines(old, reordered) == ["~ group g: reordered"]


@pytest.mark.parametrize("text, canonical", [
    ("24h", "1d"), ("1d", "1d"), ("90m", "1h30m"), ("0s", "0s"), ("500ms", "500ms"), ("1w", "7d"),
    ("5x", "5x"), ("sre-mailbox", "sre-mailbox"),
])
def test_durations_get_one_spelling(text: str, canonical: str) -> None:
    assert diff.normalise({"k": [text]}) == {"k": [canonical]}


def test_yaml_diff_ignores_comments_order_and_spelling() -> None:
    a = "# generated\nroute: {receiver: a, repeat_interval: 24h}\nreceivers: [{name: a}]\n"
    b = "receivers:\n- name: a\nroute:\n  repeat_interval: 1d\n  receiver: a\n"
    assert diff.yaml_text(yaml.safe_load(a)) == diff.yaml_text(yaml.safe_load(b))
    c = b.replace("1d", "2d")
    lines = diff.unified(diff.yaml_text(yaml.safe_load(a)), diff.yaml_text(yaml.safe_load(c)), "old", "new")
    assert lines.splitlines()[2:] == ["@@ -2,4 +2,4 @@", " - name: a", " route:", "   receiver: a",
                                      "-  repeat_interval: 1d", "+  repeat_interval: 2d"]


def test_panels_are_keyed_by_row_and_title_collapsed_rows_included() -> None:
    board = {"panels": [
        {"type": "stat", "title": "Up"},
        {"type": "row", "title": "availability", "collapsed": False},
        {"type": "stat", "title": "Objective"},
        {"type": "row", "title": "requests", "collapsed": True, "panels": [{"type": "stat", "title": "Objective"},
                                                                          {"type": "stat", "title": "Objective"}]},
        {"type": "timeseries"},
    ]}
    assert list(diff.panels(board)) == ["Up", "availability", "availability / Objective", "requests",
                                        "requests / Objective", "requests / Objective #2",
                                        "requests / (untitled timeseries)"]


def test_a_dashboard_change_names_panels_and_settings() -> None:
    old = json.loads((REPO / "out/grafana/dashboards/maestro-conductor-slos.json").read_text())
    new = copy.deepcopy(old)
    new["refresh"] = "5m"
    new["version"], old["id"] = 7, 3  # Grafana's own keys never count
    assert diff.dashboard_change(old, new) == "settings: refresh"
    assert diff.dashboard_change(old, {**old, "version": 9}) == "no visible change"
    a, b = {"type": "stat", "title": "A"}, {"type": "stat", "title": "B"}
    assert diff.dashboard_change({"panels": [a, b]}, {"panels": [b, a]}) == "panels reordered"


def test_the_summary_is_one_line_naming_every_target() -> None:
    outcomes = [Outcome("prometheus", "1 group added"), Outcome("alertmanager"),
                Outcome("grafana", "1 dashboard updated", failure="Grafana answered HTTP 500", rollback="undid 1")]
    assert summary(outcomes, dry_run=False) == ("obsgen publish: published prometheus (1 group added); unchanged: "
                                                "alertmanager; FAILED: grafana (rolled back)")
    assert summary(outcomes[:2], dry_run=True) == ("obsgen publish --dry-run: would change prometheus (1 group added); "
                                                   "unchanged: alertmanager")


def test_a_renamed_row_keeps_its_panels() -> None:
    def board(objective: str, target: float) -> dict:
        return {"panels": [{"type": "row", "title": f"requests: {objective} over 30d"},
                           {"type": "stat", "title": "Objective", "thresholds": target},
                           {"type": "stat", "title": "SLI over 30d"},
                           {"type": "row", "title": "latency"}]}

    assert diff.dashboard_change(board("99.9%", 0.999), board("99.95%", 0.9995)) == (
        "panels changed: requests: 99.95% over 30d, requests: 99.95% over 30d / Objective")


def test_long_lists_of_names_are_cut() -> None:
    assert diff.listed([f"r{i}" for i in range(12)]) == "r0, r1, r2, r3, r4, r5, r6, r7, r8, r9 and 2 more"
    assert diff.listed(["a"]) == "a"
