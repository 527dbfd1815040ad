"""generator/promql.py's rewrites keep every string literal exactly as the SRE wrote it.

promql-parser prints a string as its raw value between double quotes, so a value holding `"`, `\\`, a
newline or a backtick came back as other PromQL (or none); the rewrites put each literal back as
written, and the escapes for Argo and Grafana change how a value is spelled, never what it is.
"""

from __future__ import annotations

import re

import pytest

from generator import promql

VALUES = ['a"}b', "a\\b", "a\nb", "tab\there", "{{ $labels.x }}", "${x} $y [[z]]", "obsgen_literal_0", "ü✓",
          "#not a comment", "`"]


def values(query: str, label: str) -> list[str]:
    return [m.value for s in promql.selectors(query) for m in s.matchers if m.name == label]


@pytest.mark.parametrize("value", VALUES)
def test_with_matcher_keeps_every_literal_and_adds_the_value_escaped(value: str) -> None:
    query = (f"sum(rate(x_total{{job={promql.quote(value)},code=~`5..`}}[5m])) # a comment with \"quotes\n"
             f"/ sum(rate(x_total{{job={promql.quote(value)}}}[5m]))")
    rewritten = promql.with_matcher(query, "pod", value)
    assert values(rewritten, "job") == [value, value]
    assert values(rewritten, "pod") == [value, value]
    assert values(rewritten, "code") == ["5.."]


@pytest.mark.parametrize("value", VALUES)
def test_split_ratio_keeps_the_literals(value: str) -> None:
    q = promql.quote(value)
    parts = promql.split_ratio(f"(sum(rate(bad{{a={q}}}[1m])) / sum(rate(all{{a={q}}}[1m])))")
    assert parts is not None
    assert [values(p, "a") for p in parts] == [[value], [value]]


def test_a_clash_is_reported_with_the_selector_as_written() -> None:
    with pytest.raises(promql.PromQLError, match=r'already matches on pod'):
        promql.with_matcher('x{pod="a\\"b"}', "pod", "c")


@pytest.mark.parametrize(("rewrite", "trigger"), [(promql.without_template_braces, "{{"),
                                                 (promql.without_grafana_variables, "$")])
def test_escapes_for_argo_and_grafana_spell_values_differently_not_change_them(rewrite: object,
                                                                              trigger: str) -> None:
    assert callable(rewrite)
    query = 'sum(rate(x{a="p{{q}}r $v [[w]]",b=`raw {{x}} $y`,c="plain {x}"}[5m]))'
    out = rewrite(query)
    literals = re.findall(r'"(?:[^"\\]|\\.)*"|`[^`]*`', out)
    assert len(literals) == 3 and all(trigger not in lit for lit in literals)
    assert values(out, "a") == ["p{{q}}r $v [[w]]"] and values(out, "b") == ["raw {{x}} $y"]
    assert values(out, "c") == ["plain {x}"] and 'c="plain {x}"' in out  # untouched without a trigger
