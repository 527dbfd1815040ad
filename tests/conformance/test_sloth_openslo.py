"""Sloth's OpenSLO v1alpha example (../shared/peers/sloth/in-openslo.yaml) built by obsgen.

Sloth compiles it into recordings only (its OpenSLO loader disables alerts); obsgen must read the
same SLO (same name, objective and period), record a ratio for every window Sloth records and the
period, and give it the default multi-window tiers Sloth gives its own specs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conformance.test_sloth_golden import (
    _days,
    obsgen_tiers,
    obsgen_windows,
    render_golden,
    seconds,
    sloth_windows,
)

SPEC, GOLDEN = "in-openslo.yaml", "out-openslo.yaml.tpl"


def _objectives(golden: dict) -> dict[str, float]:
    out = {}
    for group in golden["groups"]:
        for rule in group["rules"]:
            if rule.get("record") == "slo:objective:ratio":
                m = re.fullmatch(r"vector\(([0-9.eE+-]+)\)", rule["expr"].strip())
                assert m is not None, rule["expr"]
                out[rule["labels"]["sloth_slo"]] = float(m[1])
    return out


def test_sloths_openslo_example_builds_the_same_slo_with_default_tiers(sloth_dir: Path,
                                                                     obsgen_build: Callable[..., Path]) -> None:
    tree = obsgen_build(sloth_dir / SPEC)
    spec = yaml.safe_load((sloth_dir / SPEC).read_text())
    [rule_file] = sorted((tree / "rules").glob("*.yml"))
    assert rule_file.name == f"{spec['spec']['service']}.rules.yml"
    ours = yaml.safe_load(rule_file.read_text())
    golden = render_golden((sloth_dir / GOLDEN).read_text())

    theirs_windows, our_windows = sloth_windows(golden), obsgen_windows(ours)
    assert set(theirs_windows) == set(our_windows) == {"slo1-0"}
    assert theirs_windows["slo1-0"] <= our_windows["slo1-0"]
    assert _days(ours, "obsgen:period:days", "slo") == _days(golden, "slo:time_period:days", "sloth_slo") == {
        "slo1-0": 30}
    theirs_objective = _objectives(golden)["slo1-0"]
    assert math.isclose(_days(ours, "obsgen:objective:ratio", "slo")["slo1-0"], theirs_objective)

    budget = 1 - theirs_objective
    tiers = obsgen_tiers(ours, {"slo1-0": budget})
    hours = 30 * 24
    expected = {"page": [(2, "1h", "5m"), (5, "6h", "30m")], "ticket": [(10, "1d", "2h"), (10, "3d", "6h")]}
    for severity, want in expected.items():
        got = tiers[("slo1-0", severity)]
        assert [(long, short) for long, short, _ in got] == [(seconds(lw), seconds(sw)) for _, lw, sw in want]
        for (_, _, threshold), (percent, long, _) in zip(got, want, strict=True):
            factor = percent * hours / 100 / (seconds(long) / 3600)
            assert math.isclose(threshold, factor * budget, rel_tol=1e-9), (severity, long, threshold)
