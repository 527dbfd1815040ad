"""Sloth prometheus/v1 specs through generator.loaders.sloth.

The factors and windows asserted here are Sloth's own (30d: 14.4/6/3/1, 28d: 13.44/5.6/2.8/0.933,
the 7d AlertWindows: 13.44/3.5/1.4/0.98): an imported Sloth spec must alert exactly when Sloth would.
Every bad input must end as one SpecError line naming the file, SLO and field, never a traceback.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import SpecError
from generator.loaders import sloth
from generator.model import SLO, Service
from generator.sli import RatioSLI, RawRatioSLI
from generator.tiers import Tier

FIXTURES = Path(__file__).parent / "fixtures" / "sloth"
BAD = "slo/bad.yaml"  # the display name: errors must name it, not the temporary path

WINDOWS_30D = [(3600, 300), (21600, 1800), (86400, 7200), (259200, 21600)]
ERROR_Q = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'
TOTAL_Q = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'


def factors(slo: SLO) -> list[float]:
    return [t.factor for t in slo.tiers]


def minimal_slo(**changes: Any) -> dict[str, Any]:
    slo: dict[str, Any] = {
        "name": "requests",
        "objective": 99.9,
        "sli": {"events": {"error_query": ERROR_Q, "total_query": TOTAL_Q}},
    }
    slo.update(changes)
    return slo


def minimal_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"version": "prometheus/v1", "service": "api", "slos": [minimal_slo()]}
    spec.update(changes)
    return spec


def write(tmp_path: Path, content: str | bytes | dict[str, Any], name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = yaml.safe_dump(content, sort_keys=False)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def load_error(path: Path, **kwargs: Any) -> str:
    with pytest.raises(SpecError) as info:
        sloth.load(path, BAD, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    assert info.value.file == BAD
    return text


# -- good specs --------------------------------------------------------------------------------------
def test_base_spec_events_slo(capsys: pytest.CaptureFixture[str]) -> None:
    [svc] = sloth.load(FIXTURES / "base.yaml", "slo/base.yaml")
    assert isinstance(svc, Service)
    assert svc.name == "checkout"
    assert svc.source == "slo/base.yaml"
    assert dict(svc.labels) == {"team": "payments", "cost_center": "cc-42"}
    assert [s.name for s in svc.slos] == ["orders", "payments-raw"]

    orders = svc.slos[0]
    assert orders.objective == 99.9
    assert orders.budget == pytest.approx(0.001)
    assert orders.period == "30d"
    assert orders.description == "Orders accepted without a server error."
    assert dict(orders.labels) == {"journey": "purchase"}
    assert orders.sli == RatioSLI(
        error_query='sum(rate(orders_total{job="checkout",code=~"5.."}[{{.window}}]))',
        total_query='sum(rate(orders_total{job="checkout"}[{{.window}}]))')
    assert orders.sli.kind == "ratio"

    alerting = orders.alerting
    assert alerting.name == "CheckoutOrdersBurn"
    assert orders.alert_name == "CheckoutOrdersBurn"
    assert dict(alerting.labels) == {"category": "availability"}
    assert dict(alerting.annotations) == {"summary": "Checkout is burning its orders error budget"}
    assert dict(alerting.page_labels) == {"route": "pager"}
    assert dict(alerting.page_annotations) == {"runbook": "https://runbooks.example.com/checkout/orders"}
    assert dict(alerting.ticket_labels) == {"route": "tracker"}
    assert dict(alerting.ticket_annotations) == {}
    assert alerting.page and alerting.ticket
    assert alerting.tiers is None  # Sloth's defaults

    assert [t.severity for t in orders.tiers] == ["page", "page", "ticket", "ticket"]
    assert factors(orders) == pytest.approx([14.4, 6, 3, 1])
    assert [(t.long_s, t.short_s) for t in orders.tiers] == WINDOWS_30D
    assert [t.budget_percent for t in orders.tiers] == pytest.approx([2, 5, 10, 10])
    assert capsys.readouterr().err == ""


def test_base_spec_raw_slo_with_alerts_disabled() -> None:
    raw = sloth.load(FIXTURES / "base.yaml", "slo/base.yaml")[0].slos[1]
    assert raw.objective == 95
    assert raw.budget == pytest.approx(0.05)
    assert isinstance(raw.sli, RawRatioSLI)
    assert raw.sli.kind == "raw"
    assert raw.sli.error_ratio_query.splitlines() == [
        'sum(rate(payment_attempts_total{job="checkout",outcome="failed"}[{{.window}}]))',
        "/",
        'sum(rate(payment_attempts_total{job="checkout"}[{{.window}}]))',
    ]
    assert dict(raw.labels) == {"journey": "payment"}
    assert raw.alerting.page is False
    assert raw.alerting.ticket is False
    assert raw.tiers == ()
    # alerts off, but every tier's window is still recorded (as Sloth does; dashboards read them)
    assert raw.windows == (300, 1800, 3600, 7200, 21600, 86400, 259200, 30 * 86400)


def test_period_28d_scales_factors_like_sloth() -> None:
    [svc] = sloth.load(FIXTURES / "base.yaml", "slo/base.yaml", period="28d")
    orders = svc.slos[0]
    assert orders.period == "28d"
    assert factors(orders) == pytest.approx([13.44, 5.6, 2.8, 0.9333333])
    assert [(t.long_s, t.short_s) for t in orders.tiers] == WINDOWS_30D
    assert svc.slos[1].period == "28d"


def test_load_windows_7d() -> None:
    period, tiers = sloth.load_windows(FIXTURES / "windows-7d.yaml", "windows/7d.yaml")
    assert period == "7d"
    assert [(t.severity, t.long_window, t.short_window) for t in tiers] == [
        ("page", "1h", "5m"), ("page", "6h", "30m"), ("ticket", "24h", "2h"), ("ticket", "72h", "6h")]
    assert [t.budget_percent for t in tiers] == pytest.approx([8, 12.5, 20, 42])
    assert all(isinstance(t, Tier) and t.factor is None for t in tiers)


def test_windows_7d_set_period_and_tiers() -> None:
    windows = sloth.load_windows(FIXTURES / "windows-7d.yaml", "windows/7d.yaml")
    [svc] = sloth.load(FIXTURES / "base.yaml", "slo/base.yaml", windows=windows)
    orders = svc.slos[0]
    assert orders.period == "7d"
    assert orders.alerting.tiers == windows[1]
    assert factors(orders) == pytest.approx([13.44, 3.5, 1.4, 0.98])
    assert [(t.long_s, t.short_s) for t in orders.tiers] == WINDOWS_30D
    assert orders.windows == (300, 1800, 3600, 7200, 21600, 86400, 259200, 604800)
    # the same period spelled out is fine
    [again] = sloth.load(FIXTURES / "base.yaml", "slo/base.yaml", period="7d", windows=windows)
    assert factors(again.slos[0]) == pytest.approx([13.44, 3.5, 1.4, 0.98])


def test_windows_for_another_period_is_refused() -> None:
    windows = sloth.load_windows(FIXTURES / "windows-7d.yaml", "windows/7d.yaml")
    with pytest.raises(SpecError) as info:
        sloth.load(FIXTURES / "base.yaml", "slo/base.yaml", period="30d", windows=windows)
    assert str(info.value).startswith("slo/base.yaml: period: the windows file is for a different period")


def test_getting_started_drops_severity_with_one_warning_each(capsys: pytest.CaptureFixture[str]) -> None:
    [svc] = sloth.load(FIXTURES / "getting-started.yaml", "slo/storefront.yaml")
    assert svc.name == "storefront"
    assert dict(svc.labels) == {"owner": "web-team", "repo": "example/storefront", "tier": "1"}
    slo = svc.slos[0]
    assert slo.objective == 99.5
    assert slo.alerting.name == "StorefrontHighErrorRate"
    assert dict(slo.alerting.labels) == {"category": "availability"}
    assert dict(slo.alerting.annotations) == {"summary": "High error rate on storefront responses"}
    assert dict(slo.alerting.page_labels) == {"routing_key": "web-team"}
    assert dict(slo.alerting.ticket_labels) == {"slack_channel": "#alerts-web"}
    assert factors(slo) == pytest.approx([14.4, 6, 3, 1])
    err = capsys.readouterr().err
    assert err.splitlines() == [
        ("slo/storefront.yaml: slo requests-availability: alerting.page_alert.labels.severity='pageteam' "
         "ignored: obsgen sets severity=page itself"),
        ("slo/storefront.yaml: slo requests-availability: alerting.ticket_alert.labels.severity='slack' "
         "ignored: obsgen sets severity=ticket itself"),
    ]


def test_other_reserved_labels_are_dropped_everywhere(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    spec = minimal_spec(labels={"component": "kubernetes", "team": "core"},
                        slos=[minimal_slo(labels={"slo": "other", "journey": "login"},
                                          alerting={"labels": {"severity": "critical", "window": "x"}})])
    [svc] = sloth.load(write(tmp_path, spec), BAD)
    assert dict(svc.labels) == {"team": "core"}
    assert dict(svc.slos[0].labels) == {"journey": "login"}
    assert dict(svc.slos[0].alerting.labels) == {}
    assert capsys.readouterr().err.splitlines() == [
        f"{BAD}: labels.component='kubernetes' ignored: obsgen sets component itself (label contract)",
        f"{BAD}: slo requests: labels.slo='other' ignored: obsgen sets slo=requests itself",
        (f"{BAD}: slo requests: alerting.labels.severity='critical' ignored: "
         "obsgen sets severity=page or severity=ticket itself"),
        (f"{BAD}: slo requests: alerting.labels.window='x' ignored: "
         "obsgen sets window to each burn-rate window itself"),
    ]


def test_label_values_with_quotes_backslashes_and_newlines_survive(tmp_path: Path) -> None:
    text = r'''
version: prometheus/v1
service: api
labels:
  quoted: 'say "hi"'
  backslash: 'C:\temp\new'
  multi: "line one\nline two"
slos:
  - name: requests
    objective: 99.9
    labels:
      regex: '5..|\d+'
      both: "a \"b\" \\ c\nd"
    sli:
      events:
        error_query: sum(rate(x_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(x_total[{{.window}}]))
    alerting:
      annotations:
        description: |
          first "line"
          second \ line
'''
    [svc] = sloth.load(write(tmp_path, text), BAD)
    assert dict(svc.labels) == {"quoted": 'say "hi"', "backslash": "C:\\temp\\new",
                                "multi": "line one\nline two"}
    slo = svc.slos[0]
    assert dict(slo.labels) == {"regex": "5..|\\d+", "both": 'a "b" \\ c\nd'}
    assert slo.alerting.annotations["description"] == 'first "line"\nsecond \\ line\n'


def test_numbers_in_string_fields_keep_their_text(tmp_path: Path) -> None:
    text = """
version: prometheus/v1
service: api
labels: {tier: 2, release: 1.10, code: 010}
slos:
  - name: 2024
    objective: 99
    sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}
"""
    [svc] = sloth.load(write(tmp_path, text), BAD)
    assert dict(svc.labels) == {"tier": "2", "release": "1.10", "code": "010"}
    assert svc.slos[0].name == "2024"
    assert type(svc.slos[0].objective) is float


def test_multi_document_file(tmp_path: Path) -> None:
    one = yaml.safe_dump(minimal_spec(service="api"))
    two = yaml.safe_dump(minimal_spec(service="worker"))
    path = write(tmp_path, f"---\n{one}---\n{two}---\n", name="many.yaml")
    services = sloth.load(path, "slo/many.yaml")
    assert [s.name for s in services] == ["api", "worker"]
    assert all(s.source == "slo/many.yaml" for s in services)


def test_multi_document_errors_name_the_document(tmp_path: Path) -> None:
    one = yaml.safe_dump(minimal_spec())
    two = yaml.safe_dump({k: v for k, v in minimal_spec().items() if k != "service"})
    assert load_error(write(tmp_path, f"{one}---\n{two}")) == f"{BAD}: document 2: service: is missing"
    assert load_error(write(tmp_path, f"{one}---\n{one}")).startswith(
        f"{BAD}: document 2: service: service 'api' is also declared in document 1")


# -- bad specs -------------------------------------------------------------------------------------
def slo_with(**changes: Any) -> dict[str, Any]:
    return minimal_spec(slos=[minimal_slo(**changes)])


def events(error: object = ERROR_Q, total: object = TOTAL_Q) -> dict[str, Any]:
    block = {"error_query": error, "total_query": total}
    return {"events": {k: v for k, v in block.items() if v is not None}}


BAD_SPECS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown version", minimal_spec(version="prometheus/v2"),
     f"{BAD}: version: unknown version 'prometheus/v2'"),
    ("missing version", {k: v for k, v in minimal_spec().items() if k != "version"},
     f"{BAD}: version: is missing"),
    ("openslo", {"apiVersion": "openslo/v1alpha", "kind": "SLO"},
     f"{BAD}: apiVersion: apiVersion 'openslo/v1alpha' is not supported"),
    ("windows as spec", {"apiVersion": "sloth.slok.dev/v1", "kind": "AlertWindows"},
     f"{BAD}: kind: is a Sloth AlertWindows file"),
    ("missing service", {k: v for k, v in minimal_spec().items() if k != "service"},
     f"{BAD}: service: is missing"),
    ("service a list", minimal_spec(service=["api"]), f"{BAD}: service: must be a string, got a list"),
    ("bad service name", minimal_spec(service="api svc"), f"{BAD}: service: 'api svc' must be letters"),
    ("unknown top-level key", minimal_spec(owner="team"), f"{BAD}: owner: unknown key"),
    ("labels a list", minimal_spec(labels=["team=core"]),
     f"{BAD}: labels: must be a mapping of names to strings, got a list"),
    ("slos a mapping", minimal_spec(slos={"requests": minimal_slo()}),
     f"{BAD}: slos: must be a list of SLOs, got a mapping"),
    ("slos empty", minimal_spec(slos=[]), f"{BAD}: slos: is missing or empty"),
    ("slos missing", {k: v for k, v in minimal_spec().items() if k != "slos"}, f"{BAD}: slos: is missing"),
    ("slo a string", minimal_spec(slos=["requests"]), f"{BAD}: slos[0]: must be a mapping, got a string"),
    ("slo without name", minimal_spec(slos=[{"objective": 99}]), f"{BAD}: slos[0].name: is missing"),
    ("objective 100", slo_with(objective=100),
     f"{BAD}: slo requests: objective: 100.0 must be a number between 0 and 100 (exclusive)"),
    ("objective 0", slo_with(objective=0),
     f"{BAD}: slo requests: objective: 0.0 must be a number between 0 and 100 (exclusive)"),
    ("objective with percent", slo_with(objective="99.9%"),
     f"{BAD}: slo requests: objective: '99.9%' is a string; the objective must be a plain number"),
    ("objective quoted", slo_with(objective="99.9"), f"{BAD}: slo requests: objective: '99.9' is a string"),
    ("objective bool", slo_with(objective=True),
     f"{BAD}: slo requests: objective: true is a boolean; the objective must be a number"),
    ("objective missing", {**minimal_spec(), "slos": [{"name": "requests", "sli": events()}]},
     f"{BAD}: slo requests: objective: is missing"),
    ("objective a list", slo_with(objective=[99]),
     f"{BAD}: slo requests: objective: must be a number such as 99.9, got a list"),
    ("unknown slo key", slo_with(period="7d"), f"{BAD}: slo requests: period: unknown key; an SLO takes only"),
    ("missing total_query", slo_with(sli=events(total=None)),
     f"{BAD}: slo requests: sli.events.total_query: is missing"),
    ("missing error_query", slo_with(sli=events(error=None)),
     f"{BAD}: slo requests: sli.events.error_query: is missing"),
    ("query a number", slo_with(sli=events(total=5)),
     f"{BAD}: slo requests: sli.events.total_query: has no {{{{.window}}}} placeholder"),
    ("query without window", slo_with(sli=events(error='sum(rate(http_requests_total{code=~"5.."}[5m]))')),
     f"{BAD}: slo requests: sli.events.error_query: has no {{{{.window}}}} placeholder"),
    ("promql does not parse", slo_with(sli=events(total="sum(rate(http_requests_total[{{.window}}])")),
     f"{BAD}: slo requests: sli.events.total_query: is not valid PromQL"),
    ("raw promql does not parse", slo_with(sli={"raw": {"error_ratio_query": "rate(x[{{.window}}]) /"}}),
     f"{BAD}: slo requests: sli.raw.error_ratio_query: is not valid PromQL"),
    ("raw query missing", slo_with(sli={"raw": {}}),
     f"{BAD}: slo requests: sli.raw.error_ratio_query: is missing"),
    ("raw block null", slo_with(sli={"raw": None}),
     f"{BAD}: slo requests: sli: is missing: give sli.events or sli.raw"),
    ("sli plugin", slo_with(sli={"plugin": {"id": "sloth-common/availability", "options": {}}}),
     f"{BAD}: slo requests: sli.plugin: Sloth SLI plugins are not supported"),
    ("events and raw", slo_with(sli={**events(), "raw": {"error_ratio_query": ERROR_Q}}),
     f"{BAD}: slo requests: sli: give exactly one of sli.events and sli.raw"),
    ("no sli", {**minimal_spec(), "slos": [{"name": "requests", "objective": 99}]},
     f"{BAD}: slo requests: sli: is missing"),
    ("sli a string", slo_with(sli=ERROR_Q), f"{BAD}: slo requests: sli: must be a mapping, got a string"),
    ("unknown events key", slo_with(sli={"events": {"good_query": ERROR_Q, "total_query": TOTAL_Q}}),
     f"{BAD}: slo requests: sli.events.good_query: unknown key"),
    ("duplicate slo names", minimal_spec(slos=[minimal_slo(), minimal_slo()]),
     f"{BAD}: slo requests: name: is declared twice in this service"),
    ("bad slo name", slo_with(name="req uests"), f"{BAD}: slo req uests: name: 'req uests' must be letters"),
    ("invalid alert name", slo_with(alerting={"name": "my-alert"}),
     f"{BAD}: slo requests: alerting.name: 'my-alert' is not a valid alert name"),
    ("alert name a list", slo_with(alerting={"name": ["A"]}),
     f"{BAD}: slo requests: alerting.name: must be a string, got a list"),
    ("invalid service label name", minimal_spec(labels={"9team": "core"}),
     f"{BAD}: labels.9team: '9team' is not a valid label name"),
    ("invalid slo label name", slo_with(labels={"bad-name": "x"}),
     f"{BAD}: slo requests: labels.bad-name: 'bad-name' is not a valid label name"),
    ("reserved-prefix label name", slo_with(labels={"__name__": "x"}),
     f"{BAD}: slo requests: labels.__name__: '__name__' is not a valid label name"),
    ("invalid page label name", slo_with(alerting={"page_alert": {"labels": {"team.name": "x"}}}),
     f"{BAD}: slo requests: alerting.page_alert.labels.team.name: 'team.name' is not a valid label name"),
    ("invalid annotation name", slo_with(alerting={"ticket_alert": {"annotations": {"run book": "x"}}}),
     f"{BAD}: slo requests: alerting.ticket_alert.annotations.run book: 'run book' is not a valid"),
    ("label value a list", minimal_spec(labels={"team": ["a", "b"]}),
     f"{BAD}: labels.team: must be a string, got a list"),
    ("label value null", slo_with(labels={"team": None}), f"{BAD}: slo requests: labels.team: has no value"),
    ("label value bool", slo_with(labels={"critical": True}),
     f"{BAD}: slo requests: labels.critical: must be a string, got a boolean; quote it"),
    ("alerting a list", slo_with(alerting=["page"]),
     f"{BAD}: slo requests: alerting: must be a mapping, got a list"),
    ("unknown alert key", slo_with(alerting={"page_alert": {"disabled": True}}),
     f"{BAD}: slo requests: alerting.page_alert.disabled: unknown key; alerting.page_alert takes only"),
    ("disable not a bool", slo_with(alerting={"ticket_alert": {"disable": "yes please"}}),
     f"{BAD}: slo requests: alerting.ticket_alert.disable: must be true or false, got a string"),
    ("description a mapping", slo_with(description={"text": "x"}),
     f"{BAD}: slo requests: description: must be a string, got a mapping"),
    ("document a list", [minimal_spec()],  # type: ignore[list-item]
     f"{BAD}: must be a mapping (a Sloth prometheus/v1 spec), got a list"),
]


@pytest.mark.parametrize(("spec", "expected"), [(s, e) for _, s, e in BAD_SPECS],
                         ids=[name for name, _, _ in BAD_SPECS])
def test_bad_spec(tmp_path: Path, spec: dict[str, Any], expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert load_error(path).startswith(expected)


BAD_FILES: list[tuple[str, str | bytes, str]] = [
    ("yaml syntax error", "version: prometheus/v1\nservice: api\nslos: [\n  - name: x\n",
     f"{BAD}: YAML syntax error at line 4: "),
    ("bad indentation", "version: prometheus/v1\n  service: api\n",
     f"{BAD}: YAML syntax error at line 2: mapping values are not allowed here"),
    ("duplicate key", "version: prometheus/v1\nservice: api\nservice: web\n",
     f"{BAD}: YAML syntax error at line 3: found duplicate key 'service'"),
    ("python tag", "version: !!python/object:os.system [ls]\n", f"{BAD}: YAML syntax error at line 1: "),
    ("empty file", "", f"{BAD}: is empty"),
    ("whitespace only", " \n\n\t\n", f"{BAD}: is empty"),
    ("comments only", "# nothing here\n---\n", f"{BAD}: is empty"),
    ("binary with NUL", b"\x7fELF\x02\x01\x01\x00\x00\x00", f"{BAD}: is not a text YAML file"),
    ("not utf-8", b"version: prometheus/v1\nservice: caf\xe9\n", f"{BAD}: is not a text YAML file"),
    ("control character", "version: prometheus/v1\nservice: a\x01b\n", f"{BAD}: is not a text YAML file"),
    ("scalar document", "just a string\n",
     f"{BAD}: must be a mapping (a Sloth prometheus/v1 spec), got a string"),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD_FILES],
                         ids=[name for name, _, _ in BAD_FILES])
def test_bad_file(tmp_path: Path, content: str | bytes, expected: str) -> None:
    assert load_error(write(tmp_path, content)).startswith(expected)


def test_missing_file(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nope.yaml").startswith(f"{BAD}: cannot be read")


def test_bad_period_argument(tmp_path: Path) -> None:
    path = write(tmp_path, minimal_spec())
    assert load_error(path, period="30 days").startswith(
        f"{BAD}: slo requests: period: '30 days' is not a duration")
    # Sloth's default ticket window (3d) does not fit a 2d period
    assert load_error(path, period="2d") == \
        f"{BAD}: slo requests: alerting.tiers: window 3d is longer than the period 2d"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + yaml.safe_dump(minimal_spec()).encode())
    assert [s.name for s in sloth.load(path, BAD)] == ["api"]


def _mutations(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _mutations(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _mutations(value, (*path, i))


def test_no_input_shape_escapes_as_a_python_exception(tmp_path: Path) -> None:
    """Every field of a full spec replaced by every YAML type: a SpecError or a Service, nothing else."""
    base = yaml.safe_load((FIXTURES / "base.yaml").read_text())
    replacements: list[object] = [None, True, 0, 1.5, "", "x", [], ["a"], {}, {"a": 1}, {1: [2]}]
    tried = 0
    for where in _mutations(base):
        if not where:
            continue
        for value in replacements:
            doc = copy.deepcopy(base)
            target = doc
            for step in where[:-1]:
                target = target[step]
            target[where[-1]] = value
            path = write(tmp_path, doc)
            try:
                sloth.load(path, BAD)
            except SpecError as exc:
                assert str(exc).startswith(BAD + ": ") and "\n" not in str(exc)
            tried += 1
    assert tried > 300


# -- windows files -----------------------------------------------------------------------------------
BAD_WINDOWS: list[tuple[str, str | bytes, str]] = [
    ("a spec, not windows", yaml.safe_dump(minimal_spec()),
     "windows/bad.yaml: kind: is not a Sloth AlertWindows spec"),
    ("syntax error", "kind: AlertWindows\nspec: {sloPeriod: 7d\n", "windows/bad.yaml: YAML syntax error at line 3"),
    ("empty", "", "windows/bad.yaml: is empty"),
    ("binary", b"\x00\x01\x02", "windows/bad.yaml: is not a text YAML file"),
    ("two documents", "kind: AlertWindows\n---\nkind: AlertWindows\n",
     "windows/bad.yaml: holds 2 YAML documents"),
    ("other apiVersion", "apiVersion: sloth.slok.dev/v2\nkind: AlertWindows\n",
     "windows/bad.yaml: apiVersion: apiVersion 'sloth.slok.dev/v2' is not sloth.slok.dev/v1"),
    ("bad window", (FIXTURES / "windows-7d.yaml").read_text().replace("longWindow: 6h", "longWindow: 6 hours"),
     "windows/bad.yaml: spec.page.slow.long_window: '6 hours' is not a duration"),
    ("short not shorter", (FIXTURES / "windows-7d.yaml").read_text().replace("shortWindow: 5m", "shortWindow: 2h"),
     "windows/bad.yaml: spec.page.quick.short_window: short_window must be shorter"),
    ("missing ticket", "kind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page: {}\n",
     "windows/bad.yaml: spec.page.quick: is missing"),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD_WINDOWS],
                         ids=[name for name, _, _ in BAD_WINDOWS])
def test_bad_windows_file(tmp_path: Path, content: str | bytes, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        sloth.load_windows(write(tmp_path, content), "windows/bad.yaml")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(expected)
