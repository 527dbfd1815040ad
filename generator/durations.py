"""Prometheus durations.

Windows appear in rule ranges, in `window` label values and in test times, so
they are parsed once into seconds and always printed in one canonical form
("1d", "4h30m"): two spellings of one window must never become two series.
"""

from __future__ import annotations

import re

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# Prometheus holds a duration in int64 nanoseconds: about 292 years, past which PromQL and promtool
# refuse it ("duration out of range"), so obsgen refuses it first.
MAX_SECONDS = (2**63 - 1) // 10**9
_PART = re.compile(r"(\d+)(w|d|h|ms|m|s)")
_FULL = re.compile(r"^(?:\d+(?:w|d|h|ms|m|s))+$")


def parse(text: str) -> int:
    """Seconds in a Prometheus duration such as "30d" or "1h30m"; ValueError otherwise."""
    if not isinstance(text, str) or not _FULL.match(text.strip()):
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 1h or 30d")
    total = 0
    for number, unit in _PART.findall(text.strip()):
        if unit == "ms":
            raise ValueError(f"{text!r}: sub-second durations are not supported")
        total += int(number) * _UNITS[unit]
    if total <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if total > MAX_SECONDS:
        raise ValueError(f"{text if len(text) <= 20 else text[:10] + '...'!r} is longer than Prometheus's "
                         "longest duration (292 years)")
    return total


def fmt(seconds: int) -> str:
    """Canonical text: days, hours, minutes, seconds (never weeks, so 28d stays 28d)."""
    if seconds <= 0:
        raise ValueError("durations must be positive")
    out = []
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out)
