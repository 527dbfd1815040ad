"""Find label values that satisfy (or violate) PromQL matchers.

Generated promtool tests need input series that the SRE's own queries select: an
"error" series that both the error and the total query read, and a "good" series
that only the total query reads. Values are searched in a fixed order so builds
stay deterministic.
"""

from __future__ import annotations

import re

from generator.promql import Matcher

_COMMON = ("500", "503", "429", "200", "201", "204", "404", "5xx", "2xx", "error", "ok",
           "success", "failure", "true", "false", "0", "1", "GET", "POST", "x")


def _candidates(matchers: list[Matcher]) -> list[str]:
    out: list[str] = []
    for m in matchers:
        if m.op in ("=", "!="):
            out.append(m.value)
        else:
            # literal alternatives of simple regexes: (5..|429) -> 5.. , 429 -> 500, 429
            for alt in re.split(r"[|()]", m.value):
                alt = alt.strip("^$")
                if alt:
                    out.append(alt.replace(".*", "").replace(".+", "x").replace(".", "0"))
    out.extend(_COMMON)
    out.append("")
    seen: dict[str, None] = {}
    for c in out:
        seen.setdefault(c, None)
    return list(seen)


def _value_for(name: str, need: list[Matcher], avoid: list[Matcher]) -> str | None:
    """A value meeting every matcher in `need` and failing at least one in `avoid` (if any)."""
    for value in _candidates(need + avoid):
        if all(m.matches(value) for m in need) and (not avoid or not all(m.matches(value) for m in avoid)):
            return value
    return None


def solve(need: list[Matcher], avoid: list[Matcher] | None = None) -> dict[str, str] | None:
    """Labels that satisfy `need`; with `avoid`, labels that also fail `avoid` as a whole.

    Returns None when no value in the search order works; callers report that the
    SLO's queries are too unusual to generate test data for.
    """
    avoid = avoid or []
    names = sorted({m.name for m in need} | {m.name for m in avoid})
    base: dict[str, str] = {}
    for name in names:
        value = _value_for(name, [m for m in need if m.name == name], [])
        if value is None:
            return None
        base[name] = value
    if not avoid:
        return {k: v for k, v in base.items() if v != ""}
    # already failing `avoid`? then done
    if not all(m.matches(base.get(m.name, "")) for m in avoid):
        return {k: v for k, v in base.items() if v != ""}
    for name in names:
        avoid_here = [m for m in avoid if m.name == name]
        if not avoid_here:
            continue
        value = _value_for(name, [m for m in need if m.name == name], avoid_here)
        if value is not None:
            labels = dict(base, **{name: value})
            return {k: v for k, v in labels.items() if v != ""}
    return None
