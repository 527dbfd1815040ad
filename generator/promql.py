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


# A string literal ("...", '...' or `...`) or a comment, whichever starts first.
_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|#[^\n]*', re.S)


class _Shielded:
    """A query whose string literals stand in as plain placeholders while promql-parser rewrites it.

    promql-parser prints a string as `"` + its raw value + `"`, escaping nothing: a label value
    with a quote, a newline or a backslash comes back as different PromQL (`a\\b` as a backspace)
    or none at all. Placeholders print as themselves, and each is put back as the literal the SRE
    wrote, so a rewritten query differs only where it was rewritten. Comments are dropped (the
    printer drops them too).
    """

    def __init__(self, query: str) -> None:
        self.literals: dict[str, str] = {}

        def hide(m: re.Match[str]) -> str:
            return "" if m.group(0).startswith("#") else self.literal(m.group(0))

        self.text = _LITERAL.sub(hide, query)

    def literal(self, source: str) -> str:
        """The placeholder (a PromQL string) standing for `source`, a PromQL string literal."""
        key = f"obsgen_literal_{len(self.literals)}"
        self.literals[f'"{key}"'] = source
        return f'"{key}"'

    def value(self, value: str) -> str:
        """The placeholder's raw value for a new string `value` (what promql-parser's nodes hold)."""
        return self.literal(quote(value))[1:-1]

    def restore(self, printed: str) -> str:
        if not self.literals:
            return printed
        return re.sub(r'"obsgen_literal_\d+"', lambda m: self.literals[m.group(0)], printed)


def _escaped_in_strings(query: str, trigger: re.Pattern[str], chars: str) -> str:
    """The query (or matchers) with `chars` written as \\u escapes in every string literal where `trigger`
    occurs; a raw string is re-quoted first. Prometheus reads the same value, the tool in between none."""

    def escaped(literal: str) -> str:
        if not trigger.search(literal):
            return literal
        if literal.startswith("`"):
            literal = quote(literal[1:-1])
        for c in chars:
            literal = literal.replace(c, f"\\u{ord(c):04x}")
        return literal

    shielded = _Shielded(query)
    shielded.literals = {k: escaped(v) for k, v in shielded.literals.items()}
    return shielded.restore(shielded.text)


def without_template_braces(query: str) -> str:
    """No `{{` or `}}` inside the query's strings: Argo Rollouts expands every {{...}} in a query (and
    knows only its args) before Prometheus sees it, with no way to escape one."""
    return _escaped_in_strings(query, re.compile(r"\{\{|\}\}"), "{}")


def without_grafana_variables(query: str) -> str:
    """No `$` or `[[` inside the query's strings: Grafana replaces $name, ${name} and [[name]] in a
    dashboard query by its variables (and has no escape), so a declared label value holding one would
    select something else on the board than in the rules."""
    return _escaped_in_strings(query, re.compile(r"\$|\[\["), "$[")


def split_ratio(query: str) -> tuple[str, str] | None:
    """(numerator, denominator) text of a top-level `a / b`, parentheses stripped; else None."""
    shielded = _Shielded(query)
    node = parse(shielded.text)
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op).strip() == "/":
        return shielded.restore(str(node.lhs)), shielded.restore(str(node.rhs))
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
    shielded = _Shielded(query)
    added = shielded.value(value)
    clash: list[str] = []

    def scoped(node: object) -> object | None:
        if not isinstance(node, promql_parser.VectorSelector):
            return None
        matchers = list(node.matchers.matchers)
        if any(m.name == name for m in matchers):
            clash.append(shielded.restore(str(node)))
            return None
        matchers.append(promql_parser.Matcher(promql_parser.MatchOp.Equal, name, added))
        node.matchers = promql_parser.Matchers(matchers)
        # transform() keeps a node it is handed back; a freshly parsed copy replaces it
        return promql_parser.parse(str(node))

    rewritten = str(promql_parser.transform(parse(shielded.text), None, scoped))
    if clash:
        raise PromQLError(f"{clash[0]} already matches on {name}")
    return shielded.restore(rewritten)
