"""Webhook URLs that carry their token, through `url_file` (Alertmanager >= 0.26), and a floor of 0.25.

The declared `Alertmanager(version=...)` is the oldest Alertmanager the config must load on (default
0.25, the oldest tested). At 0.26 or later a Webhook may read its whole URL from a file; below, that is a
spec error naming the version to declare. `obsgen check` then needs amtool >= 0.26 and says so in one
line (exit 2) to an older one: run with both toolchains, 0.33.1 accepts the config and 0.25 is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.kubernetes import Kubernetes
from generator.model import SLO, Service
from generator.render import alertmanager as am_render
from generator.render import k8s_alertmanager
from generator.routing import Alertmanager, Email, PagerDuty, Team, Webhook
from generator.sli import RatioSLI

REPO = Path(__file__).resolve().parents[1]
TOKEN_URL = "https://tickets.example.com/hooks/Ab3dEf6hIj9kLm2nOp5qRs8t"  # the token is in the path

SLO_PY = '''from generator.api import SLO, RatioSLI, Service
svc = Service(name="shop", slos=[SLO(name="requests", objective=99.9, sli=RatioSLI(
    error_query='sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))',
    total_query='sum(rate(http_requests_total{job="shop"}[{{.window}}]))'))])
'''
ALERTS_PY = '''from generator.api import Alertmanager, Email, PagerDuty, Team, Webhook
alertmanager = Alertmanager(version="0.26", default=Email(name="mail", to="sre@example.com",
    sender="am@example.com", smarthost="smtp.example.com:587"),
    teams=[Team(name="shop", services=["shop"], page=PagerDuty(name="pd", routing_key_file="/s/pd-key"),
                ticket=Webhook(name="tickets", url_file="/s/tickets-url"))])
'''


def _services() -> list[Service]:
    sli = RatioSLI(error_query='sum(rate(e{job="shop"}[{{.window}}]))',
                   total_query='sum(rate(t{job="shop"}[{{.window}}]))')
    return [Service(name="shop", slos=(SLO(name="requests", objective=99.9, sli=sli),), source="slo/shop.py")]


def _am(ticket: Webhook, version: str | None = None) -> Alertmanager:
    extra = {"version": version} if version else {}
    return Alertmanager(default=Email(name="mail", to="sre@example.com", sender="am@example.com",
                                      smarthost="smtp.example.com:587"),
                        teams=[Team(name="shop", services=["shop"],
                                    page=PagerDuty(name="pd", routing_key_file="/s/pd-key"), ticket=ticket)],
                        **extra)


def test_url_file_below_0_26_is_refused_naming_the_version() -> None:
    with pytest.raises(SpecError, match=r'url_file needs Alertmanager >= 0\.26.*version="0\.26"'):
        _am(Webhook(name="tickets", url_file="/s/tickets-url")).validate(_services())


def test_a_token_in_the_url_points_at_url_file_without_echoing_it() -> None:
    with pytest.raises(SpecError) as err:
        _am(Webhook(name="tickets", url=TOKEN_URL), "0.26").validate(_services())
    assert "url_file" in str(err.value) and "Ab3dEf6" not in str(err.value)


def test_url_xor_url_file() -> None:
    with pytest.raises(SpecError, match="exactly one of url and url_file"):
        both = Webhook(name="tickets", url="https://tickets.example.com/new", url_file="/s/u")
        _am(both, "0.26").validate(_services())


def test_rendered_as_url_file_and_as_a_secret_in_the_alertmanagerconfig() -> None:
    am = _am(Webhook(name="tickets", url_file="/s/tickets-url"), "0.26")
    am.validate(_services())
    cfg = am_render.render(am, _services())
    (hook,) = next(r for r in cfg["receivers"] if r["name"] == "tickets")["webhook_configs"]
    assert hook["url_file"] == "/s/tickets-url" and "url" not in hook
    crd = k8s_alertmanager.render(cfg, Kubernetes(), "alerts/shop.py")
    (hook_crd,) = next(r for r in crd["spec"]["receivers"] if r["name"] == "tickets")["webhookConfigs"]
    assert hook_crd["urlSecret"] == {"name": "alertmanager-secrets", "key": "tickets-url"}


@pytest.mark.usefixtures("toolchain")
def test_obsgen_check_needs_amtool_0_26_for_it(tmp_path: Path, toolchain) -> None:
    (tmp_path / "slo").mkdir()
    (tmp_path / "alerts").mkdir()
    (tmp_path / "slo" / "shop.py").write_text(SLO_PY)
    (tmp_path / "alerts" / "shop.py").write_text(ALERTS_PY)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    run = [sys.executable, "-m", "generator"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    built = subprocess.run([*run, "build"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert built.returncode == 0, built.stderr
    proc = subprocess.run([*run, "check"], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env)
    if toolchain.major >= 3:  # amtool 0.33.1
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "amtool check-config: ok" in proc.stdout
    else:  # amtool 0.25: refused before it runs, in one line naming the version
        assert proc.returncode == 2, proc.stdout + proc.stderr
        [line] = proc.stderr.splitlines()
        assert "amtool 0.25.0, too old" in line and ">= 0.26.0" in line and "url_file" in line, line
