"""The guardrail declarations (generator/guardrails.py, loaders/guardrails.py): what loads, what is refused.

A refusal is one line naming the file, the declaration's variable and the field, and `obsgen
build` exits 2 and writes nothing. Each test works on a copy of the repo's slo/ and alerts/ whose
`guardrails = Guardrails(...)` is replaced by the test's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from generator.checkers import amtool, promtool
from generator.errors import SpecError
from generator.guardrails import Guardrails, probed_url, slo_probes
from generator.loaders import alerts, guardrails, load_all
from generator.render import guardrail_rules

REPO = Path(__file__).resolve().parents[1]
DECLARATION = "guardrails = Guardrails("
SLO_URL = "https://maestro.example.com/health"
GOOD = 'probes=[*slo_probes(maestro), Probe("https://maestro.example.com", hsts=True, redirect=True)]'


def write_guardrails(repo: Path, body: str | None) -> None:
    """Replace the declaration in slo/maestro.py by `guardrails = Guardrails(service=maestro, <body>)`
    (or, when body names the service, `Guardrails(<body>)`; None: no declaration)."""
    path = repo / "slo" / "maestro.py"
    text = path.read_text(encoding="utf-8")
    assert DECLARATION in text, "slo/maestro.py no longer declares `guardrails = Guardrails(`"
    text = text[:text.index(DECLARATION)]
    if body is not None:
        text += f"{DECLARATION}{'' if body.startswith('service=') else 'service=maestro, '}{body})\n"
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for d in ("slo", "alerts"):
        shutil.copytree(REPO / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def load(repo: Path) -> Guardrails | None:
    services = load_all([repo / "slo"], repo)
    am = alerts.load(repo / "alerts", repo, services)
    return guardrails.load([repo / "slo"], repo, services, am)


def refusal(repo: Path, body: str) -> str:
    write_guardrails(repo, body)
    with pytest.raises(SpecError) as exc:
        load(repo)
    message = str(exc.value)
    assert message.startswith("slo/maestro.py: guardrails."), message
    assert "\n" not in message
    return message


def test_maestro_probes_what_its_availability_slo_reads(repo: Path) -> None:
    g = load(repo)
    assert g is not None and g.source == "slo/maestro.py" and g.owner == "maestro-conductor"
    services = load_all([repo / "slo"], repo)
    (availability,) = [slo for slo in services[0].slos if slo.name == "availability"]
    assert probed_url(availability.sli, g.blackbox.job) == SLO_URL
    plain = [p for p in g.probes if p.url == SLO_URL]
    assert len(plain) == 1 and not plain[0].hsts  # an HSTS regression must not count as an outage
    assert any(p.hsts and p.redirect and p.redirect_url == "http://maestro.example.com" for p in g.probes)


def test_slo_probes_follows_the_slo_when_its_url_changes(repo: Path) -> None:
    path = repo / "slo" / "maestro.py"
    path.write_text(path.read_text(encoding="utf-8").replace(SLO_URL, "https://maestro.example.com/livez"),
                    encoding="utf-8")
    g = load(repo)
    assert g is not None
    assert "https://maestro.example.com/livez" in {p.url for p in g.probes}
    assert SLO_URL not in {p.url for p in g.probes}
    assert [p.url for p in slo_probes(load_all([repo / "slo"], repo)[0])] == ["https://maestro.example.com/livez"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ('service="nobody", ' + GOOD, None, "must be a service declared in slo/"),
    ('probes=[*slo_probes(maestro), Probe("http://maestro.example.com")]', "probes[1].url", "https://"),
    ('probes=[*slo_probes(maestro), Probe("https://maestro.example.com:8443", redirect=True)]',
     "probes[1].redirect", "names a port"),
    (f'probes=[*slo_probes(maestro), Probe("{SLO_URL}")]', "probes[1].url", "probed twice"),
    ('probes=[Probe("https://maestro.example.com", hsts=True)]', "probes", "no Probe declares"),
    (f'probes=[Probe("{SLO_URL}", hsts=True)]', "probes[0].hsts", "would count as an outage"),
    (GOOD + ', blackbox=Blackbox(interval="1m")', "blackbox.interval", "at most 30s"),
    (GOOD + ', blackbox=Blackbox(interval="15s", timeout="20s")', "blackbox.timeout", "must not exceed"),
    (GOOD + ', blackbox=Blackbox(exporter="blackbox-exporter")', "blackbox.exporter", "host:port"),
    (GOOD + ', blackbox=Blackbox(certificate_ticket="7d", certificate_page="14d")', "blackbox.certificate_page",
     "shorter than certificate_ticket"),
    (GOOD + ", tsdb=TSDBGrowth(head_series_percent=-5)", "tsdb.head_series_percent", "positive"),
    (GOOD + ', tsdb=TSDBGrowth(over="a day")', "tsdb.over", "not a duration"),
    (GOOD + ", cardinality=[CardinalityBudget(series=0)]", "cardinality[0].series", "positive integer"),
    (GOOD + ", cardinality=[CardinalityBudget(series=10), CardinalityBudget(series=20)]", "cardinality[1].job",
     "second budget"),
    (GOOD + ', cardinality=[CardinalityBudget(series=10, job="a b")]', "cardinality[0].job", "job name"),
    (GOOD + ', prometheus_job=""', "prometheus_job", "job name"),
])
def test_a_bad_declaration_names_the_field(repo: Path, body: str, field: str | None, words: str) -> None:
    message = refusal(repo, body)
    assert f"guardrails.{field or 'service'}: " in message, message
    assert words in message, message


def test_a_probe_url_with_credentials_is_refused_without_echoing_them(repo: Path) -> None:
    message = refusal(repo, 'probes=[*slo_probes(maestro), Probe("https://probe:hunter2hunter2@maestro.example.com")]')
    assert "guardrails.probes[1].url" in message and "hunter2hunter2" not in message


def test_the_watchdog_needs_a_heartbeat_route(repo: Path) -> None:
    path = repo / "alerts" / "maestro.py"
    text = path.read_text(encoding="utf-8")
    start = text.index("    heartbeat=")
    end = text.index("),\n", start) + 3
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    write_guardrails(repo, GOOD)
    with pytest.raises(SpecError, match=r"^slo/maestro.py: guardrails.service: the Watchdog needs a heartbeat"):
        load(repo)


def test_two_declarations_are_refused(repo: Path) -> None:
    write_guardrails(repo, GOOD)
    extra = repo / "slo" / "other.py"
    extra.write_text(textwrap.dedent('''
        from generator.api import SLO, Guardrails, ProbeSLI, Service
        other = Service(name="other", slos=[SLO(name="up", objective=99, sli=ProbeSLI('probe_success{job="x"}'))])
        more = Guardrails(service=other)
    '''), encoding="utf-8")
    services = load_all([repo / "slo"], repo)
    with pytest.raises(SpecError, match=r"^slo/other.py: more: declares a second Guardrails"):
        guardrails.load([repo / "slo"], repo, services)


def test_no_declaration_means_no_guardrail_output(repo: Path) -> None:
    write_guardrails(repo, None)
    assert load(repo) is None
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = repo / "out"
    assert not (out / "blackbox").exists() and not (out / "prometheus" / "scrape").exists()
    assert not (out / "prometheus" / "rules" / "obsgen-guardrails.rules.yml").exists()


def test_the_cli_prints_one_line_exits_2_and_writes_nothing(repo: Path) -> None:
    write_guardrails(repo, 'probes=[Probe("http://maestro.example.com/health")]')
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("obsgen: slo/maestro.py: guardrails.probes[0].url: "), lines
    assert not (repo / "out").exists()


@pytest.mark.usefixtures("toolchain")
def test_probes_of_two_services_route_each_to_its_own_team(repo: Path) -> None:
    (repo / "slo" / "storefront.py").write_text(textwrap.dedent('''
        from generator.api import SLO, ProbeSLI, Service
        storefront = Service(name="storefront", labels={"team": "shop"}, slos=[SLO(name="up", objective=99,
                             sli=ProbeSLI('probe_success{job="blackbox",instance="https://shop.example.com/up"}'))])
    '''), encoding="utf-8")
    path = repo / "alerts" / "maestro.py"
    path.write_text(path.read_text(encoding="utf-8").replace("    ],\n)", textwrap.indent(textwrap.dedent('''\
        Team(name="shop", services=["storefront"],
             page=PagerDuty(name="shop-pagerduty", routing_key_file=f"{SECRETS}/pd-shop"),
             ticket=Slack(name="shop-tickets", api_url_file=f"{SECRETS}/slack-shop", channel="#shop")),
    '''), "        ") + "    ],\n)"), encoding="utf-8")
    write_guardrails(repo, 'probes=[*slo_probes(maestro), Probe("https://maestro.example.com", hsts=True), '
                           'Probe("https://shop.example.com/up", service="storefront", redirect=True)]')
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    rules = yaml.safe_load((repo / "out/prometheus/rules/obsgen-guardrails.rules.yml").read_text())
    failing = {r["labels"]["service"]: r for g in rules["groups"] for r in g["rules"] if r["alert"] == "ProbeFailing"}
    assert set(failing) == {"maestro-conductor", "storefront"}
    assert 'instance=~"https://shop\\\\.example\\\\.com/up|http://shop\\\\.example\\\\.com/up"' in \
        failing["storefront"]["expr"]
    assert failing["storefront"]["labels"]["team"] == "shop"
    cases = yaml.safe_load((repo / "out/alertmanager/routes.test.yml").read_text())["cases"]
    shop = [c for c in cases if c["name"].startswith("guardrail") and c["labels"]["service"] == "storefront"]
    assert {c["labels"]["alertname"] for c in shop} >= {"ProbeFailing", "ProbeHTTPSRedirectBroken"}
    assert {c["receiver"] for c in shop if c["labels"]["severity"] == "ticket"} == {"shop-tickets"}
    assert {c["receiver"] for c in shop if c["labels"]["severity"] == "page"} == {"shop-pagerduty"}
    # the generated tests of both services' probes pass, and every route case lands where it says
    prom = repo / "out" / "prometheus"
    res = promtool.test_rules(promtool.find(), sorted((prom / "tests").glob("obsgen-guardrails.*")), prom / "tests")
    assert res.ok, res.lines
    res, _ = amtool.test_routes(amtool.find(), repo / "out/alertmanager/routes.test.yml")
    assert res.ok, res.lines


def test_alerts_carry_component_and_never_slo(repo: Path) -> None:
    g = load(repo)
    assert g is not None
    services = {s.name: s for s in load_all([repo / "slo"], repo)}
    for alert in guardrail_rules.alerts(g):
        labels = guardrail_rules.label_set(alert, services)
        assert "slo" not in labels and labels["component"] and labels["service"] == "maestro-conductor"
        assert labels["severity"] == ("none" if alert.name == "Watchdog" else
                                      "page" if alert.key == "certificate_page" else "ticket"), alert
