"""The three places `obsgen publish` writes to, on 127.0.0.1, for the command and CI-pipeline tests.

A real Prometheus (rules directory of its own, evaluation every second) and Alertmanager (started
on a minimal config) from tests/servers.py, and the Grafana stand-in; `reset()` puts all three back
to empty so a module can share one set; `checkout()` makes a copy of this repo's declarations and
out/ in which the obsgen command runs as it would in a user's clone.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench import lab
from generator.publish import alertmanager as am_target
from generator.publish import prometheus as prom_target
from tests import servers
from tests.standins.grafana import Grafana

REPO = Path(__file__).resolve().parents[1]
MINIMAL_ALERTMANAGER = {"route": {"receiver": "nobody"}, "receivers": [{"name": "nobody"}]}
CHECKOUT = ("slo", "alerts", "dashboards", "out", "Makefile", "examples")


@dataclass
class Targets:
    prometheus: lab.Prometheus
    rules_dir: Path
    alertmanager: servers.Alertmanager
    grafana: Grafana
    token_file: Path

    def flags(self) -> list[str]:
        return ["--prometheus-url", self.prometheus.url, "--prometheus-rules-dir", str(self.rules_dir),
                "--alertmanager-url", self.alertmanager.url,
                "--alertmanager-config", str(self.alertmanager.config_file),
                "--grafana-url", self.grafana.url, "--grafana-token-file", str(self.token_file)]

    def env(self) -> dict[str, str]:
        """The same, as examples/ci/pipeline.sh reads them."""
        return {"PROMETHEUS_URL": self.prometheus.url, "PROMETHEUS_RULES_DIR": str(self.rules_dir),
                "ALERTMANAGER_URL": self.alertmanager.url, "ALERTMANAGER_CONFIG": str(self.alertmanager.config_file),
                "GRAFANA_URL": self.grafana.url, "GRAFANA_TOKEN_FILE": str(self.token_file)}

    def reset(self) -> None:
        for p in self.rules_dir.iterdir():
            p.unlink()
        prom_target.Server(self.prometheus.url).reload()
        self.alertmanager.config_file.write_text(yaml.safe_dump(MINIMAL_ALERTMANAGER))
        am_target.Server(self.alertmanager.url).reload()
        self.grafana.folders.clear()
        self.grafana.dashboards.clear()
        self.grafana.requests.clear()
        self.grafana.heal()

    def reload_times(self) -> tuple[float, float]:
        """(Prometheus's, Alertmanager's) last successful reload: unchanged means not reloaded."""
        [(_, prom)] = self.prometheus.metrics("prometheus_config_last_reload_success_timestamp_seconds")
        with urllib.request.urlopen(self.alertmanager.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        found = re.search(r"^alertmanager_config_last_reload_success_timestamp_seconds (\S+)$", text, re.M)
        assert found, "Alertmanager reports no reload time"
        return prom, float(found[1])


@contextlib.contextmanager
def started(work: Path) -> Iterator[Targets]:
    rules = work / "rules"
    rules.mkdir()
    token_file = work / "grafana-token"
    with contextlib.ExitStack() as stack:
        prom = stack.enter_context(servers.prometheus(work, rules, None))
        am = stack.enter_context(servers.Alertmanager(MINIMAL_ALERTMANAGER, work))
        grafana = stack.enter_context(Grafana())
        token_file.write_text(grafana.token + "\n")
        yield Targets(prom, rules, am, grafana, token_file)


def checkout(dst: Path, git: bool = True) -> Path:
    """A copy of the repo's declarations, out/ and CI examples (a git repository with one commit, if asked)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in CHECKOUT:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dst / name)
    if git:
        for cmd in (["init", "-q", "-b", "main"], ["add", "-A"],
                    ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "declarations"]):
            subprocess.run(["git", *cmd], cwd=dst, check=True, capture_output=True)
    return dst


def head(repo: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()
