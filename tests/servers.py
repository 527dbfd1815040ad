"""Real Prometheus and Alertmanager servers on 127.0.0.1 for end-to-end tests of the alert path.

Prometheus is bench/lab.py's launcher (one way to start it for benchmarks and tests alike);
Alertmanager is started the same way here: a free port, a temporary storage path, gossip off
(`--cluster.listen-address=`, or every instance would fight over port 9094), and stopped on exit
whatever the test did. A missing binary is a test failure naming the Debian package, never a skip:
a skipped end-to-end test would let the paging path break unnoticed.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from bench import lab

APT_HINT = "apt-get install -y --no-install-recommends prometheus prometheus-alertmanager (or `make tools`)"
STARTUP_TIMEOUT = 30.0


class ToolMissing(AssertionError):
    """An AssertionError so pytest reports a failure, never a skip."""


def require(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if not found:
        raise ToolMissing(f"{binary} not found (Debian package {package}): {APT_HINT}")
    return found


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within {STARTUP_TIMEOUT:.0f} s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Alertmanager:
    """Alertmanager with the given config (a dict, e.g. generator.render.alertmanager.render's)."""

    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.port = lab.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        self.log = workdir / f"alertmanager-{self.port}.log"
        self.config_file = workdir / f"alertmanager-{self.port}.yml"  # what --config.file names (publish writes it)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Alertmanager:
        binary = require("prometheus-alertmanager", "prometheus-alertmanager")
        cfg = self.config_file
        cfg.write_text(yaml.safe_dump(self.config, sort_keys=False))
        storage = self.workdir / f"alertmanager-{self.port}-data"
        storage.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [binary, f"--config.file={cfg}", f"--storage.path={storage}",
                 f"--web.listen-address={self.target}", "--cluster.listen-address=", "--log.level=debug"],
                stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(self.url, self.proc, self.log, "alertmanager")
        except BaseException:
            _stop(self.proc)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        _stop(self.proc)


def prometheus(workdir: Path, rules_dir: Path, alertmanager: str | None, *, lifecycle: bool = True,
               resend_delay: str = "1m") -> lab.Prometheus:
    """A Prometheus evaluating every second the rule files in rules_dir and sending alerts to
    alertmanager (host:port). The resend delay is Prometheus's default: a notification dropped in
    the seconds after a reload (while the notifier rediscovers its Alertmanagers) then costs a
    minute, which a test timing the run notices, as an on-call engineer would."""
    require("prometheus", "prometheus")
    data = workdir / f"prometheus-data-{lab.free_port()}"
    return lab.Prometheus(data, [rules_dir / "*.yml"], eval_interval="1s", workdir=workdir,
                          alertmanagers=[alertmanager] if alertmanager else None, lifecycle=lifecycle,
                          flags=(f"--rules.alert.resend-delay={resend_delay}",))
