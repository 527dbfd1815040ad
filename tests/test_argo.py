"""generator.render.argo: the AnalysisTemplate's queries evaluated by the real promtool.

Each metric's query (template args substituted) becomes an alert rule `(<query>) > X`, X read
back from its failureCondition `result[0] > X`, so promtool answers exactly what Argo would ask:
does the failure condition hold at this measurement? Input series are the SLI's own (generated
by the SLI plugin, one copy per pod-template hash) and a full latency histogram per hash.
Expectations come from the scenario's arithmetic here, not from the generator: a 5xx burst on
the canary and +200 ms on the canary must fail it, at any baseline latency; a healthy canary,
or one without traffic yet, must not.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from generator import durations, promql
from generator.checkers import promtool
from generator.loaders import load_all
from generator.model import SLO, Service
from generator.render import argo
from generator.series import Segment, counter
from generator.sli import LatencySLI, ProbeSLI, RatioSLI
from generator.synth import solve

ROOT = Path(__file__).resolve().parents[1]
CANARY, STABLE = "c0ffee", "5ab1e5"
STEP = 60
ONSET = 10 * 60            # the canary changes here; 10m of history before it
END = ONSET + 10 * 60
RPS = 20.0
CONDITION = re.compile(r"^result\[0\] > ([0-9.eE+-]+)$")


@pytest.fixture(scope="module")
def maestro() -> Service:
    [svc] = load_all([ROOT / "slo"], ROOT)
    return svc


@pytest.fixture(scope="module")
def template(maestro: Service) -> dict:
    doc = argo.template(maestro)
    assert doc is not None
    return doc


def slo_of(svc: Service, kind: type) -> SLO:
    return next(s for s in svc.slos if isinstance(s.sli, kind))


# -- scenario inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Revision:
    """What one pod-template hash serves: its error ratio and latency (uniform over [base, 2 base] + shift)."""

    err: float = 0.001
    base: float = 0.1
    shift: float = 0.0
    present: bool = True

    def cdf(self, le: float) -> float:
        lo, hi = self.base + self.shift, 2 * self.base + self.shift
        return min(1.0, max(0.0, (le - lo) / (hi - lo)))

    @property
    def mean(self) -> float:
        return 1.5 * self.base + self.shift


def _with_hash(series: str, value: str) -> str:
    [sel] = promql.selectors(series)
    labels = {m.name: m.value for m in sel.matchers} | {argo.HASH_LABEL: value}
    return f"{sel.metric}{promql.selector(dict(sorted(labels.items())))}"


def _go(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def histogram(sli: LatencySLI, before: Revision, after: Revision, hash_value: str) -> list[dict]:
    """A full histogram (_bucket per le, _count, _sum) switching from `before` to `after` at ONSET."""
    [sel] = promql.selectors(sli.selector("count"))
    labels = solve(list(sel.matchers))
    assert labels is not None and sli.buckets is not None
    by_start = {0: before, ONSET: after}
    segments = [Segment(0, ONSET, RPS, 0.0, before.present), Segment(ONSET, END, RPS, 0.0, after.present)]

    def series(suffix: str, extra: dict[str, str], per_second: object) -> dict:
        name = f"{sli.metric}_{suffix}{promql.selector(dict(sorted((labels | extra).items())))}"
        return {"series": _with_hash(name, hash_value), "values": counter(segments, STEP, per_second)}  # type: ignore

    out = [series("bucket", {"le": _go(le)}, lambda s, le=le: RPS * by_start[s.start].cdf(le)) for le in sli.buckets]
    out.append(series("bucket", {"le": "+Inf"}, lambda s: RPS))
    out.append(series("count", {}, lambda s: RPS))
    out.append(series("sum", {}, lambda s: RPS * by_start[s.start].mean))
    return out


def ratio_series(sli: RatioSLI, before: Revision, after: Revision, hash_value: str) -> list[dict]:
    segments = [Segment(0, ONSET, RPS, before.err, before.present), Segment(ONSET, END, RPS, after.err, after.present)]
    found = sli.input_series(segments, STEP)
    assert found, "the SLI plugin cannot synthesise its own series"
    return [{"series": _with_hash(name, hash_value), "values": values} for name, values in found]


def inputs(svc: Service, canary: tuple[Revision, Revision], stable: Revision) -> list[dict]:
    ratio, latency = slo_of(svc, RatioSLI), slo_of(svc, LatencySLI)
    assert isinstance(ratio.sli, RatioSLI) and isinstance(latency.sli, LatencySLI)
    out = []
    for hash_value, (before, after) in ((CANARY, canary), (STABLE, (stable, stable))):
        out += ratio_series(ratio.sli, before, after, hash_value)
        out += histogram(latency.sli, before, after, hash_value)
    return out


# -- what Argo would see ------------------------------------------------------------------------------
def alert_name(metric: str) -> str:
    return "Fails_" + re.sub(r"[^A-Za-z0-9_]", "_", metric)


def rule_file(template: dict) -> dict:
    args = {argo.CANARY_ARG: CANARY, argo.STABLE_ARG: STABLE}
    rules = []
    for metric in template["spec"]["metrics"]:
        m = CONDITION.match(metric["failureCondition"])
        assert m, metric["failureCondition"]
        query = re.sub(r"\{\{args\.([a-z-]+)\}\}", lambda a: args[a[1]], metric["provider"]["prometheus"]["query"])
        assert "{{" not in query
        rules.append({"alert": alert_name(metric["name"]), "expr": f"({query}) > {m[1]}"})
    return {"groups": [{"name": "argo-analysis", "rules": rules}]}


def quantile(q: float, les: list[float], cumulative: list[float]) -> float:
    """Prometheus' histogram_quantile (linear interpolation inside the bucket), written out here."""
    rank = q * cumulative[-1]
    i = next(i for i, c in enumerate(cumulative) if c >= rank)
    if i == len(les) - 1:
        return les[-2]
    lower, below = (0.0, 0.0) if i == 0 else (les[i - 1], cumulative[i - 1])
    return lower + (les[i] - lower) * (rank - below) / (cumulative[i] - below)


def p_estimate(sli: LatencySLI, q: float, rev: Revision) -> float:
    les = [*(sli.buckets or ()), float("inf")]
    return quantile(q, les, [rev.cdf(le) for le in les])


def expected(svc: Service, metric: str, canary: Revision, stable: Revision) -> bool:
    """Whether the failure condition holds once the 5m window sees only `canary` (from the scenario's numbers)."""
    if not canary.present:
        return False
    ratio, latency = slo_of(svc, RatioSLI), slo_of(svc, LatencySLI)
    assert isinstance(latency.sli, LatencySLI)
    tier = argo.page_tier(ratio)
    assert tier is not None
    if metric == f"{ratio.name}-burn-rate":
        return canary.err / ratio.budget > tier.factor
    if metric == f"{latency.name}-burn-rate":
        return (1 - canary.cdf(latency.sli.threshold)) / latency.budget > tier.factor
    q = latency.objective / 100
    if metric == f"{latency.name}-quantile-vs-stable":
        return p_estimate(latency.sli, q, canary) - p_estimate(latency.sli, q, stable) > argo.LATENCY_MARGIN
    if metric == f"{latency.name}-mean-vs-stable":
        return canary.mean - stable.mean > argo.LATENCY_MARGIN
    raise AssertionError(metric)


def alert_test(name: str, at: int, fires: bool) -> dict:
    return {"eval_time": durations.fmt(at), "alertname": name, "exp_alerts": [{"exp_labels": {}}] if fires else []}


HEALTHY = Revision()
SCENARIOS = {
    "healthy canary": (HEALTHY, HEALTHY),
    "5xx burst on the canary": (HEALTHY, Revision(err=0.1)),
    "no canary traffic yet": (Revision(present=False), Revision(present=False)),
    **{f"+200 ms on the canary, baseline {int(b * 1000)} ms": (Revision(base=b), Revision(base=b, shift=0.2))
       for b in (0.02, 0.06, 0.3, 0.9, 2.0)},
}


@pytest.fixture(scope="module")
def verdicts(maestro: Service, template: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Run every scenario through promtool; returns, per scenario, the metrics failing at ONSET + 5m."""
    tmp = tmp_path_factory.mktemp("argo")
    (tmp / "analysis.rules.yml").write_text(yaml.safe_dump(rule_file(template), sort_keys=False))
    metrics = [m["name"] for m in template["spec"]["metrics"]]
    tests, failing = [], {}
    for title, (before, after) in SCENARIOS.items():
        stable = before if before.present else HEALTHY
        failing[title] = {m for m in metrics if expected(maestro, m, after, stable)}
        checks = [alert_test(alert_name(m), ONSET + 5 * 60, m in failing[title]) for m in metrics]
        # before the change, what the baseline alone deserves (a baseline over the SLO's threshold burns already)
        checks += [alert_test(alert_name(m), ONSET - 60, expected(maestro, m, before, stable)) for m in metrics]
        tests.append({"name": title, "interval": "1m", "input_series": inputs(maestro, (before, after), stable),
                      "alert_rule_test": checks})
    (tmp / "analysis.test.yml").write_text(yaml.safe_dump(
        {"rule_files": ["analysis.rules.yml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    proc = subprocess.run([promtool.find(), "test", "rules", "analysis.test.yml"], cwd=tmp, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return failing


def test_a_5xx_burst_on_the_canary_fails_the_analysis(verdicts: dict[str, set[str]]) -> None:
    assert "requests-burn-rate" in verdicts["5xx burst on the canary"]


@pytest.mark.parametrize("baseline", [0.02, 0.06, 0.3, 0.9, 2.0])
def test_200ms_on_the_canary_fails_the_analysis_whatever_the_baseline(verdicts: dict[str, set[str]],
                                                                      baseline: float) -> None:
    failing = verdicts[f"+200 ms on the canary, baseline {int(baseline * 1000)} ms"]
    assert "ttfb-p95-mean-vs-stable" in failing, failing


def test_the_quantile_check_sees_a_shift_where_the_buckets_let_it(verdicts: dict[str, set[str]]) -> None:
    """Across baselines the p95 check fires at least at the low ones (bucket widths under 200 ms)."""
    seen = {b for b in (0.02, 0.06) if "ttfb-p95-quantile-vs-stable" in verdicts[
        f"+200 ms on the canary, baseline {int(b * 1000)} ms"]}
    assert seen == {0.02, 0.06}


def test_a_healthy_canary_or_one_without_traffic_passes(verdicts: dict[str, set[str]]) -> None:
    assert verdicts["healthy canary"] == set()
    assert verdicts["no canary traffic yet"] == set()


@pytest.mark.usefixtures("toolchain")
def test_a_burst_fails_the_analysis_within_a_few_minutes(maestro: Service, template: dict, tmp_path: Path) -> None:
    """The burn condition holds from the first measurement a minute after the burst starts, so with a 1m
    interval and failureLimit 1 the analysis has failed by ONSET + 1m + 2 intervals."""
    (tmp_path / "analysis.rules.yml").write_text(yaml.safe_dump(rule_file(template), sort_keys=False))
    name = alert_name("requests-burn-rate")
    checks = [alert_test(name, ONSET + k * 60, True) for k in range(1, 6)]
    test = {"interval": "1m", "input_series": inputs(maestro, (HEALTHY, Revision(err=0.1)), HEALTHY),
            "alert_rule_test": checks}
    (tmp_path / "t.yml").write_text(yaml.safe_dump({"rule_files": ["analysis.rules.yml"],
                                                     "evaluation_interval": "1m", "tests": [test]}))
    proc = subprocess.run([promtool.find(), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [metric] = [m for m in template["spec"]["metrics"] if m["name"] == "requests-burn-rate"]
    fails_by = 60 + durations.parse(metric["interval"]) * (metric["failureLimit"] + 1)
    assert fails_by <= 5 * 60


# -- shape ------------------------------------------------------------------------------------------------
def test_queries_are_the_slis_own_with_the_hash_matcher(maestro: Service, template: dict) -> None:
    """Every selector in every query is one of the SLI's own selectors plus the hash matcher, and the
    threshold is the fastest page tier's factor."""
    ratio = slo_of(maestro, RatioSLI)
    assert isinstance(ratio.sli, RatioSLI)
    own = {(s.metric, frozenset((m.name, m.op, m.value) for m in s.matchers))
           for q in (ratio.sli.error_query or "", ratio.sli.total_query)
           for s in promql.selectors(promql.with_window(q, "5m"))}
    [metric] = [m for m in template["spec"]["metrics"] if m["name"] == f"{ratio.name}-burn-rate"]
    found = promql.selectors(metric["provider"]["prometheus"]["query"])
    hash_matcher = (argo.HASH_LABEL, "=", "{{args.canary-hash}}")
    assert found and all(hash_matcher in {(m.name, m.op, m.value) for m in s.matchers} for s in found)
    assert {(s.metric, frozenset((m.name, m.op, m.value) for m in s.matchers) - {hash_matcher}) for s in found} == own
    tier = argo.page_tier(ratio)
    assert tier is not None and metric["failureCondition"] == f"result[0] > {tier.factor:g}"


def test_probe_slis_get_no_metric_and_a_service_of_only_probes_no_template(maestro: Service) -> None:
    probe = slo_of(maestro, ProbeSLI)
    assert argo.metrics(probe) == []
    only_probe = Service(name="edge", slos=(probe,))
    assert argo.template(only_probe) is None and argo.render(only_probe) == {}


def test_stable_hash_is_an_arg_only_when_a_metric_reads_it(maestro: Service) -> None:
    ratio_only = Service(name="api", slos=(slo_of(maestro, RatioSLI),))
    doc = argo.template(ratio_only)
    assert doc is not None
    assert [a["name"] for a in doc["spec"]["args"]] == [argo.CANARY_ARG, argo.ADDRESS_ARG]


def test_a_query_that_already_matches_the_hash_label_is_refused() -> None:
    with pytest.raises(promql.PromQLError, match="already matches"):
        promql.with_matcher('sum(rate(x{rollouts_pod_template_hash="a"}[5m]))', argo.HASH_LABEL, "b")
