"""Exact alert timelines for piecewise-constant traffic, the oracle of the generated tests.

Given segments of constant traffic and error ratio, the error ratio over any
window is an exact integral, so every tier's crossing time can be found to the
second without running Prometheus. The generated promtool tests assert the rules
against these times; tests/ checks the times against the closed form
T = factor x budget x long / e independently.
"""

from __future__ import annotations

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

    def active(self, slo: SLO, segments: list[Segment], t: float) -> bool:
        if self.kind == "absent":
            return not present(segments, t)
        if self.kind == "exhausted":
            r = ratio(segments, t, slo.period_s)
            return r is not None and r >= slo.budget
        assert self.tier is not None
        threshold = self.tier.factor * slo.budget
        for w in self.tier.windows:
            r = ratio(segments, t, w)
            if r is None or not r > threshold:
                return False
        return True


def crossings(inst: Instance, slo: SLO, segments: list[Segment], end: int, step: int) -> list[float]:
    """Exact times (to 1 s) where the condition flips, found by bisection between steps."""
    out: list[float] = []
    prev = inst.active(slo, segments, 0)
    t = step
    while t <= end:
        cur = inst.active(slo, segments, t)
        if cur != prev:
            lo, hi = float(t - step), float(t)
            while hi - lo > 1:
                mid = (lo + hi) / 2
                if inst.active(slo, segments, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = cur
        t += step
    return out


def firing(inst: Instance, slo: SLO, segments: list[Segment], t: int, step: int) -> bool:
    """Prometheus semantics at an evaluation time: active at every evaluation in [t - for, t]."""
    k = t
    while k >= t - inst.for_s:
        if k < 0 or not inst.active(slo, segments, k):
            return False
        k -= step
    return True


def is_staged_tier(tier: ResolvedTier) -> bool:
    return any(names.is_staged(w) for w in tier.windows)
