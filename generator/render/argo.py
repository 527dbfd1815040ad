"""out/argo/<service>-analysis.yml: an Argo Rollouts AnalysisTemplate from the service's SLOs.

The runbook's chaos drill expects "Argo analysis catches it and halts promotion". Each SLO whose
events carry the pod that served them gets a metric that fails the canary when the canary's own
burn rate, over the short window of the SLO's fastest page tier, exceeds that tier's factor: the
canary alone would page. Queries are the SLI's own (sli.error_expr / total_expr) with the
pod-template hash matcher added to every selector through the parsed query, never retyped, so
the analysis measures exactly what the SLO measures. Probe SLIs are left out: a blackbox probe
cannot tell which pod answered.

A latency SLO also gets two canary-versus-stable checks, because a regression that stays under
the SLO's threshold still burns budget once promoted: the p{objective} latency (what the SLO
speaks of) and the mean (`_sum / _count`). The mean is exact whatever the buckets: +200 ms on
every request moves it by 200 ms at any baseline. The interpolated quantile is not: between
buckets 0.5 and 1 s a +200 ms shift can move the p95 estimate by 50 ms only. Failing on either
catches both a slow tail and a uniform slowdown.

Timing (say it with the numbers, README "Argo Rollouts analysis"): measurements every INTERVAL,
the metric fails at its FAILURE_LIMIT + 1-th failed measurement; with a 5m rate window, a burst
at error ratio e crosses f x B after 5m x f x B / e (43 s for Maestro's 99.9% requests SLO at
e = 10%), plus one scrape for rate() to see it, so the analysis fails within about
0.7 + 0.5 + 2 x 1 = 3.2 minutes.
"""

from __future__ import annotations

import re

from generator import durations, promql, yamlio
from generator.model import SLO, Service
from generator.sli import LatencySLI
from generator.tiers import ResolvedTier

FILE = "argo/{service}-analysis.yml"
HASH_LABEL = "rollouts_pod_template_hash"  # the pod label Argo Rollouts sets, kept on series by relabelling
CANARY_ARG, STABLE_ARG, ADDRESS_ARG = "canary-hash", "stable-hash", "prometheus-address"
INTERVAL = "1m"
COUNT = 10           # as an analysis step: ten measurements, ten minutes of canary traffic judged
FAILURE_LIMIT = 1    # one bad minute is tolerated (a scrape blip); the second fails the analysis
LATENCY_MARGIN = 0.1  # seconds the canary may exceed stable by: half the runbook drill's +200 ms injection


def num(x: float) -> str:
    """A threshold as the rule files print it (12 significant digits, no float noise): 14.4, 0.001."""
    x = float(f"{float(x):.12g}")
    return repr(x).removesuffix(".0") if x.is_integer() else repr(x)


def arg(name: str) -> str:
    return "{{args." + name + "}}"


def page_tier(slo: SLO) -> ResolvedTier | None:
    """The tier that pages soonest: shortest short window, then the highest factor."""
    pages = [t for t in slo.tiers if t.severity == "page"]
    if not pages:
        return None
    return min(pages, key=lambda t: (t.short_s or t.long_s, -t.factor))


def _scoped(expr: str, hash_arg: str) -> str:
    """The SLI's expression on one revision's pods. Argo expands every {{...}} in a query and knows only
    its args, so braces in the SLI's own strings (a label value) are written as escapes first."""
    return promql.with_matcher(promql.without_template_braces(expr), HASH_LABEL, arg(hash_arg))


def _checked(query: str) -> str:
    promql.parse(query)  # a broken query must fail the build, not the rollout
    return query


def burn_query(slo: SLO, window: str) -> str:
    """The canary's burn rate over `window`: the SLI's error ratio on canary pods / the budget."""
    sli = slo.sli
    total = sli.total_expr(window)
    errors = sli.error_expr(window, total)
    if sli.total_first:
        ratio = f"(\n  ({_scoped(errors, CANARY_ARG)})\n/\n  ({_scoped(total, CANARY_ARG)})\n)"
    else:
        ratio = f"({_scoped(errors, CANARY_ARG)})"
    # no canary traffic yet: nothing to judge, which must not count as a failure or an error
    return _checked(f"{ratio} / {num(slo.budget)}\nor\nvector(0)\n")


def _versus_stable(expr: str) -> str:
    """canary - stable of a per-revision expression; 0 while either revision has no traffic."""
    return _checked(f"(\n  ({_scoped(expr, CANARY_ARG)})\n-\n  ({_scoped(expr, STABLE_ARG)})\n)\nor\nvector(0)\n")


def quantile_query(sli: LatencySLI, quantile: float, window: str) -> str:
    return _versus_stable(sli.quantile(num(quantile), window))


def mean_query(sli: LatencySLI, window: str) -> str:
    return _versus_stable(sli.mean(window))


def _metric(name: str, query: str, threshold: float) -> dict:
    return {
        "name": name,
        "interval": INTERVAL,
        "count": COUNT,
        "failureLimit": FAILURE_LIMIT,
        "failureCondition": f"result[0] > {num(threshold)}",
        "provider": {"prometheus": {"address": arg(ADDRESS_ARG), "query": query}},
    }


def metrics(slo: SLO) -> list[dict]:
    tier = page_tier(slo)
    if tier is None or not slo.sli.per_pod:
        return []
    window = durations.fmt(tier.short_s or tier.long_s)
    out = [_metric(f"{slo.name}-burn-rate", burn_query(slo, window), tier.factor)]
    if isinstance(slo.sli, LatencySLI):
        out.append(_metric(f"{slo.name}-quantile-vs-stable",
                           quantile_query(slo.sli, slo.objective / 100, window), LATENCY_MARGIN))
        out.append(_metric(f"{slo.name}-mean-vs-stable", mean_query(slo.sli, window), LATENCY_MARGIN))
    return out


def k8s_name(text: str) -> str:
    """A Kubernetes object name (RFC 1123 subdomain) from a service name."""
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")[:253]


def template(service: Service) -> dict | None:
    """The AnalysisTemplate, or None when no SLO of the service can be judged per pod."""
    found = [m for slo in service.slos for m in metrics(slo)]
    if not found:
        return None
    args = [{"name": CANARY_ARG}]
    if any(arg(STABLE_ARG) in m["provider"]["prometheus"]["query"] for m in found):
        args.append({"name": STABLE_ARG})
    args.append({"name": ADDRESS_ARG})
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": f"{k8s_name(service.name)}-slo", "labels": {"app.kubernetes.io/managed-by": "obsgen"}},
        "spec": {"args": args, "metrics": found},
    }


def _comment(service: Service, doc: dict) -> str:
    lines = [f"AnalysisTemplate for {service.name}'s canaries (README: \"Argo Rollouts analysis\").",
             f"Args: {CANARY_ARG} (podTemplateHashValue: Latest), "
             + (f"{STABLE_ARG} (podTemplateHashValue: Stable), " if len(doc["spec"]["args"]) == 3 else "")
             + f"{ADDRESS_ARG} (the Prometheus that scrapes the pods).",
             f"Each metric measures every {INTERVAL} ({COUNT} times); more than {FAILURE_LIMIT} failed "
             "measurement fails the analysis."]
    for slo in service.slos:
        tier = page_tier(slo)
        if tier is None:
            continue
        if not slo.sli.per_pod:
            lines.append(f"{slo.name}: not judged here: a {slo.sli.kind} SLI cannot tell canary from stable pods.")
            continue
        window_s = tier.short_s or tier.long_s
        threshold = tier.factor * slo.budget
        e = 0.1 if threshold < 0.1 else 1.0
        lines.append(f"{slo.name}: fails when the canary's burn rate over {durations.fmt(window_s)} exceeds "
                     f"{num(tier.factor)} (the {tier.long} page tier's factor): an error ratio above "
                     f"{num(threshold * 100)}%, which a burst at {num(e * 100)}% errors crosses after "
                     f"{durations.fmt(max(1, round(window_s * threshold / e)))}.")
        if isinstance(slo.sli, LatencySLI):
            lines.append(f"{slo.name}: also fails when the canary's p{num(slo.objective)} or mean latency exceeds "
                         f"the stable pods' by more than {num(LATENCY_MARGIN * 1000)} ms.")
    return "".join(f"# {line}\n" for line in lines)


def render(service: Service) -> dict[str, str]:
    doc = template(service)
    if doc is None:
        return {}
    text = yamlio.dump(doc, yamlio.mark(service.source))
    first, rest = text.split("\n", 1)
    return {FILE.format(service=service.name): f"{first}\n{_comment(service, doc)}{rest}"}
