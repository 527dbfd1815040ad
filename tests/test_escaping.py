"""Hostile text through every output that carries declared text: each real tool still accepts the
file, and the value comes out exactly as declared.

One string holds what breaks quoting somewhere (`"}`, a backslash, a newline, Go template braces,
`$labels`, `${x}`, markup, a Markdown pipe, a backtick, non-ASCII, U+2028). It is a service label,
an SLO label, a description and a budget policy, the label value every SLI selects on (probe, ratio,
latency), a Slack channel and part of a mail address. Then: promtool checks the rules and runs the
generated tests (their alerts must carry the value, their input series must match the selectors);
amtool checks the config, runs the route cases and renders each templated field back to the
declared text; the dashboards parse and pass the lint and their queries select the value; the HTML
preview holds it as text, never markup; the SLO doc keeps it in one table cell and one code block;
the mixin evaluates to our rules; Argo's queries select it with no `{{` but their own; page-test's
drill rule fires with it in Prometheus's own rule engine.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import build, preview, promql, targets, writer
from generator.checkers import amtool, dashlint, promtool
from generator.declarations import Declarations
from generator.drill import drill_alert
from generator.grafana.declare import RolloutBoard
from generator.loaders.dashboards import Declared
from generator.model import SLO, Alerting, Service
from generator.pagetest import rulefile
from generator.render import slo_doc
from generator.render.promtool_tests import render_template
from generator.routing import Alertmanager, Email, PagerDuty, Slack, Team, Webhook
from generator.sli import LatencySLI, ProbeSLI, RatioSLI
from generator.tiers import DEFAULT_TIERS, Tier
from tests.test_mixin import evaluate, joined, slo_rule_groups

HOSTILE = 'a"}b\\c\nd {{ $labels.slo }} {{{x}}} $value ${x} [[x]] <script>alert(1)</script> |`ü✓ \u2028'
QUOTED = promql.quote(HOSTILE)
ONLY = frozenset(targets.TARGETS) - {"docs"}  # the SLO doc is rendered on its own (no plots needed)


def service() -> Service:
    svc = Service(
        name="shop", labels={"team": HOSTILE}, owner=HOSTILE, budget_policy=HOSTILE, source="slo/shop.py",
        runbook_url="https://runbooks.example.com/{{ page }}",
        slos=(
            SLO(name="availability", objective=99.5, description=HOSTILE, labels={"note": HOSTILE},
                sli=ProbeSLI(f'probe_success{{job="blackbox",instance={QUOTED}}}'),
                alerting=Alerting(labels={"extra": HOSTILE}, tiers=(*DEFAULT_TIERS, Tier("page", "4h", factor=1)))),
            SLO(name="requests", objective=99.9, labels={"note": HOSTILE}, sli=RatioSLI(
                error_query=f'sum(rate(http_server_requests_total{{job={QUOTED},code=~"5.."}}[{{{{.window}}}}]))',
                total_query=f"sum(rate(http_server_requests_total{{job={QUOTED}}}[{{{{.window}}}}]))")),
            SLO(name="latency", objective=95, period="7d", sli=LatencySLI(
                metric="http_server_request_duration_seconds", matchers=f"job={QUOTED}", threshold=0.5,
                buckets=(0.1, 0.5, 1.0))),
        ))
    svc.validate()
    return svc


def alertmanager(services: list[Service]) -> Alertmanager:
    am = Alertmanager(
        teams=[Team(name="shop-team", services=["shop"],
                    page=PagerDuty(name="shop-pager", routing_key_file="/etc/alertmanager/secrets/pd-key"),
                    ticket=Slack(name="shop-slack", api_url_file="/etc/alertmanager/secrets/slack-url",
                                 channel="#" + HOSTILE))],
        default=Email(name="mail", to=HOSTILE + "@example.com", sender="am{{x}}@example.com",
                      smarthost="smtp.example.com:587"),
        heartbeat=Webhook(name="heartbeat", url="https://heartbeat.example.com/ping/am"),
        grafana_url="https://grafana.example.com/{{x}}/ü", source="alerts/shop.py")
    am.validate(services)
    return am


@pytest.fixture(scope="module")
def decl() -> Declarations:
    services = [service()]
    board = RolloutBoard(service="shop", namespace="shop", rollout="shop", errors_slo="requests", latency_slo="latency")
    board.validate()
    return Declarations(services=services, alertmanager=alertmanager(services),
                        boards=[Declared(board, "dashboards/shop.py", "rollout")])


@pytest.fixture(scope="module")
def out(decl: Declarations, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "out"
    writer.write_tree(root, build.outputs(decl, only=ONLY))
    return root


def selected_values(query: str, label: str) -> set[str]:
    return {m.value for s in promql.selectors(query) for m in s.matchers if m.name == label}


# -- Prometheus ------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("toolchain")
def test_rules_pass_promtool_and_their_generated_tests_carry_the_value(out: Path) -> None:
    """The tests' alerts expect the labels as declared and their input series use the selectors' values:
    a value escaped wrongly anywhere makes an alert or a series differ, and the test fails."""
    binary = promtool.find()
    rules = out / "prometheus/rules/shop.rules.yml"
    checked = promtool.check_rules(binary, [rules], out)
    assert checked.ok, checked.lines
    tests = out / "prometheus/tests/shop.test.yml"
    doc = yaml.safe_load(tests.read_text(encoding="utf-8"))
    expected = [a["exp_labels"] for t in doc["tests"] for c in t["alert_rule_test"] for a in c["exp_alerts"]]
    assert expected and all(e["team"] == HOSTILE for e in expected)
    series = [s["series"] for t in doc["tests"] for s in t["input_series"]]
    assert all(HOSTILE in selected_values(s, "instance") | selected_values(s, "job") for s in series), series
    ran = promtool.test_rules(binary, [tests], out)
    assert ran.ok, ran.lines


def test_annotations_show_declared_text_literally(out: Path) -> None:
    doc = yaml.safe_load((out / "prometheus/rules/shop.rules.yml").read_text(encoding="utf-8"))
    burn = next(r for g in doc["groups"] for r in g["rules"] if r.get("alert") == "AvailabilityErrorBudgetBurn")
    shown = {k: render_template(v, {"window": "1h"}) for k, v in burn["annotations"].items()}
    assert shown["description"].endswith(HOSTILE.strip())  # descriptions are stripped, U+2028 is whitespace
    assert shown["runbook_url"] == "https://runbooks.example.com/{{ page }}"
    assert {k: render_template(v, {}) for k, v in burn["labels"].items()}["extra"] == HOSTILE


def test_kubernetes_rulers_and_mixin_hold_the_same_rules(out: Path, decl: Declarations,
                                                          tmp_path: Path) -> None:
    rules = yaml.safe_load((out / "prometheus/rules/shop.rules.yml").read_text(encoding="utf-8"))["groups"]
    k8s = yaml.safe_load((out / "k8s/prometheusrule-shop.yaml").read_text(encoding="utf-8"))
    assert k8s["spec"]["groups"] == rules
    thanos = yaml.safe_load((out / "rulers/thanos/shop.yml").read_text(encoding="utf-8"))["groups"]
    assert [{k: v for k, v in g.items() if k != "partial_response_strategy"} for g in thanos] == rules
    for path in (out / "mixin").glob("*"):
        (tmp_path / "mixin" / path.name).parent.mkdir(exist_ok=True)
        (tmp_path / "mixin" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    files = {build.rules_path(decl.services[0]): (out / "prometheus/rules/shop.rules.yml").read_text("utf-8")}
    assert joined(evaluate(tmp_path)) == slo_rule_groups(files, decl.services)


@pytest.mark.usefixtures("toolchain")
def test_page_test_drill_fires_with_the_declared_labels(tmp_path: Path) -> None:
    """Prometheus's own rule engine (promtool) fires the drill rule with every label as declared."""
    drill = drill_alert(service(), "pt-hostile")
    assert drill.labels["team"] == HOSTILE
    path = rulefile.path(tmp_path, "pt-hostile")
    rulefile.write(path, rulefile.render(drill, "pt-hostile", 3600.0))
    unit = {"rule_files": [path.name], "evaluation_interval": "1s", "tests": [{
        "interval": "1s", "input_series": [], "alert_rule_test": [{
            "eval_time": "1m", "alertname": drill.name,
            "exp_alerts": [{"exp_labels": drill.labels, "exp_annotations": drill.annotations}]}]}]}
    test_file = tmp_path / "drill.test.yml"
    test_file.write_text(yaml.safe_dump(unit, allow_unicode=True), encoding="utf-8")
    ran = promtool.test_rules(promtool.find(), [test_file], tmp_path)
    assert ran.ok, ran.lines


# -- Alertmanager ----------------------------------------------------------------------------------------
@pytest.mark.usefixtures("toolchain")
def test_alertmanager_config_and_routes_pass_amtool(out: Path) -> None:
    binary = amtool.find()
    checked = amtool.check_config(binary, out / build.ALERTMANAGER_CONFIG)
    assert checked.ok, checked.lines
    routes, count = amtool.test_routes(binary, out / build.ROUTE_TESTS)
    assert routes.ok and count > 5, routes.lines
    cases = yaml.safe_load((out / build.ROUTE_TESTS).read_text(encoding="utf-8"))["cases"]
    assert any(c["labels"].get("team") == HOSTILE for c in cases)


def amtool_render(text: str, tmp_path: Path) -> str:
    empty = tmp_path / "none.tmpl"
    empty.write_text("", encoding="utf-8")
    proc = subprocess.run([amtool.find(), "template", "render", f"--template.glob={empty}",
                           f"--template.text={text}"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.removesuffix("\n")


@pytest.mark.usefixtures("toolchain")
def test_templated_alertmanager_fields_render_to_the_declared_text(out: Path, tmp_path: Path) -> None:
    """Alertmanager expands a Slack channel, mail addresses and PagerDuty links as Go templates."""
    config = yaml.safe_load((out / build.ALERTMANAGER_CONFIG).read_text(encoding="utf-8"))
    receivers = {r["name"]: r for r in config["receivers"]}
    assert amtool_render(receivers["shop-slack"]["slack_configs"][0]["channel"], tmp_path) == "#" + HOSTILE
    mail = receivers["mail"]["email_configs"][0]
    assert amtool_render(mail["to"], tmp_path) == HOSTILE + "@example.com"
    assert amtool_render(mail["from"], tmp_path) == "am{{x}}@example.com"
    [link] = [x for x in receivers["shop-pager"]["pagerduty_configs"][0]["links"] if x["text"] == "SLO dashboard"]
    href = link["href"].replace("{{ .CommonLabels.service }}", "shop")
    assert amtool_render(href, tmp_path) == "https://grafana.example.com/{{x}}/ü/d/shop-slos"


# -- Grafana, preview, SLO doc, Argo ---------------------------------------------------------------------
def test_dashboards_parse_pass_the_lint_and_query_the_value(out: Path) -> None:
    boards = sorted((out / "grafana/dashboards").glob("*.json"))
    assert dashlint.check(boards).ok, dashlint.check(boards).lines
    board = json.loads((out / "grafana/dashboards/shop-rollout.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p, _ in dashlint.panels(board) for t in p.get("targets") or []]
    values = dashlint.variable_values(board)
    assert any(HOSTILE in selected_values(dashlint.substitute(e, values), "job") for e in exprs)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_preview_html_holds_declared_text_as_text(out: Path) -> None:
    files: dict[str, str | bytes] = {f"grafana/dashboards/{p.name}": p.read_text(encoding="utf-8")
                                     for p in (out / "grafana/dashboards").glob("*.json")}
    board = preview.dashboard(files, "shop-rollout")
    assert board is not None
    page = _Page()
    page.feed(preview.render(board))
    assert "script" not in page.tags
    text = "".join(page.text)
    exprs = [t["expr"] for p, _ in dashlint.panels(board) for t in p.get("targets") or []]
    assert any("<script>alert(1)</script>" in e for e in exprs)
    assert all(e in text for e in exprs)  # shown exactly, markup included, as text


def test_slo_doc_keeps_the_value_in_its_table_cell_and_code_block(decl: Declarations) -> None:
    doc = slo_doc.render(decl.services, decl.alertmanager)
    assert HOSTILE in doc  # description and budget policy, as written (they are Markdown by intent)
    rows = [line for line in doc.split("\n") if line.startswith("| ticket |")]  # CommonMark's line ends only
    assert rows
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
        assert len(cells) == 6, row
        shown = cells[-1].strip().replace("<br>", "\n").replace("\\|", "|").replace("\\\\", "\\")
        assert shown == f"shop-slack (Slack #{HOSTILE})"
    blocks = re.findall(r"^(`{3,})promql\n(.*?)\n\1$", doc, flags=re.S | re.M)
    assert any(QUOTED in body for _, body in blocks)


def test_argo_queries_select_the_value_and_carry_only_argo_tags(out: Path) -> None:
    template = yaml.safe_load((out / "argo/shop-analysis.yml").read_text(encoding="utf-8"))
    queries = [m["provider"]["prometheus"]["query"] for m in template["spec"]["metrics"]]
    assert queries
    for query in queries:
        assert {t.strip() for t in re.findall(r"\{\{(.*?)\}\}", query)} <= {"args.canary-hash", "args.stable-hash"}
        resolved = query.replace("{{args.canary-hash}}", "abc").replace("{{args.stable-hash}}", "def")
        assert HOSTILE in selected_values(resolved, "job"), query
