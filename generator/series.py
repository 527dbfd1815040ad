"""promtool input-series values in expanding notation.

A scenario is a list of segments with constant traffic and error ratio; counters
grow by a constant step inside each segment, so each segment becomes one
`start+stepxN` term and a four-day scenario stays a short line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """[start, end) in seconds from test start; rps = requests per second; err = error ratio."""

    start: int
    end: int
    rps: float
    err: float
    present: bool = True


def _num(x: float) -> str:
    text = f"{x:.10g}"
    return "0" if text == "-0" else text


def counter(segments: list[Segment], step: int, per_second: Callable[[Segment], float]) -> str:
    """A counter sampled every `step` seconds whose rate in each segment is per_second(seg)."""
    terms: list[str] = []
    value = 0.0
    first = True
    for seg in segments:
        n = (seg.end - seg.start) // step
        if n <= 0:
            continue
        if not seg.present:
            terms.append(f"_x{n}")
            continue
        inc = per_second(seg) * step
        if first:
            # the first sample is the counter's starting point: n samples cover n steps
            terms.append(f"{_num(value)}+{_num(inc)}x{n - 1}")
            value += inc * (n - 1)
            first = False
        else:
            terms.append(f"{_num(value + inc)}+{_num(inc)}x{n - 1}")
            value += inc * n
    return " ".join(terms)


def gauge(segments: list[Segment], step: int, value_of: Callable[[Segment], float]) -> str:
    terms: list[str] = []
    for seg in segments:
        n = (seg.end - seg.start) // step
        if n <= 0:
            continue
        if not seg.present:
            terms.append(f"_x{n}")
        else:
            terms.append(f"{_num(value_of(seg))}+0x{n - 1}")
    return " ".join(terms)
