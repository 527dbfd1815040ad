"""generator.render.mixin_rules: which selector an SLI exposes, and templates that reproduce rules.groups_for.

A template must give, for any objective and selector, what rules.groups_for gives for the SLO declared
with them; these tests fill templates in Python (tests/test_mixin.py does it in Jsonnet) for every SLI
kind, and show that a rule depending on the objective in a way no hole can say stops the build.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from generator.errors import SpecError
from generator.model import SLO, Service
from generator.render import mixin_rules, rules
from generator.sli import SLI, LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI

W = "{{.window}}"
SLIS: dict[str, tuple[SLI, str | None]] = {
    "ratio": (RatioSLI(error_query=f'sum(rate(req_total{{job="api",code=~"5.."}}[{W}]))',
                       total_query=f'sum(rate(req_total{{job="api"}}[{W}]))'), 'job="api"'),
    "good": (RatioSLI(good_query=f'sum(rate(req_total{{env="prod",job="api",code!~"5.."}}[{W}]))',
                      total_query=f'sum(rate(req_total{{env="prod",job="api"}}[{W}]))'), 'env="prod",job="api"'),
    "raw": (RawRatioSLI(error_ratio_query=f'sum(rate(e_total{{job="api"}}[{W}]))'
                                          f' / sum(rate(r_total{{job="api"}}[{W}]))'), 'job="api"'),
    "probe": (ProbeSLI('probe_success{job="bb",instance="https://a.example.com"}'),
              'job="bb",instance="https://a.example.com"'),
    "latency": (LatencySLI(metric="http_seconds", matchers='job="api"', threshold=0.5, buckets=(0.25, 0.5, 1.0)),
                'job="api"'),
    "nothing shared": (RatioSLI(error_query=f"sum(rate(errors_total[{W}]))",
                                total_query=f'sum(rate(requests_total{{job="api"}}[{W}]))'), None),
    "spaced matcher": (RatioSLI(error_query=f'sum(rate(req_total{{job = "api",code="500"}}[{W}]))',
                                total_query=f'sum(rate(req_total{{job = "api"}}[{W}]))'), None),
    "bare probe": (ProbeSLI("probe_success"), None),
}


def service(sli: SLI, objective: float = 99.5) -> Service:
    return Service(name="api", slos=[SLO(name="slo", objective=objective, sli=sli)], source="slo/api.py")


@pytest.mark.parametrize("kind", SLIS)
def test_selector_of_each_sli_kind(kind: str) -> None:
    sli, expected = SLIS[kind]
    assert mixin_rules.selector_of(sli) == expected


@pytest.mark.parametrize("kind", SLIS)
@pytest.mark.parametrize("objective", [99.5, 95, 97.3])
def test_the_template_renders_what_the_redeclared_slo_renders(kind: str, objective: float) -> None:
    sli, selector = SLIS[kind]
    svc = service(sli, objective)
    t = mixin_rules.template(svc, svc.slos[0])
    assert t.selector == selector
    for new_objective, new_selector in ((99.9, 'job="other"'), (objective, selector), (90.0, 'a="b",c=~"d.*"')):
        redeclared = replace(svc.slos[0], objective=new_objective)
        if selector is not None:
            redeclared = replace(redeclared, sli=mixin_rules.with_selector(sli, selector, new_selector))
        filled = mixin_rules.fill(t.groups, mixin_rules.values(new_objective, new_selector if selector else None))
        assert filled == rules.groups_for(svc, redeclared)


def test_with_selector_rewrites_only_the_declared_matcher_text() -> None:
    sli, selector = SLIS["ratio"]
    assert isinstance(sli, RatioSLI) and selector is not None
    moved = mixin_rules.with_selector(sli, selector, 'job="web"')
    assert isinstance(moved, RatioSLI)
    assert moved.error_query == f'sum(rate(req_total{{job="web",code=~"5.."}}[{W}]))'
    assert moved.total_query == f'sum(rate(req_total{{job="web"}}[{W}]))'


def test_a_rule_that_depends_on_the_objective_unexpressibly_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rules.groups_for

    def doubled(svc: Service, slo: SLO) -> list[dict]:
        groups = real(svc, slo)
        groups[0]["rules"][0]["expr"] += f" > {rules._num(2 * slo.budget)}"  # twice the budget: no hole says that
        return groups

    monkeypatch.setattr(rules, "groups_for", doubled)
    svc = service(SLIS["ratio"][0])
    with pytest.raises(SpecError, match="cannot be written as a jsonnet mixin") as exc:
        mixin_rules.template(svc, svc.slos[0])
    assert (exc.value.file, exc.value.slo) == ("slo/api.py", "slo")


def test_a_rule_that_reads_the_selector_other_than_verbatim_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the rules to derive something from the selector (here its length), no hole could follow an override."""
    real = rules.groups_for

    def leaky(svc: Service, slo: SLO) -> list[dict]:
        groups = real(svc, slo)
        assert isinstance(slo.sli, RatioSLI)
        groups[0]["rules"][0]["labels"]["query_length"] = str(len(slo.sli.total_query))
        return groups

    monkeypatch.setattr(rules, "groups_for", leaky)
    svc = service(SLIS["ratio"][0])
    with pytest.raises(SpecError, match="does not reproduce the rules"):
        mixin_rules.template(svc, svc.slos[0])
