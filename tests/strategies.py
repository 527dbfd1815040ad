"""Hypothesis strategies for random valid declarations, and the settings the property tests share.

What an SRE may legally write, drawn at random: several services, objectives from 50 to 99.999,
periods 7d/28d/30d, custom tiers, ratio/latency/probe SLIs, label values made of the characters
that break quoting (quotes, backslashes, newlines, template braces, `$labels`, markup, non-ASCII)
and names up to the lengths the outputs allow. The declarations are model objects, validated the
way the loaders validate them, so a draw that the model refuses is a bug in this module.

Examples are few by default (CI-sized) and reproducible (derandomized, no example database);
OBSGEN_HYPOTHESIS_EXAMPLES raises every property's count for a long local run, and
OBSGEN_HYPOTHESIS_RANDOM with `--hypothesis-seed=N` draws other examples than CI's.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from generator import promql
from generator.model import RESERVED_LABELS, SLO, Alerting, Service
from generator.routing import Alertmanager, Email, PagerDuty, Slack, Team, Webhook
from generator.sli import LatencySLI, ProbeSLI, RatioSLI
from generator.tiers import Tier

EXAMPLES_ENV = "OBSGEN_HYPOTHESIS_EXAMPLES"
RANDOM_ENV = "OBSGEN_HYPOTHESIS_RANDOM"
SOURCE = "slo/random.py"
ALERTS_SOURCE = "alerts/random.py"


def examples(default: int) -> settings:
    """`default` examples (at most 20 in CI), or OBSGEN_HYPOTHESIS_EXAMPLES when set. Reproducible: the same
    examples on every run, unless OBSGEN_HYPOTHESIS_RANDOM is set (then `pytest --hypothesis-seed=N`
    explores elsewhere, still reproducibly)."""
    wanted = os.environ.get(EXAMPLES_ENV)
    return settings(max_examples=int(wanted) if wanted else default, deadline=None,
                    derandomize=RANDOM_ENV not in os.environ, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# The pieces of text that break quoting somewhere: PromQL and matcher strings, YAML scalars, JSON,
# Go templates (Prometheus and Alertmanager expand labels and annotations), HTML, Markdown tables.
HOSTILE = ('"}', '"', "'", "\\", "\\n", "\n", "\t", "\r", "{{ }}", "{{", "}}", '{{ "x" }}', "$labels",
           "$value", "${x}", "[[x]]", "<script>alert(1)</script>", "&amp;", "|", "`", "```", "#", ": ",
           "- ", "*", "%s", "ü", "日本", "✓", "😀", "\u2028", "\x85", "\x1b", "\x7f", " ")


def hostile_text(max_parts: int = 6) -> st.SearchStrategy[str]:
    chars = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=4)
    return st.lists(st.one_of(st.sampled_from(HOSTILE), chars), max_size=max_parts).map("".join)


def label_value() -> st.SearchStrategy[str]:
    """Empty now and then: to Prometheus that is no label at all. Never NUL: the model refuses it."""
    return hostile_text()


def selector_value() -> st.SearchStrategy[str]:
    """A value the SLI's own queries select on: non-empty, or the matcher would select series without the label."""
    return hostile_text().filter(bool)


label_name = st.from_regex(r"[a-z_][a-z0-9_]{0,24}", fullmatch=True).filter(
    lambda n: n not in RESERVED_LABELS and not n.startswith("__"))


def labels(max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(label_name, label_value(), max_size=max_size)


# Service names end up in dashboard uids (`<name>-slos`, 40 characters: the model allows 35) and in
# Kubernetes object names (lower-case DNS names, so no capitals or '_' that could make two names one).
service_name = st.from_regex(r"[a-z][a-z0-9-]{0,33}[a-z0-9]", fullmatch=True)
slo_name = st.from_regex(r"[a-z][a-z0-9_.-]{0,60}", fullmatch=True)
alert_name = st.from_regex(r"[A-Z][A-Za-z0-9_]{0,60}", fullmatch=True)
metric_name = st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True)
objective = st.integers(50_000, 99_999).map(lambda n: n / 1000)
period = st.sampled_from(("7d", "28d", "30d"))

# Long windows stop at 3d (the default ticket tier's): the generated tests then stay within
# promtool's 10,000 samples per query (a page tier's windows set how long the 1m-evaluated
# scenarios last, and the staged period window reads one bucket per evaluation).
PAGE_WINDOWS = ("10m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")
TICKET_WINDOWS = (*PAGE_WINDOWS, "2d", "3d")
SHORT_WINDOWS = ("5m", "10m", "15m", "30m", "1h", "2h", "6h")


@st.composite
def tier(draw: st.DrawFn, severity: str) -> Tier:
    from generator import durations

    long = draw(st.sampled_from(PAGE_WINDOWS if severity == "page" else TICKET_WINDOWS))
    shorter = [w for w in SHORT_WINDOWS if durations.parse(w) < durations.parse(long)]
    short = draw(st.none() | st.sampled_from(shorter)) if shorter else None
    if draw(st.booleans()):
        return Tier(severity, long, short, budget_percent=draw(st.integers(5, 300)) / 10)
    return Tier(severity, long, short, factor=draw(st.integers(2, 200)) / 10)


@st.composite
def tiers(draw: st.DrawFn) -> tuple[Tier, ...] | None:
    if draw(st.booleans()):
        return None  # the defaults
    drawn = draw(st.lists(st.sampled_from(("page", "ticket")).flatmap(tier), min_size=1, max_size=4))
    unique: dict[tuple[str, str], Tier] = {}
    for t in drawn:  # one alert instance per severity and long window (the model refuses two)
        unique.setdefault((t.severity, t.long_window), t)
    return tuple(unique.values())


@st.composite
def ratio_sli(draw: st.DrawFn) -> RatioSLI:
    metric = draw(metric_name) + "_total"
    job = promql.quote(draw(selector_value()))
    total = f"sum(rate({metric}{{job={job}}}[{{{{.window}}}}]))"
    if draw(st.booleans()):
        return RatioSLI(total_query=total,
                        error_query=f'sum(rate({metric}{{job={job},code=~"5.."}}[{{{{.window}}}}]))')
    return RatioSLI(total_query=total, good_query=f'sum(rate({metric}{{job={job},code!~"5.."}}[{{{{.window}}}}]))')


@st.composite
def latency_sli(draw: st.DrawFn) -> LatencySLI:
    buckets = tuple(sorted(draw(st.sets(st.sampled_from((0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)), min_size=1))))
    return LatencySLI(metric=draw(metric_name) + "_seconds", threshold=draw(st.sampled_from(buckets)),
                      matchers=f"job={promql.quote(draw(selector_value()))}", buckets=buckets)


@st.composite
def probe_sli(draw: st.DrawFn) -> ProbeSLI:
    return ProbeSLI(f'probe_success{{job="blackbox",instance={promql.quote(draw(selector_value()))}}}')


@st.composite
def slo(draw: st.DrawFn, name: str) -> SLO:
    alerting = Alerting(
        name=draw(st.none() | alert_name), labels=draw(labels(2)), page_labels=draw(labels(1)),
        ticket_labels=draw(labels(1)), page=draw(st.booleans()), ticket=draw(st.booleans()),
        tiers=draw(tiers()), for_=draw(st.sampled_from((None, "1m", "5m"))),
        keep_firing_for=draw(st.sampled_from((None, "10m"))))
    return SLO(name=name, objective=draw(objective), sli=draw(st.one_of(ratio_sli(), latency_sli(), probe_sli())),
               period=draw(period), description=draw(hostile_text()), labels=draw(labels(2)),
               alerting=alerting, interval=draw(st.sampled_from(("15s", "30s", "1m"))),
               scrape_interval=draw(st.sampled_from((None, "10s", "15s", "30s", "1m"))))


@st.composite
def service(draw: st.DrawFn, name: str, max_slos: int = 3) -> Service:
    names = draw(st.lists(slo_name, min_size=1, max_size=max_slos, unique=True))
    svc = Service(name=name, slos=tuple(draw(slo(n)) for n in names), owner=draw(hostile_text()),
                  labels=draw(labels(2)), runbook_url=draw(st.sampled_from(("", "https://runbooks.example.com/x"))),
                  budget_policy=draw(hostile_text()), source=SOURCE)
    svc.validate()
    return svc


@st.composite
def services(draw: st.DrawFn, max_services: int = 3, max_slos: int = 3) -> list[Service]:
    chosen = draw(st.lists(service_name, min_size=1, max_size=max_services, unique=True))
    return sorted((draw(service(n, max_slos)) for n in chosen), key=lambda s: s.name)


receiver_name = st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True)


def secret_path(receiver: str) -> st.SearchStrategy[str]:
    """A hostile directory, and a basename out/k8s can use as a Secret key: one per receiver (the model
    refuses names that are not keys, or two files that would be one key)."""
    return hostile_text(3).map(lambda d: f"/etc/alertmanager/{d.replace(chr(10), ' ').replace(chr(13), ' ')}/"
                                         f"{receiver}.key")


@st.composite
def ticket_receiver(draw: st.DrawFn, name: str) -> Slack | Webhook | Email:
    kind = draw(st.sampled_from(("slack", "webhook", "email")))
    if kind == "slack":
        return Slack(name=name, api_url_file=draw(secret_path(name)), channel="#" + draw(hostile_text()))
    if kind == "webhook":
        return Webhook(name=name, url="https://tickets.example.com/hook", credentials_file=draw(secret_path(name)))
    return Email(name=name, to=draw(hostile_text()) + "@example.com", sender="am@example.com",
                 smarthost="smtp.example.com:587")


@st.composite
def alertmanager(draw: st.DrawFn, declared: list[Service]) -> Alertmanager:
    """Every declared service owned by one of one to three teams, each with its own receivers."""
    count = draw(st.integers(1, min(3, len(declared))))
    owner = [i if i < count else draw(st.integers(0, count - 1)) for i in range(len(declared))]
    teams = [Team(name=f"team-{i}", services=[s.name for s, o in zip(declared, owner, strict=True) if o == i],
                  page=PagerDuty(name=f"team-{i}-pager", routing_key_file=draw(secret_path(f"team-{i}-pager"))),
                  ticket=draw(ticket_receiver(f"team-{i}-tickets")))
             for i in range(count)]
    path = "".join(draw(st.lists(st.sampled_from(("grafana", "{{", "}}", "$labels", "%22", "ü", "/")), max_size=4)))
    am = Alertmanager(teams=teams, default=Webhook(name="default-hook", url="https://hooks.example.com/default"),
                      grafana_url=f"https://grafana.example.com/{path}", source=ALERTS_SOURCE)
    am.validate(declared)
    return am
