"""Jsonnet source text from Python data, with `Code` where the value is an expression.

JSON is Jsonnet, so data is written as JSON values (strings JSON-escaped, which Jsonnet reads the
same way; floats by repr, which Jsonnet parses back to the same double) and only the holes are
code. Fields are bare identifiers where Jsonnet allows it, for a file people read and override.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEYWORDS = frozenset({"assert", "else", "error", "false", "for", "function", "if", "import", "importbin", "importstr",
                      "in", "local", "null", "tailstrict", "then", "self", "super", "true"})


@dataclass(frozen=True)
class Code:
    """A Jsonnet expression written as is (a reference to the config, a concatenation)."""

    text: str


def string(text: str) -> str:
    """Single quotes when that spares escaping PromQL's double quotes (Jsonnet reads both alike)."""
    if '"' in text and "'" not in text and "\\" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def field_name(name: str) -> str:
    return name if _IDENT.match(name) and name not in KEYWORDS else string(name)


def value(data: object, indent: int = 0) -> str:
    """DATA as a Jsonnet expression, two spaces per level, trailing commas (Jsonnet allows them)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(data, Code):
        return data.text
    if isinstance(data, dict):
        if not data:
            return "{}"
        body = "".join(f"{inner}{field_name(k)}: {value(v, indent + 1)},\n" for k, v in data.items())
        return "{\n" + body + pad + "}"
    if isinstance(data, (list, tuple)):
        if not data:
            return "[]"
        return "[\n" + "".join(f"{inner}{value(v, indent + 1)},\n" for v in data) + pad + "]"
    if isinstance(data, str):
        return string(data)
    if data is None or isinstance(data, bool):
        return json.dumps(data)
    if isinstance(data, int):
        return str(data)
    if isinstance(data, float):
        if not math.isfinite(data):
            raise ValueError(f"{data!r} has no Jsonnet literal")
        return repr(data)
    raise TypeError(f"{type(data).__name__} has no Jsonnet literal")
