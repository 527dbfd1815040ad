"""Secrets never reach out/ or the terminal: the config names files, and nothing key-shaped is written.

The scan looks for what real secrets look like (a 32-character PagerDuty key, Slack
hook and token shapes, bearer headers, inline password/key fields); a planted key
shows the scan can fail. Then every command runs with -v (its debug lines included) with
secrets planted in the files it reads: receivers' keys, PagerDuty's REST token (page-test)
and Grafana's token (publish), and no value appears in out/, stdout or stderr.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.loaders import alerts as alerts_loader
from generator.loaders import load_all
from generator.render import alertmanager as am_render
from tests import servers
from tests.standins.grafana import Grafana
from tests.standins.pagerduty import PagerDuty as PagerDutyStandin
from tests.test_page_test import SLO_DECLARATION, alerts_declaration

REPO = Path(__file__).resolve().parents[1]

KEY_SHAPED = [
    # a PagerDuty routing/integration key: 32 letters and digits, both present (an alert name has no digits)
    re.compile(r"(?<![A-Za-z0-9_/.-])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{32}(?![A-Za-z0-9_/.-])"),
    re.compile(r"hooks\.slack\.com/services/\S+"),
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\bbearer[ \t]+[A-Za-z0-9._~+/-]{8,}"),
    re.compile(r"(?i)\b(routing_key|service_key|api_url|auth_password|credentials|password|token)[ \t]*:[ \t]*\S+"),
]
PLANTED = {"routing key": "f3a1c0ffee42d00d5eed1234abcd9876", "slack": "https://hooks.slack.com/services/T1/B2/zzz",
           "smtp": "correct-horse-battery-staple", "webhook token": "tok_9f8e7d6c5b4a39281706"}


def findings(root: Path) -> list[str]:
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".png"):
        text = path.read_text(encoding="utf-8")
        for pattern in KEY_SHAPED:
            out += [f"{path.relative_to(root)}: {m.group(0)[:12]}..." for m in pattern.finditer(text)]
    return out


def test_out_holds_nothing_key_shaped() -> None:
    assert findings(REPO / "out") == []


def test_the_scan_finds_a_planted_key(tmp_path: Path) -> None:
    (tmp_path / "alertmanager.yml").write_text(f"routing_key: {PLANTED['routing key']}\n")
    (tmp_path / "other.yml").write_text(f"url: '{PLANTED['slack']}'\nx: {PLANTED['routing key']}\n")
    assert len(findings(tmp_path)) == 4


# -- every command with -v, secrets planted where each command reads them ---------------------------------
# A PagerDuty REST API key (page-test --pagerduty-token-file) and a Grafana service-account token (publish
# --grafana-token-file) join the receivers' secrets; none of them may appear in anything a command writes.
TOKENS = {"pagerduty rest": "u+PdRestTokenF9e8d7c6b5a4", "grafana": "glsa_0bsgenGrafanaT0ken_5e7a1b2c3d4e5f6a"}


def run_verbose(root: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "generator", *args, "-v"], cwd=root, capture_output=True, text=True,
                          timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr  # no exception text either
    assert "obsgen: [" in proc.stderr, f"no -v progress lines from {args}: {proc.stderr}"
    return proc


def assert_nowhere(secrets: list[str], printed: str, out: Path) -> None:
    written = "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*")
                      if p.is_file() and p.suffix != ".png")
    for value in secrets:
        assert value not in printed, value[:6]
        assert value not in written, value[:6]
    assert findings(out) == []


@pytest.fixture
def repo_with_secret_files(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    shutil.copytree(REPO / "slo", tmp_path / "slo", ignore=shutil.ignore_patterns("__pycache__"))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    files = {}
    for name, value in PLANTED.items():
        files[name] = secrets / name.replace(" ", "-")
        files[name].write_text(value + "\n")
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "routes.py").write_text(f'''
from generator.api import *
am = Alertmanager(
    default=Email(name="mail", to="sre@example.com", sender="am@example.com", smarthost="smtp.example.com:587",
                  auth_username="am", auth_password_file="{files['smtp']}"),
    teams=[Team(name="conductor", services=["maestro-conductor"],
                page=PagerDuty(name="pd", routing_key_file="{files['routing key']}"),
                ticket=Webhook(name="tickets", url="https://tickets.example.com/hook",
                               credentials_file="{files['webhook token']}"))],
    heartbeat=Webhook(name="heartbeat", url="https://heartbeat.example.com/ping/am",
                      credentials_file="{files['webhook token']}"),
)
''')
    return tmp_path, files


@pytest.mark.usefixtures("toolchain")  # it runs every command, obsgen check (promtool, amtool) among them
def test_secret_values_appear_nowhere_in_out_or_on_the_terminal(repo_with_secret_files: tuple[Path, dict]) -> None:
    """Every command that reads declarations or out/ offline, with -v."""
    root, files = repo_with_secret_files
    printed = ""
    for args in (["build"], ["build", "--check"], ["check"], ["report"], ["doc"],
                 ["preview", "maestro-conductor-slos", "--out", "build/preview.html"]):
        proc = run_verbose(root, *args, timeout=300)
        assert proc.returncode == 0, (args, proc.stderr)
        printed += proc.stdout + proc.stderr
    assert "ran " in printed and "promtool" in printed  # -v names the tools it ran
    config = (root / "out" / "alertmanager" / "alertmanager.yml").read_text()
    assert str(files["routing key"]) in config and str(files["webhook token"]) in config  # by file, as declared
    assert_nowhere(list(PLANTED.values()), printed, root / "out")


@pytest.fixture
def online_repo(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A repo whose PagerDuty receiver is the stand-in, and the files holding every planted secret."""
    files = {}
    for name, value in [*PLANTED.items(), *TOKENS.items()]:
        files[name] = tmp_path / "secrets" / name.replace(" ", "-")
        files[name].parent.mkdir(exist_ok=True)
        files[name].write_text(value + "\n")
    (tmp_path / "slo").mkdir()
    (tmp_path / "slo" / "shop.py").write_text(SLO_DECLARATION)
    return tmp_path, files


@pytest.mark.usefixtures("toolchain")
def test_page_test_and_publish_with_verbose_print_no_secret(online_repo: tuple[Path, dict[str, Path]]) -> None:
    """page-test (Alertmanager unreachable, then --direct through a real Alertmanager to the PagerDuty
    stand-in with the REST check) and publish (dry run, publish, Grafana failing) all run with -v; the
    stand-ins prove each secret was read and sent, so its absence from the output means something."""
    root, files = online_repo
    printed = ""
    with PagerDutyStandin(token=TOKENS["pagerduty rest"]) as pd, Grafana(token=TOKENS["grafana"]) as grafana:
        (root / "alerts").mkdir()
        (root / "alerts" / "shop.py").write_text(alerts_declaration(pd.events_url, files["routing key"]))
        assert run_verbose(root, "build").returncode == 0
        services = load_all([root / "slo"], root)
        am_decl = alerts_loader.load(root / "alerts", root, services)
        assert am_decl is not None
        down = f"http://127.0.0.1:{servers.lab.free_port()}"
        token_flags = ["--pagerduty-api-url", pd.api_url, "--pagerduty-token-file", str(files["pagerduty rest"])]
        proc = run_verbose(root, "page-test", "--service", "shop", "--alertmanager-url", down, "--direct", *token_flags)
        assert proc.returncode == 1 and "unreachable" in proc.stdout
        printed += proc.stdout + proc.stderr
        with servers.Alertmanager(am_render.render(am_decl, [s.name for s in services]), root) as am:
            proc = run_verbose(root, "page-test", "--service", "shop", "--alertmanager-url", am.url, "--direct",
                               *token_flags)
            printed += proc.stdout + proc.stderr
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "Alertmanager: GET" in proc.stderr and "PagerDuty" in proc.stderr  # -v shows the requests
        assert {e.body["routing_key"] for e in pd.events} == {PLANTED["routing key"]}
        grafana_flags = ["publish", "--only", "grafana", "--grafana-url", grafana.url, "--grafana-token-file",
                         str(files["grafana"])]
        for extra, code in ((["--dry-run"], 3), ([], 0)):
            proc = run_verbose(root, *grafana_flags, *extra)
            printed += proc.stdout + proc.stderr
            assert proc.returncode == code, proc.stdout + proc.stderr
        assert grafana.writes() and {r.authorization for r in grafana.requests} == {f"Bearer {TOKENS['grafana']}"}
        grafana.fail("GET", "/api/", 500)  # an outage: the failure's message must not carry the token either
        proc = run_verbose(root, *grafana_flags)
        assert proc.returncode == 1 and "HTTP 500" in proc.stdout, proc.stdout + proc.stderr
        printed += proc.stdout + proc.stderr
    assert_nowhere([*PLANTED.values(), *TOKENS.values()], printed, root / "out")
