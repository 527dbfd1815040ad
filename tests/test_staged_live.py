"""Staged windows in a real Prometheus: values against exact ratios, alert times against tier math.

promtool evaluates every group at the test's interval, so it cannot show that the
5-minute group's buckets and the day-long windows built from them are right when
the groups really run at different intervals. Here a real Prometheus (2.x and 3.x,
the toolchain fixture) holds 3.75 days of backfilled traffic with two burn
scenarios, scraped every 1m (Prometheus' default), 30s or 15s; every recording
rule is backfilled level by level at its own group's interval (exactly what a
running server would have recorded), and the alert expressions are evaluated over
the same history at their group's interval.
"""

from __future__ import annotations

import time

import pytest

from bench import lab
from bench.workload import DAY, Fleet, Incident, ServiceLoad
from generator import durations, names
from generator.model import SLO, Service
from generator.render import rules
from generator.sli import RatioSLI

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

OBJECTIVE = 99.9
BUDGET = (100 - OBJECTIVE) / 100
SPAN = int(3.75 * DAY)
PAGE_ONSET = SPAN - 3 * 3600      # 5% errors for 2h on "paging"
PAGE_ERR = 0.05
TICKET_ONSET = SPAN - 18 * 3600   # 4.5x burn until the end on "ticket"
TICKET_ERR = 4.5 * BUDGET


SCRAPES = ("1m", "30s", "15s")


def _slo(service: str, scrape: str) -> SLO:
    sel = f'job="bench",service="{service}"'
    return SLO(name="availability", objective=OBJECTIVE, scrape_interval=scrape, sli=RatioSLI(
        error_query=f'sum(rate(http_requests_total{{{sel},code="500"}}[{{{{.window}}}}]))',
        total_query=f"sum(rate(http_requests_total{{{sel}}}[{{{{.window}}}}]))"))


@pytest.fixture(scope="module", params=SCRAPES, ids=[f"scrape{s}" for s in SCRAPES])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    scrape = request.param
    work = tmp_path_factory.mktemp("staged")
    end = int(time.time()) // 7200 * 7200 - 7200  # whole blocks, safely in the past
    origin = end - SPAN
    services = [
        ServiceLoad("paging", rps=20, phase=0, amplitude=0, base_err=0, base_slow=0,
                    incidents=(Incident(PAGE_ONSET, PAGE_ONSET + 7200, PAGE_ERR, 0),)),
        ServiceLoad("ticket", rps=20, phase=0, amplitude=0, base_err=0, base_slow=0,
                    incidents=(Incident(TICKET_ONSET, SPAN + 1, TICKET_ERR, 0),)),
    ]
    fleet = Fleet(services, instances=1, origin=origin)
    files, _ = fleet.write_openmetrics(work, origin, end, durations.parse(scrape))
    data = work / "data"
    lab.backfill_openmetrics(files, data)
    decl = {s.name: Service(name=s.name, slos=(_slo(s.name, scrape),), source="test") for s in services}
    groups = [g for svc in decl.values() for g in rules.render(svc)["groups"]]
    wanted = {names.ERRORS_RATE, names.TOTAL_RATE, names.ERRORS_BUCKET, names.TOTAL_BUCKET,
              names.ERROR_RATIO, names.BURN_RATE}
    recording = [dict(g, rules=[r for r in g["rules"] if r.get("record") in wanted]) for g in groups]
    lab.backfill_rules(data, lab.recording_levels(recording), origin, end, work)
    prom = lab.Prometheus(data, workdir=work)
    with prom:
        yield {"prom": prom, "origin": origin, "end": end, "fleet": fleet, "decl": decl,
               "base": decl["paging"].slos[0].base_window_s}


def _series_values(prom: lab.Prometheus, expr: str, start: float, end: float, step: int) -> dict[float, float]:
    result = prom.query_range(expr, start, end, step)["result"]
    assert len(result) <= 1, result
    return {float(t): float(v) for t, v in result[0]["values"]} if result else {}


def _samples(prom: lab.Prometheus, selector: str, end: float, span: str) -> dict[float, float]:
    """The recorded samples themselves, at the timestamps the group evaluated them."""
    result = prom.query(f"{selector}[{span}]", end)["result"]
    assert len(result) == 1, result
    return {float(t): float(v) for t, v in result[0]["values"]}


@pytest.mark.parametrize("window", ["1d", "3d", "30d"])
@pytest.mark.parametrize("service", ["paging", "ticket"])
def test_staged_window_matches_exact_ratio(world: dict, service: str, window: str) -> None:
    prom, origin, end, fleet = world["prom"], world["origin"], world["end"], world["fleet"]
    svc = next(s for s in fleet.services if s.name == service)
    w = durations.parse(window)
    got = _samples(prom, names.series(names.ERROR_RATIO, service, "availability", window), end, "1d")
    assert len(got) >= 287, f"the staged window was not recorded every 5 minutes ({len(got)} samples in 1d)"
    def exact(at: float) -> float:
        return svc.exact_error_ratio(max(0.0, at - origin - w), at - origin)

    # what the rules measure by design: the window ending half a base window (the base rate's lag,
    # README) and half a base sample spacing (the buckets' offset) earlier
    lag = world["base"] // 2 + world["decl"][service].slos[0].interval_s // 2
    errors = []
    for t, value in got.items():
        now = exact(t - lag)
        if now > 1e-6:
            errors.append(abs(value - now) / now)
        else:
            assert abs(value - now) < 1e-6
        # Between two evaluations a staged window trails by at most one bucket plus the base
        # window: its value must lie within what the exact ratio did in that time.
        lagged = exact(t - 300 - world["base"] - 60)
        assert min(now, lagged) * 0.99 - 1e-6 <= value <= max(now, lagged) * 1.01 + 1e-6, \
            f"{window} at +{t - origin:.0f}s: {value} outside exact {lagged}..{now}"
    errors.sort()
    assert errors, "no point with errors to compare"
    assert errors[len(errors) // 2] <= 0.02, f"median relative error {errors[len(errors) // 2]:.4f}"


def _first_firing(world: dict, service: str, severity: str, long_window: str, onset: int) -> float:
    svc = world["decl"][service]
    slo = svc.slos[0]
    tier = next(t for t in slo.tiers if t.severity == severity and t.long == long_window)
    expr = rules.tier_expr(slo, svc, tier)
    # every 15 s, reading the latest recorded samples: what the alert sees between its evaluations
    start = world["origin"] + onset - 1800
    got = _series_values(world["prom"], expr, start, world["end"], 15)
    assert got, f"{service} {severity} {long_window} never fired"
    return min(got) - world["origin"] - onset


@pytest.mark.parametrize(("service", "severity", "long_window", "onset", "err", "factor"), [
    ("paging", "page", "1h", PAGE_ONSET, PAGE_ERR, 14.4),
    ("paging", "page", "6h", PAGE_ONSET, PAGE_ERR, 6.0),
    ("ticket", "ticket", "1d", TICKET_ONSET, TICKET_ERR, 3.0),
    ("ticket", "ticket", "3d", TICKET_ONSET, TICKET_ERR, 1.0),
])
def test_tier_fires_within_one_interval(world: dict, service: str, severity: str, long_window: str,
                                        onset: int, err: float, factor: float) -> None:
    expected = factor * BUDGET * durations.parse(long_window) / err   # T = f x budget x L / e
    interval = 300 if severity == "ticket" else 30
    fired = _first_firing(world, service, severity, long_window, onset)
    # one evaluation interval of the tier's group, plus half the base window (a step reaches the
    # windows through the base rate, whose range is 4 scrapes, at least 1m) and, for staged windows,
    # the phase between the 30s and the 5m group (at most 30 s)
    late = interval + world["base"] // 2 + 30
    print(f"{service} {severity} {long_window}: fired {fired:.0f}s after onset, T = {expected:.0f}s, "
          f"{fired - expected:+.0f}s (bound +{late}s)")
    assert expected - 30 <= fired <= expected + late, \
        f"fired {fired:.0f}s after onset, tier math says {expected:.0f}s (interval {interval}s, bound +{late}s)"


def test_no_page_during_ticket_burn(world: dict) -> None:
    svc = world["decl"]["ticket"]
    slo = svc.slos[0]
    for tier in (t for t in slo.tiers if t.severity == "page"):
        start = world["origin"] + TICKET_ONSET
        got = _series_values(world["prom"], rules.tier_expr(slo, svc, tier), start, world["end"], 30)
        assert not got, f"page tier {tier.long} fired during a 4.5x burn"
