"""Rules sized from the scrape interval, and ranges that read the same samples on Prometheus 2 and 3.

Pure checks of the sizing (the live proof is tests/test_staged_live.py, the generated tests' is
tests/test_tier_math.py): the base window is 4.5 scrapes and at least 1m, so no raw sample sits on
its edge; every window reads window / interval samples through a range half a spacing off them; a
scrape interval outside 10s..1m is one line naming the field, never a traceback.
"""

from __future__ import annotations

import re

import pytest

from generator import durations, names
from generator.errors import SpecError
from generator.model import SLO, Service
from generator.render import rules
from generator.sli import LatencySLI, ProbeSLI, RatioSLI

RATIO = RatioSLI(error_query='sum(rate(e{job="x"}[{{.window}}]))', total_query='sum(rate(t{job="x"}[{{.window}}]))')


def _service(**slo: object) -> Service:
    svc = Service(name="x", source="slo/x.py", slos=(SLO(name="s", objective=99.9, **{"sli": RATIO, **slo}),))
    svc.validate()
    return svc


@pytest.mark.parametrize(("scrape", "base"), [(10, "1m5s"), (15, "1m7s"), (20, "1m30s"), (30, "2m15s"),
                                              (60, "4m30s")])
def test_base_window_is_four_and_a_half_scrapes_at_least_a_minute(scrape: int, base: str) -> None:
    window = names.base_window(scrape)
    assert durations.fmt(window) == base
    assert window >= 60 and window >= 4 * scrape
    assert window % scrape == scrape // 2  # half a scrape past a whole number of them: no sample on an edge


def test_the_base_rate_uses_it_and_the_absent_ticket_reads_the_result() -> None:
    fast = rules.render(_service(scrape_interval="30s"))["groups"][0]["rules"]
    total = next(r for r in fast if r.get("record") == names.TOTAL_RATE)
    assert total["expr"] == 'sum(rate(t{job="x"}[2m15s]))'


@pytest.mark.parametrize(("interval", "five_minutes"), [("30s", "[4m45s]"), ("15s", "[4m53s]"), ("1m", "[4m30s]"),
                                                         ("10s", "[4m55s]")])
def test_windows_read_window_over_interval_samples_half_a_spacing_off(interval: str, five_minutes: str) -> None:
    groups = rules.render(_service(interval=interval))["groups"]
    fast = {r["labels"].get("window"): r["expr"] for r in groups[0]["rules"] if r.get("record") == names.ERROR_RATIO}
    assert fast["5m"].count(five_minutes) == 2
    slow = {r["record"]: r["expr"] for r in groups[1]["rules"] if r.get("record", "").endswith("_bucket")}
    half = durations.fmt(durations.parse(interval) // 2)
    assert all(e.endswith(f"[5m] offset {half})") for e in slow.values()), slow  # across groups: an offset
    staged = {r["labels"].get("window"): r["expr"] for r in groups[1]["rules"] if r.get("record") == names.ERROR_RATIO}
    assert "[29d23h57m30s]" in staged["30d"]  # 8,640 buckets 5m apart, the range 2m30s short of their span


@pytest.mark.parametrize(("field", "kw", "message"), [
    ("sli.scrape_interval", {"sli": ProbeSLI('probe_success{job="b"}', scrape_interval="soon")}, "not a duration"),
    ("sli.scrape_interval", {"sli": ProbeSLI('probe_success{job="b"}', scrape_interval="5s")}, "declare 10s"),
    ("scrape_interval", {"scrape_interval": "2m"}, "outside the supported 10s..1m"),
    ("scrape_interval", {"scrape_interval": 60}, "not a duration"),
    ("interval", {"interval": "7s"}, "must divide 1m"),
    ("interval", {"interval": "5s"}, "must divide 1m"),
])
def test_bad_intervals_are_one_line_naming_the_field(field: str, kw: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        _service(**kw)
    assert f"{field}: " in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_the_service_gives_its_scrape_interval_to_slos_that_do_not_say() -> None:
    probe = ProbeSLI('probe_success{job="b"}', scrape_interval="15s")
    svc = Service(name="x", scrape_interval="30s", slos=(
        SLO(name="a", objective=99, sli=RATIO), SLO(name="b", objective=99, sli=RATIO, scrape_interval="1m"),
        SLO(name="c", objective=99, sli=probe)))
    assert [s.scrape_s for s in svc.slos] == [30, 60, 15]
    assert SLO(name="d", objective=99, sli=RATIO).scrape_s == 60  # Prometheus' default


@pytest.mark.parametrize(("threshold", "matcher"),
                         [(1, 'le=~"1|1\\\\.0"'), (0.5, 'le="0.5"'), (10, 'le=~"10|10\\\\.0"')])
def test_latency_matches_both_le_spellings(threshold: float, matcher: str) -> None:
    sli = LatencySLI(metric="d", threshold=threshold, buckets=(0.5, 1, 10))
    sli.validate()
    assert sli.le_matcher == matcher
    assert re.fullmatch("1|1\\.0", "1.0") and not re.fullmatch("1|1\\.0", "1x0")  # the dot is escaped
    declared = LatencySLI(metric="d", threshold=1, le="1.0")  # a Python client's spelling, declared
    assert set(declared.le_spellings) == {"1.0", "1"}
