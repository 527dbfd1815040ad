"""Alert quality of the burn-rate tiers: what each tier lets burn and how fast it reacts.

The numbers of `obsgen report` and of out/docs/<service>-alert-quality.md, for every
alerting tier of every SLO (SRE Workbook ch. 5, "precision, recall, detection time,
reset time"). Notation: B the error budget (1 - objective), P the period, f the tier's
burn factor, L and S its long and short windows, D its `for` (0 when unset).

- threshold   theta = f x B, the error ratio both windows must exceed.
- budget      f x L / P: the share of the period's budget a burn at exactly the
  threshold spends over the long window, i.e. before the tier fires.
- detection   from the onset of a constant error ratio e (after healthy traffic,
  at constant traffic), a window W's ratio is e x t / W until the window is
  full, so it crosses theta at T_W(e) = theta x W / e, for theta < e <= 1 (at
  e <= theta the tier never fires). The tier needs both windows over theta, so it
  fires at max(T_L, T_S) + D = theta x L / e + D: the long window decides, the short
  window (T_S = theta x S / e) has crossed earlier.
- reset       after a constant e ends (having lasted long enough to fire the tier),
  a window's ratio stays put until its oldest bad minute leaves and then falls as
  e x (W - t) / W, so it drops below theta at t = W x (1 - theta / e). The tier
  stops as soon as one of its windows is below theta: the short one, at
  S x (1 - theta / e); a single-window tier at L x (1 - theta / e). `for` does not
  delay resolution; `keep_firing_for` adds its own time to it.

- smear       the rules build every window from the base rate, a rate over 4.5 scrape
  intervals (at least 1m; its samples span 3.5 scrapes on average), recorded every
  interval: a window's n = W / interval samples reach back B = base window - scrape -
  interval further than W (3m at the 1m default scrape and 30s interval). So the
  recorded ratio at T is the ideal window's ratio averaged over [T - B, T]. Writing
  G(x) = (F(x) - F(x - B)) / B with F the integral of clip(s / W, 0, 1), the window's
  ratio x seconds after the onset is e x G(x), and x seconds after the end e x (1 - G(x)):
  detection solves G = theta / e, reset G = 1 - theta / e. Where the ramp is linear
  this is the ideal time + B/2; near thresholds of a few percent the ends of the
  average decide (a reset after a full outage comes nearly B late). B = 0 gives the
  formulas above. The table's times include B.

The generated rules build a window w from w/interval samples of that base rate (and
the 1d/3d windows and the period from 5-minute buckets), so a real alert lands within
about one evaluation interval of these times (one bucket for staged windows);
tests/test_report.py checks that against promtool runs of the built rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from generator import durations
from generator.model import SLO, Service

# the error ratios of the table, as multiples of each tier's threshold ("full" = 100% errors)
MULTIPLES = (2.0, 10.0)


@dataclass(frozen=True)
class TierQuality:
    severity: str
    factor: float
    long_s: int
    short_s: int | None
    for_s: int
    budget: float  # the SLO's error budget, 1 - objective
    period_s: int
    smear_s: int = 0  # B (module docstring); 0: ideal windows
    keep_s: int = 0  # keep_firing_for: delays the reset, not the detection

    @property
    def threshold(self) -> float:
        """The error ratio both windows must exceed: factor x budget."""
        return self.factor * self.budget

    @property
    def budget_consumed(self) -> float:
        """Share of the period's error budget spent over the long window at the threshold."""
        return self.factor * self.long_s / self.period_s

    @property
    def windows(self) -> str:
        long = durations.fmt(self.long_s)
        return long if self.short_s is None else f"{long}/{durations.fmt(self.short_s)}"

    @property
    def can_fire(self) -> bool:
        return self.threshold < 1

    def _fires_at(self, error_ratio: float) -> bool:
        return self.threshold < error_ratio <= 1

    def window_time(self, window_s: int, error_ratio: float) -> float | None:
        """Seconds from onset until one window's ratio exceeds the threshold: G(x) = theta / e."""
        if not self._fires_at(error_ratio):
            return None
        return _solve(window_s, self.smear_s, self.threshold / error_ratio)

    def detection(self, error_ratio: float) -> float | None:
        """Seconds from the onset of a constant error ratio until the alert fires (None: never)."""
        times = [self.window_time(w, error_ratio) for w in (self.long_s, self.short_s) if w is not None]
        if any(t is None for t in times):
            return None
        return max(t for t in times if t is not None) + self.for_s

    def reset(self, error_ratio: float) -> float | None:
        """Seconds after a constant error ratio ends until the alert stops firing (None: never fired)."""
        if not self._fires_at(error_ratio):
            return None
        window = self.short_s if self.short_s is not None else self.long_s
        return _solve(window, self.smear_s, 1 - self.threshold / error_ratio) + self.keep_s


def _ramp_integral(s: float, window: float) -> float:
    """F(s): the integral of clip(u / W, 0, 1) from 0 to s."""
    if s <= 0:
        return 0.0
    if s <= window:
        return s * s / (2 * window)
    return window / 2 + (s - window)


def _filled(x: float, window: float, smear: float) -> float:
    """G(x): the share of a window filled x seconds after a step, averaged over the last `smear` s (B)."""
    if smear <= 0:
        return min(1.0, max(0.0, x / window))
    return (_ramp_integral(x, window) - _ramp_integral(x - smear, window)) / smear


def _solve(window: int, smear: int, share: float) -> float:
    """The x at which G(x) = share (G rises from 0 at x = 0 to 1 at x = W + B), to a microsecond."""
    if smear <= 0:
        return window * share  # the ideal window: theta x W / e, or W x (1 - theta / e)
    lo, hi = 0.0, float(window + smear)
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        if _filled(mid, window, smear) < share:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class SLOQuality:
    service: str
    slo: str
    objective: float
    period: str
    budget: float
    tiers: tuple[TierQuality, ...]

    @property
    def title(self) -> str:
        return f"{self.service} / {self.slo}: {_g(self.objective)}% over {self.period}"


def _as_rules_print(x: float) -> float:
    """x to 12 significant digits, as the rules write factors and budgets (0.001, not 0.000999...)."""
    return float(f"{float(x):.12g}")


def smear(slo: SLO) -> int:
    """B: how much further back than its window a window's base samples reach (module docstring)."""
    return max(0, slo.base_window_s - slo.scrape_s - slo.interval_s)


def slo_quality(service: Service, slo: SLO) -> SLOQuality:
    for_s = durations.parse(slo.alerting.for_) if slo.alerting.for_ else 0
    budget = _as_rules_print(slo.budget)
    tiers = tuple(TierQuality(t.severity, _as_rules_print(t.factor), t.long_s, t.short_s, for_s, budget,
                              slo.period_s, smear(slo), slo.alerting.keep_s(t.severity)) for t in slo.tiers)
    return SLOQuality(service.name, slo.name, slo.objective, durations.fmt(slo.period_s), budget, tiers)


def analyse(service: Service) -> list[SLOQuality]:
    return [slo_quality(service, slo) for slo in service.slos]


# -- text ------------------------------------------------------------------------------------------

def _g(x: float, digits: int = 4) -> str:
    """Shortest text of x to `digits` significant digits: 14.4, 0.0144, 0.9333."""
    text = f"{x:.{digits}g}"
    if "e" in text:  # tiny budgets: plain decimals read better in a table
        text = f"{x:.{digits + 6}f}".rstrip("0").rstrip(".")
    return text


def percent(x: float, digits: int = 3) -> str:
    return f"{_g(x * 100, digits)}%"


def fmt_seconds(seconds: float | None) -> str:
    """A duration for people: 51.8s, 4m56s, 30m, 1h30m, 1d12h (None: the tier does not fire)."""
    if seconds is None:
        return "n/a"
    if seconds < 60:
        return f"{_g(round(seconds, 1), 3)}s"
    whole = round(seconds) if seconds < 3600 else 60 * round(seconds / 60)  # seconds below 1h, then minutes
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            out.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(out)


HEADER = ("severity", "windows", "factor", "threshold", "budget used", "detect @2x threshold",
          "@10x threshold", "@100% errors", "reset @100%")


def _at(tier: TierQuality, multiple: float) -> str:
    e = tier.threshold * multiple
    if e > 1:
        return "n/a (e > 100%)"
    return f"{fmt_seconds(tier.detection(e))} (e={percent(e)})"


def rows(q: SLOQuality) -> list[tuple[str, ...]]:
    out = []
    for t in q.tiers:
        out.append((t.severity, t.windows, _g(t.factor), _g(t.threshold), percent(t.budget_consumed),
                    *(_at(t, m) for m in MULTIPLES), fmt_seconds(t.detection(1.0)), fmt_seconds(t.reset(1.0))))
    return out


def _subtitle(q: SLOQuality) -> str:
    return f"error budget {percent(q.budget)} = {_g(q.budget)}"


def _notes(q: SLOQuality) -> list[str]:
    notes = []
    if not q.tiers:
        notes.append("no alerting tiers (page and ticket are both off)")
    for t in q.tiers:
        if not t.can_fire:
            notes.append(f"the {t.severity} {t.windows} tier can never fire: its threshold "
                         f"{_g(t.factor)} x {_g(q.budget)} = {_g(t.threshold)} is not below 100% errors")
    fors = {t.for_s for t in q.tiers if t.for_s}
    if fors:
        notes.append(f"detection times include the alert's `for: {durations.fmt(min(fors))}`")
    return notes


def terminal(qualities: list[SLOQuality]) -> str:
    """Plain aligned tables, one per SLO."""
    chunks = []
    for q in qualities:
        table = [HEADER, *rows(q)]
        widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
        lines = [f"{q.title}; {_subtitle(q)}"]
        for r in table:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        lines.extend(f"  note: {n}" for n in _notes(q))
        chunks.append("\n".join(lines) + "\n")
    return "\n".join(chunks)


def png_name(service: str, slo: str) -> str:
    return f"{service}-{slo}-detection.png"


def markdown_name(service: str) -> str:
    return f"{service}-alert-quality.md"


_FORMULA_ROWS = (
    ("threshold", "f x B, as an error ratio"),
    ("budget used", "f x L / P: the share of the period's budget a burn at the threshold spends before the "
                    "tier fires"),
    ("detect", "T(e) = f x B x L / e for e above the threshold (plus the alert's `for`, if any). The short "
               "window crosses at f x B x S / e, earlier; the tier fires at the later of the two, the long "
               "window's"),
    ("reset", "after the errors stop, the tier clears when its short window's ratio falls below the "
              "threshold: S x (1 - f x B / e); a single-window tier at L x (1 - f x B / e)"),
)

FORMULAS = """\
How to read it. B is the error budget (1 - objective), P the period, f a tier's burn factor,
L and S its long and short windows, e a constant error ratio (share of requests failing) that
starts after healthy traffic. The tier fires when the error ratio over both windows exceeds its
threshold.

| column | formula |
|---|---|
""" + "".join(f"| {name} | {text} |\n" for name, text in _FORMULA_ROWS) + """
Since f x L = (budget used) x P, T(e) = (budget used) x P x B / e: tiers that may spend the same
share of the budget detect a given error rate equally fast (with Workbook tiers, the 1d and 3d
tickets); their windows change only which rates they see and how fast they reset.

These are ideal windows at constant traffic. The rules build each window from 1-minute rates
(and windows longer than 6h from 5-minute buckets), so real alerts land within about one
evaluation interval of these times (one bucket for the bucketed windows). "n/a" is an error
ratio the tier cannot see (at or below its threshold, or above 100%).
"""


def markdown(service: Service, qualities: list[SLOQuality] | None = None) -> str:
    from generator import yamlio

    qualities = analyse(service) if qualities is None else qualities
    lines = [f"<!-- {yamlio.mark(service.source)} -->", f"# {service.name}: alert quality", "",
             "Detection and reset times of the burn-rate alerts, per SLO and tier "
             "(SRE Workbook ch. 5). Regenerate with `obsgen build` or `obsgen report`.", "", FORMULAS.rstrip()]
    for q in qualities:
        lines += ["", f"## {q.slo}: {_g(q.objective)}% over {q.period}", "",
                  f"{_subtitle(q).capitalize()} (as an error ratio).", ""]
        lines.append("| " + " | ".join(HEADER) + " |")
        lines.append("|" + "---|" * len(HEADER))
        lines += ["| " + " | ".join(r) + " |" for r in rows(q)]
        for n in _notes(q):
            lines += ["", f"Note: {n}."]
        lines += ["", f"![{q.slo}: detection time against error rate]({png_name(q.service, q.slo)})"]
    return "\n".join(lines) + "\n"


def detection_curve(tier: TierQuality, points: int = 64) -> tuple[list[float], list[float]]:
    """(error ratios, detection minutes) from just above the threshold to 100% errors, log-spaced."""
    if not tier.can_fire:
        return [], []
    lo, hi = math.log(tier.threshold), 0.0
    xs = [math.exp(lo + (hi - lo) * i / (points - 1)) for i in range(points)]
    xs[0] = math.nextafter(tier.threshold, 1.0)
    xs[-1] = 1.0
    ys = []
    for x in xs:
        t = tier.detection(x)
        assert t is not None
        ys.append(t / 60)
    return xs, ys
