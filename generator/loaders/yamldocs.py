"""YAML spec files read strictly, for every YAML loader (Sloth, OpenSLO).

PyYAML silently keeps the last of two equal keys, so a second `objective:` would quietly
win; Go's decoder reads a plain number into a string field as the text written. Both loaders
need the same guarantees, and every way a file can fail to be YAML must end as one SpecError:
including a file too big, too deep or too alias-happy to read safely (the limits below).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import SpecError

# Input limits (README, "Guarantees"): far beyond any real spec, low enough that a hostile or broken
# file is refused at once instead of exhausting memory, the stack or the build's time. A 5 MB spec
# already takes seconds to parse (PyYAML's pure-Python loader, kept for the strict key checks).
MAX_SPEC_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64           # nested mappings and sequences, aliases followed
MAX_NODES = 1_000_000    # YAML nodes with aliases expanded: a few aliases can stand for billions
MAX_DOCUMENTS = 10_000   # YAML documents in one file


class LimitExceeded(yaml.YAMLError):
    """A spec obsgen will not read whole: beyond an input limit, or a cycle of aliases. str() says which."""

    def __init__(self, message: str, mark: yaml.Mark | None = None, *, limit: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.limit = limit

    def __str__(self) -> str:
        line = f" at line {self.mark.line + 1}" if self.mark is not None else ""
        return f"{self.message}{line}" + (" (obsgen's input limit)" if self.limit else "")


class Int(int):
    """An int that remembers how it was written: Sloth (Go) reads `tier: 010` into a string field
    as "010", and YAML 1.1 would otherwise hand us 8."""

    text: str


class Float(float):
    """A float that remembers how it was written (`version: 1.10` is "1.10", not "1.1")."""

    text: str


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: PyYAML keeps the last one silently, so a second
    `objective:` would quietly win over the first. It also stops composing past MAX_DEPTH, before
    PyYAML's recursive composer runs out of stack."""

    _depth = 0

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A scalar YAML resolves but Python cannot build (an int of 5,000 digits, 2001-13-45) is a
        YAML error at its line, not a ValueError from deep inside PyYAML."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            shown = str(node.value) if isinstance(node, yaml.ScalarNode) else node.tag
            shown = shown if len(shown) <= 40 else shown[:20] + "..." + shown[-10:]
            reason = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {shown!r} ({reason})",
                                                    node.start_mark) from None

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:  # type: ignore[override]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise LimitExceeded(f"is nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

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


def _check_expanded(node: yaml.Node) -> None:
    """Refuse a document whose aliases make it deeper than MAX_DEPTH, larger than MAX_NODES, or a
    cycle (`&a [*a]`): the composer shares aliased nodes, so the text can be small and every reader
    of the data (our loaders, their error messages) would walk the expansion or recurse forever."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    open_: set[int] = set()
    while stack:
        current, done = stack.pop()
        key = id(current)
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise LimitExceeded(f"expands through its aliases to more than {MAX_NODES:,} YAML nodes",
                                    current.start_mark)
            if depth[key] > MAX_DEPTH:
                raise LimitExceeded(f"is nested through its aliases deeper than {MAX_DEPTH} levels",
                                    current.start_mark)
            continue
        if key in size:
            continue
        if key in open_:
            raise LimitExceeded("has an alias that refers to itself", current.start_mark, limit=False)
        open_.add(key)
        stack.append((current, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _load(text: str, loader: type[yaml.SafeLoader]) -> list[Any]:
    """yaml.load_all, with each document's node graph checked before it is constructed."""
    reader = loader(text)
    docs: list[Any] = []
    try:
        while reader.check_node():
            node = reader.get_node()
            if len(docs) >= MAX_DOCUMENTS:
                raise LimitExceeded(f"holds more than {MAX_DOCUMENTS:,} YAML documents")
            if node is not None:
                _check_expanded(node)
            docs.append(reader.construct_document(node))
    finally:
        reader.dispose()
    return docs


def read_documents(path: Path, display: str, loader: type[yaml.SafeLoader]) -> list[Any]:
    """The file's non-empty YAML documents; every way a file can fail to be YAML is one SpecError."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)  # never more: a device or a huge file must not be read whole
    except OSError as exc:
        raise SpecError(f"cannot be read: {exc.strerror or exc}", file=display) from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"is larger than {MAX_SPEC_BYTES // (1024 * 1024)} MB (obsgen's input limit)",
                        file=display)
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
        docs = _load(text, loader)  # both loaders derive from SafeLoader
    except LimitExceeded as exc:
        raise SpecError(str(exc), file=display) from None
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
