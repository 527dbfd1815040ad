"""Sloth-format specs through the CLI: the alert tiers Sloth would build, for 30d, 28d and 7d windows.

Our own fixtures (tests/fixtures/sloth/) are built with `obsgen build` (default period 30d,
`--period 28d`, `--windows windows-7d.yaml`); every burn alert's expression is read back into
(long window, short window, factor) per severity and compared with Sloth's factors:
budget% x period hours / 100 / long-window hours. The promtool tests generated for these fixtures
must pass too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "sloth"
SPECS = [FIXTURES / "base.yaml", FIXTURES / "getting-started.yaml"]

CONFIGS = {
    "30d": [],
    "28d": ["--period", "28d"],
    "7d-windows": ["--windows", str(FIXTURES / "windows-7d.yaml")],
}
PAGE_WINDOWS = [("1h", "5m"), ("6h", "30m")]
TICKET_WINDOWS = [("1d", "2h"), ("3d", "6h")]
FACTORS = {
    "30d": {"page": [14.4, 6], "ticket": [3, 1]},
    "28d": {"page": [13.44, 5.6], "ticket": [2.8, 0.9333]},
    "7d-windows": {"page": [13.44, 3.5], "ticket": [1.4, 0.98]},
}
# (service, slo) -> alert name, for the SLOs whose alerts are enabled
ALERTING = {
    ("checkout", "orders"): "CheckoutOrdersBurn",
    ("storefront", "requests-availability"): "StorefrontHighErrorRate",
}
SILENT = [("checkout", "payments-raw")]  # page_alert and ticket_alert disabled
SERVICES = ["checkout", "storefront"]

_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def seconds(text: str) -> int:
    assert re.fullmatch(r"(?:\d+[dhms])+", text), text
    return sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([dhms])", text))


def obsgen_cmd() -> list[str]:
    script = Path(sys.executable).parent / "obsgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "generator"]


def promtool() -> str:
    found = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    if found is None:
        pytest.fail("promtool is not installed (make tools installs it)")
    return found


_TIER = re.compile(
    r'window="(?P<long>[^"]+)"\}\s*>\s*(?P<f1>[0-9.eE+-]+)'
    r'(?:\s*and ignoring\(window\)\s*\S*window="(?P<short>[^"]+)"\}\s*>\s*(?P<f2>[0-9.eE+-]+))?')


def tiers_of(expr: str) -> list[tuple[str, str | None, float]]:
    """(long, short, factor) of each OR-ed tier of a burn alert expression."""
    out = []
    for part in re.split(r"\n\s*or\s*\n", expr.strip()):
        m = _TIER.search(part)
        assert m is not None, f"cannot read the tier in {part!r}"
        if m["f2"] is not None:
            assert float(m["f1"]) == float(m["f2"]), f"long and short factors differ in {part!r}"
        out.append((m["long"], m["short"], float(m["f1"])))
    return sorted(out, key=lambda t: seconds(t[0]))


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, flags in CONFIGS.items():
        dest = tmp_path_factory.mktemp(f"sloth-{name}")
        proc = subprocess.run([*obsgen_cmd(), "build", *map(str, SPECS), "--out", str(dest), *flags],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"obsgen build {flags}: {proc.stderr}"
        out[name] = dest / "prometheus"
    return out


def burn_alerts(tree: Path, service: str, slo: str) -> dict[str, dict]:
    doc = yaml.safe_load((tree / "rules" / f"{service}.rules.yml").read_text())
    found: dict[str, dict] = {}
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule and rule["labels"].get("slo") == slo and "burn_rate:ratio" in rule["expr"]:
                severity = rule["labels"]["severity"]
                assert severity not in found, f"two {severity} burn alerts for {slo}"
                found[severity] = rule
    return found


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize(("service", "slo"), list(ALERTING))
def test_tiers_match_sloth(builds: dict[str, Path], config: str, service: str, slo: str) -> None:
    alerts = burn_alerts(builds[config], service, slo)
    assert set(alerts) == {"page", "ticket"}
    for severity, windows in (("page", PAGE_WINDOWS), ("ticket", TICKET_WINDOWS)):
        rule = alerts[severity]
        assert rule["alert"] == ALERTING[(service, slo)]
        tiers = tiers_of(rule["expr"])
        assert [(long, short) for long, short, _ in tiers] == windows, f"{severity}: {tiers}"
        assert [f for _, _, f in tiers] == pytest.approx(FACTORS[config][severity], rel=1e-4), \
            f"{severity}: {tiers}"


def test_28d_and_7d_factors_are_sloths_exactly(builds: dict[str, Path]) -> None:
    """Beyond the rounded values above: budget% x period h / 100 / long h, to float precision."""
    expected = {
        "28d": {"page": [2 * 672 / 100 / 1, 5 * 672 / 100 / 6], "ticket": [10 * 672 / 100 / 24, 10 * 672 / 100 / 72]},
        "7d-windows": {"page": [8 * 168 / 100 / 1, 12.5 * 168 / 100 / 6],
                       "ticket": [20 * 168 / 100 / 24, 42 * 168 / 100 / 72]},
    }
    for config, by_severity in expected.items():
        alerts = burn_alerts(builds[config], "checkout", "orders")
        for severity, factors in by_severity.items():
            got = [f for _, _, f in tiers_of(alerts[severity]["expr"])]
            assert got == pytest.approx(factors, rel=1e-12), (config, severity)


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize(("service", "slo"), SILENT)
def test_disabled_alerts_stay_disabled(builds: dict[str, Path], config: str, service: str, slo: str) -> None:
    assert burn_alerts(builds[config], service, slo) == {}


@pytest.mark.parametrize("config", list(CONFIGS))
def test_period_window_is_recorded(builds: dict[str, Path], config: str) -> None:
    period = {"30d": "30d", "28d": "28d", "7d-windows": "7d"}[config]
    for service in SERVICES:
        doc = yaml.safe_load((builds[config] / "rules" / f"{service}.rules.yml").read_text())
        windows = {(r["labels"].get("slo"), r["labels"].get("window")) for g in doc["groups"] for r in g["rules"]
                   if r.get("record") == "obsgen:sli_error:ratio"}
        slos = {slo for slo, _ in windows}
        assert slos and all((slo, period) in windows for slo in slos), (config, service, sorted(windows))


@pytest.fixture(scope="module")
def promtool_runs(builds: dict[str, Path]) -> dict[tuple[str, str], Future]:
    binary = promtool()
    jobs = [(config, test.name) for config in CONFIGS
            for test in sorted((builds[config] / "tests").glob("*.yml"))]
    assert len(jobs) == len(CONFIGS) * len(SERVICES) * 2, jobs
    jobs.sort(key=lambda j: ".long." not in j[1])  # the 5m files are the slow ones: start them first
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    futures = {job: pool.submit(subprocess.run, [binary, "test", "rules", job[1]], cwd=builds[job[0]] / "tests",
                                capture_output=True, text=True, timeout=300) for job in jobs}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("kind", ["test", "long.test"])
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("config", list(CONFIGS))
def test_generated_promtool_tests_pass(promtool_runs: dict, config: str, service: str, kind: str) -> None:
    proc = promtool_runs[(config, f"{service}.{kind}.yml")].result()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
