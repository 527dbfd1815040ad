"""Latency SLOs over native histograms (LatencySLI(native=True)): rules, generated tests, the version floor.

A native histogram is one series; the rules read it with histogram_count and histogram_fraction, and
the threshold must be a bucket boundary of its schema (else histogram_fraction estimates inside a
bucket), the check the classic kind makes against its `le` buckets. The generated tests write native
histograms in promtool's series notation, which promtool 2.42 cannot parse: they go to files of their
own, `obsgen check` refuses a promtool too old for them in one line, and on promtool 3 they pass and
fail when the rule's threshold is wrong.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.errors import SpecError
from generator.model import SLO, Service
from generator.render import rules
from generator.sli import LatencySLI

REPO = Path(__file__).resolve().parents[1]
METRIC = "http_server_request_duration_seconds"

SLO_PY = f'''from generator.api import SLO, LatencySLI, RatioSLI, Service
svc = Service(name="shop", scrape_interval="30s", slos=[
    SLO(name="ttfb", objective=99, sli=LatencySLI(metric="{METRIC}", matchers='job="shop"', threshold=0.5,
                                                  native=True)),
    SLO(name="requests", objective=99.9, sli=RatioSLI(
        error_query='sum(rate(http_requests_total{{job="shop",code=~"5.."}}[{{{{.window}}}}]))',
        total_query='sum(rate(http_requests_total{{job="shop"}}[{{{{.window}}}}]))')),
])
'''


def _sli(**kw: object) -> LatencySLI:
    return LatencySLI(metric=METRIC, matchers='job="shop"', **{"threshold": 0.5, "native": True, **kw})


def test_a_threshold_between_native_buckets_is_refused_with_the_nearest_boundaries() -> None:
    _sli().validate()  # 0.5 = 2^-1: a boundary at every schema >= 0
    _sli(threshold=2 ** (3 / 8)).validate()  # schema 3's boundaries are 2^(k/8)
    with pytest.raises(SpecError, match=r"not a bucket boundary of a schema-3 native histogram \(nearest: 0\.29"):
        _sli(threshold=0.3).validate()
    with pytest.raises(SpecError, match="no le buckets"):
        _sli(buckets=(0.5, 1.0)).validate()


def test_rules_read_the_one_series_with_histogram_functions() -> None:
    svc = Service(name="shop", slos=(SLO(name="ttfb", objective=99, sli=_sli()),), source="slo/shop.py")
    svc.validate()
    base = {r["record"]: r["expr"] for r in rules.render(svc)["groups"][0]["rules"] if "record" in r}
    assert base["obsgen:sli_total:rate1m"] == f'histogram_count(sum(rate({METRIC}{{job="shop"}}[4m30s])))'
    assert f'histogram_fraction(0, 0.5, sum(rate({METRIC}{{job="shop"}}[4m30s])))' in base["obsgen:sli_errors:rate1m"]
    assert "_bucket" not in base["obsgen:sli_errors:rate1m"] and "le=" not in base["obsgen:sli_errors:rate1m"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("native")
    (root / "slo").mkdir()
    (root / "slo" / "shop.py").write_text(SLO_PY)
    (root / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=root, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    return root


def test_native_inputs_go_to_files_of_their_own(repo: Path) -> None:
    tests = repo / "out" / "prometheus" / "tests"
    native = yaml.safe_load((tests / "shop.native.test.yml").read_text())
    classic = yaml.safe_load((tests / "shop.test.yml").read_text())
    assert all("{{schema:" in s["values"] for g in native["tests"] for s in g["input_series"])
    assert not any("{{schema:" in s["values"] for g in classic["tests"] for s in g["input_series"])
    assert (tests / "shop.native.long.test.yml").is_file()


@pytest.mark.usefixtures("toolchain")
def test_promtool_3_passes_them_and_promtool_2_is_refused_in_one_line(repo: Path, toolchain, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "generator", "check"], cwd=repo, capture_output=True, text=True,
                          timeout=900, env=env)
    if toolchain.major < 3:
        assert proc.returncode == 2, proc.stdout + proc.stderr
        [line] = proc.stderr.splitlines()
        assert "promtool 2." in line and ">= 3.0.0" in line and "native" in line, line
        return
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "promtool test rules: ok (4 files)" in proc.stdout

    # the mutation: the rule counts requests under 0.25 s as good, not 0.5 s; the native tests must fail
    out = tmp_path / "out"
    subprocess.run(["cp", "-r", str(repo / "out" / "prometheus"), str(out)], check=True)
    path = out / "rules" / "shop.rules.yml"
    text = path.read_text()
    mutated = re.sub(r"histogram_fraction\(0, 0\.5,", "histogram_fraction(0, 0.25,", text)
    assert mutated != text
    path.write_text(mutated)
    for name in ("shop.native.test.yml", "shop.native.long.test.yml"):
        run = subprocess.run([toolchain.promtool, "test", "rules", name], cwd=out / "tests", capture_output=True,
                             text=True, timeout=300)
        assert run.returncode != 0 and "FAILED" in run.stdout + run.stderr, f"{name} passed a wrong threshold"
