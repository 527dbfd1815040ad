"""obsgen against Sloth's own golden outputs (../shared/peers/sloth, Sloth v0.16).

For each of Sloth's reference specs, built by obsgen with the flags Sloth used, every SLO's burn
alerts must have the same tiers as Sloth's: the same (long window, short window, threshold) per
severity, threshold = factor x error budget (Sloth writes `ratio_rate1h{...} > (14.4 * 0.000999...)`;
obsgen writes the factor and divides the ratio by the budget, (100 - objective) / 100 of the spec).
The recording-rule names differ by design; obsgen must still record a ratio for every window
Sloth records, and the period.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

VERSION = "v0.16.0"
SEVERITIES = ("page", "ticket")


@dataclass(frozen=True)
class Case:
    id: str
    spec: str
    flags: tuple[str, ...]  # obsgen flags; paths are relative to the Sloth directory
    golden: str
    period: str


CASES = [
    Case("base-30d", "in-base.yaml", (), "out-base.yaml.tpl", "30d"),
    Case("base-28d", "in-base.yaml", ("--period", "28d"), "out-base-28d.yaml.tpl", "28d"),
    Case("base-7d-windows", "in-base.yaml", ("--period", "7d", "--windows", "windows/7d.yaml"),
         "out-base-custom-windows-7d.yaml.tpl", "7d"),
    Case("getting-started", "examples/getting-started.yml", (), "examples/_gen/getting-started.yml", "30d"),
]
IDS = [c.id for c in CASES]

_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(text: str) -> int:
    assert re.fullmatch(r"(?:\d+[wdhms])+", text), f"not a duration: {text!r}"
    return sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([wdhms])", text))


def _fmt(secs: int) -> str:
    for unit in ("d", "h", "m"):
        if secs % _UNIT[unit] == 0:
            return f"{secs // _UNIT[unit]}{unit}"
    return f"{secs}s"


def render_golden(text: str) -> dict:
    """Sloth's .tpl outputs are Go templates: fill in the version, unquote the $labels actions."""
    text = re.sub(r"\{\{\s*\.version\s*\}\}", VERSION, text)
    text = re.sub(r'\{\{"(\{\{\$labels\.[A-Za-z_][A-Za-z0-9_]*\}\})"\}\}', r"\1", text)
    leftover = re.findall(r"\{\{\s*[^$][^}]*\}\}", text)
    assert not leftover, f"unrendered template actions: {leftover[:3]}"
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert len(docs) == 1
    return docs[0]


Tiers = dict[tuple[str, str], list[tuple[int, int | None, float]]]  # (slo, severity) -> sorted tiers

_SLOTH_COND = re.compile(
    r'slo:sli_error:ratio_rate(?P<w>\w+)\{(?P<sel>[^}]*)\}\s*>\s*\(\s*(?P<f>[0-9.eE+-]+)\s*\*\s*(?P<b>[0-9.eE+-]+)\s*\)')
_OURS_COND = re.compile(r'obsgen:burn_rate:ratio\{(?P<sel>[^}]*)\}\s*>\s*(?P<f>[0-9.eE+-]+)')
_OR = re.compile(r"\n\s*or\s*\n")


def _label(selector: str, name: str) -> str:
    m = re.search(rf'\b{name}="([^"]*)"', selector)
    assert m is not None, f"no {name} in {selector!r}"
    return m[1]


def sloth_tiers(golden: dict) -> Tiers:
    out: Tiers = {}
    for group in golden["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            severity = rule["labels"]["sloth_severity"]
            for part in _OR.split(rule["expr"].strip()):
                conds = list(_SLOTH_COND.finditer(part))
                assert len(conds) == 2, f"a Sloth tier has a long and a short window: {part!r}"
                slos = {_label(c["sel"], "sloth_slo") for c in conds}
                thresholds = {float(c["f"]) * float(c["b"]) for c in conds}
                assert len(slos) == 1 and len(thresholds) == 1, part
                short, long = sorted(seconds(c["w"]) for c in conds)
                out.setdefault((slos.pop(), severity), []).append((long, short, thresholds.pop()))
    return {k: sorted(v) for k, v in out.items()}


def obsgen_tiers(rules: dict, budgets: dict[str, float]) -> Tiers:
    out: Tiers = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule or "obsgen:burn_rate:ratio" not in rule["expr"]:
                continue
            slo, severity = rule["labels"]["slo"], rule["labels"]["severity"]
            for part in _OR.split(rule["expr"].strip()):
                conds = list(_OURS_COND.finditer(part))
                assert 1 <= len(conds) <= 2, part
                factors = {float(c["f"]) for c in conds}
                assert len(factors) == 1, part
                assert {_label(c["sel"], "slo") for c in conds} == {slo}, part
                ws = sorted(seconds(_label(c["sel"], "window")) for c in conds)
                long, short = ws[-1], (ws[0] if len(ws) == 2 else None)
                out.setdefault((slo, severity), []).append((long, short, factors.pop() * budgets[slo]))
    return {k: sorted(v) for k, v in out.items()}


def sloth_windows(golden: dict) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for group in golden["groups"]:
        for rule in group["rules"]:
            m = re.fullmatch(r"slo:sli_error:ratio_rate(\w+)", rule.get("record", ""))
            if m:
                assert rule["labels"]["sloth_window"] == m[1]
                out.setdefault(rule["labels"]["sloth_slo"], set()).add(seconds(m[1]))
    return out


def obsgen_windows(rules: dict) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("record") == "obsgen:sli_error:ratio":
                out.setdefault(rule["labels"]["slo"], set()).add(seconds(rule["labels"]["window"]))
    return out


def _days(rules: dict, record: str, slo_label: str) -> dict[str, float]:
    out = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("record") == record:
                m = re.fullmatch(r"vector\(([0-9.eE+-]+)\)", rule["expr"].strip())
                assert m is not None, rule["expr"]
                out[rule["labels"][slo_label]] = float(m[1])
    return out


@dataclass
class Built:
    case: Case
    spec: dict
    golden: dict
    rules: dict

    @property
    def slos(self) -> list[str]:
        return [s["name"] for s in self.spec["slos"]]

    @property
    def budgets(self) -> dict[str, float]:
        return {s["name"]: (100 - s["objective"]) / 100 for s in self.spec["slos"]}


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def built(request: pytest.FixtureRequest, sloth_dir: Path, obsgen_build: Callable[..., Path]) -> Built:
    case: Case = request.param
    flags = [str(sloth_dir / f) if f.endswith((".yaml", ".yml")) else f for f in case.flags]
    spec_path = sloth_dir / case.spec
    tree = obsgen_build(spec_path, *flags)
    spec = yaml.safe_load(spec_path.read_text())
    rule_files = sorted((tree / "rules").glob("*.yml"))
    assert [p.name for p in rule_files] == [f"{spec['service']}.rules.yml"]
    golden = render_golden((sloth_dir / case.golden).read_text())
    return Built(case, spec, golden, yaml.safe_load(rule_files[0].read_text()))


def test_alert_tiers_match_sloth(built: Built) -> None:
    theirs = sloth_tiers(built.golden)
    ours = obsgen_tiers(built.rules, built.budgets)
    assert theirs, "no alerts found in Sloth's golden output"
    assert {slo for slo, _ in theirs} <= set(built.slos)
    for slo in built.slos:
        for severity in SEVERITIES:
            want = theirs.get((slo, severity), [])
            got = ours.get((slo, severity), [])
            where = f"{slo} {severity}: Sloth {want}, obsgen {got}"
            assert [(long, short) for long, short, _ in got] == [(long, short) for long, short, _ in want], where
            for (_, _, g), (_, _, w) in zip(got, want, strict=True):
                assert math.isclose(g, w, rel_tol=1e-9), where


def test_every_sloth_window_is_recorded(built: Built) -> None:
    theirs = sloth_windows(built.golden)
    ours = obsgen_windows(built.rules)
    assert set(theirs) == set(built.slos)
    missing = {slo: [_fmt(w) for w in sorted(ws - ours.get(slo, set()))] for slo, ws in theirs.items()
               if ws - ours.get(slo, set())}
    assert not missing, (f"{built.case.id}: Sloth records these error-ratio windows, obsgen does not: {missing} "
                         f"(obsgen records {({k: [_fmt(w) for w in sorted(v)] for k, v in ours.items()})})")


def test_period_matches_sloth(built: Built) -> None:
    theirs = _days(built.golden, "slo:time_period:days", "sloth_slo")
    ours = _days(built.rules, "obsgen:period:days", "slo")
    assert set(theirs) == set(built.slos)
    assert ours == pytest.approx(theirs)
    assert set(ours.values()) == {seconds(built.case.period) / 86400}
    windows = obsgen_windows(built.rules)
    for slo, days in ours.items():
        assert round(days * 86400) in windows.get(slo, set()), f"{slo}: no ratio over the {days:g}d period"
