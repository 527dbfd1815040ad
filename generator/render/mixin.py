"""out/mixin: the SLOs as a monitoring mixin in the kube-prometheus convention, for jsonnet-based stacks.

`mixin.libsonnet` exposes `prometheusRules`, `prometheusAlerts` and `grafanaDashboards` (hidden fields,
as kube-prometheus and mixtool read them) and a `_config` holding each SLO's objective and SLI
selector. The rules are computed in Jsonnet from `_config`: each SLO's groups are a function of its
values, written from mixin_rules' template of rules.groups_for (so an override yields what obsgen
renders for the changed SLO; tests/test_mixin.py evaluates both ways). The dashboards are data:
the JSON of out/grafana/dashboards, whose panels already read a `datasource` variable.

kube-prometheus concatenates a mixin's alert and rule groups into one PrometheusRule, where a group
name may appear once; so the alerts of each group go to a group of their own, `<group>-alerts`, with
the same interval, after its recording rules (in obsgen's groups alerts always follow them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from generator import yamlio
from generator.grafana.outputs import DASHBOARDS
from generator.model import Service
from generator.render import jsonnet
from generator.render.jsonnet import Code
from generator.render.mixin_rules import SLOTemplate, Template, template

DIR = "mixin"

_RULES_HEAD = """\
// The SLO rules of out/prometheus/rules, computed from $._config.slos (config.libsonnet). Each SLO's
// groups are a function of its values v: objective, objective_ratio and budget as obsgen writes numbers
// (12 significant digits), and selector, the SLI's label matchers.
local num(x) = std.format('%.12g', x);
local values(where, c) =
  assert std.isNumber(c.objective) && c.objective > 0 && c.objective < 100 :
         where + ': objective must be a number between 0 and 100 (exclusive), in percent';
  assert !std.objectHas(c, 'selector') || std.isString(c.selector) : where + ': selector must be a string';
  {
    objective: num(c.objective),
    objective_ratio: num(c.objective / 100),
    budget: num((100 - c.objective) / 100),
  } + (if std.objectHas(c, 'selector') then { selector: c.selector } else {});
"""

_RULES_TAIL = """\
{
  local groups = std.flattenArrays([
    s.groups(values(s.service + '/' + s.slo, $._config.slos[s.service][s.slo]))
    for s in slos
  ]),
  local only(g, kind) = [r for r in g.rules if std.objectHas(r, kind)],
  prometheusRules+:: {
    groups+: [g { rules: only(g, 'record') } for g in groups if only(g, 'record') != []],
  },
  prometheusAlerts+:: {
    groups+: [g { name: g.name + '-alerts', rules: only(g, 'alert') } for g in groups if only(g, 'alert') != []],
  },
}
"""


def _code(node: object) -> object:
    """A template tree as jsonnet.value data: each Template a concatenation of text and v.<hole>."""
    if isinstance(node, Template):
        return Code(" + ".join(jsonnet.string(p) if isinstance(p, str) else f"v.{p.name}" for p in node.parts))
    if isinstance(node, dict):
        return {k: _code(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_code(v) for v in node]
    return node


def _groups_function(t: SLOTemplate) -> str:
    return "function(v) " + jsonnet.value(_code(t.groups), 2)


def config(services: list[Service], templates: dict[tuple[str, str], SLOTemplate]) -> str:
    slos: dict = {}
    for svc in services:
        for slo in svc.slos:
            entry: dict = {"objective": slo.objective}
            selector = templates[svc.name, slo.name].selector
            if selector is not None:
                entry["selector"] = selector
            slos.setdefault(svc.name, {})[slo.name] = entry
    return ("// What a user of this mixin overrides: per service and SLO the objective (percent) and, where the SLI\n"
            "// has one, its selector (the label matchers its series selectors share). For example:\n"
            "//   (import 'mixin.libsonnet') + { _config+:: { slos+: { 'maestro-conductor'+: {\n"
            "//     requests+: { objective: 99.95, selector: 'job=\"maestro\"' } } } } }\n"
            + "{\n  _config+:: " + jsonnet.value({"slos": slos}, 1) + ",\n}\n")


def rules(services: list[Service], templates: dict[tuple[str, str], SLOTemplate]) -> str:
    entries = []
    for svc in services:
        for slo in svc.slos:
            entries.append({"service": svc.name, "slo": slo.name,
                            "groups": Code(_groups_function(templates[svc.name, slo.name]))})
    return _RULES_HEAD + "local slos = " + jsonnet.value(entries) + ";\n\n" + _RULES_TAIL


def dashboards(boards: dict[str, dict]) -> str:
    return ("// The Grafana dashboards of out/grafana/dashboards, as data.\n"
            "{\n  grafanaDashboards+:: " + jsonnet.value(boards, 1) + ",\n}\n")


def outputs(files: Mapping[str, str | bytes], services: list[Service]) -> dict[str, str | bytes]:
    """mixin/<file> -> text; nothing without services (a mixin of no SLOs has nothing to configure)."""
    if not services:
        return {}
    templates = {(svc.name, slo.name): template(svc, slo) for svc in services for slo in svc.slos}
    prefix = DASHBOARDS + "/"
    boards: dict[str, dict] = {}
    board_sources: set[str] = set()
    for path in sorted(p for p in files if p.startswith(prefix) and p.endswith(".json")):
        text = files[path]
        text = text if isinstance(text, str) else text.decode("utf-8")
        boards[path[len(prefix):]] = json.loads(text)
        board_sources.update(yamlio.marked_sources(text))
    slo_sources = {svc.source for svc in services}

    def marked(sources: set[str], body: str) -> str:
        return f"# {yamlio.mark(', '.join(sorted(sources)))}\n{body}"

    return {
        f"{DIR}/mixin.libsonnet": marked(
            slo_sources | board_sources,
            "// obsgen's SLOs as a monitoring mixin (kube-prometheus convention): prometheusRules, prometheusAlerts\n"
            "// and grafanaDashboards, with the objectives and SLI selectors in _config (config.libsonnet).\n"
            "(import 'config.libsonnet') + (import 'rules.libsonnet') + (import 'dashboards.libsonnet')\n"),
        f"{DIR}/config.libsonnet": marked(slo_sources, config(services, templates)),
        f"{DIR}/rules.libsonnet": marked(slo_sources, rules(services, templates)),
        f"{DIR}/dashboards.libsonnet": marked(board_sources or slo_sources, dashboards(boards)),
    }
