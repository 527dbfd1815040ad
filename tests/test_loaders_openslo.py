"""OpenSLO specs through generator.loaders.openslo (v1, and the v1alpha SLO Sloth reads).

The equivalence tests compare whole rendered rule groups: an OpenSLO spec that says what a
Sloth spec says (or spells out obsgen's default tiers as AlertPolicies) must compile to the
very same recording rules and alerts. Every refusal must be one SpecError line naming the
file, the SLO and the OpenSLO field the user wrote.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import SpecError
from generator.loaders import load_all
from generator.loaders.openslo import alerting
from generator.model import SLO, Alerting, Service
from generator.render import rules
from generator.sli import RatioSLI

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "openslo"


def load(*paths: Path, **kwargs: Any) -> list[Service]:
    return load_all(list(paths), ROOT, **kwargs)


# -- equivalence ------------------------------------------------------------------------------------
def test_openslo_v1_compiles_to_the_same_rules_as_the_equivalent_sloth_spec() -> None:
    [ours] = load(FIXTURES / "checkout.yaml")
    [sloth] = load(FIXTURES / "checkout-sloth.yaml", period="28d")
    assert [s.name for s in ours.slos] == ["orders", "payments"]
    assert ours.labels == sloth.labels == {"team": "payments"}
    assert {s.period for s in ours.slos} == {"28d"}  # 4w and 28d are one period
    assert rules.render(ours) == rules.render(sloth)


def test_alert_policies_spelling_out_the_default_tiers_compile_to_the_default_alerts() -> None:
    [svc] = load(FIXTURES / "split")
    [slo] = svc.slos
    assert svc.source == "tests/fixtures/openslo/split/policies.yaml, tests/fixtures/openslo/split/slos.yaml"
    assert [(t.severity, t.long, t.short, round(t.factor, 9)) for t in slo.tiers] == [
        ("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0), ("ticket", "1d", "2h", 3.0),
        ("ticket", "3d", "6h", 1.0)]
    assert slo.alerting.for_ is None
    assert slo.labels == {"tier": "gold,external"}
    defaults = Service(name=svc.name, slos=(SLO(name=slo.name, objective=slo.objective, sli=slo.sli, period="30d",
                                                labels=slo.labels, alerting=Alerting()),))
    assert rules.render(svc) == rules.render(defaults)


def test_v1alpha_objectives_are_named_as_sloth_names_them_and_get_default_tiers() -> None:
    [svc] = load(FIXTURES / "v1alpha.yaml")
    assert svc.name == "accounts"
    assert [(s.name, s.objective, s.period) for s in svc.slos] == [("login-0", 99.0, "7d"), ("login-1", 99.9, "7d")]
    first, second = svc.slos
    assert isinstance(first.sli, RatioSLI) and first.sli.good_query is not None
    # incremental: true makes a bare selector a counter, read as sum(rate(...))
    assert second.sli == RatioSLI(total_query='sum(rate(login_requests_total{job="accounts"}[{{.window}}]))',
                                  good_query='sum(rate(login_requests_total{job="accounts",code!~"5.."}'
                                             '[{{.window}}]))')
    assert [t.severity for t in first.tiers] == ["page", "page", "ticket", "ticket"]


def test_the_windows_file_gives_its_tiers_to_slos_without_policies(tmp_path: Path) -> None:
    spec = yaml.safe_load((FIXTURES / "v1alpha.yaml").read_text())
    windows = (ROOT / "tests" / "fixtures" / "sloth" / "windows-7d.yaml")
    path = write(tmp_path, [spec])
    from generator.loaders.sloth import load_windows

    [svc] = load(path, windows=load_windows(windows, "windows-7d.yaml"))
    assert [round(t.factor, 2) for t in svc.slos[0].tiers] == [13.44, 3.5, 1.4, 0.98]
    spec["spec"]["timeWindows"][0]["count"] = 30
    with pytest.raises(SpecError, match="windows file is for a different period"):
        load(write(tmp_path, [spec]), windows=load_windows(windows, "windows-7d.yaml"))


@pytest.mark.parametrize(("long", "short"), [("1h", "5m"), ("6h", "30m"), ("1d", "2h"), ("3d", "6h"), ("4h", "20m"),
                                             ("1h30m", "7m"), ("30m", None), ("59m", None)])
def test_the_short_window_is_a_twelfth_of_the_long_one_in_whole_minutes_at_least_5m(long: str,
                                                                                      short: str | None) -> None:
    from generator import durations

    assert alerting.short_window(durations.parse(long)) == short


# -- refusals ---------------------------------------------------------------------------------------
def base() -> list[dict[str, Any]]:
    return [dict(d) for d in yaml.safe_load_all((FIXTURES / "checkout.yaml").read_text())]


def write(tmp_path: Path, docs: list[dict[str, Any]], name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    return path


def orders(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "SLO" and d["metadata"]["name"] == "orders")


def payments(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "SLO" and d["metadata"]["name"] == "payments")


def sli_doc(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == "SLI")


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for key in keys[:-1]:
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    if value is _DELETE:
        del doc[keys[-1]]
    elif isinstance(doc, list):
        doc[int(keys[-1])] = value
    else:
        doc[keys[-1]] = value


_DELETE = object()
POLICY = {"kind": "AlertPolicy", "metadata": {"name": "p"},
          "spec": {"conditions": [{"kind": "AlertCondition", "metadata": {"name": "c"},
                                   "spec": {"severity": "page", "condition": {
                                       "kind": "burnrate", "op": "gt", "threshold": 14.4, "lookbackWindow": "1h"}}}]}}
COND = "spec.alertPolicies.0.spec.conditions.0.spec"

# (which document, path, value, slo in the error, field in the error, words of the message)
REFUSALS = [
    (payments, "spec.budgetingMethod", "Timeslices", "payments", "spec.budgetingMethod", "Timeslices is not supported"),
    (payments, "spec.budgetingMethod", _DELETE, "payments", "spec.budgetingMethod", "is missing"),
    (payments, "spec.timeWindow", [{"duration": "1M", "isRolling": True}], "payments", "spec.timeWindow[0].duration",
     "calendar unit"),
    (payments, "spec.timeWindow", [{"duration": "1w", "calendar": {"startTime": "2024-01-01 00:00:00",
                                                                    "timeZone": "UTC"}}],
     "payments", "spec.timeWindow[0]", "calendar-aligned"),
    (payments, "spec.objectives", [{"target": 0.99, "targetPercent": 99}], "payments", "spec.objectives[0]",
     "exactly one of target and targetPercent"),
    (payments, "spec.objectives", [{"target": 99.5}], "payments", "spec.objectives[0].target", "between 0 and 1"),
    (payments, "spec.objectives", [{"target": 0.99, "timeSliceTarget": 0.9}], "payments",
     "spec.objectives[0].timeSliceTarget", "Timeslices"),
    (payments, "spec.indicator.spec", {"thresholdMetric": {"metricSource": {"type": "Prometheus"}}}, "payments",
     "spec.indicator.spec.thresholdMetric", "not supported"),
    (payments, "spec.indicator.spec.ratioMetric.bad.metricSource.type", "Datadog", "payments",
     "spec.indicator.spec.ratioMetric.bad.metricSource.type", "'Datadog' is not supported"),
    (payments, "spec.indicator.spec.ratioMetric.total.metricSource.spec.query", "sum(payments_total)", "payments",
     "spec.indicator.spec.ratioMetric.total.metricSource.spec.query", "is neither"),
    (payments, "spec.indicator.spec.ratioMetric.total.metricSource.spec.query", "sum(rate(x[{{.window}}]", "payments",
     "spec.indicator.spec.ratioMetric.total", "not valid PromQL"),
    (payments, "spec.indicator.spec.ratioMetric.good", {"metricSource": {"type": "Prometheus",
                                                                         "spec": {"query": "x"}}},
     "payments", "spec.indicator.spec.ratioMetric", "exactly one of good and bad"),
    (payments, "spec.indicator.spec.ratioMetric.total.metricSource.spec.querry", "x", "payments",
     "spec.indicator.spec.ratioMetric.total.metricSource.spec.querry", "unknown key"),
    (payments, "spec.indicatorRef", "orders-errors", "payments", "spec", "exactly one of indicator and indicatorRef"),
    (orders, "spec.indicatorRef", "nope", "orders", "spec.indicatorRef", "no SLI named 'nope'"),
    (orders, "spec.service", "shop", "orders", "spec.service", "names no Service document"),
    (sli_doc, "spec.ratioMetric.counter", False, "orders", "SLI orders-errors: spec.ratioMetric.bad",
     "only with counter: true"),
    (sli_doc, "spec.ratioMetric.bad.metricSource.metricSourceRef", "thanos", "orders",
     "SLI orders-errors: spec.ratioMetric.bad.metricSource.metricSourceRef", "no DataSource named 'thanos'"),
    (payments, "spec.alertPolicies", [POLICY, POLICY], "payments", "spec.alertPolicies[1]",
     "one tier per severity and window"),
]


def _policy_case(path: str, value: Any, field: str, words: str) -> tuple:
    return (payments, "spec.alertPolicies", [_with(copy.deepcopy(POLICY), path, value)], "payments",
            f"spec.alertPolicies[0].spec.{field}", words)


def _with(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    _set(doc, path, value)
    return doc


POLICY_REFUSALS = [
    _policy_case("spec.conditions.0.spec.severity", "sev1", "conditions[0].spec.severity", "page and ticket"),
    _policy_case("spec.conditions.0.spec.condition.op", "lte", "conditions[0].spec.condition.op", "use gt or gte"),
    _policy_case("spec.conditions.0.spec.condition.kind", "errorbudget", "conditions[0].spec.condition.kind",
                 "not supported"),
    _policy_case("spec.conditions.0.spec.condition.threshold", -1, "conditions[0].spec.condition.threshold",
                 "positive"),
    _policy_case("spec.conditions.0.spec.condition.lookbackWindow", "1Q",
                 "conditions[0].spec.condition.lookbackWindow", "calendar unit"),
    _policy_case("spec.conditions", [], "conditions", "holds 0 conditions"),
    _policy_case("spec.alertWhenBreaching", False, "alertWhenBreaching", "never alerts"),
]


@pytest.mark.parametrize(("which", "path", "value", "slo", "field", "words"),
                         REFUSALS + POLICY_REFUSALS)
def test_refusals_name_file_slo_and_openslo_field(tmp_path: Path, which: Any, path: str, value: Any, slo: str,
                                                   field: str, words: str | None) -> None:
    docs = base()
    _set(which(docs), path, value if value is _DELETE else copy.deepcopy(value))
    with pytest.raises(SpecError) as caught:
        load(write(tmp_path, docs))
    exc = caught.value
    assert (exc.file, exc.slo) == ("spec.yaml", slo), str(exc)
    assert exc.field is not None and exc.field.startswith(field), str(exc)
    if words is not None:
        assert words in exc.message, str(exc)
    assert "\n" not in str(exc)


def test_policies_with_different_alert_after_are_refused(tmp_path: Path) -> None:
    slow = _with(copy.deepcopy(POLICY), "spec.conditions.0.spec.condition.alertAfter", "5m")
    six_hours = _with(copy.deepcopy(POLICY), "spec.conditions.0.spec.condition.lookbackWindow", "6h")
    docs = base()
    payments(docs)["spec"]["alertPolicies"] = [six_hours, slow]
    with pytest.raises(SpecError, match="different alertAfter"):
        load(write(tmp_path, docs))
    payments(docs)["spec"]["alertPolicies"] = [slow]
    [svc] = load(write(tmp_path, docs))
    pay = next(s for s in svc.slos if s.name == "payments")
    assert pay.alerting.for_ == "5m" and [(t.long, t.short) for t in pay.tiers] == [("1h", "5m")]


def test_a_second_object_of_one_kind_and_name_is_refused_across_files(tmp_path: Path) -> None:
    docs = base()
    first = write(tmp_path, docs, "a.yaml")
    second = write(tmp_path, [sli_doc(docs)], "b.yaml")
    with pytest.raises(SpecError, match=r"SLI 'orders-errors' is also declared in a\.yaml"):
        load(first, second)


@pytest.mark.parametrize(("doc", "field", "words"), [
    ({"apiVersion": "openslo/v2alpha", "kind": "SLO", "metadata": {"name": "x"}, "spec": {}},
     "document 2.apiVersion", "'openslo/v2alpha' is not supported"),
    ({"apiVersion": "openslo/v1", "kind": "Dashboard", "metadata": {"name": "x"}, "spec": {}}, "document 2.kind",
     "not an OpenSLO kind"),
    ({"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"displayName": "x"}, "spec": {}},
     "document 2.metadata.name", "is missing"),
    ({"version": "prometheus/v1", "service": "x", "slos": []}, "document 2.version", "in a file of its own"),
])
def test_malformed_objects_are_refused_by_position(tmp_path: Path, doc: dict[str, Any], field: str,
                                                    words: str) -> None:
    with pytest.raises(SpecError) as caught:
        load(write(tmp_path, [base()[0], doc]))
    assert caught.value.field == field and words in caught.value.message, str(caught.value)


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    docs = base()
    payments(docs)["spec"]["budgetingMethod"] = "RatioTimeslices"
    path = write(tmp_path, docs)
    proc = subprocess.run([sys.executable, "-m", "generator", "build", str(path), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "obsgen: spec.yaml: slo payments: spec.budgetingMethod: RatioTimeslices is not supported: obsgen counts good "
        "and bad events (Occurrences); time-slice budgets need per-slice thresholds it does not compile"]
    assert not (tmp_path / "out").exists()
