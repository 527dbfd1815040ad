"""generator/loaders/yamldocs.py's input limits: exactly at a limit is read, one past it is refused in one line.

The limits are lowered for the boundary cases (a 5 MB file takes seconds to parse); the real values
go through the real command in test_fuzz.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.loaders import yamldocs
from generator.loaders.yamldocs import SpecLoader, StrictLoader, read_documents


def read(tmp_path: Path, text: str | bytes) -> list[object]:
    path = tmp_path / "spec.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return read_documents(path, "slo/spec.yaml", SpecLoader)


def nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the mapping is one level


def test_nesting_up_to_the_limit_is_read_one_more_is_refused(tmp_path: Path) -> None:
    assert read(tmp_path, nested(yamldocs.MAX_DEPTH))
    with pytest.raises(SpecError, match=r"^slo/spec.yaml: is nested deeper than 64 levels at line 1 "):
        read(tmp_path, nested(yamldocs.MAX_DEPTH + 1))


def test_depth_through_aliases_counts(tmp_path: Path) -> None:
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 70))
    with pytest.raises(SpecError, match="nested through its aliases deeper than 64"):
        read(tmp_path, chain)


def test_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamldocs, "MAX_SPEC_BYTES", 1024 * 1024)
    padded = "a: 1\n" + "#" * (1024 * 1024 - 6) + "\n"
    assert len(padded) == 1024 * 1024 and read(tmp_path, padded) == [{"a": 1}]
    with pytest.raises(SpecError, match=r"is larger than 1 MB \(obsgen's input limit\)$"):
        read(tmp_path, padded + "\n")


def test_expanded_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the mapping, key a, its list of 2, key b, its list of 10 aliases expanded to that list each
    monkeypatch.setattr(yamldocs, "MAX_NODES", 1 + 1 + 3 + 1 + (1 + 10 * 3))
    text = "a: &a [1, 2]\nb: [" + ", ".join(["*a"] * 10) + "]\n"
    assert read(tmp_path, text) == [{"a": [1, 2], "b": [[1, 2]] * 10}]
    with pytest.raises(SpecError, match="expands through its aliases to more than 37 YAML nodes"):
        read(tmp_path, text.replace("[1, 2]", "[1, 2, 3]"))


def test_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamldocs, "MAX_DOCUMENTS", 3)
    assert len(read(tmp_path, "---\na: 1\n" * 3)) == 3
    with pytest.raises(SpecError, match="holds more than 3 YAML documents"):
        read(tmp_path, "---\na: 1\n" * 4)


@pytest.mark.parametrize(("text", "fragment"), [
    ("a: &a [*a]\n", "has an alias that refers to itself at line 1"),
    ("a: &a {b: *a}\n", "has an alias that refers to itself"),
    ("a: " + "9" * 5000 + "\n", "cannot read '99999999999999999999...9999999999' (Exceeds the limit"),
    ("a: 2001-13-45\n", "cannot read '2001-13-45' (month must be in 1..12)"),
])
def test_what_python_cannot_build_is_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as raised:
        read(tmp_path, text)
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


def test_a_device_is_not_read_whole(tmp_path: Path) -> None:
    """/dev/zero never ends: only MAX_SPEC_BYTES + 1 bytes are read, then it is refused."""
    with pytest.raises(SpecError, match="larger than 5 MB"):
        read_documents(Path("/dev/zero"), "/dev/zero", StrictLoader)
