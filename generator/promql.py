"""PromQL helpers: parsing (promql-parser), selector extraction and quoting.

A query that does not parse must be refused at build time with the SLO and field
named, not discovered by promtool later; selectors are read from the parsed tree
(never by regex) so tests and dashboards can be derived from what the SRE wrote.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import promql_parser

WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


class PromQLError(ValueError):
    """The text is not valid PromQL."""


def parse(query: str) -> object:
    try:
        return promql_parser.parse(query)
    except (ValueError, TypeError) as exc:  # the parser reports every syntax error as ValueError
        raise PromQLError(str(exc).splitlines()[0] if str(exc) else "invalid PromQL") from None


def quote(value: str) -> str:
    """A PromQL string literal; JSON escaping is a subset PromQL accepts (\\", \\\\, \\n, \\uXXXX)."""
    return json.dumps(value, ensure_ascii=False)


def selector(labels: dict[str, str]) -> str:
    """`{a="x",b="y"}` with values escaped; keys in the order given (callers keep it stable)."""
    return "{" + ",".join(f"{k}={quote(v)}" for k, v in labels.items()) + "}"


def has_window(template: str) -> bool:
    return bool(WINDOW_PLACEHOLDER.search(template))


def with_window(template: str, window: str) -> str:
    return WINDOW_PLACEHOLDER.sub(window, template)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # one of = != =~ !~
    value: str

    def matches(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        try:
            hit = re.fullmatch(self.value, value) is not None
        except re.error:
            hit = False
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True)
class Selector:
    metric: str | None
    matchers: tuple[Matcher, ...]


_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def _op(op: object) -> str:
    return _OPS[str(op).split(".")[-1]]


def selectors(query: str) -> list[Selector]:
    """Every vector selector in the query, in order of appearance (left to right)."""
    found: list[Selector] = []

    def walk(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = tuple(Matcher(m.name, _op(m.op), m.value) for m in node.matchers.matchers)
            name = node.name
            if name is None:
                for m in matchers:
                    if m.name == "__name__" and m.op == "=":
                        name = m.value
            found.append(Selector(name, tuple(m for m in matchers if m.name != "__name__")))
            return
        if isinstance(node, promql_parser.MatrixSelector):
            walk(node.vector_selector)
            return
        if isinstance(node, promql_parser.Call):
            for arg in node.args:
                walk(arg)
            return
        if isinstance(node, promql_parser.BinaryExpr):
            walk(node.lhs)
            walk(node.rhs)
            return
        for attr in ("expr", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)

    walk(parse(query))
    return found


def split_ratio(query: str) -> tuple[str, str] | None:
    """(numerator, denominator) text of a top-level `a / b`, parentheses stripped; else None."""
    node = parse(query)
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op).strip() == "/":
        return str(node.lhs), str(node.rhs)
    return None


def with_matcher(query: str, name: str, value: str) -> str:
    """The query with `name="value"` added to every series selector it reads.

    For reading an SLI's own queries over a subset of the series (one pod-template hash, say)
    without retyping them: the tree is rewritten, so selectors inside functions, subqueries and
    both sides of binary operators all get the matcher, and text inside strings is untouched.
    A selector that already matches on `name` is refused: the two matchers would contradict.
    """
    if not LABEL_NAME.match(name):
        raise PromQLError(f"{name!r} is not a label name")
    clash: list[str] = []

    def scoped(node: object) -> object | None:
        if not isinstance(node, promql_parser.VectorSelector):
            return None
        matchers = list(node.matchers.matchers)
        if any(m.name == name for m in matchers):
            clash.append(str(node))
            return None
        matchers.append(promql_parser.Matcher(promql_parser.MatchOp.Equal, name, value))
        node.matchers = promql_parser.Matchers(matchers)
        # transform() keeps a node it is handed back; a freshly parsed copy replaces it
        return promql_parser.parse(str(node))

    rewritten = str(promql_parser.transform(parse(query), None, scoped))
    if clash:
        raise PromQLError(f"{clash[0]} already matches on {name}")
    return rewritten
