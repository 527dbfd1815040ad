"""A synthetic Maestro-like fleet: request counters and a latency histogram per instance.

Values are closed-form functions of time, so the same numbers can be backfilled
into TSDB blocks (OpenMetrics) and served live by an exporter afterwards without
a seam, and the exact error ratio over any window is known without Prometheus.
Traffic follows a daily sine; error and slow-request ratios are piecewise
constant with a few incidents, so traffic weighting matters.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DAY = 86400
OMEGA = 2 * math.pi / DAY
LE_BUCKETS = ("0.25", "0.5", "1", "+Inf")
THRESHOLD_LE = "0.5"


@dataclass(frozen=True)
class Incident:
    start: float
    end: float
    err: float   # error ratio during the incident
    slow: float  # share of requests slower than the threshold during the incident


@dataclass(frozen=True)
class ServiceLoad:
    name: str
    rps: float                 # mean requests per second per instance
    phase: float               # daily traffic phase
    amplitude: float = 0.3
    base_err: float = 0.0005
    base_slow: float = 0.01
    incidents: tuple[Incident, ...] = ()

    def requests(self, t: float) -> float:
        """Requests per instance since the epoch origin (t seconds): integral of the rate."""
        return self.rps * (t - self.amplitude / OMEGA * (math.cos(OMEGA * t + self.phase) - math.cos(self.phase)))

    def _weighted(self, t: float, base: float, attr: str) -> float:
        total = base * self.requests(t)
        for inc in self.incidents:
            lo, hi = inc.start, min(t, inc.end)
            if hi > lo:
                total += (getattr(inc, attr) - base) * (self.requests(hi) - self.requests(lo))
        return total

    def errors(self, t: float) -> float:
        return self._weighted(t, self.base_err, "err")

    def slow(self, t: float) -> float:
        return self._weighted(t, self.base_slow, "slow")

    def exact_error_ratio(self, a: float, b: float) -> float:
        return (self.errors(b) - self.errors(a)) / (self.requests(b) - self.requests(a))


@dataclass
class Fleet:
    services: list[ServiceLoad]
    instances: int
    origin: float  # unix time of counter zero
    job: str = "bench"
    extra: dict[str, str] = field(default_factory=dict)

    KINDS = ("ok", "err", *(f"le:{le}" for le in LE_BUCKETS), "count")

    def _text(self, svc: ServiceLoad, instance: int, kind: str) -> str:
        base = f'job="{self.job}",service="{svc.name}",instance="i{instance:02d}"'
        if kind == "ok":
            return f'http_requests_total{{{base},code="200"}}'
        if kind == "err":
            return f'http_requests_total{{{base},code="500"}}'
        if kind == "count":
            return f"http_request_duration_seconds_count{{{base}}}"
        return f'http_request_duration_seconds_bucket{{{base},le="{kind[3:]}"}}'

    def series(self) -> Iterator[tuple[str, ServiceLoad, str]]:
        """(series text, service, kind) for every series; kind picks the value function."""
        for svc in self.services:
            for i in range(self.instances):
                for kind in self.KINDS:
                    yield self._text(svc, i, kind), svc, kind

    def value(self, svc: ServiceLoad, kind: str, unix: float) -> str:
        """Counter text; fractional so that accuracy measures the rules, not integer rounding."""
        t = unix - self.origin
        if kind == "ok":
            v = svc.requests(t) - svc.errors(t)
        elif kind == "err":
            v = svc.errors(t)
        elif kind in ("count", "le:+Inf"):
            v = svc.requests(t)
        else:
            le = kind[3:]
            fast = svc.requests(t) - svc.slow(t)
            if le == THRESHOLD_LE:
                v = fast
            elif float(le) < float(THRESHOLD_LE):
                v = fast * 0.6
            else:
                v = fast + svc.slow(t) * 0.5
        return f"{v:.4f}"

    def write_openmetrics(self, directory: Path, start: int, end: int, step: int,
                          chunk: int = 7200) -> tuple[list[Path], int]:
        """Samples at start, start+step, ... < end, one file per TSDB block range.

        promtool 2.42 re-parses its whole input for every 2h block it writes, so one file
        per block keeps the backfill linear. Instances of a service share values, so each
        value is computed once per service and kind.
        """
        stamps = list(range(start, end, step))
        values = {(svc.name, kind): [self.value(svc, kind, ts) for ts in stamps]
                  for svc in self.services for kind in self.KINDS}
        files: list[Path] = []
        n = 0
        first = start - start % chunk
        for lo in range(first, end, chunk):
            idx = [k for k, ts in enumerate(stamps) if lo <= ts < lo + chunk]
            if not idx:
                continue
            a, b = idx[0], idx[-1] + 1
            path = directory / f"chunk-{lo}.om"
            with open(path, "w", encoding="ascii") as fh:
                for svc in self.services:
                    for i in range(self.instances):
                        for kind in self.KINDS:
                            text = self._text(svc, i, kind)
                            vals = values[(svc.name, kind)]
                            fh.write("".join(f"{text} {vals[k]} {stamps[k]}\n" for k in range(a, b)))
                            n += b - a
                fh.write("# EOF\n")
            files.append(path)
        return files, n

    def exposition(self, unix: float) -> str:
        """The live /metrics text at `unix`."""
        return "".join(f"{text} {self.value(svc, kind, unix)}\n" for text, svc, kind in self.series())


def fleet(n_services: int, instances: int, origin: float, days: float, seed: int = 7) -> Fleet:
    """N services with incidents spread over the backfilled days (deterministic)."""
    rng = random.Random(seed)
    services = []
    for k in range(n_services):
        incidents: list[Incident] = []
        for _ in range(rng.randint(1, 3)):
            start = rng.uniform(0, days * DAY)
            inc = Incident(start, start + rng.uniform(600, 5400), err=rng.choice((0.01, 0.05, 0.3)),
                           slow=rng.choice((0.05, 0.2, 0.6)))
            # overlapping incidents would add their ratios (past 100%) and make counters go down
            if all(inc.end <= o.start or inc.start >= o.end for o in incidents):
                incidents.append(inc)
        services.append(ServiceLoad(f"svc{k:03d}", rps=rng.uniform(5, 50), phase=rng.uniform(0, 2 * math.pi),
                                    incidents=tuple(sorted(incidents, key=lambda i: i.start))))
    return Fleet(services, instances, origin)
