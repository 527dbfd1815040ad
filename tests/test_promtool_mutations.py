"""The generated promtool tests pass on the generated rules, and fail when the rules are subtly wrong.

Each mutation changes one thing in the requests SLO's rules (a burn factor, a window, a range, the
short-window condition) in a copy of out/prometheus; `promtool test rules` on the file that covers
that tier (the 1m file for page tiers, the 5m long file for ticket tiers) must then fail, and fail
on the requests burn alert itself.

Runtime: the baseline runs the full generated files. A mutation run keeps only the requests SLO's
rule groups and the checks of its alerts (the other SLOs read other series and raise other alerts,
so they cannot catch a change to requests' rules; they only cost evaluation time). All promtool runs
start together in the background (module fixture).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "prometheus"
SERVICE = "maestro-conductor"
RULES = f"{SERVICE}.rules.yml"
SHORT = f"{SERVICE}.test.yml"  # evaluation_interval 1m: the page scenarios
LONG = f"{SERVICE}.long.test.yml"  # evaluation_interval 5m: the ticket scenarios
ALERT = "RequestsErrorBudgetBurn"
SLO = "requests"


def promtool() -> str:
    found = shutil.which("promtool")  # the toolchain fixture's, first on PATH
    if found is None:
        pytest.fail("promtool is not installed (make tools installs it)")
    return found


def _rule(doc: dict, match: Callable[[dict], bool]) -> dict:
    found = [r for g in doc["groups"] for r in g["rules"] if match(r)]
    assert len(found) == 1, f"expected one matching rule, found {len(found)}"
    return found[0]


def _burn_alert(severity: str) -> Callable[[dict], bool]:
    return lambda r: r.get("alert") == ALERT and r["labels"].get("severity") == severity


def _ratio(window: str) -> Callable[[dict], bool]:
    return lambda r: (r.get("record") == "obsgen:sli_error:ratio" and r["labels"].get("slo") == SLO
                      and r["labels"].get("window") == window)


@dataclass(frozen=True)
class Mutation:
    id: str
    test_file: str
    rule: Callable[[dict], bool]
    pattern: str  # regex on the rule's expr
    replacement: str
    count: int  # how many times the pattern must occur in that expr


SHORT_WINDOW_5M = r'\n\s*and ignoring\(window\)\n\s*obsgen:burn_rate:ratio\{[^}]*window="5m"\} > 14\.4'
MUTATIONS = [
    # the 1h page tier's factor (long and short window)
    Mutation("page-factor-14.4-to-10", SHORT, _burn_alert("page"), r"> 14\.4(?![0-9])", "> 10", 2),
    # the 1h page tier reads the 2h burn rate instead of the 1h one
    Mutation("page-long-window-1h-to-2h", SHORT, _burn_alert("page"), r'window="1h"\} > 14\.4',
             'window="2h"} > 14.4', 1),
    # the 6h error ratio sums 3h of the base rate (720 samples 30s apart, half a spacing off the edge)
    Mutation("6h-ratio-range-to-3h", SHORT, _ratio("6h"), r"\[5h59m45s\]", "[2h59m45s]", 2),
    # the 1d ticket tier's factor (long and short window)
    Mutation("ticket-factor-3-to-2", LONG, _burn_alert("ticket"), r"> 3(?![0-9.])", "> 2", 2),
    # the 1h page tier without its 5m short-window condition
    Mutation("page-drops-short-window-condition", SHORT, _burn_alert("page"), SHORT_WINDOW_5M, "", 1),
]


def _copy(dest: Path) -> Path:
    assert (OUT / "rules" / RULES).is_file(), "out/prometheus is missing: run `obsgen build`"
    shutil.copytree(OUT, dest / "prometheus")
    return dest / "prometheus"


def _mutate(tree: Path, m: Mutation) -> None:
    path = tree / "rules" / RULES
    doc = yaml.safe_load(path.read_text())
    rule = _rule(doc, m.rule)
    found = len(re.findall(m.pattern, rule["expr"]))
    assert found == m.count, f"{m.id}: {m.pattern!r} occurs {found} times in {rule['expr']!r}"
    rule["expr"] = re.sub(m.pattern, m.replacement, rule["expr"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))


def _focus(tree: Path) -> None:
    """Keep the requests SLO's rule groups, and only the checks of the alerts they define."""
    path = tree / "rules" / RULES
    doc = yaml.safe_load(path.read_text())
    doc["groups"] = [g for g in doc["groups"] if any(r["labels"].get("slo") == SLO for r in g["rules"])]
    alerts = {r["alert"] for g in doc["groups"] for r in g["rules"] if "alert" in r}
    assert ALERT in alerts and len(doc["groups"]) == 2, [g["name"] for g in doc["groups"]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    for test in (tree / "tests").glob("*.yml"):
        tdoc = yaml.safe_load(test.read_text())
        for group in tdoc["tests"]:
            group["alert_rule_test"] = [c for c in group.get("alert_rule_test") or []
                                        if c["alertname"] in alerts]
        test.write_text(yaml.safe_dump(tdoc, sort_keys=False, width=1000))


def _run(binary: str, tree: Path, test_file: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "test", "rules", test_file], cwd=tree / "tests",
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future]:
    binary = promtool()
    jobs: dict[str, tuple[Path, str]] = {}
    base = _copy(tmp_path_factory.mktemp("baseline"))
    jobs["baseline-" + SHORT] = (base, SHORT)
    jobs["baseline-" + LONG] = (base, LONG)
    focused = _copy(tmp_path_factory.mktemp("focused"))
    _focus(focused)
    for test_file in (SHORT, LONG):  # the focused files alone pass: a mutation's failure is its own
        jobs[f"focused-{test_file}"] = (focused, test_file)
    for m in MUTATIONS:
        tree = _copy(tmp_path_factory.mktemp(m.id))
        _focus(tree)
        _mutate(tree, m)
        jobs[m.id] = (tree, m.test_file)
    # slowest first: the long file takes about twice as long as the 1m file
    order = sorted(jobs, key=lambda k: jobs[k][1] != LONG)
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    futures = {k: pool.submit(_run, binary, *jobs[k]) for k in order}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("kind", ["baseline", "focused"])
@pytest.mark.parametrize("test_file", [SHORT, LONG])
def test_generated_tests_pass(runs: dict[str, Future], test_file: str, kind: str) -> None:
    proc = runs[f"{kind}-{test_file}"].result()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "SUCCESS" in proc.stdout


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_is_caught(runs: dict[str, Future], mutation: Mutation) -> None:
    proc = runs[mutation.id].result()
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{mutation.id} survived `promtool test rules {mutation.test_file}`"
    # caught by an alert expectation, not by a broken rule file
    assert "FAILED" in out and "exp:" in out and "got:" in out, out[-3000:]
    assert f"alertname: {ALERT}," in out, f"{mutation.id} was not caught by a check of {ALERT}:\n{out[-3000:]}"
