"""The Alertmanager declarations (generator/routing.py, loaders/alerts.py): what is refused, and how.

Every refusal is a spec error: one line naming the file and the field, exit 2, nothing
written, and never the secret the declaration tried to carry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.loaders import alerts, load_all

REPO = Path(__file__).resolve().parents[1]

HEADER = "from generator.api import *\n"
TEAM = ('Team(name="conductor", services=["maestro-conductor"], '
        'page=PagerDuty(name="pd", routing_key_file="/run/secrets/pd-key"), {ticket})')
TICKET = 'ticket=Slack(name="tickets", api_url_file="/run/secrets/slack-url", channel="#t")'
DEFAULT = 'default=Webhook(name="default", url="https://tickets.example.com/hook")'


def declaration(*, team: str = TEAM, ticket: str = TICKET, default: str = DEFAULT, extra: str = "") -> str:
    return HEADER + f"am = Alertmanager(teams=[{team.format(ticket=ticket)}], {default}{extra})\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "slo", tmp_path / "slo", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "alerts").mkdir()
    return tmp_path


def load(repo: Path, text: str) -> object:
    (repo / "alerts" / "routes.py").write_text(text)
    services = load_all([repo / "slo"], repo)
    return alerts.load(repo / "alerts", repo, services)


def refusal(repo: Path, text: str) -> str:
    with pytest.raises(SpecError) as exc:
        load(repo, text)
    message = str(exc.value)
    assert message.startswith("alerts/routes.py: "), message
    assert "\n" not in message
    return message


def test_a_valid_declaration_loads(repo: Path) -> None:
    am = load(repo, declaration())
    assert am is not None and am.source == "alerts/routes.py"


def test_no_declaration_means_no_alertmanager_output(repo: Path) -> None:
    (repo / "alerts" / "helpers.py").write_text("X = 1\n")
    assert alerts.load(repo / "alerts", repo, load_all([repo / "slo"], repo)) is None


def test_a_service_without_a_team_is_refused(repo: Path) -> None:
    team = TEAM.replace('"maestro-conductor"', '"other"')
    assert "service 'other' is not declared" in refusal(repo, declaration(team=team))


def test_every_declared_service_needs_a_team(repo: Path) -> None:
    extra = textwrap.dedent('''
        from generator.api import SLO, ProbeSLI, Service
        extra = Service(name="lonely", slos=[SLO(name="up", objective=99, sli=ProbeSLI('probe_success{job="x"}'))])
    ''')
    (repo / "slo" / "lonely.py").write_text(extra)
    assert "service 'lonely' has no team" in refusal(repo, declaration())


@pytest.mark.parametrize("url", [
    "https://user:s3cr3tpassw0rd@tickets.example.com/hook",
    "https://tickets.example.com/hook?token=s3cr3tpassw0rd",
    "https://tickets.example.com/hooks/T0001/B0001/s3cr3tpassw0rdXYZ123456",
])
def test_a_webhook_url_may_not_carry_a_token_and_the_error_does_not_echo_it(repo: Path, url: str) -> None:
    ticket = f'ticket=Webhook(name="tickets", url="{url}")'
    message = refusal(repo, declaration(ticket=ticket))
    assert "teams[0].ticket.url" in message
    assert "s3cr3tpassw0rd" not in message


def test_a_routing_key_cannot_be_declared_inline(repo: Path) -> None:
    team = TEAM.replace('routing_key_file="/run/secrets/pd-key"', 'routing_key="0123456789abcdef0123456789abcdef"')
    message = refusal(repo, declaration(team=team))
    assert "routing_key" in message and "0123456789abcdef0123456789abcdef" not in message


def test_page_timing_must_group_by_test_id(repo: Path) -> None:
    timing = 'page_timing=Timing(("alertname", "service", "slo"), "30s", "5m", "4h")'
    team = TEAM.replace("{ticket})", "{ticket}, " + timing + ")")
    assert "teams[0].page_timing.group_by" in refusal(repo, declaration(team=team))


def test_a_bad_duration_names_its_field(repo: Path) -> None:
    team = TEAM.replace("{ticket})", '{ticket}, ticket_timing=Timing(("alertname",), "5 minutes", "30m", "24h"))')
    assert "teams[0].ticket_timing.group_wait" in refusal(repo, declaration(team=team))


def test_one_receiver_name_for_two_different_receivers_is_refused(repo: Path) -> None:
    ticket = 'ticket=Slack(name="default", api_url_file="/run/secrets/slack-url", channel="#t")'
    assert "declared twice" in refusal(repo, declaration(ticket=ticket))


def test_two_alertmanager_declarations_are_refused(repo: Path) -> None:
    (repo / "alerts" / "another.py").write_text(declaration())
    (repo / "alerts" / "routes.py").write_text(declaration())
    with pytest.raises(SpecError, match="second Alertmanager"):
        alerts.load(repo / "alerts", repo, load_all([repo / "slo"], repo))


def test_email_password_comes_only_from_a_file(repo: Path) -> None:
    default = ('default=Email(name="mail", to="a@example.com", sender="b@example.com", '
               'smarthost="smtp.example.com:587", auth_username="b", auth_password="hunter2hunter2")')
    message = refusal(repo, declaration(default=default))
    assert "auth_password" in message and "hunter2hunter2" not in message


def test_the_cli_prints_one_line_and_exits_2(repo: Path) -> None:
    (repo / "alerts" / "routes.py").write_text(declaration(team=TEAM.replace('"maestro-conductor"', '"other"')))
    proc = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "obsgen: alerts/routes.py: team conductor.services: service 'other' is not declared in slo/"]
    assert not (repo / "out").exists()


# -- the heartbeat (the Watchdog's receiver) -----------------------------------------------------------
HEARTBEAT = ', heartbeat=Webhook(name="heartbeat", url="https://heartbeat.example.com/ping/am")'


def test_a_heartbeat_loads_and_may_notify_at_once(repo: Path) -> None:
    am = load(repo, declaration(extra=HEARTBEAT + ', heartbeat_timing=Timing(("alertname",), "0s", "1m", "1m")'))
    assert am is not None and am.heartbeat is not None and am.heartbeat.name == "heartbeat"
    assert am.receivers()[-1] is am.heartbeat


def test_only_the_heartbeat_may_wait_0s_elsewhere_a_duration_must_be_positive(repo: Path) -> None:
    team = TEAM.replace("{ticket})", '{ticket}, ticket_timing=Timing(("alertname",), "0m", "30m", "24h"))')
    assert "teams[0].ticket_timing.group_wait" in refusal(repo, declaration(team=team, extra=HEARTBEAT))


def test_a_heartbeat_must_be_a_webhook_or_pagerduty(repo: Path) -> None:
    extra = ', heartbeat=Slack(name="beat", api_url_file="/run/secrets/slack-url", channel="#beat")'
    assert "alerts/routes.py: heartbeat: must be a Webhook" in refusal(repo, declaration(extra=extra))


def test_a_heartbeat_shares_no_name_with_another_receiver(repo: Path) -> None:
    extra = ', heartbeat=Webhook(name="default", url="https://heartbeat.example.com/ping/am")'
    assert "heartbeat.name: receiver name 'default' is already used" in refusal(repo, declaration(extra=extra))


def test_a_heartbeat_url_may_not_carry_a_token(repo: Path) -> None:
    extra = ', heartbeat=Webhook(name="beat", url="https://hc.example.com/ping/5f1e2d3c4b5a69788796a5b4c3d2e1f0")'
    message = refusal(repo, declaration(extra=extra))
    assert "heartbeat.url" in message and "5f1e2d3c4b5a69788796a5b4c3d2e1f0" not in message
