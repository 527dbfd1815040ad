"""out/k8s: PrometheusRules hold the rule files' groups, ConfigMaps the dashboards' JSON, and the
AlertmanagerConfig routes every generated alert to the receiver the plain config does.

The routing check runs the real amtool on the config prometheus-operator would generate from the
AlertmanagerConfig (its conversion, emulated below from pkg/alertmanager/amcfg.go: receivers renamed
`<namespace>/<name>/<receiver>`, a `namespace` matcher and `continue: true` on the top route) against
the route cases of out/alertmanager/routes.test.yml. Schemas are checked in tests/conformance.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator import build, declarations, yamlio
from generator.checkers import amtool
from generator.errors import SpecError
from generator.kubernetes import DNS_SUBDOMAIN, MANAGED_BY, Kubernetes, object_name
from generator.loaders import load_all
from generator.render import k8s_alertmanager, k8s_outputs, k8s_rules
from generator.render.alertmanager import matcher

REPO = Path(__file__).resolve().parents[1]
ONLY = {"prometheus", "grafana", "alertmanager", "k8s"}
SECRET_FIELDS = {"routingKey": "routing_key_file", "apiURL": "api_url_file", "authPassword": "auth_password_file",
                 "credentials": "credentials_file"}


def load(text: str | bytes) -> Any:
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def files() -> dict[str, str | bytes]:
    return build.outputs(declarations.load(REPO), only=ONLY)


def objects(files: dict[str, str | bytes], kind: str) -> dict[str, dict]:
    found = {p: load(v) for p, v in files.items() if p.startswith("k8s/")}
    return {p: o for p, o in found.items() if o.get("kind") == kind}


# -- PrometheusRule -----------------------------------------------------------------------------

def test_prometheusrules_hold_exactly_the_groups_of_the_rule_files(files: dict[str, str | bytes]) -> None:
    rule_files = {p: load(v)["groups"] for p, v in files.items() if p.startswith("prometheus/rules/")}
    assert len(rule_files) >= 3  # the SLO rules, the dependency alerts and the guardrails'
    prometheus_rules = objects(files, "PrometheusRule")
    services = [s.name for s in load_all([REPO / "slo"], REPO)]
    wrapped: list[str] = []
    for obj in prometheus_rules.values():
        name = obj["metadata"]["name"]
        mine = sorted(p for p in rule_files
                      if k8s_rules.owner(Path(p).name.removesuffix(".rules.yml"), services) in
                      (name.removeprefix("obsgen-"), name))
        assert mine, name
        expected = [g for p in sorted(mine, key=lambda p: (not p.endswith(f"/{name.removeprefix('obsgen-')}"
                                                                          ".rules.yml"), p)) for g in rule_files[p]]
        assert obj["spec"]["groups"] == expected, name
        wrapped += mine
    assert sorted(wrapped) == sorted(rule_files), "every rule file is in exactly one PrometheusRule"


def test_a_service_gets_one_prometheusrule_with_its_dependency_alerts(files: dict[str, str | bytes]) -> None:
    obj = load(files["k8s/prometheusrule-maestro-conductor.yaml"])
    names = [g["name"] for g in obj["spec"]["groups"]]
    slo_groups = [g["name"] for g in load(files["prometheus/rules/maestro-conductor.rules.yml"])["groups"]]
    assert names[:len(slo_groups)] == slo_groups and "obsgen-maestro-conductor-dependencies" in names
    assert files["k8s/prometheusrule-maestro-conductor.yaml"].splitlines()[0] == \
        "# " + yamlio.mark("dashboards/maestro.py, slo/maestro.py")


def test_owner_prefers_the_longest_service_name() -> None:
    assert k8s_rules.owner("api.v2.dependencies", ["api", "api.v2"]) == "api.v2"
    assert k8s_rules.owner("api.dependencies", ["api", "api.v2"]) == "api"
    assert k8s_rules.owner("obsgen-guardrails", ["api"]) == "obsgen-guardrails"


def test_a_repeated_group_name_in_one_prometheusrule_is_refused() -> None:
    text = yamlio.dump({"groups": [{"name": "g", "rules": []}]}, yamlio.mark("slo/a.py"))
    files: dict[str, str | bytes] = {"prometheus/rules/a.rules.yml": text, "prometheus/rules/a.x.rules.yml": text}
    service = replace(load_all([REPO / "slo"], REPO)[0], name="a")
    with pytest.raises(SpecError, match="'g' appears twice"):
        k8s_rules.render(files, [service], Kubernetes())


# -- dashboards ---------------------------------------------------------------------------------

def test_one_configmap_per_dashboard_with_the_dashboard_file_as_its_data(files: dict[str, str | bytes]) -> None:
    boards = {Path(p).name: v for p, v in files.items() if p.startswith("grafana/dashboards/")}
    maps = objects(files, "ConfigMap")
    assert len(maps) == len(boards) >= 4
    seen = {}
    for obj in maps.values():
        [(key, text)] = obj["data"].items()
        assert text == boards[key]
        assert json.loads(text)["uid"] == key.removesuffix(".json")
        assert obj["metadata"]["labels"]["grafana_dashboard"] == "1"
        seen[key] = obj["metadata"]["name"]
    assert sorted(seen) == sorted(boards)
    assert len(set(seen.values())) == len(seen)


def test_dashboard_uids_that_differ_only_in_case_are_refused() -> None:
    from generator.render import k8s_dashboards

    board = json.dumps({"uid": "x", "description": yamlio.mark("dashboards/a.py")})
    files: dict[str, str | bytes] = {"grafana/dashboards/Board.json": board, "grafana/dashboards/board.json": board}
    with pytest.raises(SpecError, match="lower-case"):
        k8s_dashboards.render(files, Kubernetes())


# -- the declaration: names, namespace, labels --------------------------------------------------

def test_every_object_obsgen_writes_carries_the_declared_namespace_and_labels(files: dict[str, str | bytes]) -> None:
    services = load_all([REPO / "slo"], REPO)
    k8s = Kubernetes(namespace="observability", labels={"release": "kube-prometheus-stack"}, secret="am-keys",
                     source="slo/k8s.py")
    out = k8s_outputs.outputs(files, services, k8s)
    assert len(out) == len(objects(files, "PrometheusRule")) + len(objects(files, "ConfigMap")) + 1
    for path, text in out.items():
        assert isinstance(text, str)
        assert text.splitlines()[0].startswith("# generated by obsgen from ") and "slo/k8s.py" in text.splitlines()[0]
        meta = load(text)["metadata"]
        assert meta["namespace"] == "observability", path
        assert meta["labels"]["release"] == "kube-prometheus-stack", path
        assert meta["labels"].items() >= MANAGED_BY.items(), path
        assert DNS_SUBDOMAIN.match(meta["name"]) and len(meta["name"]) <= 253, path
    secrets = [v for r in load(out["k8s/alertmanagerconfig.yaml"])["spec"]["receivers"] for v in _secret_refs(r)]
    assert secrets and {s["name"] for s in secrets} == {"am-keys"}


@pytest.mark.parametrize(("decl", "field"), [
    (Kubernetes(namespace="Monitoring"), "namespace"),
    (Kubernetes(namespace="a" * 64), "namespace"),
    (Kubernetes(labels={"release": "x y"}), "labels.release"),
    (Kubernetes(labels={"bad key/": "x"}), "labels"),
    (Kubernetes(labels={"app.kubernetes.io/managed-by": "me"}), "labels.app.kubernetes.io/managed-by"),
    (Kubernetes(secret="Alertmanager_Secrets"), "secret"),
])
def test_the_declaration_refuses_what_the_api_server_would(decl: Kubernetes, field: str) -> None:
    with pytest.raises(SpecError) as exc:
        decl.validate()
    assert exc.value.field == field


def test_object_names_are_lowercased_and_checked() -> None:
    assert object_name("obsgen", "Maestro_Conductor") == "obsgen-maestro-conductor"
    with pytest.raises(SpecError):
        object_name("obsgen", "a..b")


def _repo(tmp: Path, extra: str = "") -> Path:
    root = tmp / "repo"
    for d in ("slo", "alerts", "dashboards"):
        shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    if extra:
        with (root / "slo" / "maestro.py").open("a", encoding="utf-8") as f:
            f.write(extra)
    return root


def _obsgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=root, capture_output=True, text=True,
                          timeout=300)


def test_build_reads_the_kubernetes_declaration_beside_the_slos(tmp_path: Path) -> None:
    root = _repo(tmp_path, "\nfrom generator.api import Kubernetes\n\nk8s = Kubernetes(namespace='observability', "
                 "labels={'release': 'prom'})\n")
    proc = _obsgen(root, "build", "--only", "k8s")
    assert proc.returncode == 0, proc.stderr
    mine = [p for p in (root / "out" / "k8s").glob("*.yaml") if p.name.startswith(("prometheusrule-", "dashboard-",
                                                                                     "alertmanagerconfig"))]
    assert len(mine) >= 6
    for p in mine:
        meta = load(p.read_text())["metadata"]
        assert (meta["namespace"], meta["labels"]["release"]) == ("observability", "prom"), p.name


def test_a_bad_declaration_is_one_line_naming_the_field(tmp_path: Path) -> None:
    root = _repo(tmp_path, "\nfrom generator.api import Kubernetes\n\nk8s = Kubernetes(namespace='Not_A_Name')\n")
    proc = _obsgen(root, "build", "--only", "k8s")
    assert proc.returncode == 2
    assert proc.stderr.startswith("obsgen: slo/maestro.py: k8s.namespace: 'Not_A_Name' is not a Kubernetes "
                                  "namespace name") and proc.stderr.count("\n") == 1
    assert not (root / "out").exists()


# -- AlertmanagerConfig ---------------------------------------------------------------------------

def _secret_refs(node: object) -> list[dict]:
    if isinstance(node, dict):
        here = [v for k, v in node.items() if k in SECRET_FIELDS]
        return here + [r for k, v in node.items() if k not in SECRET_FIELDS for r in _secret_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _secret_refs(v)]
    return []


def operator_config(amc: dict, strategy: str) -> dict:
    """The Alertmanager config prometheus-operator generates from AMC below a base config whose root sends
    everything to `operator-default`; strategy is the Alertmanager's alertmanagerConfigMatcherStrategy."""
    ns, name = amc["metadata"]["namespace"], amc["metadata"]["name"]
    prefix = f"{ns}/{name}/"
    timing = {"groupBy": "group_by", "groupWait": "group_wait", "groupInterval": "group_interval",
              "repeatInterval": "repeat_interval", "continue": "continue"}

    def route(r: dict) -> dict:
        out: dict = {"receiver": prefix + r["receiver"]} if "receiver" in r else {}
        out.update({snake: r[camel] for camel, snake in timing.items() if camel in r})
        out["matchers"] = [matcher(m["name"], m["matchType"], m["value"]) for m in r.get("matchers", [])]
        if r.get("routes"):
            out["routes"] = [route(c) for c in r["routes"]]
        return out

    top = route(amc["spec"]["route"])
    if strategy == "OnNamespace":
        top["matchers"].append(matcher("namespace", "=", ns))
    top["continue"] = True
    receivers = [{"name": "operator-default"}] + [{"name": prefix + r["name"]} for r in amc["spec"]["receivers"]]
    return {"route": {"receiver": "operator-default", "routes": [top]}, "receivers": receivers}


def route_cases(files: dict[str, str | bytes], amc: dict, strategy: str) -> list[dict]:
    ns, name = amc["metadata"]["namespace"], amc["metadata"]["name"]
    out = []
    for case in load(files[build.ROUTE_TESTS])["cases"]:
        labels = dict(case["labels"], namespace=ns) if strategy == "OnNamespace" else case["labels"]
        out.append({"name": case["name"], "receiver": f"{ns}/{name}/{case['receiver']}", "labels": labels})
    return out


def run_cases(tmp: Path, config: dict, cases: list[dict]) -> tuple[Any, int]:
    (tmp / "operator.yml").write_text(yaml.safe_dump(config))
    (tmp / "cases.yml").write_text(yaml.safe_dump({"config": "operator.yml", "cases": cases}))
    return amtool.test_routes(amtool.find(), tmp / "cases.yml")


@pytest.mark.parametrize("strategy", ["OnNamespace", "None"])
def test_the_operator_routes_every_case_to_the_same_receiver(files: dict[str, str | bytes], tmp_path: Path,
                                                             strategy: str) -> None:
    amc = load(files["k8s/alertmanagerconfig.yaml"])
    cases = route_cases(files, amc, strategy)
    result, count = run_cases(tmp_path, operator_config(amc, strategy), cases)
    assert result.ok, result.lines
    assert count == len(cases) >= 20


def test_without_a_namespace_label_the_default_strategy_routes_nothing_of_ours(files: dict[str, str | bytes],
                                                                                tmp_path: Path) -> None:
    """Why README asks for alertmanagerConfigMatcherStrategy: our alerts carry no namespace label."""
    amc = load(files["k8s/alertmanagerconfig.yaml"])
    cases = [dict(c, receiver="operator-default") for c in route_cases(files, amc, "None")]
    result, _ = run_cases(tmp_path, operator_config(amc, "OnNamespace"), cases)
    assert result.ok, result.lines


def test_a_route_pointed_elsewhere_fails_the_routing_check(files: dict[str, str | bytes], tmp_path: Path) -> None:
    amc = load(files["k8s/alertmanagerconfig.yaml"])
    service_route = next(r for r in amc["spec"]["route"]["routes"] if r["matchers"][0]["name"] == "service")
    page = next(r for r in service_route["routes"] if r["matchers"][0]["value"] == "page")
    ticket = next(r for r in service_route["routes"] if r["matchers"][0]["value"] == "ticket")
    page["receiver"] = ticket["receiver"]
    result, _ = run_cases(tmp_path, operator_config(amc, "None"), route_cases(files, amc, "None"))
    assert not result.ok
    assert all("expected monitoring/obsgen/" in line for line in result.lines)
    assert any("page over 1h" in line for line in result.lines)


def _plain_receiver(r: dict, files_by_key: dict[str, str]) -> dict:
    """An AlertmanagerConfig receiver read back into alertmanager.yml's keys, Secret keys as the files they
    stand for: the inverse of k8s_alertmanager's table, written out independently."""
    names = {"sendResolved": "send_resolved", "requireTLS": "require_tls", "authUsername": "auth_username",
             "httpConfig": "http_config", "pagerdutyConfigs": "pagerduty_configs", "slackConfigs": "slack_configs",
             "webhookConfigs": "webhook_configs", "emailConfigs": "email_configs"}

    def back(node: Any) -> Any:
        if isinstance(node, list):
            return [back(v) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict = {}
        for k, v in node.items():
            if k in SECRET_FIELDS:
                out[SECRET_FIELDS[k]] = files_by_key[v["key"]]
            elif k == "details":
                out[k] = {d["key"]: d["value"] for d in v}
            elif k == "pagerDutyLinkConfigs":
                out["links"] = [{"href": x["href"], "text": x["alt"]} for x in v]
            else:
                out[names.get(k, k)] = back(v)
        return out

    return back(r)


def test_receivers_and_inhibition_say_what_the_plain_config_says(files: dict[str, str | bytes]) -> None:
    config = load(files[build.ALERTMANAGER_CONFIG])
    amc = load(files["k8s/alertmanagerconfig.yaml"])
    by_key = k8s_alertmanager.secret_keys(config, Kubernetes())
    assert [_plain_receiver(r, by_key) for r in amc["spec"]["receivers"]] == config["receivers"]
    inhibit = [{"source_matchers": [matcher(m["name"], m["matchType"], m["value"]) for m in r["sourceMatch"]],
                "target_matchers": [matcher(m["name"], m["matchType"], m["value"]) for m in r["targetMatch"]],
                "equal": r["equal"]} for r in amc["spec"]["inhibitRules"]]
    assert inhibit == config["inhibit_rules"]
    assert "/etc/" not in files["k8s/alertmanagerconfig.yaml"]


def test_secret_keys_are_the_files_readme_mounts_from_the_same_secret(files: dict[str, str | bytes]) -> None:
    config = load(files[build.ALERTMANAGER_CONFIG])
    keys = k8s_alertmanager.secret_keys(config, Kubernetes())
    assert keys == {Path(p).name: p for p in keys.values()} and len(keys) >= 4
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    secrets = readme[readme.index("### Secrets"):]
    secrets = secrets[:secrets.index("\n## ")]
    assert f"secretName: {Kubernetes().secret}" in secrets
    for key in keys:
        assert f"`{key}`" in secrets, key


def test_two_secret_files_with_one_name_are_refused() -> None:
    config = {"route": {"receiver": "a"}, "receivers": [
        {"name": "a", "slack_configs": [{"api_url_file": "/x/url", "channel": "#a"}]},
        {"name": "b", "slack_configs": [{"api_url_file": "/y/url", "channel": "#b"}]}]}
    with pytest.raises(SpecError, match="both would be key 'url'") as exc:
        k8s_alertmanager.render(config, Kubernetes(), "alerts/a.py")
    assert exc.value.file == "alerts/a.py" and exc.value.field == "receivers[1].slack_configs[0].api_url_file"


def test_a_key_the_crd_cannot_express_stops_the_build() -> None:
    config = {"route": {"receiver": "a"}, "receivers": [{"name": "a", "opsgenie_configs": [{}]}]}
    with pytest.raises(SpecError, match="cannot express 'opsgenie_configs'"):
        k8s_alertmanager.render(config, Kubernetes(), "alerts/a.py")


def test_global_is_left_out_and_the_spec_starts_with_the_route(files: dict[str, str | bytes]) -> None:
    assert "global" in load(files[build.ALERTMANAGER_CONFIG])
    spec = load(files["k8s/alertmanagerconfig.yaml"])["spec"]
    assert list(spec) == ["route", "receivers", "inhibitRules"]


_VALUES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@given(name=st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), op=st.sampled_from(["=", "!=", "=~", "!~"]),
       value=_VALUES)
def test_matchers_parse_back_to_what_was_declared(name: str, op: str, value: str) -> None:
    assert k8s_alertmanager.parse_matcher(matcher(name, op, value)) == {"name": name, "value": value, "matchType": op}
