"""Secrets never reach out/: the config names files, and nothing key-shaped is written.

The scan looks for what real secrets look like (a 32-character PagerDuty key, Slack
hook and token shapes, bearer headers, inline password/key fields); a planted key
shows the scan can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_secret_values_appear_nowhere_in_out_or_on_the_terminal(repo_with_secret_files: tuple[Path, dict]) -> None:
    root, files = repo_with_secret_files
    printed = ""
    for args in (["build"], ["build", "--check"], ["check"]):
        proc = subprocess.run([sys.executable, "-m", "generator", *args], cwd=root, capture_output=True, text=True,
                              timeout=300)
        printed += proc.stdout + proc.stderr
    assert (root / "out" / "alertmanager" / "alertmanager.yml").is_file()
    config = (root / "out" / "alertmanager" / "alertmanager.yml").read_text()
    assert str(files["routing key"]) in config and str(files["webhook token"]) in config  # by file, as declared
    written = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (root / "out").rglob("*")
                      if p.is_file() and p.suffix != ".png")
    for value in PLANTED.values():
        assert value not in written and value not in printed
    assert findings(root / "out") == []
