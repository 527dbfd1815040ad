"""Rollout Control's canary-vs-stable row: the 5xx ratio and the latency quantile of two SLOs' SLIs.

The panels read the very series the SLOs read (no second definition of "error" or "slow"),
regrouped by the pod-template hash label Argo Rollouts puts on canary and stable pods. A
counter-ratio SLI can only be regrouped when each of its queries is `sum(rate(SELECTOR[w]))`;
anything else is refused with the declaration named, not drawn wrong.
"""

from __future__ import annotations

import promql_parser

from generator import promql
from generator.errors import SpecError
from generator.grafana import ksm, sdk
from generator.grafana.rows import num, sel
from generator.grafana.rows.rollout import ROLLOUT
from generator.model import SLO
from generator.sli import LatencySLI, RatioSLI


def _selector(query: str, what: str) -> str:
    """SELECTOR of `sum(rate(SELECTOR[{{.window}}]))`, rendered back as PromQL text."""
    node = promql.parse(promql.with_window(query, "5m"))
    shaped = (isinstance(node, promql_parser.AggregateExpr) and str(node.op).strip() == "sum"
              and node.modifier is None and isinstance(node.expr, promql_parser.Call)
              and node.expr.func.name == "rate" and isinstance(node.expr.args[0], promql_parser.MatrixSelector))
    if not shaped:
        raise SpecError(f"the SLI's {what} must be sum(rate(SELECTOR[{{{{.window}}}}])) to be split by "
                        f"pod-template hash; it is {query!r}")
    found = promql.selectors(promql.with_window(query, "5m"))[0]
    inner = ",".join(f"{m.name}{m.op}{promql.quote(m.value)}" for m in found.matchers)
    return promql.without_grafana_variables(f"{found.metric}{{{inner}}}")


def _by_hash(selector: str, hash_label: str) -> str:
    return f"sum by ({hash_label}) (rate({selector}[{sdk.RATE_INTERVAL}]))"


def errors_panel(slo: SLO, hash_label: str) -> sdk.Cell:
    sli = slo.sli
    if not isinstance(sli, RatioSLI):
        raise SpecError(f"SLO {slo.name!r} has a {sli.kind} SLI; name a counter-ratio (RatioSLI) SLO")
    total = _by_hash(_selector(sli.total_query, "total_query"), hash_label)
    if sli.error_query is not None:
        expr = f"{_by_hash(_selector(sli.error_query, 'error_query'), hash_label)}\n/\n{total}"
    else:
        expr = f"1 - {_by_hash(_selector(sli.good_query or '', 'good_query'), hash_label)}\n/\n{total}"
    return sdk.timeseries(
        f"Error ratio ({slo.name}): canary vs stable",
        f"Bad events / all events per pod-template hash ({hash_label}), from SLO {slo.name}'s own queries. "
        f"The dashed line is the error budget ({num(slo.budget * 100)}%): above it that revision alone would "
        "burn the budget faster than it refills.", sdk.PERCENT_UNIT,
        [sdk.query(expr, f"{{{{{hash_label}}}}}")], lines=[sdk.Step(sdk.RED, slo.budget)], min_value=0)


def latency_panel(slo: SLO, hash_label: str) -> sdk.Cell:
    sli = slo.sli
    if not isinstance(sli, LatencySLI):
        raise SpecError(f"SLO {slo.name!r} has a {sli.kind} SLI; name a latency (LatencySLI) SLO")
    quantile = slo.objective / 100
    series = promql.without_grafana_variables(sel(sli.quantile_metric, sli.matchers))
    expr = sli.quantile(num(quantile), sdk.RATE_INTERVAL, by=hash_label, series=series)
    return sdk.timeseries(
        f"p{num(slo.objective)} latency ({slo.name}): canary vs stable",
        f"The {num(slo.objective)}th percentile of {sli.metric} per pod-template hash ({hash_label}), from SLO "
        f"{slo.name}'s histogram. The dashed line is its threshold ({num(sli.threshold)} s): above it the "
        "revision misses the SLO.", sdk.SECONDS, [sdk.query(expr, f"{{{{{hash_label}}}}}")],
        lines=[sdk.Step(sdk.RED, sli.threshold)], min_value=0)


def hashes(hash_label: str) -> sdk.Cell:
    return sdk.table(
        "Which hash is which", f"The stable and canary pod-template hashes ({ksm.POD_HASH_INFO}, from the "
        "Rollout's .status.stableRS and .status.currentPodHash): read the legends above with it.", sdk.NONE,
        [sdk.query(f"max by (role, {hash_label}) ({sel(ksm.POD_HASH_INFO, ROLLOUT)})", "{{role}}")],
        width=24, height=5)
