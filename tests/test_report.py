"""The alert-quality report: its numbers, the CLI, the PNGs, and the numbers against promtool.

The table's values are checked against the closed forms written out here (T(e) = factor x
budget x long / e; reset = short x (1 - threshold / e)), the CLI as a user runs it (a
subprocess in a temporary checkout), the PNGs as files (signature, readable, not blank,
byte-identical across two builds in different checkouts and hash seeds), and finally the
detection and reset times against promtool runs of the rules `obsgen build` generates for
slo/maestro.py: an alert must not fire one minute before the predicted time and must fire
one minute after it. promtool is the real one; the test fails (never skips) without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator import report, writer
from generator.api import SLO, Alerting, RatioSLI, Service, Tier
from generator.loaders import load_all

REPO = Path(__file__).resolve().parents[1]
SERVICE = "maestro-conductor"
SLOS = ("availability", "requests", "ttfb-p95")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
M, H, D = 60, 3600, 86400


def seen_time(window: float, smear: float, share: float) -> float:
    """A numeric twin of the report's model, written apart from it: the x at which the ideal window's
    filled share clip(t / W, 0, 1), averaged over [x - B, x] (midpoint rule, 400 points), reaches
    `share`, found by bisection (the average only grows with x). With B = 0 it is x = share x W."""
    def filled(x: float) -> float:
        if not smear:
            return min(1.0, max(0.0, x / window))
        ts = [x - smear * (k + 0.5) / 400 for k in range(400)]
        return sum(min(1.0, max(0.0, t / window)) for t in ts) / len(ts)

    lo, hi = 0.0, window + smear
    while hi - lo > 0.01:
        lo, hi = ((lo + hi) / 2, hi) if filled((lo + hi) / 2) < share else (lo, (lo + hi) / 2)
    return hi


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def make_repo(base: Path) -> Path:
    root = base / "checkout"
    shutil.copytree(REPO / "slo", root / "slo", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def maestro() -> dict[str, report.SLOQuality]:
    (svc,) = load_all([REPO / "slo"], REPO)
    return {q.slo: q for q in report.analyse(svc)}


def tier(q: report.SLOQuality, windows: str) -> report.TierQuality:
    (found,) = [t for t in q.tiers if t.windows == windows]
    return found


# -- the numbers -----------------------------------------------------------------------------------

def test_requests_page_1h_tier(maestro: dict[str, report.SLOQuality]) -> None:
    q = maestro["requests"]
    assert (q.objective, q.period, q.budget) == (99.9, "30d", pytest.approx(0.001))
    t = tier(q, "1h/5m")
    assert t.severity == "page"
    assert t.factor == pytest.approx(14.4)
    assert t.threshold == pytest.approx(0.0144)
    assert t.budget_consumed == pytest.approx(0.02)
    # requests is scraped every 1m: a 4m30s base rate (samples spanning 3.5 scrapes), recorded every 30s:
    # a window's samples reach back B = 270 - 60 - 30 = 3m further than the window
    assert t.smear_s == 3 * M
    # where the window's ramp is linear: the ideal time (theta x W / e) + B/2
    assert t.detection(2 * 0.0144) == pytest.approx(30 * M + 90)
    assert t.detection(10 * 0.0144) == pytest.approx(6 * M + 90)
    # at 100% errors the threshold (1.44% of the 1h window) is reached within the first B:
    # e x^2 / (2 B W) = theta, x = sqrt(2 x 180 x 3600 x 0.0144) = 136.6 s (the ideal window: 51.84 s)
    assert t.detection(1.0) == pytest.approx((2 * 180 * 3600 * 0.0144) ** 0.5)
    assert t.detection(1.0) == pytest.approx(seen_time(3600, 180, 0.0144), abs=1)
    # the short window's own time is earlier; the long window decides
    assert t.window_time(5 * M, 1.0) < t.detection(1.0)
    # after a full outage the 5m window drops below 1.44% once nearly all of the last B is healthy:
    # x = W + B - sqrt(2 theta B W) = 440.6 s (the ideal window: 295.68 s)
    assert t.reset(1.0) == pytest.approx(300 + 180 - (2 * 0.0144 * 180 * 300) ** 0.5)
    assert t.reset(1.0) == pytest.approx(seen_time(300, 180, 1 - 0.0144), abs=1)
    ideal = report.TierQuality(t.severity, t.factor, t.long_s, t.short_s, 0, t.budget, t.period_s)
    assert ideal.detection(1.0) == pytest.approx(14.4 * 0.001 * 3600)  # 51.84 s: R = 0 is the closed form
    assert ideal.reset(1.0) == pytest.approx(300 * (1 - 0.0144))  # 295.68 s
    assert t.detection(t.threshold) is None and t.detection(0.01) is None  # at or below the threshold
    assert t.reset(t.threshold) is None


def test_every_default_tier_of_requests(maestro: dict[str, report.SLOQuality]) -> None:
    budget = 0.001
    expected = {  # windows: (severity, factor, budget share, long, short)
        "1h/5m": ("page", 14.4, 0.02, 1 * H, 5 * M),
        "6h/30m": ("page", 6, 0.05, 6 * H, 30 * M),
        "1d/2h": ("ticket", 3, 0.10, 1 * D, 2 * H),
        "3d/6h": ("ticket", 1, 0.10, 3 * D, 6 * H),
    }
    q = maestro["requests"]
    assert [t.windows for t in q.tiers] == list(expected)
    for windows, (severity, factor, share, long_s, short_s) in expected.items():
        t = tier(q, windows)
        thr = factor * budget
        assert (t.severity, t.long_s, t.short_s, t.for_s) == (severity, long_s, short_s, 0)
        assert t.factor == pytest.approx(factor)
        assert t.threshold == pytest.approx(thr)
        assert t.budget_consumed == pytest.approx(share)
        for e in (2 * thr, 10 * thr, 0.5, 1.0):
            assert t.detection(e) == pytest.approx(seen_time(long_s, 3 * M, thr / e), abs=1)
            assert t.reset(e) == pytest.approx(seen_time(short_s, 3 * M, 1 - thr / e), abs=1)


def test_availability_runbook_4h_tier_is_single_window(maestro: dict[str, report.SLOQuality]) -> None:
    t = tier(maestro["availability"], "4h")
    assert (t.severity, t.short_s, t.factor) == ("page", None, 1.0)
    assert t.threshold == pytest.approx(0.005)
    assert t.budget_consumed == pytest.approx(4 / 720)  # 0.556%
    assert report.percent(t.budget_consumed) == "0.556%"
    assert t.smear_s == 67 - 15 - 30  # the probe runs every 15s: a 1m7s base rate
    assert t.detection(0.01) == pytest.approx(2 * H + 11)  # linear ramp: ideal + B/2
    assert t.detection(1.0) == pytest.approx(seen_time(4 * H, 22, 0.005), abs=1)
    assert t.reset(1.0) == pytest.approx(seen_time(4 * H, 22, 1 - 0.005), abs=1)  # no short window: the long one


def test_thresholds_above_100_percent_errors_are_not_available(maestro: dict[str, report.SLOQuality]) -> None:
    page = tier(maestro["ttfb-p95"], "1h/5m")  # 95%: 14.4 x 5% = 72% of requests slow
    assert page.threshold == pytest.approx(0.72)
    assert page.detection(2 * page.threshold) is None
    assert page.detection(1.0) == pytest.approx(0.72 * H + 90)  # linear ramp: ideal + B/2
    rows = {r[1]: r for r in report.rows(maestro["ttfb-p95"])}
    assert rows["1h/5m"][5] == "n/a (e > 100%)"
    assert rows["1h/5m"][7] == "44m42s"


def test_for_delays_detection_but_not_reset() -> None:
    sli = RatioSLI(error_query='sum(rate(e{job="x"}[{{.window}}]))', total_query='sum(rate(t{job="x"}[{{.window}}]))')
    svc = Service(name="x", source="x.py", slos=(
        SLO(name="s", objective=99.9, sli=sli, scrape_interval="15s",  # B = 67 - 15 - 30 = 22 s
            alerting=Alerting(for_="2m", tiers=(Tier("page", "1h", "5m", factor=14.4),
                                                Tier("page", "4h", factor=1000)))),
    ))
    svc.validate()
    (q,) = report.analyse(svc)
    fast, never = q.tiers
    assert fast.detection(1.0) == pytest.approx(seen_time(3600, 22, 0.0144) + 120, abs=1)  # + the 2m `for`
    assert fast.reset(1.0) == pytest.approx(seen_time(300, 22, 1 - 0.0144), abs=1)
    assert not never.can_fire and never.detection(1.0) is None  # 1000 x 0.1%: never over 100% errors
    text = report.terminal([q])
    assert "for: 2m" in text


def test_a_threshold_of_100_percent_can_never_fire() -> None:
    sli = RatioSLI(error_query='sum(rate(e{job="x"}[{{.window}}]))', total_query='sum(rate(t{job="x"}[{{.window}}]))')
    svc = Service(name="x", source="x.py", slos=(
        SLO(name="s", objective=95, sli=sli, alerting=Alerting(tiers=(Tier("page", "1h", "5m", factor=20),))),))
    svc.validate()
    (q,) = report.analyse(svc)
    (t,) = q.tiers
    assert t.threshold == pytest.approx(1.0) and not t.can_fire
    assert "can never fire" in report.terminal([q])
    assert "can never fire" in report.markdown(svc, [q])


@pytest.mark.parametrize(("seconds", "text"), [
    (51.84, "51.8s"), (295.68, "4m56s"), (1800, "30m"), (0.72 * H, "43m12s"), (3 * H, "3h"),
    (1.5 * D, "1d12h"), (2.4 * H, "2h24m"), (None, "n/a"),
])
def test_durations_read_like_people_write_them(seconds: float | None, text: str) -> None:
    assert report.fmt_seconds(seconds) == text


def test_markdown_has_the_mark_the_tables_and_the_images(maestro: dict[str, report.SLOQuality]) -> None:
    (svc,) = load_all([REPO / "slo"], REPO)
    md = report.markdown(svc)
    assert md.splitlines()[0] == "<!-- generated by obsgen from slo/maestro.py; do not edit -->"
    assert "| page | 1h/5m | 14.4 | 0.0144 | 2% | 31m30s (e=2.88%) | 7m30s (e=14.4%) | 2m17s | 7m21s |" in md
    assert "| page | 4h | 1 | 0.005 | 0.556% | 2h (e=1%) | 24m11s (e=5%) | 1m23s | 3h59m |" in md
    for slo in SLOS:
        assert f"## {slo}: " in md
        assert f"]({SERVICE}-{slo}-detection.png)" in md


# -- the CLI ---------------------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def table_rows(stdout: str, slo: str) -> list[list[str]]:
    """The rows under one SLO's heading in the terminal output, cells split on 2+ spaces."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{SERVICE} / {slo}: "))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("  ") or line.startswith("  note:"):
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


def test_report_prints_the_tables_and_writes_the_docs(repo: Path) -> None:
    proc = run(repo, "report")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith(f"{SERVICE} / availability: 99.5% over 30d; error budget 0.5% = 0.005\n")
    for slo in SLOS:
        assert f"{SERVICE} / {slo}: " in proc.stdout
    assert table_rows(proc.stdout, "requests")[0] == [
        "page", "1h/5m", "14.4", "0.0144", "2%", "31m30s (e=2.88%)", "7m30s (e=14.4%)", "2m17s", "7m21s"]
    assert table_rows(proc.stdout, "availability")[4] == [
        "page", "4h", "1", "0.005", "0.556%", "2h (e=1%)", "24m11s (e=5%)", "1m23s", "3h59m"]
    assert "wrote 4 files to out/docs" in proc.stdout
    docs = sorted(p.name for p in (repo / "out/docs").iterdir())
    assert docs == [f"{SERVICE}-alert-quality.md", *(f"{SERVICE}-{s}-detection.png" for s in SLOS)]
    assert not (repo / "out/prometheus").exists()  # report writes its files only


def test_report_keeps_build_check_fresh(repo: Path) -> None:
    assert run(repo, "build").returncode == 0
    before = tree(repo / "out")
    assert f"docs/{SERVICE}-alert-quality.md" in before
    proc = run(repo, "report", "--service", SERVICE)
    assert proc.returncode == 0, proc.stderr
    assert tree(repo / "out") == before  # the very files build wrote
    proc = run(repo, "build", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_report_out_dir(repo: Path) -> None:
    proc = run(repo, "report", "--out", "elsewhere")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "elsewhere/docs" / f"{SERVICE}-alert-quality.md").is_file()
    assert not (repo / "out").exists()


def test_unknown_service_is_one_line_and_exit_2(repo: Path) -> None:
    proc = run(repo, "report", "--service", "nope")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "'nope'" in lines[0] and SERVICE in lines[0]
    assert proc.stdout == ""
    assert not (repo / "out").exists()


def test_report_help(repo: Path) -> None:
    proc = run(repo, "report", "--help")
    assert proc.returncode == 0
    for word in ("--service", "--out", "SPEC", "detection"):
        assert word in proc.stdout


def test_build_check_reports_a_changed_png_in_one_line(repo: Path) -> None:
    assert run(repo, "build").returncode == 0
    png = repo / "out/docs" / f"{SERVICE}-requests-detection.png"
    png.write_bytes(png.read_bytes()[:-16] + b"\0" * 16)
    proc = run(repo, "build", "--check")
    assert proc.returncode == 1
    assert proc.stdout == f"Binary file out/docs/{SERVICE}-requests-detection.png differs\n"


def test_writer_binary_files_round_trip(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"a.txt": "text\n", "b.png": PNG_SIGNATURE + b"\xff\x00"}
    writer.write_tree(tmp_path / "out", files)
    assert (tmp_path / "out/b.png").read_bytes() == files["b.png"]
    assert writer.diff_tree(tmp_path / "out", files, "out") == ""
    (tmp_path / "out/b.png").unlink()
    assert writer.diff_tree(tmp_path / "out", files, "out") == "Binary file out/b.png differs (missing)\n"
    writer.write_files(tmp_path / "out", {"b.png": files["b.png"]})
    assert writer.diff_tree(tmp_path / "out", files, "out") == ""
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "b.png"]


# -- the PNGs --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    roots = []
    for base, seed in (("first", "1"), ("second-with-a-longer-path", "4242")):
        root = make_repo(tmp_path_factory.mktemp(base))
        proc = run(root, "build", env=dict(os.environ, PYTHONHASHSEED=seed))
        assert proc.returncode == 0, proc.stderr
        roots.append(root / "out")
    return roots[0], roots[1]


def test_pngs_exist_are_valid_and_not_blank(two_builds: tuple[Path, Path]) -> None:
    import matplotlib.image
    import numpy as np

    out, _ = two_builds
    for slo in SLOS:
        path = out / "docs" / f"{SERVICE}-{slo}-detection.png"
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE), slo
        assert b"Software" not in data and b"tIME" not in data  # no tool version, no timestamp
        image = matplotlib.image.imread(path)
        assert image.shape[:2] == (500, 800), slo
        assert float(np.var(image)) > 0, slo


def test_pngs_and_docs_are_byte_identical_across_builds(two_builds: tuple[Path, Path]) -> None:
    a, b = two_builds
    first, second = tree(a / "docs"), tree(b / "docs")
    assert sorted(first) == [f"{SERVICE}-alert-quality.md", *(f"{SERVICE}-{s}-detection.png" for s in SLOS),
                             "slos.md"]
    for rel in first:
        assert first[rel] == second[rel], rel


# -- the numbers against promtool ------------------------------------------------------------------
# The real rules of slo/maestro.py's requests SLO (99.9%, default tiers, no `for`), fed 6h of
# healthy traffic at 10 req/s, then a constant error ratio e (series and evaluation every 1m).

ALERT = "RequestsErrorBudgetBurn"
RPS = 10.0
STEP = 60
WARM = 6 * H
REQ_BUDGET = 0.001


def ratio(segments: list[tuple[int, int, float]], t: float, window: int) -> float:
    """Exact error ratio over [t - window, t], clipped at the test start (constant traffic)."""
    lo = max(0.0, t - window)
    bad = sum(e * max(0.0, min(t, end) - max(lo, start)) for start, end, e in segments)
    return bad / (t - lo)


def active(tq: report.TierQuality, segments: list[tuple[int, int, float]], t: float) -> bool:
    """The tier's state as the rules see it: each window's exact ratio averaged over the base window."""
    def seen(w: int) -> float:
        ts = [t - u for u in range(0, tq.smear_s + 1, 5)] if tq.smear_s else [t]
        return sum(ratio(segments, x, w) for x in ts) / len(ts)
    return all(seen(w) > tq.threshold for w in (tq.long_s, tq.short_s) if w is not None)


def counter_values(segments: list[tuple[int, int, float]], end: int, bad: bool) -> str:
    """promtool values of the code="500" (bad) or code="200" counter: one sample a minute from 0 to end.

    Runs of equal increments become `a+bxn`; values are summed one step at a time and printed
    with repr, exactly as promtool expands them, so a counter never steps back by a rounding.
    """
    incs = []
    for i in range(1, end // STEP + 1):
        mid = i * STEP - STEP / 2  # the increment of sample i covers ((i - 1) x STEP, i x STEP]
        e = next((err for start, stop, err in segments if start <= mid < stop), 0.0)
        incs.append(RPS * STEP * (e if bad else 1 - e))
    parts, value, i = ["0"], 0.0, 0
    while i < len(incs):
        j = i
        while j < len(incs) and incs[j] == incs[i]:
            j += 1
        value += incs[i]
        parts.append(f"{value!r}+{incs[i]!r}x{j - i - 1}")
        for _ in range(j - i - 1):
            value += incs[i]
        i = j
    return " ".join(parts)


def expected_alert(rule: dict, window: str) -> dict:
    annotations = {}
    for key, text in rule.get("annotations", {}).items():
        value = re.sub(r"\{\{\s*\$labels\.window\s*\}\}", window, text)
        assert "{{" not in value, f"annotation {key} uses more than $labels.window"
        annotations[key] = value
    return {"exp_labels": dict(rule["labels"], window=window), "exp_annotations": annotations}


def staged(tq: report.TierQuality) -> bool:
    return tq.long_s > 6 * H  # built from 5-minute buckets (names.STAGED_FROM)


OUTAGE = 10 * M
# (tier windows, what, error ratio as a multiple of the tier's threshold; None: 100% errors)
# Points where no other tier (the ticket tiers' 1d/3d windows are clipped by the 6h warm-up and
# so fire early) changes state within 3m (10m for bucketed windows) of a check.
POINTS = [
    ("1h/5m", "detection", 2.0),    # T = 30m
    ("1h/5m", "detection", 1.5),    # T = 40m
    ("6h/30m", "detection", 10.0),  # T = 36m
    ("6h/30m", "detection", 2.0),   # T = 3h
    ("1h/5m", "reset", None),       # 100% errors for 10m; the page clears 4m56s after they stop
]


@pytest.mark.usefixtures("toolchain")
def test_table_points_match_promtool_on_the_generated_rules(two_builds: tuple[Path, Path],
                                                            maestro: dict[str, report.SLOQuality]) -> None:
    out, _ = two_builds
    rules_doc = yaml.safe_load((out / "prometheus/rules" / f"{SERVICE}.rules.yml").read_text(encoding="utf-8"))
    burn = {r["labels"]["severity"]: r for g in rules_doc["groups"] for r in g["rules"] if r.get("alert") == ALERT}
    assert set(burn) == {"page", "ticket"}
    q = maestro["requests"]
    assert q.budget == pytest.approx(REQ_BUDGET)

    tests = []
    for windows, what, multiple in POINTS:
        target = tier(q, windows)
        e = 1.0 if multiple is None else target.threshold * multiple
        assert 0 < e <= 1.0
        if what == "detection":
            predicted = target.detection(e)
            assert predicted is not None
            assert predicted == pytest.approx(seen_time(target.long_s, target.smear_s, target.threshold / e), abs=1)
            assert predicted >= 5 * M  # +-1m is meaningful
            segments = [(WARM, WARM + int(predicted) + 30 * M, e)]
            at = WARM + predicted
            firing_before, firing_after = False, True
        else:
            predicted = target.reset(e)
            assert predicted is not None and predicted >= 3 * M and target.short_s is not None
            assert predicted == pytest.approx(seen_time(target.short_s, target.smear_s, 1 - target.threshold / e),
                                              abs=1)
            segments = [(WARM, WARM + OUTAGE, e)]
            at = WARM + OUTAGE + predicted
            firing_before, firing_after = True, False
        end = int(at) + 30 * M
        checks = []
        for t, target_fires in ((int(at - M), firing_before), (int(at + M + target.for_s), firing_after)):
            exp = []
            for other in q.tiers:
                if other is target:
                    fires = target_fires
                    # the exact integral agrees with the closed form (else the scenario is wrong)
                    assert active(other, segments, t) == fires, (windows, what, t)
                else:
                    fires = active(other, segments, t)
                    margin = 10 * M if staged(other) else 3 * M  # bucketed windows are smeared by promtool
                    for dt in range(-margin, margin + 1, 30):
                        assert active(other, segments, t + dt) == fires, \
                            (other.windows, "too close to", windows, t)
                if fires:
                    exp.append(expected_alert(burn[other.severity], other.windows.split("/")[0]))
            checks.append({"eval_time": f"{t}s", "alertname": ALERT, "exp_alerts": exp})
        tests.append({
            "name": f"requests {windows} {what} at e={e:.6g}: predicted {report.fmt_seconds(predicted)}",
            "interval": f"{STEP}s",
            "input_series": [
                {"series": f'http_server_requests_total{{job="{SERVICE}",code="200"}}',
                 "values": counter_values(segments, end, bad=False)},
                {"series": f'http_server_requests_total{{job="{SERVICE}",code="500"}}',
                 "values": counter_values(segments, end, bad=True)},
            ],
            "alert_rule_test": checks,
        })

    doc = {"rule_files": [f"../rules/{SERVICE}.rules.yml"], "evaluation_interval": f"{STEP}s", "tests": tests}
    test_file = out / "prometheus/tests" / "report-points.test.yml"
    test_file.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000), encoding="utf-8")
    try:
        binary = os.environ.get("PROMTOOL") or shutil.which("promtool") or "/usr/bin/promtool"
        assert Path(binary).exists(), "promtool is required (apt-get install prometheus); these tests never skip"
        proc = subprocess.run([binary, "test", "rules", test_file.name], cwd=test_file.parent,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-6000:]
    finally:
        test_file.unlink()  # the shared build stays a build
