"""An SLO's rule groups as a template over its objective and SLI selector, for the jsonnet mixin.

A mixin must let its user change `_config` and get the rules obsgen would have rendered for the
changed SLO. Rather than re-deriving the rules in Jsonnet, the groups come from rules.groups_for
itself, rendered twice with different objectives (and with a sentinel where the SLI's selector is):
every string is cut into literal text and holes, a hole being a token that changes with the
objective (the objective, objective/100 or the error budget, each as rules.py formats numbers) or
the sentinel. The template is then checked against a third rendering (another objective, another
selector) and against the real one, so a rule that depends on the objective in a way the holes
cannot say stops the build instead of shipping a mixin that lies.

The selector is the label matchers every series selector of the SLI shares, as the declaration
writes them (LatencySLI's `matchers`, the inside of a ProbeSLI's braces, a matcher common to all of
a ratio SLI's queries); an SLI without one has no selector in `_config`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from generator import promql
from generator.errors import SpecError
from generator.model import SLO, Service
from generator.render import rules
from generator.sli import SLI, LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI

SENTINEL = 'obsgen_mixin_selector="selector"'
CHECK = 'obsgen_mixin_check="check"'
_PROBE_OBJECTIVES = (97.3, 93.7, 91.1)  # their three quantities print differently from each other
_NUMBER = re.compile(r"(\d+(?:\.\d+)?(?:e[-+]?\d+)?)")


@dataclass(frozen=True)
class Hole:
    """Where a template takes a value: `selector`, `objective`, `objective_ratio` or `budget` (text)."""

    name: str


@dataclass(frozen=True)
class Template:
    """A string of the rules with holes: text and Holes in order."""

    parts: tuple[str | Hole, ...]

    def fill(self, filled: dict[str, str]) -> str:
        return "".join(p if isinstance(p, str) else filled[p.name] for p in self.parts)


def values(objective: float, selector: str | None) -> dict[str, str]:
    """What fills the holes, formatted as rules.py formats them (the Jsonnet side mirrors this)."""
    out = {"objective": rules._num(objective), "objective_ratio": rules._num(objective / 100),
           "budget": rules._num((100 - objective) / 100)}
    if selector is not None:
        out["selector"] = selector
    return out


# -- the SLI's selector --------------------------------------------------------------------------

def _query_fields(sli: SLI) -> list[str]:
    if isinstance(sli, RatioSLI):
        return [f for f in ("total_query", "error_query", "good_query") if getattr(sli, f) is not None]
    if isinstance(sli, RawRatioSLI):
        return ["error_ratio_query"]
    return []


def _replaces_every_selector(query: str, text: str) -> bool:
    """TEXT occurs once inside each series selector of QUERY and nowhere else."""
    window = promql.with_window(query, "1m")
    try:
        before = promql.selectors(window)
        after = promql.selectors(window.replace(text, SENTINEL))
    except promql.PromQLError:
        return False
    sentinel = promql.selectors("x{" + SENTINEL + "}")[0].matchers[0]
    return (window.count(text) == len(before) == len(after) > 0
            and all(sentinel in s.matchers for s in after))


def _common_text(sli: RatioSLI | RawRatioSLI) -> str | None:
    queries = [getattr(sli, f) for f in _query_fields(sli)]
    found = [s for q in queries for s in promql.selectors(promql.with_window(q, "1m"))]
    if not found:
        return None
    common = [m for m in found[0].matchers if all(m in s.matchers for s in found)]
    texts = [f"{m.name}{m.op}{promql.quote(m.value)}" for m in common]
    for candidate in ([",".join(texts)] if len(texts) > 1 else []) + texts:
        if all(_replaces_every_selector(q, candidate) for q in queries):
            return candidate
    return None


def selector_of(sli: SLI) -> str | None:
    """The SLI's selector as declared, or None when it has none a template can replace."""
    if isinstance(sli, LatencySLI):
        return sli.matchers.strip().strip(",") or None
    if isinstance(sli, ProbeSLI):
        text = sli.selector.strip()
        if "{" not in text or not text.endswith("}"):
            return None
        return text[text.index("{") + 1:-1].strip() or None
    return _common_text(sli)


def with_selector(sli: SLI, old: str, new: str) -> SLI:
    """The same SLI selecting by NEW where it selected by OLD (what a `_config` override means)."""
    if isinstance(sli, LatencySLI):
        return replace(sli, matchers=new)
    if isinstance(sli, ProbeSLI):
        text = sli.selector.strip()
        return replace(sli, selector=text[:text.index("{") + 1] + new + "}")
    return replace(sli, **{f: getattr(sli, f).replace(old, new) for f in _query_fields(sli)})


# -- the template ----------------------------------------------------------------------------------

def _string_template(a: str, b: str, qa: dict[str, str], qb: dict[str, str], where: str) -> Template | str:
    """Cut A (rendered with objective a) into text and holes by where B (objective b) differs; A itself when
    nothing does."""
    out: list[str | Hole] = []
    segments_a, segments_b = a.split(SENTINEL), b.split(SENTINEL)
    if len(segments_a) != len(segments_b):
        raise ValueError(f"{where}: the selector moves with the objective")
    for i, (sa, sb) in enumerate(zip(segments_a, segments_b, strict=True)):
        if i:
            out.append(Hole("selector"))
        ta, tb = _NUMBER.split(sa), _NUMBER.split(sb)
        if len(ta) != len(tb) or any(x != y for x, y in zip(ta[::2], tb[::2], strict=True)):
            raise ValueError(f"{where}: {sa!r} and {sb!r} differ in more than numbers")
        for j, (xa, xb) in enumerate(zip(ta, tb, strict=True)):
            if j % 2 == 0 or xa == xb:
                out.append(xa)
                continue
            names = [n for n in ("objective", "objective_ratio", "budget") if qa[n] == xa and qb[n] == xb]
            if len(names) != 1:
                raise ValueError(f"{where}: {xa!r} changes with the objective but is none of its quantities")
            out.append(Hole(names[0]))
    merged: list[str | Hole] = []
    for part in out:  # adjacent text joined: fewer `+` in the Jsonnet
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if all(isinstance(p, str) for p in merged):
        return a
    return Template(tuple(merged))


def _walk(a: Any, b: Any, leaf: Callable[[str, str, str], Template | str], where: str) -> Any:
    if isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
        return {k: _walk(a[k], b[k], leaf, f"{where}.{k}") for k in a}
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [_walk(x, y, leaf, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True))]
    if isinstance(a, str) and isinstance(b, str):
        return leaf(a, b, where)
    if a == b and not isinstance(a, (dict, list)):
        return a
    raise ValueError(f"{where}: the rules' structure changes with the objective")


def fill(template: Any, filled: dict[str, str]) -> Any:
    """The template with its holes filled: what Jsonnet computes, computed here to check it."""
    if isinstance(template, Template):
        return template.fill(filled)
    if isinstance(template, dict):
        return {k: fill(v, filled) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, filled) for v in template]
    return template


@dataclass(frozen=True)
class SLOTemplate:
    selector: str | None  # the declared selector, the `_config` default
    groups: list  # rules.groups_for's groups, the strings that vary as Templates


def template(service: Service, slo: SLO) -> SLOTemplate:
    """The SLO's groups as a template, checked to reproduce rules.groups_for for other objectives and selectors."""
    selector = selector_of(slo.sli)
    sentinel_sli = with_selector(slo.sli, selector, SENTINEL) if selector else slo.sli
    others = [x for x in _PROBE_OBJECTIVES if x != slo.objective]
    a, b, c = slo.objective, others[0], others[1]
    qa, qb = values(a, SENTINEL), values(b, SENTINEL)

    def leaf(x: str, y: str, where: str) -> Template | str:
        return _string_template(x, y, qa, qb, where)

    def groups(objective: float, sli: SLI) -> list[dict]:
        return rules.groups_for(service, replace(slo, objective=objective, sli=sli))

    try:
        out = _walk(groups(a, sentinel_sli), groups(b, sentinel_sli), leaf, "groups")
        check_sli = with_selector(slo.sli, selector, CHECK) if selector else slo.sli
        for objective, sli, sel in ((c, check_sli, CHECK), (a, slo.sli, selector)):
            if fill(out, values(objective, sel)) != groups(objective, sli):
                raise ValueError(f"the template does not reproduce the rules at objective {objective}")
    except ValueError as exc:
        raise SpecError(f"cannot be written as a jsonnet mixin: {exc}", file=service.source, slo=slo.name) from None
    return SLOTemplate(selector, out)
