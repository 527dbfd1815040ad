"""An independent oracle for the timing the generated promtool tests assert.

Nothing from generator/ is imported here: the build runs in a subprocess
(`python -m generator build --out TMP`), the burn factors come from the SRE
Workbook's budget shares written out below, and each scenario's onset and error
ratio are decoded from the generated `input_series` themselves. For every tier
that fires at the decoded error ratio e, the closed form

    T = factor x budget x long_window / e        (after onset)

must sit between a checkpoint where the tier's alert instance (window=<long>)
is absent and one where it is present, 2 to 6 evaluation intervals either side
(wider in the 1m file only next to a bucket-built ticket tier's state change:
see STAGED_ZONE), and no checkpoint during the burn may contradict T. A tier that
does not fire at e must never be expected.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICE = "maestro-conductor"
PERIOD_H = 30 * 24  # every Maestro SLO uses the default 30d period
M, H, D = 60, 3600, 86400

SHORT_FILE = f"{SERVICE}.test.yml"
LONG_FILE = f"{SERVICE}.long.test.yml"
OUTAGE = "outage then recovery"
PARTIAL = "partial burn pages on time"
ABSENT = "SLI data vanishes"
SUSTAINED = "sustained 2x-5x burn opens tickets"
QUIET = "healthy, then zero traffic: nothing fires"


# -- the declarations, restated (slo/maestro.py) ---------------------------------------------------

@dataclass(frozen=True)
class Tier:
    severity: str
    window: str  # the long window as obsgen labels it
    long_s: int
    short_s: int | None
    budget_percent: float | None = None
    fixed_factor: float | None = None

    @property
    def factor(self) -> float:
        if self.fixed_factor is not None:
            return self.fixed_factor
        assert self.budget_percent is not None
        return self.budget_percent * PERIOD_H / 100 / (self.long_s / H)

    @property
    def id(self) -> str:
        return f"{self.severity}-{self.window}"


# SRE Workbook ch. 5 (and Sloth): share of the period's budget each tier may burn over its long window.
WORKBOOK = (
    Tier("page", "1h", 1 * H, 5 * M, budget_percent=2),
    Tier("page", "6h", 6 * H, 30 * M, budget_percent=5),
    Tier("ticket", "1d", 1 * D, 2 * H, budget_percent=10),
    Tier("ticket", "3d", 3 * D, 6 * H, budget_percent=10),
)
# availability's runbook page: burn > 1x over 4h, no short window
RUNBOOK_4H = Tier("page", "4h", 4 * H, None, fixed_factor=1)


@dataclass(frozen=True)
class Spec:
    slo: str
    objective: float
    kind: str  # probe | ratio | latency
    alert: str
    tiers: tuple[Tier, ...]
    scrape_s: int  # the SLI's scrape interval (the spacing of its input series)

    @property
    def budget(self) -> float:
        return (100 - self.objective) / 100

    @property
    def base_s(self) -> int:
        """The base rate's window: at least four scrapes and 1m, plus half a scrape (README, recording rules)."""
        return max(4, math.ceil(M / self.scrape_s)) * self.scrape_s + self.scrape_s // 2

    def tier(self, tier_id: str) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)


# availability's probe runs every 15s; the service's own series are scraped at Prometheus' default 1m
SPECS = {
    "availability": Spec("availability", 99.5, "probe", "AvailabilityErrorBudgetBurn", (*WORKBOOK, RUNBOOK_4H),
                         15),
    "requests": Spec("requests", 99.9, "ratio", "RequestsErrorBudgetBurn", WORKBOOK, M),
    "ttfb-p95": Spec("ttfb-p95", 95, "latency", "TtfbP95ErrorBudgetBurn", WORKBOOK, M),
}
LATENCY_METRIC = "http_server_request_duration_seconds"
LATENCY_LE = ("0.5",)  # 0.5 is spelled alike by Go clients and by Prometheus 3's float normalisation
REQUESTS_METRIC = "http_server_requests_total"
BAD_CODE = re.compile(r"5..")
PROBE_METRIC = "probe_success"

PAGE_CASES = [(s.slo, t.id) for s in SPECS.values() for t in s.tiers if t.severity == "page"]
TICKET_CASES = [(s.slo, t.id) for s in SPECS.values() for t in s.tiers if t.severity == "ticket"]


def test_workbook_factors() -> None:
    """The factors this oracle uses are the well-known 30d ones."""
    assert [t.factor for t in WORKBOOK] == pytest.approx([14.4, 6, 3, 1])


# -- promtool test files, decoded ------------------------------------------------------------------

_DUR = re.compile(r"(\d+)(d|h|m|s)")
_UNIT = {"d": D, "h": H, "m": M, "s": 1}


def seconds(text: str) -> int:
    assert re.fullmatch(r"(?:\d+[dhms])+", text), text
    return sum(int(n) * _UNIT[u] for n, u in _DUR.findall(text))


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?P<a>{_NUM}|_)(?:(?P<op>[-+])(?P<b>{_NUM}))?(?:x(?P<n>\d+))?$")


def expand(values: str) -> list[float | None]:
    """promtool's expanding notation: 'a+bxN' is N+1 values, '_xN' is N missing samples."""
    out: list[float | None] = []
    for term in str(values).split():
        if term == "stale":
            out.append(None)
            continue
        m = _TERM.match(term)
        assert m is not None, f"cannot read input_series term {term!r}"
        n = m["n"]
        if m["a"] == "_":
            assert m["op"] is None, term
            out.extend([None] * (int(n) if n else 1))
            continue
        a = float(m["a"])
        if n is None:
            assert m["op"] is None, term
            out.append(a)
            continue
        b = float(m["b"]) if m["b"] else 0.0
        if m["op"] == "-":
            b = -b
        out.extend(a + b * i for i in range(int(n) + 1))
    return out


def test_expand_notation() -> None:
    assert expand("1+2x3") == [1, 3, 5, 7]
    assert expand("5-1x2 _x2 7") == [5, 4, 3, None, None, 7]
    assert expand("0+0x0 _") == [0, None]


_SERIES = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    m = _SERIES.match(text.strip())
    if m is None:
        return text.strip(), {}
    return m[1], dict(_LABEL.findall(m[2]))


def _increments(samples: list[float | None]) -> list[float | None]:
    """Per-sample increase of a counter: index k covers (sample k-1, sample k]; index 0 has none."""
    out: list[float | None] = [None]
    for prev, cur in itertools.pairwise(samples):
        out.append(None if prev is None or cur is None else cur - prev)
    return out


@dataclass(frozen=True)
class Minutes:
    """Bad and total events of one SLO per input sample (index k: the sample at k x step seconds;
    None where data is missing)."""

    bad: list[float | None]
    total: list[float | None]
    step: int = M

    def ratio(self, k: int) -> float | None:
        b, t = self.bad[k], self.total[k]
        return None if b is None or t is None or t <= 0 else b / t

    def ratios(self) -> list[float | None]:
        return [self.ratio(k) for k in range(len(self.bad))]

    @functools.cached_property
    def _cumulative(self) -> tuple[list[float], list[float]]:
        cum_b, cum_t = [0.0], [0.0]
        for b, t in zip(self.bad, self.total, strict=True):
            missing = b is None or t is None
            cum_b.append(cum_b[-1] + (0.0 if missing else b))  # type: ignore[operator]
            cum_t.append(cum_t[-1] + (0.0 if missing else t))  # type: ignore[operator]
        return cum_b, cum_t

    def window_ratio(self, k: int, seconds: int) -> float | None:
        """Error ratio over the `seconds` up to sample k, clipped at the test start."""
        cum_b, cum_t = self._cumulative
        lo = max(0, k - seconds // self.step + 1)
        tot = cum_t[k + 1] - cum_t[lo]
        return (cum_b[k + 1] - cum_b[lo]) / tot if tot > 0 else None


def _sum(columns: list[list[float | None]], k: int) -> float | None:
    vals = [c[k] for c in columns]
    return None if any(v is None for v in vals) else sum(vals)  # type: ignore[arg-type]


def carries(group: dict, spec: Spec) -> bool:
    """Whether the group holds the SLO's input series (SLOs of other scrape intervals have groups of their own)."""
    metric = {"probe": PROBE_METRIC, "ratio": REQUESTS_METRIC, "latency": f"{LATENCY_METRIC}_count"}[spec.kind]
    return any(parse_series(s["series"])[0] == metric for s in group["input_series"])


def decode(group: dict, spec: Spec) -> Minutes:
    """The SLO's bad/total events per sample, from its raw input series (never from recorded ones)."""
    step = seconds(group["interval"])
    assert step == spec.scrape_s, f"{group['name']}: input spaced {step}s, {spec.slo} is scraped every {spec.scrape_s}s"
    series = [(*parse_series(s["series"]), expand(s["values"])) for s in group["input_series"]]
    n = max(len(v) for _, _, v in series)

    def pad(v: list[float | None]) -> list[float | None]:
        return v + [None] * (n - len(v))

    if spec.kind == "probe":
        # a gauge: each sample's failed share counts as one probe
        found = [pad(v) for name, _, v in series if name == PROBE_METRIC]
        assert len(found) == 1, f"{group['name']}: expected one {PROBE_METRIC} series"
        return Minutes([None if v is None else 1 - v for v in found[0]],
                       [None if v is None else 1.0 for v in found[0]], step)
    if spec.kind == "ratio":
        bad_inc = [_increments(pad(v)) for name, lb, v in series if name == REQUESTS_METRIC
                   and BAD_CODE.fullmatch(lb.get("code", ""))]
        all_inc = [_increments(pad(v)) for name, _, v in series if name == REQUESTS_METRIC]
        assert bad_inc and len(all_inc) > len(bad_inc), f"{group['name']}: no good and bad request series"
        return Minutes([_sum(bad_inc, k) for k in range(n)], [_sum(all_inc, k) for k in range(n)], step)
    assert spec.kind == "latency"
    count = [pad(v) for name, _, v in series if name == f"{LATENCY_METRIC}_count"]
    # the threshold's bucket, in whichever spelling the file writes (the exporter's, or Prometheus 3's)
    good = [pad(v) for name, lb, v in series if name == f"{LATENCY_METRIC}_bucket" and lb.get("le") in LATENCY_LE]
    assert len(count) == 1 and len(good) == 1, f"{group['name']}: no {LATENCY_METRIC} count and le bucket"
    c_inc, g_inc = _increments(count[0]), _increments(good[0])
    return Minutes([None if c is None or g is None else c - g for c, g in zip(c_inc, g_inc, strict=True)],
                   c_inc, step)


@dataclass(frozen=True)
class Burn:
    onset: int  # seconds: the first sample whose minute carries errors
    e: float  # the constant error ratio from onset on
    end: int  # seconds: the first sample after onset with a different ratio (or the group's end)


def find_burn(minutes: Minutes) -> Burn | None:
    ratios = minutes.ratios()
    k0 = next((k for k, r in enumerate(ratios) if r is not None and r > 1e-12), None)
    if k0 is None:
        return None
    # a healthy warm-up with traffic: the closed form assumes the long window saw only good events
    assert all(r is not None and abs(r) < 1e-12 for r in ratios[1:k0]), "warm-up is not healthy"
    e = ratios[k0]
    assert e is not None
    k = k0
    while k < len(ratios) and ratios[k] is not None and math.isclose(ratios[k], e, rel_tol=1e-9):  # type: ignore[arg-type]
        k += 1
    return Burn(k0 * minutes.step, e, k * minutes.step)


# -- the build ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("obsgen-out")
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    tests = out / "prometheus" / "tests"
    docs = {name: yaml.safe_load((tests / name).read_text()) for name in (SHORT_FILE, LONG_FILE)}
    docs["rules"] = yaml.safe_load((out / "prometheus" / "rules" / f"{SERVICE}.rules.yml").read_text())
    return docs


def checkpoints(group: dict, spec: Spec, tier: Tier) -> list[tuple[int, bool]]:
    """(eval_time, is the tier's window=<long> instance expected) for every check of the burn alert."""
    out = []
    for check in group["alert_rule_test"]:
        if check["alertname"] != spec.alert:
            continue
        labels = [a["exp_labels"] for a in check.get("exp_alerts") or []]
        here = any(lb.get("slo") == spec.slo and lb.get("severity") == tier.severity
                   and lb.get("window") == tier.window for lb in labels)
        out.append((seconds(check["eval_time"]), here))
    return sorted(out)


# -- the oracle's verdict ----------------------------------------------------------------------------

NEAR, FAR = 2, 6  # evaluation intervals between the closed-form T and the checkpoints either side,
# plus half the base window: a step in the traffic reaches the windows through the base rate, whose
# range is 4.5 scrapes (at least 1m), about that much later
SLACK = 1  # s: the generator finds crossings to the second, so a checkpoint may sit 1 s inside NEAR
STAGED_FROM = 6 * H  # longer windows are summed from 5m buckets by the slow group
# Why the 1m file may need more room: the ticket tiers read windows summed from 5m buckets, which
# promtool smears (it runs the 5m group every minute), so the generator keeps every checkpoint of the
# burn alert 6 min (5m + one interval, plus half the base window) clear of a ticket tier's state change,
# on both sides. When such a change falls near a page tier's T (as in the outage, where everything fires
# within minutes), that stretch pushes the page checkpoint out by up to twice as much.
STAGED_ZONE = 5 * M + M


def staged_changes(minutes: Minutes, spec: Spec) -> list[int]:
    """When (s) the SLO's bucket-built tiers change state, windows clipped at the test start (to 1 min)."""
    out: list[int] = []
    for tier in spec.tiers:
        if tier.long_s <= STAGED_FROM:
            continue
        thr = tier.factor * spec.budget
        prev = False
        per_minute = M // minutes.step
        for k in range(0, len(minutes.bad), per_minute):
            rs = [minutes.window_ratio(k, w) for w in (tier.long_s, tier.short_s) if w]
            active = all(r is not None and r > thr for r in rs)
            if active != prev:
                out.append(k * minutes.step)
                prev = active
    return out


def assert_on_time(group: dict, interval: int, spec: Spec, tier: Tier, minutes: Minutes) -> float | None:
    """Check the tier's instance against T; returns the absolute firing time (None if it never fires)."""
    where = f"{group['name']!r}, {spec.alert}{{slo={spec.slo},severity={tier.severity},window={tier.window}}}"
    burn = find_burn(minutes)
    assert burn is not None, f"{where}: the input series carry no errors"
    cps = checkpoints(group, spec, tier)
    assert cps, f"{where}: the group never checks {spec.alert}"
    thr = tier.factor * spec.budget
    if not burn.e > thr:
        early = [c for c, here in cps if here]
        assert not early, f"{where}: e={burn.e:.6g} <= {thr:.6g} never fires, yet expected at {early}"
        return None
    assert burn.onset >= tier.long_s, f"{where}: the warm-up is shorter than the {tier.window} window"
    t_fire = burn.onset + thr * tier.long_s / burn.e
    smear = spec.base_s // 2
    near = NEAR * interval + smear
    assert t_fire + near <= burn.end, f"{where}: the burn ends before the tier can fire"
    far = FAR * interval + smear
    zone = STAGED_ZONE + smear  # the generator's margin around a staged change grows with the smear too
    if interval < 5 * M and any(abs(c - t_fire) <= far + zone for c in staged_changes(minutes, spec)):
        far += 2 * zone
    table = ", ".join(f"{c / M:g}m:{'on' if here else 'off'}" for c, here in cps)
    msg = (f"{where}: onset {burn.onset / M:g}m, e={burn.e:.6g}, factor {tier.factor:g} -> fires at "
           f"{t_fire / M:.2f}m; checkpoints {table}")
    absent = [c for c, here in cps if not here and t_fire - far - SLACK <= c <= t_fire - near + SLACK]
    present = [c for c, here in cps if here and t_fire + near - SLACK <= c <= t_fire + far + SLACK]
    assert absent, f"no 'absent' checkpoint {near}-{far} s before T: {msg}"
    assert present, f"no 'present' checkpoint {near}-{far} s after T: {msg}"
    for c, here in cps:  # no checkpoint may contradict the closed form while the burn lasts
        if c <= t_fire - near + SLACK:
            assert not here, f"expected at {c / M:g}m, before T: {msg}"
        elif t_fire + near - SLACK <= c < burn.end:
            assert here, f"not expected at {c / M:g}m, after T while still burning: {msg}"
    return t_fire


Decoded = dict[tuple[str, str, str], tuple[dict, int, Minutes]]


@pytest.fixture(scope="module")
def decoded(built: dict[str, dict]) -> Decoded:
    """(file, scenario, slo) -> (the group holding the SLO's series, evaluation interval, its events).
    A scenario is one group per lane ("outage then recovery (lane 2)"): one per scrape interval here."""
    out: Decoded = {}
    for fname in (SHORT_FILE, LONG_FILE):
        doc = built[fname]
        interval = seconds(doc["evaluation_interval"])
        for group in doc["tests"]:
            scenario = re.sub(r" \(lane \d+\)$", "", group["name"])
            for spec in SPECS.values():
                if carries(group, spec):
                    key = (fname, scenario, spec.slo)
                    assert key not in out, f"{key}: two groups carry the same SLO"
                    out[key] = (group, interval, decode(group, spec))
    return out


def test_scenario_groups_exist(built: dict[str, dict]) -> None:
    assert seconds(built[SHORT_FILE]["evaluation_interval"]) == 1 * M
    assert seconds(built[LONG_FILE]["evaluation_interval"]) == 5 * M
    assert {g["name"] for g in built[SHORT_FILE]["tests"]} >= {OUTAGE, PARTIAL, ABSENT}
    assert {g["name"] for g in built[LONG_FILE]["tests"]} >= {SUSTAINED, QUIET}


def test_every_slo_is_decoded_in_every_scenario(decoded: Decoded) -> None:
    """The lookup below must not silently lose an SLO (a scrape interval's lane without its series)."""
    for fname, scenarios in ((SHORT_FILE, (OUTAGE, PARTIAL, ABSENT)), (LONG_FILE, (SUSTAINED, QUIET))):
        for scenario in scenarios:
            for slo in SPECS:
                assert (fname, scenario, slo) in decoded, (fname, scenario, slo)


def test_burn_alerts_are_the_ones_restated_here(built: dict[str, dict]) -> None:
    """Guard against a renamed alert silently emptying every check below."""
    alerts = {(r["alert"], r["labels"].get("slo"), r["labels"].get("severity"))
              for g in built["rules"]["groups"] for r in g["rules"] if "alert" in r}
    for spec in SPECS.values():
        for severity in {t.severity for t in spec.tiers}:
            assert (spec.alert, spec.slo, severity) in alerts


@pytest.mark.parametrize(("slo", "tier_id"), PAGE_CASES)
def test_outage_pages_on_time(decoded: dict, slo: str, tier_id: str) -> None:
    group, interval, minutes = decoded[(SHORT_FILE, OUTAGE, slo)]
    spec = SPECS[slo]
    burn = find_burn(minutes)
    assert burn is not None and burn.e == pytest.approx(1.0)
    assert assert_on_time(group, interval, spec, spec.tier(tier_id), minutes) is not None


@pytest.mark.parametrize("slo", list(SPECS))
def test_outage_page_clears_after_recovery(decoded: dict, slo: str) -> None:
    group, _, minutes = decoded[(SHORT_FILE, OUTAGE, slo)]
    spec = SPECS[slo]
    burn = find_burn(minutes)
    assert burn is not None
    after = minutes.ratios()[burn.end // minutes.step:]
    assert after and all(r == pytest.approx(0.0, abs=1e-12) for r in after), "no healthy recovery"
    pages: dict[int, list[str]] = {}
    for check in group["alert_rule_test"]:
        if check["alertname"] == spec.alert and seconds(check["eval_time"]) > burn.end:
            pages[seconds(check["eval_time"])] = [
                a["exp_labels"].get("window", "") for a in check.get("exp_alerts") or []
                if a["exp_labels"].get("slo") == slo and a["exp_labels"].get("severity") == "page"]
    assert pages, f"{spec.alert}: no checkpoint after the recovery at {burn.end / M:g}m"
    cleared = [c for c, windows in pages.items() if not windows]
    assert cleared, f"{spec.alert}: pages still expected at every checkpoint after recovery: {pages}"
    assert not pages[max(pages)], f"{spec.alert}: the last checkpoint still expects a page: {pages}"


@pytest.mark.parametrize(("slo", "tier_id"), PAGE_CASES)
def test_partial_burn_pages_on_time(decoded: dict, slo: str, tier_id: str) -> None:
    group, interval, minutes = decoded[(SHORT_FILE, PARTIAL, slo)]
    spec = SPECS[slo]
    burn = find_burn(minutes)
    assert burn is not None and 0 < burn.e < 1
    # the scenario is meant to fire every page tier, slower than the outage does
    assert assert_on_time(group, interval, spec, spec.tier(tier_id), minutes) is not None


@pytest.mark.parametrize(("slo", "tier_id"), TICKET_CASES)
def test_sustained_burn_opens_tickets_on_time(decoded: dict, slo: str, tier_id: str) -> None:
    group, interval, minutes = decoded[(LONG_FILE, SUSTAINED, slo)]
    spec = SPECS[slo]
    assert assert_on_time(group, interval, spec, spec.tier(tier_id), minutes) is not None


@pytest.mark.parametrize(("slo", "tier_id"), PAGE_CASES)
def test_sustained_burn_pages_only_through_a_slow_page_tier(decoded: dict, slo: str, tier_id: str) -> None:
    """e lies between the ticket and the Workbook page factors: only availability's 4h 1x tier pages."""
    group, interval, minutes = decoded[(LONG_FILE, SUSTAINED, slo)]
    spec = SPECS[slo]
    burn = find_burn(minutes)
    assert burn is not None
    top_ticket = max(t.factor for t in spec.tiers if t.severity == "ticket") * spec.budget
    low_workbook_page = min(t.factor for t in WORKBOOK if t.severity == "page") * spec.budget
    assert top_ticket < burn.e < low_workbook_page
    fired = assert_on_time(group, interval, spec, spec.tier(tier_id), minutes)
    if (slo, tier_id) == ("availability", "page-4h"):
        assert fired is not None, "availability's runbook tier (burn > 1x over 4h) must page"
    else:
        assert fired is None


@pytest.mark.parametrize("slo", ["requests", "ttfb-p95"])
def test_sustained_burn_expects_no_page(decoded: dict, slo: str) -> None:
    group, _, _ = decoded[(LONG_FILE, SUSTAINED, slo)]
    spec = SPECS[slo]
    checks = [c for c in group["alert_rule_test"] if c["alertname"] == spec.alert]
    assert checks
    pages = [(c["eval_time"], a["exp_labels"]) for c in checks for a in c.get("exp_alerts") or []
             if a["exp_labels"].get("severity") == "page"]
    assert not pages


@pytest.mark.parametrize(("fname", "group_name"), [(SHORT_FILE, ABSENT), (LONG_FILE, QUIET)])
def test_no_errors_no_burn_alert(decoded: dict, fname: str, group_name: str) -> None:
    for spec in SPECS.values():
        group, _, minutes = decoded[(fname, group_name, spec.slo)]
        assert find_burn(minutes) is None
        checks = [c for c in group["alert_rule_test"] if c["alertname"] == spec.alert]
        assert checks, f"{group_name}: {spec.alert} is never checked"
        assert all(not c.get("exp_alerts") for c in checks), f"{group_name}: {spec.alert} expected to fire"
        if group_name == QUIET:
            assert all(not c.get("exp_alerts") for c in group["alert_rule_test"])
