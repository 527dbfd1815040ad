"""YAML spec files read strictly, for every YAML loader (Sloth, OpenSLO).

PyYAML silently keeps the last of two equal keys, so a second `objective:` would quietly
win; Go's decoder reads a plain number into a string field as the text written. Both loaders
need the same guarantees, and every way a file can fail to be YAML must end as one SpecError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import SpecError


class Int(int):
    """An int that remembers how it was written: Sloth (Go) reads `tier: 010` into a string field
    as "010", and YAML 1.1 would otherwise hand us 8."""

    text: str


class Float(float):
    """A float that remembers how it was written (`version: 1.10` is "1.10", not "1.1")."""

    text: str


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: PyYAML keeps the last one silently, so a second
    `objective:` would quietly win over the first."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key_node.value!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


class SpecLoader(StrictLoader):
    """Numbers keep their source text so string fields (label values, names) read like Sloth's."""


def _int_with_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Int:
    value = Int(loader.construct_yaml_int(node))
    value.text = node.value
    return value


def _float_with_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Float:
    value = Float(loader.construct_yaml_float(node))
    value.text = node.value
    return value


SpecLoader.add_constructor("tag:yaml.org,2002:int", _int_with_text)
SpecLoader.add_constructor("tag:yaml.org,2002:float", _float_with_text)


def read_documents(path: Path, display: str, loader: type[yaml.SafeLoader]) -> list[Any]:
    """The file's non-empty YAML documents; every way a file can fail to be YAML is one SpecError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot be read: {exc.strerror or exc}", file=display) from None
    if b"\0" in data:
        raise SpecError("is not a text YAML file (it contains NUL bytes)", file=display)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"is not a text YAML file (not UTF-8: byte 0x{data[exc.start]:02x} at offset "
                        f"{exc.start})", file=display) from None
    if not text.strip():
        raise SpecError("is empty", file=display)
    try:
        docs = list(yaml.load_all(text, Loader=loader))  # both loaders derive from SafeLoader
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise SpecError(f"is not a text YAML file (control character #x{char:04x} at offset "
                        f"{exc.position})", file=display) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error{line}: {problem}", file=display) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML syntax error: {exc}", file=display) from None
    except RecursionError:
        raise SpecError("YAML syntax error: nested too deeply", file=display) from None
    docs = [d for d in docs if d is not None]
    if not docs:
        raise SpecError("is empty (only comments or empty YAML documents)", file=display)
    return docs



def describe(value: object) -> str:
    """How an error names what it found instead: 'a list', 'a string'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
