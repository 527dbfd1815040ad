"""Exact alert timelines for piecewise-constant traffic, the oracle of the generated tests.

Given segments of constant traffic and error ratio, the error ratio over any
window is an exact integral, so every tier's crossing time can be found to the
second without running Prometheus. The generated promtool tests assert the rules
against these times; tests/ checks the times against the closed form
T = factor x budget x long / e independently.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from generator import names
from generator.model import SLO
from generator.series import Segment
from generator.tiers import ResolvedTier


def _integrals(segments: list[Segment], a: float, b: float) -> tuple[float, float]:
    """(bad events, all events) in [a, b)."""
    bad = total = 0.0
    for s in segments:
        lo, hi = max(a, s.start), min(b, s.end)
        if hi <= lo or not s.present:
            continue
        total += s.rps * (hi - lo)
        bad += s.rps * s.err * (hi - lo)
    return bad, total


def ratio(segments: list[Segment], t: float, window: int) -> float | None:
    """Traffic-weighted error ratio over [t - window, t] (clipped at the test start)."""
    bad, total = _integrals(segments, max(0.0, t - window), t)
    return bad / total if total > 0 else None


def present(segments: list[Segment], t: float) -> bool:
    for s in segments:
        if s.start <= t < s.end:
            return s.present
    return False


@dataclass(frozen=True)
class Instance:
    """One alert instance the rules can produce: its extra labels and its condition."""

    alertname: str
    labels: tuple[tuple[str, str], ...]
    kind: str  # burn | absent | exhausted
    tier: ResolvedTier | None
    staged: bool  # reads a window built from 5-minute buckets
    for_s: int
    keep_s: int = 0  # keep_firing_for

    def conditions(self, slo: SLO) -> list[tuple[int, float, bool]]:
        """(window, threshold, strict) that must all hold: ratio > threshold (>= unless strict)."""
        if self.kind == "absent":
            return []
        if self.kind == "exhausted":
            return [(slo.period_s, slo.budget, False)]
        assert self.tier is not None
        threshold = self.tier.factor * slo.budget
        return [(w, threshold, True) for w in self.tier.windows]

    def active(self, slo: SLO, segments: list[Segment], t: float) -> bool:
        if self.kind == "absent":
            return not present(segments, t)
        return _holds(self.conditions(slo), segments, t)


def _holds(conditions: list[tuple[int, float, bool]], segments: list[Segment], t: float) -> bool:
    for window, threshold, strict in conditions:
        r = ratio(segments, t, window)
        if r is None or not (r > threshold if strict else r >= threshold):
            return False
    return True


# -- the state at every sample time, from few evaluations ------------------------------------------
#
# Evaluating the condition at every step of a scenario (days at 60 s), and again at every check,
# takes about 10^5 exact integrals per instance: minutes for a thousand SLOs. The state at the steps
# is what matters, and it can be read from far fewer evaluations without changing a single result:
# between two "bends" (a segment boundary b, or b + window where the window's start crosses one),
# the bad and total events in a window are linear in t, so the window's error ratio is monotone
# there. If the ratio at two steps is on the same side of the threshold by more than float rounding
# can move it (SAFE), every step between them is on that side too, evaluated the old way or not.
# Only ranges that are not settled like that are split (at the interpolated root, else in half),
# and a ratio that sits on the threshold for a whole stretch simply ends up evaluated at every step.

SAFE = 1e-9  # relative distance from the threshold; the ratio's rounding error is ~1e-15


class _Probe:
    """The condition at one step, and whether it settles a range."""

    __slots__ = ("f", "key", "safe", "state")

    def __init__(self, state: bool, key: object, safe: bool, f: float = 0.0) -> None:
        self.state = state
        self.key = key  # the state, or None without traffic: equal keys at two safe ends settle a range
        self.safe = safe  # the ratio is farther from the threshold than rounding can move it
        self.f = f  # bad - threshold x total: linear between bends, so its root is a good split point


def _settle(lo: int, hi: int, probe, out: list[tuple[int, int, bool]]) -> None:
    """Append (first, last, state) runs covering steps lo..hi, a range with no bend inside, in order."""
    todo = [(lo, hi)]
    while todo:
        lo, hi = todo.pop()
        a, b = probe(lo), probe(hi)
        if a.safe and b.safe and a.key == b.key:
            out.append((lo, hi, a.state))
            continue
        # No traffic in the window at one end only (the empty window at t=0, traffic that stops):
        # bad and total both grow from zero there, so the ratio is constant up to the other end.
        if a.key is None and b.key is not None and b.safe:
            out.append((lo, lo, a.state))
            out.append((lo + 1, hi, b.state))
            continue
        if b.key is None and a.key is not None and a.safe:
            out.append((lo, hi - 1, a.state))
            out.append((hi, hi, b.state))
            continue
        if hi - lo <= 1:
            out.append((lo, lo, a.state))
            out.append((hi, hi, b.state))
            continue
        if a.safe and b.safe and a.f != b.f:  # opposite sides: split where the linear f crosses zero
            mid = min(hi - 1, max(lo + 1, lo + int(a.f / (a.f - b.f) * (hi - lo))))
        elif a.safe != b.safe:  # the ratio is on the threshold at one end: settle the rest from its neighbour
            mid = hi - 1 if a.safe else lo + 1
        else:
            mid = (lo + hi) // 2
        todo.append((mid, hi))
        todo.append((lo, mid))


def _constant(lo: int, hi: int, probe, out: list[tuple[int, int, bool]]) -> None:
    """Steps lo..hi of a condition that only changes at bends: one probe."""
    out.append((lo, hi, probe(lo).state))


class Timeline:
    """One instance's state at every multiple of `step` in [0, end] under one scenario.

    Holds the state as runs of steps; crossings() and firing() read it instead of integrating
    again. Results are exactly those of evaluating Instance.active at every step.
    """

    def __init__(self, inst: Instance, slo: SLO, segments: list[Segment], end: int, step: int) -> None:
        self.inst, self.slo, self.segments, self.step = inst, slo, segments, step
        self.last = end // step  # the last step index
        self.starts: list[int] = [0]  # first step of each run of equal states
        self.states: list[bool] = [False]
        self.conditions = conditions = inst.conditions(slo)
        bounds = {0} | {b for s in segments for b in (s.start, s.end)}
        if inst.kind == "absent":
            self.starts, self.states = self._runs(bounds, self._presence, continuous=False)
            return
        # A window's ratio is a traffic-weighted mean of the segments' error ratios: below the
        # threshold everywhere when the worst segment is (by more than rounding), e.g. healthy traffic.
        worst = max((s.err for s in segments if s.present and s.rps > 0), default=0.0)
        for i, (window, threshold, strict) in enumerate(conditions):
            if worst < threshold * (1 - SAFE):
                self.starts, self.states = [0], [False]
                return
            runs = self._runs(bounds | {b + window for b in bounds}, self._window_probe(window, threshold, strict))
            # every window must be over the threshold
            self.starts, self.states = runs if i == 0 else _both(self.starts, self.states, *runs)
            if self.states == [False]:
                return

    def _presence(self, k: int) -> _Probe:
        state = not present(self.segments, k * self.step)
        return _Probe(state, state, True)

    def _window_probe(self, window: int, threshold: float, strict: bool):
        segments, step = self.segments, self.step
        cache: dict[int, _Probe] = {}

        def probe(k: int) -> _Probe:
            found = cache.get(k)
            if found is None:
                t = k * step
                bad, total = _integrals(segments, max(0.0, t - window), t)
                if total > 0:  # the same arithmetic as ratio() and Instance.active
                    r = bad / total
                    state = r > threshold if strict else r >= threshold
                    found = _Probe(state, state, abs(r - threshold) > SAFE * threshold, bad - threshold * total)
                else:
                    found = _Probe(False, None, True)
                cache[k] = found
            return found

        return probe

    def _runs(self, bends: set[int], probe, continuous: bool = True) -> tuple[list[int], list[bool]]:
        """(first step of each run, its state) from settling the steps between bends.

        The integrals are continuous, so a bend on a step belongs to the ranges on both sides
        (the state there is probed once). Presence is not: it jumps at a bound, which belongs to the
        range after it, and is constant in between.
        """
        pieces: list[tuple[int, int, bool]] = []
        settle = _settle if continuous else _constant
        lo = 0
        for b in sorted(b for b in bends if 0 < b <= self.last * self.step):
            hi = b // self.step if continuous else -(-b // self.step) - 1
            if hi >= lo:
                settle(lo, hi, probe, pieces)
            lo = -(-b // self.step)
        settle(lo, self.last, probe, pieces)
        starts: list[int] = []
        states: list[bool] = []
        done = -1
        for lo, hi, state in pieces:  # in order; neighbours may share their end step
            if hi <= done:
                continue
            if not states or states[-1] != state:
                starts.append(max(lo, done + 1))
                states.append(state)
            done = hi
        return starts, states

    def at(self, t: float) -> bool:
        """Instance.active at t: read from the runs at a step, evaluated anywhere else."""
        k, rest = divmod(t, self.step)
        if rest or not 0 <= k <= self.last:
            return self._active(t)
        return self.states[bisect_right(self.starts, k) - 1]

    def _active(self, t: float) -> bool:
        """Instance.active, with the conditions worked out once."""
        if self.inst.kind == "absent":
            return not present(self.segments, t)
        return _holds(self.conditions, self.segments, t)

    def crossings(self) -> list[float]:
        """Exact times (to 1 s) where the condition flips, found by bisection between steps."""
        out: list[float] = []
        step = self.step
        for k, cur in zip(self.starts[1:], self.states[1:], strict=True):
            prev = not cur
            lo, hi = float(k * step - step), float(k * step)
            while hi - lo > 1:
                mid = (lo + hi) / 2
                if self._active(mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        return out

    def firing(self, t: int, step: int) -> bool:
        """Prometheus semantics at an evaluation time: active at every evaluation in [t - for, t], or so
        at some evaluation in [t - keep_firing_for, t] (the alert is held that long after it stops)."""
        return any(self._held(s, step) for s in range(t, max(-1, t - self.inst.keep_s - 1), -step))

    def _held(self, t: int, step: int) -> bool:
        k = t
        while k >= t - self.inst.for_s:
            if k < 0 or not self.at(k):
                return False
            k -= step
        return True


def _both(starts_a: list[int], states_a: list[bool], starts_b: list[int],
          states_b: list[bool]) -> tuple[list[int], list[bool]]:
    """Runs of (a and b) from the runs of a and of b."""
    starts: list[int] = []
    states: list[bool] = []
    for k in sorted(set(starts_a) | set(starts_b)):
        state = states_a[bisect_right(starts_a, k) - 1] and states_b[bisect_right(starts_b, k) - 1]
        if not states or states[-1] != state:
            starts.append(k)
            states.append(state)
    return starts, states


def crossings(inst: Instance, slo: SLO, segments: list[Segment], end: int, step: int) -> list[float]:
    """Exact times (to 1 s) where the condition flips, found by bisection between steps."""
    return Timeline(inst, slo, segments, end, step).crossings()


def firing(inst: Instance, slo: SLO, segments: list[Segment], t: int, step: int) -> bool:
    """Prometheus semantics at an evaluation time: active at every evaluation in [t - for, t], or so at
    some evaluation in [t - keep_firing_for, t].

    The definition Timeline.firing follows; the test generator uses a Timeline, which evaluates less.
    """
    def held(at: int) -> bool:
        k = at
        while k >= at - inst.for_s:
            if k < 0 or not inst.active(slo, segments, k):
                return False
            k -= step
        return True

    return any(held(s) for s in range(t, max(-1, t - inst.keep_s - 1), -step))


def is_staged_tier(tier: ResolvedTier) -> bool:
    return any(names.is_staged(w) for w in tier.windows)
