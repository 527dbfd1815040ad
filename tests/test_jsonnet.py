"""generator.render.jsonnet: what it writes, Jsonnet reads back as the same data (evaluated by the binding)."""

from __future__ import annotations

import json

import _jsonnet
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render import jsonnet

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_LEAVES = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) \
    | _TEXT | st.sampled_from(['job="api"', "it's", "a\\b", "tab\there", "'\"", "local", "if", "x-y", "a.b"])
_DATA = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT | st.sampled_from(
    ["local", "self", "for", "_config", "a1", "1a"]), inner, max_size=4), max_leaves=20)


def evaluate(source: str) -> object:
    return json.loads(_jsonnet.evaluate_snippet("test", source))


@settings(max_examples=150, deadline=None)
@given(_DATA)
def test_jsonnet_reads_back_what_was_written(data: object) -> None:
    assert evaluate(jsonnet.value(data)) == data


def test_code_is_written_as_is() -> None:
    source = jsonnet.value({"a": jsonnet.Code("1 + 2"), "b": [jsonnet.Code("std.length('abc')")]})
    assert evaluate(source) == {"a": 3, "b": [3]}


@pytest.mark.parametrize(("text", "written"), [('job="api"', "'job=\"api\"'"), ("plain", '"plain"'),
                                               ("it's \"x\"", '"it\'s \\"x\\""'), ('a\\"b', '"a\\\\\\"b"')])
def test_strings_take_single_quotes_only_when_that_spares_escapes(text: str, written: str) -> None:
    assert jsonnet.string(text) == written
    assert evaluate(written) == text


@pytest.mark.parametrize(("name", "written"), [("objective", "objective"), ("ttfb-p95", '"ttfb-p95"'),
                                               ("local", '"local"'), ("_config", "_config")])
def test_field_names_are_bare_where_jsonnet_allows(name: str, written: str) -> None:
    assert jsonnet.field_name(name) == written


def test_values_jsonnet_cannot_hold_are_refused() -> None:
    with pytest.raises(ValueError):
        jsonnet.value(float("nan"))
    with pytest.raises(TypeError):
        jsonnet.value({1, 2})
