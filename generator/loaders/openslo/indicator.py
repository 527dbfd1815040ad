"""OpenSLO SLIs (inline `indicator` or `indicatorRef`) and their DataSources -> an obsgen SLI.

Only Prometheus sources and ratio metrics can become recording rules. A query is either a
counter selector, which obsgen wraps as `sum(rate(SELECTOR[window]))` (that is what a ratio
of counters means), or a full query carrying Sloth's `{{.window}}` placeholder, used as
written. Anything else (a threshold metric, another source, a query without a window that
is not a plain selector) is refused naming the field: guessing a window would silently
change what the SLO measures.
"""

from __future__ import annotations

from typing import Any

import promql_parser

from generator import promql
from generator.errors import SpecError
from generator.loaders.openslo.documents import V1ALPHA, Catalog, Doc, flag, mapping, text
from generator.sli import SLI, RatioSLI, RawRatioSLI

SLI_SPEC_KEYS = ("description", "thresholdMetric", "ratioMetric")
RATIO_KEYS = ("counter", "good", "bad", "total", "raw", "rawType")
METRIC_KEYS = ("metricSource",)
SOURCE_KEYS = ("metricSourceRef", "type", "spec")
PROMETHEUS_SPEC_KEYS = ("query",)
DATASOURCE_KEYS = ("description", "type", "connectionDetails")
# v1alpha (as Sloth reads it): the query object sits directly under good/bad/total
V1ALPHA_QUERY_KEYS = ("source", "queryType", "query", "metadata")
PROMETHEUS = "prometheus"


def window_template(query: str, counter: bool | None, field: str, doc: Doc, slo: str) -> str:
    """The query as a {{.window}} template: as written, or a counter selector wrapped in sum(rate())."""
    if promql.has_window(query):
        return query.strip()
    try:
        node = promql.parse(query)
    except promql.PromQLError as exc:
        raise doc.error(f"is not valid PromQL: {exc}", field, slo=slo) from None
    if isinstance(node, promql_parser.VectorSelector):
        if counter is not True:
            raise doc.error("is a bare series selector: obsgen reads it as a counter, as "
                            "sum(rate(SELECTOR[window])), only with counter: true; otherwise write the query "
                            "with {{.window}}", field, slo=slo)
        return f"sum(rate({query.strip()}[{{{{.window}}}}]))"
    raise doc.error("must be a counter selector such as http_requests_total{code=~\"5..\"} (with counter: true) "
                    "or a query with a {{.window}} placeholder such as sum(rate(x[{{.window}}])); "
                    f"{query.strip()!r} is neither", field, slo=slo)


def _source_type(source: dict[str, Any], field: str, doc: Doc, catalog: Catalog, slo: str) -> str:
    declared = source.get("type")
    ref = source.get("metricSourceRef")
    if ref is not None:
        ds = catalog.ref("DataSource", ref, doc, f"{field}.metricSourceRef", slo)
        block = mapping(ds.spec, "spec", DATASOURCE_KEYS, ds, slo)
        ds_type = text(block.get("type"), "spec.type", ds, slo)
        if declared is not None and str(declared).lower() != ds_type.lower():
            raise doc.error(f"is {declared!r} but DataSource {ds.name!r} is {ds_type!r}", f"{field}.type", slo=slo)
        return ds_type
    if declared is None:
        raise doc.error("is missing: give the source type (Prometheus) or a metricSourceRef", f"{field}.type",
                        slo=slo)
    return text(declared, f"{field}.type", doc, slo)


def _query(value: object, field: str, doc: Doc, catalog: Catalog, slo: str) -> tuple[str, str]:
    """(PromQL, its field path) of one good/bad/total/raw metric (v1: metricSource.spec.query)."""
    if doc.version == V1ALPHA:
        block = mapping(value, field, V1ALPHA_QUERY_KEYS, doc, slo)
        source = text(block.get("source"), f"{field}.source", doc, slo)
        if source.lower() != PROMETHEUS:
            raise doc.error(f"source {source!r} is not supported: obsgen reads Prometheus queries",
                            f"{field}.source", slo=slo)
        kind = block.get("queryType", "promql")
        if kind != "promql":
            raise doc.error(f"{kind!r} is not supported: obsgen reads promql queries", f"{field}.queryType", slo=slo)
        return text(block.get("query"), f"{field}.query", doc, slo), f"{field}.query"
    metric = mapping(value, field, METRIC_KEYS, doc, slo)
    where = f"{field}.metricSource"
    source = mapping(metric.get("metricSource"), where, SOURCE_KEYS, doc, slo)
    kind = _source_type(source, where, doc, catalog, slo)
    if kind.lower() != PROMETHEUS:
        raise doc.error(f"source type {kind!r} is not supported: obsgen's rules run in Prometheus, so only "
                        "Prometheus sources can be compiled", f"{where}.type", slo=slo)
    spec = mapping(source.get("spec"), f"{where}.spec", PROMETHEUS_SPEC_KEYS, doc, slo)
    return text(spec.get("query"), f"{where}.spec.query", doc, slo), f"{where}.spec.query"


def _checked(sli: SLI, fields: dict[str, str], doc: Doc, slo: str) -> SLI:
    """Validate with the model's rules, naming the OpenSLO field rather than the model's."""
    try:
        sli.validate()
    except SpecError as exc:
        raise doc.error(exc.message, fields.get(exc.field or "", exc.field or "indicator"), slo=slo) from None
    return sli


def ratio(block: dict[str, Any], field: str, doc: Doc, catalog: Catalog, slo: str, *, counter_key: str) -> SLI:
    """good/bad/total (or raw + rawType) -> a RatioSLI (or RawRatioSLI)."""
    counter = flag(block.get(counter_key), f"{field}.{counter_key}", doc, slo)
    given = [k for k in ("good", "bad", "total", "raw") if block.get(k) is not None]
    if "raw" in given:
        if len(given) > 1:
            raise doc.error("raw cannot be combined with good, bad or total", f"{field}.raw", slo=slo)
        raw_type = block.get("rawType")
        if raw_type not in ("success", "failure"):
            raise doc.error("must be success or failure with raw", f"{field}.rawType", slo=slo)
        query, where = _query(block["raw"], f"{field}.raw", doc, catalog, slo)
        if not promql.has_window(query):
            raise doc.error("must carry a {{.window}} placeholder: a precomputed ratio has no obvious way to "
                            "be read over a window", where, slo=slo)
        errors = query.strip() if raw_type == "failure" else f"1 - ({query.strip()})"
        return _checked(RawRatioSLI(error_ratio_query=errors), {"sli.error_ratio_query": where}, doc, slo)
    if block.get("rawType") is not None:
        raise doc.error("goes with raw only", f"{field}.rawType", slo=slo)
    if ("good" in given) == ("bad" in given):
        raise doc.error("give exactly one of good and bad (with total)", field, slo=slo)
    if "total" not in given:
        raise doc.error("is missing: good and bad are divided by total", f"{field}.total", slo=slo)
    subset = "good" if "good" in given else "bad"
    queries: dict[str, str] = {}
    wheres: dict[str, str] = {}
    for key in (subset, "total"):
        query, wheres[key] = _query(block[key], f"{field}.{key}", doc, catalog, slo)
        queries[key] = window_template(query, counter, wheres[key], doc, slo)
    model_field = "sli.good_query" if subset == "good" else "sli.error_query"
    fields = {"sli.total_query": wheres["total"], model_field: wheres[subset]}
    if subset == "good":
        return _checked(RatioSLI(total_query=queries["total"], good_query=queries["good"]), fields, doc, slo)
    return _checked(RatioSLI(total_query=queries["total"], error_query=queries["bad"]), fields, doc, slo)


def from_spec(spec: object, field: str, doc: Doc, catalog: Catalog, slo: str) -> tuple[SLI, str]:
    """An SLI spec (inline or an SLI document's) -> (SLI, its description)."""
    block = mapping(spec, field, SLI_SPEC_KEYS, doc, slo)
    if block.get("thresholdMetric") is not None:
        raise doc.error("is not supported: obsgen alerts on error budgets, which need a ratio of events "
                        "(ratioMetric)", f"{field}.thresholdMetric", slo=slo)
    where = f"{field}.ratioMetric"
    metric = mapping(block.get("ratioMetric"), where, RATIO_KEYS, doc, slo)
    description = text(block.get("description"), f"{field}.description", doc, slo, required=False)
    return ratio(metric, where, doc, catalog, slo, counter_key="counter"), description


def read(spec: dict[str, Any], doc: Doc, catalog: Catalog, slo: str) -> tuple[SLI, str]:
    """The SLO's indicator: inline (`indicator: {metadata, spec}`) or an SLI document (`indicatorRef`)."""
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    if (inline is None) == (ref is None):
        raise doc.error("give exactly one of indicator and indicatorRef", "spec", slo=slo)
    if ref is not None:
        target = catalog.ref("SLI", ref, doc, "spec.indicatorRef", slo)
        return from_spec(target.spec, "spec", target, catalog, slo)
    block = mapping(inline, "spec.indicator", ("metadata", "spec"), doc, slo)
    return from_spec(block.get("spec"), "spec.indicator.spec", doc, catalog, slo)
