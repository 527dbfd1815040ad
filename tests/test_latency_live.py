"""A latency SLO with a whole-number threshold, scraped from a Go-style histogram by a real Prometheus.

Prometheus 3 stores a classic histogram's `le` as a float (`le="1"` arrives as `le="1.0"`), which
promtool never shows (it does not normalise test input). A rule matching only `le="1"` then finds no
good requests, counts every request as slow, and pages under healthy traffic. Here a small exporter
on 127.0.0.1 writes the histogram exactly as Go's client does; Prometheus (2.x and 3.x, the
toolchain fixture) scrapes it every second and runs the generated rules. Healthy traffic must read
0% slow and raise nothing; then every request turns slow and the page must fire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench import lab
from generator import names
from generator.model import SLO, Alerting, Service
from generator.render import rules
from generator.sli import LatencySLI
from generator.tiers import Tier

pytestmark = pytest.mark.usefixtures("toolchain")

METRIC = "http_server_request_duration_seconds"
BUCKETS = ("0.5", "1", "2.5")  # as Go's client writes them (strconv.FormatFloat(b, 'g', -1, 64))
RPS = 50.0


class Histogram:
    """Request durations as a Go service exposes them; `slow` switches every new request to 2 s."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.slow_since: float | None = None
        self.lock = threading.Lock()

    def text(self) -> str:
        with self.lock:
            now = time.monotonic()
            total = RPS * (now - self.started)
            fast = RPS * ((self.slow_since or now) - self.started)
        lines = [f"# HELP {METRIC} Time to first byte.", f"# TYPE {METRIC} histogram"]
        for le in BUCKETS:
            value = fast if float(le) < 2 else total  # fast requests take 0.2 s, slow ones 2 s
            lines.append(f'{METRIC}_bucket{{le="{le}"}} {value:.0f}')
        lines.append(f'{METRIC}_bucket{{le="+Inf"}} {total:.0f}')
        lines.append(f"{METRIC}_sum {0.2 * fast + 2 * (total - fast):.3f}")
        lines.append(f"{METRIC}_count {total:.0f}")
        return "\n".join(lines) + "\n"


@pytest.fixture
def exporter() -> Iterator[tuple[str, Histogram]]:
    hist = Histogram()
    with lab.TextExporter(hist.text) as server:
        yield server.target, hist


def _service() -> Service:
    # rules sized for a 10s scrape serve the 1s scrape here; one page tier over 5m at 2x: 10% slow
    slo = SLO(name="ttfb", objective=95, interval="10s", scrape_interval="10s",
              sli=LatencySLI(metric=METRIC, matchers='job="go-app"', threshold=1, buckets=(0.5, 1, 2.5)),
              alerting=Alerting(tiers=(Tier("page", "5m", factor=2),), ticket=False))
    svc = Service(name="go-app", slos=(slo,), source="test")
    svc.validate()
    return svc


def _value(prom: lab.Prometheus, expr: str) -> float | None:
    result = prom.query(expr)["result"]
    return float(result[0]["value"][1]) if result else None


def _firing(prom: lab.Prometheus, alertname: str) -> bool:
    alerts = prom.api("alerts")["alerts"]
    return any(a["labels"].get("alertname") == alertname and a["state"] == "firing" for a in alerts)


def test_whole_number_threshold_reads_both_le_spellings(exporter: tuple[str, Histogram], tmp_path: Path,
                                                         toolchain) -> None:
    target, hist = exporter
    svc = _service()
    slo = svc.slos[0]
    rules_file = tmp_path / "go-app.rules.yml"
    rules_file.write_text(yaml.safe_dump(rules.render(svc), sort_keys=False))
    scrape = [{"job_name": "go-app", "scrape_interval": "1s", "static_configs": [{"targets": [target]}]}]
    ratio = names.series(names.ERROR_RATIO, svc.name, slo.name, "5m")
    with lab.Prometheus(tmp_path / "data", [rules_file], scrape=scrape, eval_interval="1s", workdir=tmp_path) as prom:
        # what this Prometheus stored: "1" on 2.x, "1.0" on 3.x (the spelling the rule must also match)
        deadline = time.monotonic() + 60
        stored: set[str] = set()
        while time.monotonic() < deadline and not stored:
            stored = {r["metric"]["le"] for r in prom.query(f'{METRIC}_bucket{{job="go-app"}}')["result"]}
            time.sleep(0.5)
        assert stored, "the exporter was never scraped"
        assert ("1.0" if toolchain.major >= 3 else "1") in stored, stored

        # healthy: the window's slow share is recorded and is zero for several evaluations
        seen: list[float] = []  # read every 5 s: four reads span two of the group's 10 s evaluations
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(seen) < 4:
            value = _value(prom, ratio)
            if value is not None:
                seen.append(value)
            assert not _firing(prom, slo.alert_name), f"paged under healthy traffic (slow share {seen})"
            time.sleep(5)
        assert len(seen) >= 4, f"{ratio} was not recorded within 90 s"
        assert all(v == 0 for v in seen), f"healthy traffic read as slow: {seen} (le spelling not matched?)"

        # every request slow from now: 100% > the tier's 10%, within a minute or so
        with hist.lock:
            hist.slow_since = time.monotonic()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not _firing(prom, slo.alert_name):
            time.sleep(2)
        assert _firing(prom, slo.alert_name), f"no page {time.monotonic() - hist.slow_since:.0f}s into a slow burst; " \
            f"slow share {_value(prom, ratio)}"
