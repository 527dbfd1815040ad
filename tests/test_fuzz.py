"""Fuzzed inputs: mutated Sloth, OpenSLO and AlertWindows YAML never crash or hang obsgen.

A bounded campaign (hypothesis, reproducible) mutates the valid specs in tests/fixtures: in
the data (type swaps, deep nesting, huge and non-finite numbers, dropped and unknown keys) and in
the text (truncation, binary garbage, flipped bytes, numbers thousands of digits long). Each
mutant is built in-process through the CLI's own entry point; the only acceptable outcomes are
exit 2 with one `obsgen: <file>: ...` line (after the loaders' warnings, if any), or exit 0 with
rules promtool accepts; a mutant still running after 20 s is a hang. Files far over
the input limits, and a sample of mutants, go through a real `python -m generator` subprocess with
a timeout: no traceback, no hang.
"""

from __future__ import annotations

import contextlib
import io
import math
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator import cli
from generator.checkers import promtool
from generator.loaders.yamldocs import MAX_DEPTH, MAX_SPEC_BYTES
from tests import strategies

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPECS = {p.name: p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "sloth").glob("*.yaml"))
         if p.name != "windows-7d.yaml"}
SPECS |= {p.name: p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "openslo").glob("*.yaml"))}
WINDOWS = (FIXTURES / "sloth" / "windows-7d.yaml").read_text(encoding="utf-8")
PER_MUTANT_S = 20  # a mutant taking longer is a hang, reported as such
SUBPROCESS_S = 60


class Hung(BaseException):
    """A BaseException, so no `except Exception` on the way (a loader's) can turn a hang into an error line."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# -- mutations ---------------------------------------------------------------------------------------
HUGE = (10**40, -(10**40), 1e308, -1e308, math.inf, -math.inf, math.nan, 2**63, -(2**63) - 1, 0, -1)
ODD = (None, True, False, "", "x", [], {}, [None], {"": None}, "99.9%", "30 days", "{{.window}}",
       "\x7f\u2028", "😀" * 5, *HUGE)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a YAML value, the root included."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, (*prefix, i))


def replace_at(data: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: replace_at(v, rest, new) if k == head else v for k, v in data.items()}
    return [replace_at(v, rest, new) if i == head else v for i, v in enumerate(data)]


def get_at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def data_mutant(draw: st.DrawFn, docs: list[Any]) -> list[Any]:
    """Documents with one to three places changed in type, depth or size."""
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(docs) - 1))
        path = draw(st.sampled_from(list(paths(docs[i]))))
        old = get_at(docs[i], path)
        how = draw(st.sampled_from(("odd", "nest", "drop", "unknown-key", "swap")))
        if how == "odd":
            new = draw(st.sampled_from(ODD))
        elif how == "nest":
            new = old
            for _ in range(draw(st.sampled_from((2, 10, MAX_DEPTH, MAX_DEPTH + 5)))):
                new = [new] if draw(st.booleans()) else {"k": new}
        elif how == "drop" and isinstance(old, dict) and old:
            new = {k: v for k, v in old.items() if k != draw(st.sampled_from(sorted(old, key=str)))}
        elif how == "unknown-key" and isinstance(old, dict):
            new = {**old, draw(st.sampled_from(("extra", "objective", "0", "__proto__"))): draw(st.sampled_from(ODD))}
        elif isinstance(old, dict):
            new = list(old.items())
        elif isinstance(old, list):
            new = {str(n): v for n, v in enumerate(old)}
        else:
            new = str(old) if not isinstance(old, str) else draw(st.sampled_from(HUGE))
        docs = [replace_at(d, path, new) if n == i else d for n, d in enumerate(docs)]
    return docs


def dump(docs: list[Any]) -> str:
    return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False, width=1000)


@st.composite
def text_mutant(draw: st.DrawFn, text: str) -> bytes:
    """The file's bytes cut, spliced with garbage, flipped, or with numbers thousands of digits long."""
    data = text.encode("utf-8")
    how = draw(st.sampled_from(("truncate", "garbage", "flip", "digits", "tabs", "repeat")))
    at = draw(st.integers(0, len(data)))
    if how == "truncate":
        return data[:at]
    if how == "garbage":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if how == "flip" and data:
        pos = min(at, len(data) - 1)
        return data[:pos] + bytes([data[pos] ^ draw(st.integers(1, 255))]) + data[pos + 1:]
    if how == "digits":
        digits = draw(st.sampled_from((400, 4301, 20_000)))
        return data.replace(b"99.9", b"9" * digits, 1).replace(b"30d", b"9" * digits + b"d", 1)
    if how == "tabs":
        return data.replace(b"  ", b"\t", draw(st.integers(1, 5)))
    return data[:at] + data[at:at + 200] * draw(st.integers(2, 50)) + data[at:]


@st.composite
def mutant(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SPECS)))
    text = SPECS[name]
    if draw(st.booleans()):
        return name, dump(draw(data_mutant(list(yaml.safe_load_all(text))))).encode("utf-8")
    return name, draw(text_mutant(text))


# -- running obsgen ----------------------------------------------------------------------------------
def build_in_process(root: Path, *args: str) -> tuple[int, str, str]:
    """`obsgen build` through cli.main, as the console script runs it; a traceback fails the test."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
            time_limit(PER_MUTANT_S):
        code = cli.main(["build", "--out", "out", "--only", "prometheus", *args])
    return code, stdout.getvalue(), stderr.getvalue()


def assert_one_error_line(stderr: str, spec: str) -> None:
    """The refusal is the last line, and the only one from obsgen itself; lines before it can only be
    the loaders' warnings about the spec (a Sloth severity label obsgen overrides)."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert lines and lines[-1].startswith(f"obsgen: {spec}"), stderr
    assert all(not line.startswith("obsgen") and line.startswith(spec) for line in lines[:-1]), stderr


def assert_refused_or_valid(root: Path, code: int, stdout: str, stderr: str, spec: str) -> None:
    if code == 2:
        assert_one_error_line(stderr, spec)
        assert stdout == ""
        assert not (root / "out").exists()
        return
    assert code == 0, (code, stdout, stderr)
    rules = sorted((root / "out" / "prometheus" / "rules").glob("*.yml"))
    result = promtool.check_rules(promtool.find(), rules, root / "out")
    assert result.ok, result.lines


@strategies.examples(120)
@given(mutant())
def test_mutated_specs_are_refused_in_one_line_or_build_valid_rules(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory(prefix="obsgen-fuzz-") as tmp:
        root = Path(tmp)
        (root / "slo").mkdir()
        (root / "slo" / name).write_bytes(data)
        code, stdout, stderr = build_in_process(root, f"slo/{name}", "--period", "28d")
        assert_refused_or_valid(root, code, stdout, stderr, f"slo/{name}")


@strategies.examples(40)
@given(st.one_of(data_mutant([yaml.safe_load(WINDOWS)]).map(dump).map(str.encode), text_mutant(WINDOWS)))
def test_mutated_windows_files_are_refused_in_one_line_or_used(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="obsgen-fuzz-") as tmp:
        root = Path(tmp)
        (root / "slo").mkdir()
        (root / "slo" / "spec.yaml").write_text(SPECS["getting-started.yaml"], encoding="utf-8")
        (root / "windows.yaml").write_bytes(data)
        code, stdout, stderr = build_in_process(root, "slo/spec.yaml", "--windows", "windows.yaml")
        # the windows file is refused by name, or the spec it does not fit (another period)
        spec = "windows.yaml" if "obsgen: windows.yaml" in stderr else "slo/spec.yaml"
        assert_refused_or_valid(root, code, stdout, stderr, spec)


# -- real processes ----------------------------------------------------------------------------------
def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "build", "--out", "out", *args], cwd=root,
                          capture_output=True, text=True, timeout=SUBPROCESS_S)


def one_line_refusal(proc: subprocess.CompletedProcess[str], spec: str, *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"obsgen: {spec}: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


LARGE = 30 * 1024 * 1024  # "tens of MB"


@pytest.mark.parametrize("kind", ["garbage", "yaml", "one-line"])
def test_files_of_tens_of_megabytes_are_refused_at_once(tmp_path: Path, kind: str) -> None:
    spec = tmp_path / "slo" / "huge.yaml"
    spec.parent.mkdir()
    with open(spec, "wb") as fh:
        if kind == "garbage":
            fh.write(bytes(range(1, 256)) * (LARGE // 255))
        elif kind == "yaml":
            fh.write(SPECS["base.yaml"].encode() + b"# padding\n" * (LARGE // 10))
        else:
            fh.write(b"version: prometheus/v1\nservice: x\nslos: [" + b"1," * (LARGE // 2) + b"1]\n")
    proc = run_cli(tmp_path, "slo/huge.yaml")
    one_line_refusal(proc, "slo/huge.yaml", f"larger than {MAX_SPEC_BYTES // (1024 * 1024)} MB")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", [
    pytest.param("a: " + "[" * 10_000 + "]" * 10_000 + "\n", id="nested-10000"),
    pytest.param("a: &a [*a]\nb: *a\n", id="alias-cycle"),
    pytest.param("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 12)), id="billion-laughs"),
    pytest.param("---\nversion: prometheus/v1\n" * 20_000, id="20000-documents"),
    pytest.param("version: prometheus/v1\nservice: x\nslos:\n- name: a\n  objective: " + "9" * 20_000 + "\n",
                 id="20000-digits"),
])
def test_hostile_yaml_is_refused_by_the_real_command(tmp_path: Path, content: str) -> None:
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo" / "evil.yaml").write_text(content, encoding="utf-8")
    one_line_refusal(run_cli(tmp_path, "slo/evil.yaml"), "slo/evil.yaml")
    assert not (tmp_path / "out").exists()


@strategies.examples(4)
@given(mutant())
def test_mutants_through_the_real_command(case: tuple[str, bytes]) -> None:
    """The in-process campaign's promise holds for the console entry point too (stdout, stderr, exit)."""
    name, data = case
    with tempfile.TemporaryDirectory(prefix="obsgen-fuzz-") as tmp:
        root = Path(tmp)
        (root / "slo").mkdir()
        (root / "slo" / name).write_bytes(data)
        proc = run_cli(root, f"slo/{name}", "--period", "28d", "--only", "prometheus")
        assert proc.returncode in (0, 2), proc.stderr
        if proc.returncode == 2:
            assert_one_error_line(proc.stderr, f"slo/{name}")
        assert "Traceback" not in proc.stderr, proc.stderr
