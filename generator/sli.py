"""SLI kinds, one small plugin each.

Every kind answers the same three questions the rule renderer and the test
generator ask: how many bad events per second over a short window, how many
events in all, and which input series make a given error ratio real for the
SRE's own queries. Anything else (windows, tiers, alerts) is shared.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from generator import durations, names, promql
from generator.errors import SpecError
from generator.series import Segment, counter, gauge, native_counter
from generator.synth import solve

Series = list[tuple[str, str]]  # (series selector, promtool values)


def _series_name(metric: str, labels: dict[str, str]) -> str:
    return metric + promql.selector(dict(sorted(labels.items())))


def _check_template(query: object, fieldname: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise SpecError("is missing or empty", field=fieldname)
    if not promql.has_window(query):
        raise SpecError("has no {{.window}} placeholder, so it cannot be evaluated per window",
                        field=fieldname)
    for m in promql.WINDOW_PLACEHOLDER.finditer(query):
        # a range, a subquery or an offset: where Prometheus 2 takes a duration (promql-parser also
        # reads a bare `5m` as a number, which Prometheus refuses)
        before = query[:m.start()].rstrip()
        if not (before.endswith(("[", ":")) or before.lower().endswith("offset")):
            raise SpecError("uses {{.window}} outside a range: write it as a range, e.g. rate(x[{{.window}}])",
                            field=fieldname)
    try:
        promql.parse(promql.with_window(query, "5m"))
    except promql.PromQLError as exc:
        raise SpecError(f"is not valid PromQL: {exc}", field=fieldname) from None
    return query.strip()


# The recorded total carries obsgen's identity labels; the SRE's queries do not.
_OURS = f"ignoring({names.SERVICE}, {names.SLO})"


def _or_zero(errors: str, total_series: str) -> str:
    """Bad-event series often do not exist until the first error: fall back to 0 x total.

    The fallback reads the total just recorded in the same group, not the raw series again.
    """
    return f"({errors}) or {_OURS} (0 * {total_series})"


def _minus_good(total_series: str, good: str) -> str:
    """total - good; a missing good series counts every event as bad: loud, never silently green."""
    return f"{total_series} - {_OURS} (({good}) or {_OURS} (0 * {total_series}))"


@dataclass(frozen=True)
class RatioSLI:
    """Counter ratio: error (or good) events over total events, queries with {{.window}}."""

    total_query: str
    error_query: str | None = None
    good_query: str | None = None
    kind: str = field(default="ratio", init=False)

    def validate(self) -> None:
        _check_template(self.total_query, "sli.total_query")
        if (self.error_query is None) == (self.good_query is None):
            raise SpecError("give exactly one of error_query and good_query", field="sli")
        if self.error_query is not None:
            _check_template(self.error_query, "sli.error_query")
        else:
            _check_template(self.good_query, "sli.good_query")

    total_first = True

    def error_expr(self, window: str, total_series: str) -> str:
        if self.error_query is not None:
            return _or_zero(promql.with_window(self.error_query, window), total_series)
        return _minus_good(total_series, promql.with_window(self.good_query or "", window))

    def total_expr(self, window: str, errors_series: str = "") -> str:
        return promql.with_window(self.total_query, window)

    def presence_expr(self, window: str) -> str | None:
        return None

    def describe(self) -> str:
        which = "error" if self.error_query is not None else "good"
        return f"ratio of {which} events to all events (counters)"

    def queries(self) -> dict[str, str]:
        if self.error_query is not None:
            return {"bad events": self.error_query, "all events": self.total_query}
        return {"good events": self.good_query or "", "all events": self.total_query}

    per_pod = True  # events carry the labels of the pod that served them

    def input_series(self, segments: list[Segment], step: int, stored: bool = False) -> Series | None:
        subset = self.error_query if self.error_query is not None else self.good_query
        return _counter_pair(promql.with_window(subset or "", "1m"),
                             promql.with_window(self.total_query, "1m"),
                             segments, step, subset_is_good=self.error_query is None)


@dataclass(frozen=True)
class RawRatioSLI:
    """Sloth's `raw`: an error-ratio query. No traffic to weight by: averaged over samples."""

    error_ratio_query: str
    kind: str = field(default="raw", init=False)

    def validate(self) -> None:
        _check_template(self.error_ratio_query, "sli.error_ratio_query")

    total_first = False

    def error_expr(self, window: str, total_series: str = "") -> str:
        # 0/0 at zero traffic is NaN: drop it rather than poison every window
        return f"({promql.with_window(self.error_ratio_query, window)}) >= 0"

    def total_expr(self, window: str, errors_series: str = "") -> str:
        # one sample wherever the recorded error ratio exists, so windows average over samples
        return f"{errors_series} * 0 + 1"

    def presence_expr(self, window: str) -> str:
        # NaN at zero traffic still counts as data; only vanished series are "absent"
        return promql.with_window(self.error_ratio_query, window)

    def describe(self) -> str:
        return "error ratio query, averaged over the window (no traffic weighting)"

    def queries(self) -> dict[str, str]:
        return {"error ratio": self.error_ratio_query}

    per_pod = True

    def input_series(self, segments: list[Segment], step: int, stored: bool = False) -> Series | None:
        parts = promql.split_ratio(promql.with_window(self.error_ratio_query, "1m"))
        if parts is None:
            return None
        return _counter_pair(parts[0], parts[1], segments, step, subset_is_good=False)


@dataclass(frozen=True)
class ProbeSLI:
    """Blackbox availability: probe_success averaged over the window."""

    selector: str
    scrape_interval: str | None = None  # how often the probe runs: lets the SLO doc count probes
    kind: str = field(default="probe", init=False)

    def _parsed(self) -> promql.Selector:
        try:
            found = promql.selectors(self.selector)
        except promql.PromQLError as exc:
            raise SpecError(f"is not a valid series selector: {exc}", field="sli.selector") from None
        if len(found) != 1 or promql.with_window(self.selector, "") != self.selector:
            raise SpecError("must be one series selector such as probe_success{instance=\"...\"}",
                            field="sli.selector")
        try:
            node = promql.parse(self.selector)
        except promql.PromQLError as exc:  # pragma: no cover - parsed above
            raise SpecError(str(exc), field="sli.selector") from None
        if type(node).__name__ != "VectorSelector":
            raise SpecError("must be a plain series selector, not an expression", field="sli.selector")
        return found[0]

    def validate(self) -> None:
        if not isinstance(self.selector, str) or not self.selector.strip():
            raise SpecError("is missing", field="sli.selector")
        self._parsed()
        if self.scrape_interval is not None:
            try:
                durations.parse(self.scrape_interval)
            except ValueError as exc:
                raise SpecError(str(exc), field="sli.scrape_interval") from None

    total_first = True

    def error_expr(self, window: str, total_series: str = "") -> str:
        return f"sum(1 - avg_over_time({self.selector}[{window}]))"

    def total_expr(self, window: str, errors_series: str = "") -> str:
        return f"count(avg_over_time({self.selector}[{window}]))"

    def presence_expr(self, window: str) -> str | None:
        return None

    def describe(self) -> str:
        return "share of failed blackbox probes (probe_success), averaged over the window"

    def queries(self) -> dict[str, str]:
        return {"probe result (1 = success)": self.selector}

    per_pod = False  # the prober reaches the service from outside: no probe knows which pod answered

    def input_series(self, segments: list[Segment], step: int, stored: bool = False) -> Series | None:
        sel = self._parsed()
        labels = solve(list(sel.matchers))
        if labels is None:
            return None
        # A fractional probe_success stands for many probes: the rules average it exactly the same.
        return [(_series_name(sel.metric or "probe_success", labels),
                 gauge(segments, step, lambda s: 1.0 - s.err))]


def _go_float(value: float) -> str:
    """How Go's client writes `le` (strconv 'f', -1): 0.5, 1, 2.5."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def stored_float(value: float) -> str:
    """How Prometheus 3 stores a classic histogram's `le` (and a summary's `quantile`): normalised to
    OpenMetrics floats on ingestion, so a Go client's `le="1"` becomes `le="1.0"`; 0.5 stays 0.5."""
    text = repr(float(value))
    return text if ("." in text or "e" in text) else text + ".0"


@dataclass(frozen=True)
class LatencySLI:
    """Share of requests slower than `threshold` seconds, from a Prometheus histogram: a classic one
    (`_bucket{le}`/`_count` series), or with `native=True` a native one (one series; stable since
    Prometheus 3.8), read with histogram_count and histogram_fraction. A native histogram's bucket
    boundaries are the powers of 2^(2^-schema); client_golang's default bucket factor 1.1 is schema 3."""

    metric: str
    threshold: float
    matchers: str = ""
    buckets: tuple[float, ...] | None = None
    le: str | None = None
    native: bool = False
    schema: int = 3
    kind: str = field(default="latency", init=False)

    @property
    def le_value(self) -> str:
        return self.le if self.le is not None else _go_float(self.threshold)

    @property
    def le_spellings(self) -> tuple[str, ...]:
        """Every spelling the threshold's bucket can have on a server: as the exporter writes it (what
        Prometheus 2 stores) and as Prometheus 3 stores it. Both, or a whole-number threshold matches
        nothing on one of them and every request counts as slow (a page under healthy traffic)."""
        return tuple(dict.fromkeys((self.le_value, _go_float(self.threshold), stored_float(self.threshold))))

    @property
    def le_matcher(self) -> str:
        spellings = self.le_spellings
        if len(spellings) == 1:
            return "le=" + promql.quote(spellings[0])
        return "le=~" + promql.quote("|".join(re.escape(v) for v in spellings))

    def validate(self) -> None:
        if not isinstance(self.metric, str) or not promql.METRIC_NAME.match(self.metric):
            raise SpecError(f"{self.metric!r} is not a metric name (without _bucket)", field="sli.metric")
        if self.metric.endswith(("_bucket", "_count", "_sum")):
            raise SpecError("name the histogram without its _bucket/_count suffix", field="sli.metric")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) \
                or not math.isfinite(self.threshold) or self.threshold <= 0:
            raise SpecError(f"{self.threshold!r} must be a positive number of seconds",
                            field="sli.threshold")
        try:
            promql.parse(f"{self.metric}_count{{{self.matchers}}}")
        except promql.PromQLError as exc:
            raise SpecError(f"are not valid label matchers: {exc}", field="sli.matchers") from None
        if not isinstance(self.native, bool):
            raise SpecError("must be true or false", field="sli.native")
        if self.native:
            self._validate_native()
            return
        if self.buckets is None and self.le is None:
            raise SpecError(
                f"threshold {self.threshold} s cannot be checked against the histogram: declare "
                "buckets=(...) or le='...' exactly as the exporter writes it", field="sli.threshold")
        if self.buckets is not None and not any(math.isclose(b, self.threshold) for b in self.buckets):
            raise SpecError(
                f"threshold {self.threshold} s is not a bucket boundary (buckets: "
                f"{', '.join(_go_float(b) for b in self.buckets)}); the ratio would count the wrong "
                "requests", field="sli.threshold")
        if self.le is not None:
            try:
                same = math.isclose(float(self.le), self.threshold)
            except ValueError:
                same = False
            if not same:
                raise SpecError(f"le={self.le!r} is not the threshold {self.threshold}", field="sli.le")

    def _validate_native(self) -> None:
        if isinstance(self.schema, bool) or not isinstance(self.schema, int) or not -4 <= self.schema <= 8:
            raise SpecError(f"{self.schema!r} must be a native histogram schema, -4..8", field="sli.schema")
        if self.buckets is not None or self.le is not None:
            raise SpecError("a native histogram has no le buckets: drop buckets/le", field="sli.native")
        index = self.threshold_index
        if index is None:
            width = 2 ** (2.0 ** -self.schema)
            below = 2 ** (math.floor(math.log2(self.threshold) * 2 ** self.schema) / 2 ** self.schema)
            raise SpecError(
                f"threshold {self.threshold} s is not a bucket boundary of a schema-{self.schema} native histogram "
                f"(nearest: {below:.6g} and {below * width:.6g} s); histogram_fraction would estimate within a "
                "bucket", field="sli.threshold")

    @property
    def threshold_index(self) -> int | None:
        """The native bucket whose upper boundary is the threshold (None: not a boundary)."""
        exact = math.log2(self.threshold) * 2 ** self.schema
        return round(exact) if math.isclose(exact, round(exact), abs_tol=1e-9) else None

    def selector(self, suffix: str, extra: str = "") -> str:
        """The histogram's `_bucket`/`_count`/`_sum` series as declared (suffix "" for a native
        histogram's one series), plus `extra` matchers."""
        inner = ",".join(p for p in (self.matchers.strip().strip(","), extra) if p)
        return f"{self.metric}{'_' + suffix if suffix else ''}{{{inner}}}"

    # What every reader of the histogram (rules, Argo analysis, dashboards) asks of it, so the
    # classic/native difference lives here: rates of all and of good requests, a quantile, the mean.
    def count_rate(self, window: str) -> str:
        if self.native:
            return f"histogram_count(sum(rate({self.selector('')}[{window}])))"
        return f"sum(rate({self.selector('count')}[{window}]))"

    def good_rate(self, window: str) -> str:
        if self.native:
            rates = f"sum(rate({self.selector('')}[{window}]))"
            return f"histogram_count({rates}) * histogram_fraction(0, {_go_float(self.threshold)}, {rates})"
        return f"sum(rate({self.selector('bucket', self.le_matcher)}[{window}]))"

    @property
    def quantile_metric(self) -> str:
        """The series a quantile reads: the buckets, or the native histogram itself."""
        return self.metric if self.native else f"{self.metric}_bucket"

    def quantile(self, quantile: str, window: str, by: str = "", series: str | None = None) -> str:
        """histogram_quantile over `series` (default: the declared selector of quantile_metric)."""
        series = series or self.selector("" if self.native else "bucket")
        if self.native:
            group = f" by ({by})" if by else ""
            return f"histogram_quantile({quantile}, sum{group} (rate({series}[{window}])))"
        labels = ", ".join(p for p in ("le", by) if p)
        return f"histogram_quantile({quantile}, sum by ({labels}) (rate({series}[{window}])))"

    def mean(self, window: str) -> str:
        if self.native:
            rates = f"sum(rate({self.selector('')}[{window}]))"
            return f"histogram_sum({rates}) / histogram_count({rates})"
        return f"sum(rate({self.selector('sum')}[{window}])) / sum(rate({self.selector('count')}[{window}]))"

    total_first = True

    def error_expr(self, window: str, total_series: str) -> str:
        return _minus_good(total_series, self.good_rate(window))

    def total_expr(self, window: str, errors_series: str = "") -> str:
        return self.count_rate(window)

    def presence_expr(self, window: str) -> str | None:
        return None

    def describe(self) -> str:
        if self.native:
            return (f"share of requests slower than {_go_float(self.threshold)} s "
                    f"({self.metric}, native histogram, histogram_fraction)")
        return (f"share of requests slower than {_go_float(self.threshold)} s "
                f"({self.metric}, bucket le=\"{self.le_value}\")")

    def queries(self) -> dict[str, str]:
        return {f"requests within {_go_float(self.threshold)} s": self.good_rate("{{.window}}"),
                "all requests": self.count_rate("{{.window}}")}

    per_pod = True

    def input_series(self, segments: list[Segment], step: int, stored: bool = False) -> Series | None:
        sel = promql.selectors(self.selector("count"))[0]
        labels = solve(list(sel.matchers))
        if labels is None:
            return None
        if self.native:
            index = self.threshold_index
            assert index is not None  # validated
            return [(_series_name(self.metric, labels),
                     native_counter(segments, step, self.schema, index, lambda s: s.rps * (1 - s.err),
                                    lambda s: s.rps * s.err))]
        count = counter(segments, step, lambda s: s.rps)
        good = counter(segments, step, lambda s: s.rps * (1 - s.err))
        le = stored_float(self.threshold) if stored else self.le_value
        return [
            (_series_name(f"{self.metric}_count", labels), count),
            (_series_name(f"{self.metric}_bucket", dict(labels, le=le)), good),
            (_series_name(f"{self.metric}_bucket", dict(labels, le="+Inf")), count),
        ]


def _counter_pair(subset_query: str, total_query: str, segments: list[Segment], step: int,
                  subset_is_good: bool) -> Series | None:
    """Series for a subset/total counter query pair: one series read by both, one by total only."""
    try:
        sub = promql.selectors(subset_query)
        tot = promql.selectors(total_query)
    except promql.PromQLError:
        return None
    if not sub or not tot or any(s.metric is None for s in sub + tot):
        return None
    by_metric: dict[str, tuple[list[promql.Matcher], list[promql.Matcher]]] = {}
    for s in tot:
        by_metric.setdefault(s.metric or "", ([], []))[0].extend(s.matchers)
    for s in sub:
        by_metric.setdefault(s.metric or "", ([], []))[1].extend(s.matchers)

    def bad_rate(seg: Segment) -> float:
        return seg.rps * seg.err

    def good_rate(seg: Segment) -> float:
        return seg.rps * (1 - seg.err)

    in_subset, outside = (good_rate, bad_rate) if subset_is_good else (bad_rate, good_rate)
    sub_metrics = {s.metric for s in sub}
    tot_metrics = {s.metric for s in tot}
    out: Series = []
    for metric in sorted(by_metric):
        total_m, subset_m = by_metric[metric]
        if metric in sub_metrics and metric in tot_metrics:
            inside = solve(total_m + subset_m)
            other = solve(total_m, subset_m)
            if inside is None or other is None or inside == other:
                return None
            out.append((_series_name(metric, inside), counter(segments, step, in_subset)))
            out.append((_series_name(metric, other), counter(segments, step, outside)))
        elif metric in sub_metrics:
            labels = solve(subset_m)
            if labels is None:
                return None
            out.append((_series_name(metric, labels), counter(segments, step, in_subset)))
        else:
            labels = solve(total_m)
            if labels is None:
                return None
            out.append((_series_name(metric, labels), counter(segments, step, lambda s: s.rps)))
    return out


SLI = RatioSLI | RawRatioSLI | ProbeSLI | LatencySLI
