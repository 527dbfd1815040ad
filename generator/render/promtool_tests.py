"""promtool unit tests for one service's rules, generated from the same model.

Scenarios (one test group each, all SLOs of the service side by side):
- outage: healthy warm-up, full outage, recovery: pages fire and clear;
- burn: a partial burn that takes tens of minutes to page;
- absent: the SLI's series vanish: the absent-data ticket;
- sustained (long file, 5m evaluation): a 2x-5x burn after a 3-day warm-up opens
  tickets, exhausts the budget, and pages only where a page tier is that slow;
- quiet (long file): healthy, then zero traffic: nothing at all.
Expected alerts come from scenarios.py (exact integrals), checked at T - margin
(silent) and T + margin (firing), margin = 2 evaluation intervals plus half the
base window (the base rate smears a step over it), wider where promtool smears a
staged window (it evaluates the 5m group every interval).

Input series are spaced at the SLO's scrape interval (SLOs scraped at different
intervals get test groups of their own), and the long file writes histogram `le`
labels as Prometheus 3 stores them (`1.0`), the short file as the exporter writes
them (`1`): the rules must match both. The same file passes on promtool 2 and 3:
`group_eval_order` runs the fast groups before the slow ones that read them.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from generator import durations
from generator.model import SLO, Service
from generator.render import rules
from generator.scenarios import Instance, Timeline, is_staged_tier
from generator.series import Segment
from generator.tiers import ResolvedTier

Tiers = tuple[ResolvedTier, ...]
# (segments, onset, end) of one SLO's traffic in a scenario, from (slo, warm-up, its tiers)
Scenario = Callable[[SLO, int, Tiers], tuple[list[Segment], int, int] | None]
Expected = dict[str, str] | None  # an instance's annotations as the alert carries them; None: unpredictable

RPS = 10.0
ORACLE_STEP = 60  # the scenarios' state is worked out at every minute (both files evaluate on that grid)
SHORT_EVAL = 60
LONG_EVAL = 300


@dataclass
class Group:
    name: str
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    onsets: dict[str, int] = field(default_factory=dict)
    duration: int = 0


def render_template(text: str, labels: dict[str, str]) -> str | None:
    """The small part of Go templating our annotations use; None for anything else."""
    out = re.sub(r"\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}",
                 lambda m: labels.get(m.group(1), "<no value>").replace("{{", "\0"), text)
    out = re.sub(r'\{\{\s*"((?:[^"\\]|\\.)*)"\s*\}\}', lambda m: m.group(1).replace("{{", "\0"), out)
    if "{{" in out:
        return None
    return out.replace("\0", "{{")


def _fired_labels(rule: dict, **extra: str) -> tuple[tuple[str, str], ...]:
    """The labels an alert carries once Prometheus has expanded the rule's label templates."""
    labels = {k: render_template(v, {}) for k, v in rule["labels"].items()}
    if any(v is None for v in labels.values()):
        raise ValueError(f"{rule['alert']}: label templates beyond literals cannot be predicted")
    return tuple(sorted({**labels, **extra}.items()))  # type: ignore[dict-item]


def _instances(service: Service, slo: SLO) -> list[tuple[Instance, dict[str, str]]]:
    """Every alert instance the rules of one SLO can raise, with its annotation templates."""
    out: list[tuple[Instance, dict[str, str]]] = []
    for_s = durations.parse(slo.alerting.for_) if slo.alerting.for_ else 0
    seen: set[tuple[str, str]] = set()
    for tier in slo.tiers:
        key = (tier.severity, tier.long)
        if key in seen:
            continue
        seen.add(key)
        rule = rules.burn_alert(service, slo, tier.severity)
        assert rule is not None
        out.append((Instance(slo.alert_name, _fired_labels(rule, window=tier.long), "burn", tier,
                             is_staged_tier(tier), for_s, slo.alerting.keep_s(tier.severity)), rule["annotations"]))
    absent = rules.absent_alert(service, slo)
    out.append((Instance(absent["alert"], _fired_labels(absent), "absent", None, False,
                         durations.parse(absent["for"])), absent["annotations"]))
    ex = rules.exhausted_alert(service, slo)
    out.append((Instance(ex["alert"], _fired_labels(ex), "exhausted", None, True,
                         durations.parse(ex["for"])), ex["annotations"]))
    return out


def _traffic(slo: SLO) -> float:
    return 1.0 if slo.sli.kind == "probe" else RPS


def _healthy(start: int, end: int, rps: float) -> Segment:
    return Segment(start, end, rps, 0.0)


def _fires_after(slo: SLO, tiers: list, err: float) -> int:
    """Longest closed-form detection time among the tiers that fire at this error ratio."""
    times = [t.factor * slo.budget * t.long_s / err for t in tiers if err > t.factor * slo.budget]
    return math.ceil(max(times)) if times else 0


def _round_up(x: float, step: int) -> int:
    return math.ceil(x / step) * step


# The scenario builders take the SLO's tiers (slo.tiers resolves them anew on every read) as `tiers`.

def _outage(slo: SLO, warm: int, tiers: Tiers) -> tuple[list[Segment], int, int]:
    page = [t for t in tiers if t.severity == "page"]
    rps = _traffic(slo)
    hold = _round_up(max(_fires_after(slo, page, 1.0), 600) + 1800, 600)
    keep = slo.alerting.keep_s("page")
    clear = max([t.short_s or t.long_s for t in page] + [1800]) + 1800 + keep
    segs = [_healthy(0, warm, rps), Segment(warm, warm + hold, rps, 1.0),
            _healthy(warm + hold, warm + hold + clear, rps)]
    return segs, warm, warm + hold + clear


def _partial(slo: SLO, warm: int, tiers: Tiers) -> tuple[list[Segment], int, int] | None:
    page = [t for t in tiers if t.severity == "page"]
    if not page:
        return None
    top = max(t.factor for t in page) * slo.budget
    err = min(2 * top, (1 + top) / 2)
    if err >= 1:
        return None
    rps = _traffic(slo)
    hold = _round_up(_fires_after(slo, page, err) + 1800, 600)
    return [_healthy(0, warm, rps), Segment(warm, warm + hold, rps, err)], warm, warm + hold


def sustained_error(slo: SLO, tiers: Tiers | None = None) -> float | None:
    """A burn between the fastest ticket and the slowest page factor (midpoint), e.g. 4.5x at 30d."""
    tiers = slo.tiers if tiers is None else tiers
    ticket = [t.factor for t in tiers if t.severity == "ticket"]
    page = [t.factor for t in tiers if t.severity == "page"]
    if not ticket:
        return None
    hi = max(ticket)
    factor = (hi + min(page)) / 2 if page and min(page) > hi else hi * 1.5
    return min(factor * slo.budget, 0.99)


def _exhausts_after(slo: SLO, warm: int, err: float) -> float:
    """Burn time until the period's ratio reaches the budget after `warm` healthy seconds (0: never).

    While the period still reaches back to the test's start the healthy warm-up dilutes the burn;
    once the burn fills the period only its own share counts. Assuming the first case throughout
    overestimates short periods by far (60 days of burn for a 7d period with the default tiers),
    and the scenario's length is what promtool pays for.
    """
    if err <= slo.budget:
        return 0
    diluted = warm * slo.budget / (err - slo.budget)
    return diluted if warm + diluted <= slo.period_s else slo.period_s * slo.budget / err


def _sustained(slo: SLO, warm: int, tiers: Tiers) -> tuple[list[Segment], int, int] | None:
    err = sustained_error(slo, tiers)
    if err is None:
        return None
    ticket = [t for t in tiers if t.severity == "ticket"]
    rps = _traffic(slo)
    hold = _round_up(max(_fires_after(slo, ticket, err), _exhausts_after(slo, warm, err)) + 3600, 3600)
    return [_healthy(0, warm, rps), Segment(warm, warm + hold, rps, err)], warm, warm + hold


def _absent(slo: SLO, warm: int, tiers: Tiers) -> tuple[list[Segment], int, int]:
    gone = durations.parse(rules.ABSENT_FOR) + 1800
    rps = _traffic(slo)
    return [_healthy(0, 3600, rps), Segment(3600, 3600 + gone, rps, 0.0, present=False)], 3600, 3600 + gone


def _quiet(slo: SLO, warm: int, tiers: Tiers) -> tuple[list[Segment], int, int]:
    rps = _traffic(slo)
    return [_healthy(0, warm, rps), Segment(warm, warm + 86400, 0.0, 0.0)], warm, warm + 86400


def _lanes(service: Service) -> list[list[SLO]]:
    """SLOs sharing an alert name or an input series cannot share a test group, nor can SLOs
    scraped at different intervals (a group's input series share one spacing)."""
    lanes: list[tuple[list[SLO], set[str]]] = []
    for slo in service.slos:
        keys = {slo.alert_name, slo.absent_alert_name, slo.exhausted_alert_name}
        probe = slo.sli.input_series([_healthy(0, 120, 1.0)], slo.scrape_s) or []
        keys |= {f"series:{s}" for s, _ in probe}
        for lane, used in lanes:
            if lane[0].scrape_s == slo.scrape_s and is_native(lane[0]) == is_native(slo) and not keys & used:
                lane.append(slo)
                used |= keys
                break
        else:
            lanes.append(([slo], set(keys)))
    return [lane for lane, _ in lanes]


def _margin(inst: Instance, step: int, base_window: int) -> int:
    """How far a check stays from an exact state change: two evaluations, plus half the base window
    (a step in the traffic reaches a window's ratio through the base rate about that much later;
    without it the 1m-scrape checks fail on promtool 2)."""
    if inst.staged and step < LONG_EVAL:
        return max(2 * step, LONG_EVAL + step) + base_window // 2
    return 2 * step + base_window // 2


def _expected(inst: Instance, ann: dict[str, str]) -> Expected:
    labels = dict(inst.labels)
    rendered = {k: render_template(v, labels) for k, v in ann.items()}
    return None if any(v is None for v in rendered.values()) else rendered  # type: ignore[return-value]


def _group_doc(service: Service, slos: list[SLO], group: Group, step: int,
               per_slo: dict[str, list[tuple[Instance, Expected]]], stored: bool) -> dict | None:
    series: list[dict] = []
    spacing = slos[0].scrape_s  # one per lane
    for slo in slos:
        segs = group.segments[slo.name]
        if segs[-1].end < group.duration:
            last = segs[-1]
            segs = [*segs, Segment(last.end, group.duration, _traffic(slo) if last.rps else 0.0, 0.0,
                                   last.present)]
            group.segments[slo.name] = segs
        made = slo.sli.input_series(segs, spacing, stored=stored)
        if made is None:
            continue
        series.extend({"series": s, "values": v} for s, v in made)
    by_name: dict[str, list[tuple[SLO, Instance, Expected, Timeline]]] = {}
    for slo in slos:
        for inst, ann in per_slo[slo.name]:
            timeline = Timeline(inst, slo, group.segments[slo.name], group.duration, ORACLE_STEP)
            by_name.setdefault(inst.alertname, []).append((slo, inst, ann, timeline))
    checks: list[tuple[int, str, dict]] = []  # (eval time, alertname, check)
    for alertname in sorted(by_name):
        members = by_name[alertname]
        edges: list[tuple[float, int]] = []  # (time the alert state changes, its margin)
        for slo, inst, _ann, timeline in members:
            for i, t in enumerate(timeline.crossings()):
                rising = i % 2 == 0
                edges.append((t + (inst.for_s if rising else inst.keep_s), _margin(inst, step, slo.base_window_s)))
        times: set[int] = set()
        onset = min(group.onsets.values())
        times.add(max(step, (onset // step - 1) * step))
        for t, m in edges:
            for sign in (-1, 1):
                for extra in range(0, 6 * step, step):
                    c = (math.floor if sign < 0 else math.ceil)((t + sign * (m + extra)) / step) * step
                    if 0 < c <= group.duration and all(abs(c - t2) >= m2 for t2, m2 in edges):
                        times.add(int(c))
                        break
        if not edges:
            times.update(range(onset, group.duration + 1, max(step, group.duration // 8 // step * step)))
        for c in sorted(times):
            if any(abs(c - t2) < m2 for t2, m2 in edges):
                continue
            expected = []
            for slo, inst, ann, timeline in members:
                if timeline.firing(c, step):
                    if ann is None:
                        print(f"obsgen: {service.source}: slo {slo.name}: annotations use template "
                              f"features the test generator cannot predict; {alertname} is not "
                              "asserted", file=sys.stderr)
                        expected = None
                        break
                    # fresh dicts per check: YAML would write a shared one as an anchor and aliases
                    expected.append({"exp_labels": dict(inst.labels), "exp_annotations": dict(ann)})
            if expected is None:
                break
            checks.append((c, alertname, {"eval_time": durations.fmt(c), "alertname": alertname,
                          "exp_alerts": sorted(expected, key=lambda e: sorted(e["exp_labels"].items()))}))
    if not series:
        return None
    checks.sort(key=lambda c: c[:2])
    return {"name": group.name, "interval": durations.fmt(spacing), "input_series": series,
            "alert_rule_test": [check for _c, _name, check in checks]}


def _warm(tiers: Tiers, severity: str) -> int:
    ws = [w for t in tiers if t.severity == severity for w in t.windows]
    return max([durations.parse("6h"), *ws])


def is_native(slo: SLO) -> bool:
    """Its inputs are native histograms, which promtool reads from 3.x on: they get files of their own."""
    return bool(getattr(slo.sli, "native", False))


def render(service: Service, rules_file: str) -> tuple[dict, dict]:
    """(short file, long file) documents; rules_file is relative to the tests directory."""
    return _render(service, rules_file, native=False)


def render_native(service: Service, rules_file: str) -> tuple[dict, dict] | None:
    """The same for the service's native-histogram SLOs (`<service>.native[.long].test.yml`); None without any."""
    if not any(is_native(slo) for slo in service.slos):
        return None
    return _render(service, rules_file, native=True)


def _render(service: Service, rules_file: str, native: bool) -> tuple[dict, dict]:
    short_groups: list[dict] = []
    long_groups: list[dict] = []
    # worked out once per SLO, not once per group
    per_slo = {slo.name: [(inst, _expected(inst, ann)) for inst, ann in _instances(service, slo)]
               for slo in service.slos}
    tiers = {slo.name: slo.tiers for slo in service.slos}
    for n, lane in enumerate(lane for lane in _lanes(service) if is_native(lane[0]) == native):
        suffix = f" (lane {n + 1})" if n else ""
        plans: list[tuple[str, int, list[dict], Scenario]] = [
            ("outage then recovery", SHORT_EVAL, short_groups, _outage),
            ("partial burn pages on time", SHORT_EVAL, short_groups, _partial),
            ("SLI data vanishes", SHORT_EVAL, short_groups, _absent),
            ("sustained 2x-5x burn opens tickets", LONG_EVAL, long_groups, _sustained),
            ("healthy, then zero traffic: nothing fires", LONG_EVAL, long_groups, _quiet),
        ]
        for title, step, sink, scenario in plans:
            group = Group(title + suffix)
            for slo in lane:
                warm = _warm(tiers[slo.name], "ticket" if step == LONG_EVAL else "page")
                made = scenario(slo, warm, tiers[slo.name])
                if made is None:
                    rps = _traffic(slo)
                    made = ([_healthy(0, warm, rps)], warm, warm)
                segs, onset, end = made
                group.segments[slo.name] = segs
                group.onsets[slo.name] = onset
                group.duration = max(group.duration, end)
            doc = _group_doc(service, lane, group, step, per_slo, stored=step == LONG_EVAL)
            if doc is not None:
                sink.append(doc)
    head = {"rule_files": [rules_file]}
    order = {"group_eval_order": eval_order(service)}
    short = dict(head, evaluation_interval=durations.fmt(SHORT_EVAL), **order, tests=short_groups)
    long = dict(head, evaluation_interval=durations.fmt(LONG_EVAL), **order, tests=long_groups)
    return short, long


def eval_order(service: Service) -> list[str]:
    """Fast groups first: promtool runs every group at every step in no fixed order, and a slow group
    reading a fast group's series by lookback (left-open on Prometheus 3) must find this step's sample."""
    pairs = [rules.group_names(service, slo) for slo in service.slos]
    return [fast for fast, _ in pairs] + [slow for _, slow in pairs]

