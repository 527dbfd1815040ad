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


def native_counter(segments: list[Segment], step: int, schema: int, index: int,
                   good: Callable[[Segment], float], bad: Callable[[Segment], float]) -> str:
    """A native histogram, in promtool's notation, whose good observations fall in bucket `index` (its upper
    boundary is the threshold) and bad ones two buckets above, growing at good(seg)/bad(seg) per second."""
    def hist(g: float, b: float) -> str:
        upper = 2 ** (index / 2 ** schema)
        total = g + b
        return (f"{{{{schema:{schema} count:{_num(total)} sum:{_num(0.9 * upper * g + 2 * upper * b)} "
                f"offset:{index} buckets:[{_num(g)} 0 {_num(b)}]}}}}")

    terms: list[str] = []
    g = b = 0.0
    first = True
    for seg in segments:
        n = (seg.end - seg.start) // step
        if n <= 0:
            continue
        if not seg.present:
            terms.append(f"_x{n}")
            continue
        dg, db = good(seg) * step, bad(seg) * step
        if not first:
            g, b = g + dg, b + db
        terms.append(f"{hist(g, b)}+{hist(dg, db)}x{n - 1}")
        g, b = g + dg * (n - 1), b + db * (n - 1)
        first = False
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
