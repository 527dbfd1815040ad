"""Loading dashboards/: declarations and grafanalib boards; bad ones are one line naming file, object, field.

In-process cases check the message; the command-line cases check the contract around it:
exit 2, that one line on stderr, no traceback, out/ untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.loaders.dashboards import load_dir

REPO = Path(__file__).resolve().parents[1]
PRELUDE = "from generator.api import *\n"
ROLLOUT = ("RolloutBoard(service='maestro-conductor', namespace='maestro', rollout='maestro-conductor', "
           "errors_slo='requests', latency_slo='ttfb-p95'{})")


def declare(tmp_path: Path, text: str, name: str = "bad.py") -> Path:
    d = tmp_path / "dashboards"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def load_error(tmp_path: Path, text: str, name: str = "bad.py") -> str:
    d = declare(tmp_path, text, name)
    with pytest.raises(SpecError) as err:
        load_dir(d, tmp_path)
    return str(err.value)


CASES = [
    ("uid", PRELUDE + "board = " + ROLLOUT.format(", uid='maestro rollout'"), "board.uid: 'maestro rollout'"),
    ("hash label", PRELUDE + "board = " + ROLLOUT.format(", hash_label='pod-hash'"),
     "board.hash_label: 'pod-hash' is not a label name"),
    ("selector", PRELUDE + "deps = Dependencies(service='s', dependencies=[Postgres(selector='job=postgres')])",
     "deps.dependencies[0].selector: are not valid label matchers"),
    ("severity", PRELUDE + "deps = Dependencies(service='s', dependencies=[Redis(severity='critical')])",
     "deps.dependencies[0].severity: 'critical' must be one of ticket, page"),
    ("down_for", PRELUDE + "deps = Dependencies(service='s', dependencies=[Redis(down_for='5 minutes')])",
     "deps.dependencies[0].down_for: '5 minutes' is not a duration"),
    ("neo4j community", PRELUDE + "deps = Dependencies(service='s', dependencies=[Neo4j(edition='community')])",
     "deps.dependencies[0].probe: Community edition has no metrics endpoint"),
    ("empty", PRELUDE + "deps = Dependencies(service='s', dependencies=[])", "deps.dependencies: must be a non-empty"),
    ("not a dependency", PRELUDE + "deps = Dependencies(service='s', dependencies=['postgres'])",
     "deps.dependencies[0]: must be Postgres(...), Redis(...) or Neo4j(...)"),
    ("grafanalib without dashboard", "x = 1\n", "dashboard: defines no grafanalib Dashboard"),
]


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_declarations_name_file_object_and_field(tmp_path: Path, case: str, text: str, expected: str) -> None:
    name = "bad.dashboard.py" if case.startswith("grafanalib") else "bad.py"
    message = load_error(tmp_path, text, name)
    assert message.startswith(f"dashboards/{name}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_declarations_and_grafanalib_boards_are_found(tmp_path: Path) -> None:
    declared, legacy = load_dir(REPO / "dashboards", REPO)
    assert [(d.source, d.name, type(d.value).__name__) for d in declared] == [
        ("dashboards/maestro.py", "rollout", "RolloutBoard"), ("dashboards/maestro.py", "dependencies", "Dependencies")]
    assert [(b.source, b.data["uid"], b.data["schemaVersion"]) for b in legacy] == [
        ("dashboards/maestro-traffic.dashboard.py", "maestro-traffic", 42)]
    assert load_dir(tmp_path / "missing", tmp_path) == ([], [])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "slo", root / "slo", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "dashboards").mkdir()
    (root / "out").mkdir()
    (root / "out" / "keep.txt").write_text("previous build\n")
    return root


@pytest.mark.parametrize(("text", "expected"), [
    (PRELUDE + "rollout = " + ROLLOUT.format("").replace("'ttfb-p95'", "'ttfb'"),
     "obsgen: dashboards/boards.py: rollout.latency_slo: service maestro-conductor has no SLO 'ttfb' "
     "(declared: availability, requests, ttfb-p95)"),
    (PRELUDE + "deps = Dependencies(service='maestro-conductor', dependencies=[Postgres(), Postgres()])",
     "obsgen: dashboards/boards.py: deps.dependencies[1].name: 'postgres' is declared twice"),
    (PRELUDE + "rollout = " + ROLLOUT.format("").replace("'requests'", "'availability'"),
     "obsgen: dashboards/boards.py: rollout.errors_slo: SLO 'availability' has a probe SLI; name a counter-ratio "
     "(RatioSLI) SLO"),
], ids=["unknown slo", "duplicate dependency", "probe slo as errors"])
def test_cli_exits_2_with_one_line_and_writes_nothing(repo: Path, text: str, expected: str) -> None:
    (repo / "dashboards" / "boards.py").write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [expected]
    assert sorted(p.name for p in (repo / "out").iterdir()) == ["keep.txt"]
