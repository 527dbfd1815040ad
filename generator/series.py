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


def _counters(segments: list[Segment], step: int, rates: tuple[Callable[[Segment], float], ...],
              sample: Callable[[tuple[float, ...]], str]) -> str:
    """Counters sampled every `step` seconds, growing at rates[i](seg) per second in each segment, one
    `start+incxN` term per segment; `sample` writes one sample of them (a number, or a native histogram)."""
    terms: list[str] = []
    values = tuple(0.0 for _ in rates)
    first = True
    for seg in segments:
        n = (seg.end - seg.start) // step
        if n <= 0:
            continue
        if not seg.present:
            terms.append(f"_x{n}")
            continue
        inc = tuple(rate(seg) * step for rate in rates)
        if not first:  # the first sample is the counters' starting point: n samples cover n steps
            values = tuple(v + i for v, i in zip(values, inc, strict=True))
        terms.append(f"{sample(values)}+{sample(inc)}x{n - 1}")
        values = tuple(v + i * (n - 1) for v, i in zip(values, inc, strict=True))
        first = False
    return " ".join(terms)


def counter(segments: list[Segment], step: int, per_second: Callable[[Segment], float]) -> str:
    """A counter sampled every `step` seconds whose rate in each segment is per_second(seg)."""
    return _counters(segments, step, (per_second,), lambda v: _num(v[0]))


def native_counter(segments: list[Segment], step: int, schema: int, index: int,
                   good: Callable[[Segment], float], bad: Callable[[Segment], float]) -> str:
    """A native histogram, in promtool's notation, whose good observations fall in bucket `index` (its upper
    boundary is the threshold) and bad ones two buckets above, growing at good(seg)/bad(seg) per second."""
    upper = 2 ** (index / 2 ** schema)

    def hist(v: tuple[float, ...]) -> str:
        g, b = v
        return (f"{{{{schema:{schema} count:{_num(g + b)} sum:{_num(0.9 * upper * g + 2 * upper * b)} "
                f"offset:{index} buckets:[{_num(g)} 0 {_num(b)}]}}}}")

    return _counters(segments, step, (good, bad), hist)


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
