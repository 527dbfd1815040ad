"""`obsgen publish` as users run it (generator/publish/command.py): a subprocess in a copy of the repo,
against the real Prometheus and Alertmanager and the Grafana stand-in (tests/publish_servers.py).

The exit codes are the contract a CI job relies on: 0 published or nothing to do, 1 stale out/ or a
failed target, 2 usage, 3 --dry-run found changes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import lab
from generator import cli
from tests import publish_servers
from tests.publish_servers import Targets

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

WAIT = ["--prometheus-wait", "1s"]  # the repo's groups evaluate every 30s and 5m: do not wait for them here


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    with publish_servers.started(tmp_path_factory.mktemp("servers")) as targets:
        yield targets


@pytest.fixture
def targets(servers: Targets) -> Targets:
    servers.reset()
    return servers


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return publish_servers.checkout(tmp_path / "repo")


def publish(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "generator", "publish", *args], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    print(proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout.splitlines()[-1]


def test_dry_run_then_publish_then_nothing_to_do(targets: Targets, repo: Path) -> None:
    first = publish(repo, "--dry-run", *targets.flags(), *WAIT)
    assert first.returncode == 3, first.stdout
    assert last_line(first) == ("obsgen publish --dry-run: would change prometheus (10 groups added), "
                                "alertmanager (config changed), grafana (folder created, 4 dashboards created)")
    assert "  + group obsgen-maestro-conductor-availability (14 rules)" in first.stdout
    assert "  +  receiver: sre-mailbox" in first.stdout
    assert '  + dashboard maestro-rollout "Maestro Conductor: Rollout Control"' in first.stdout
    assert list(targets.rules_dir.iterdir()) == [] and targets.grafana.writes() == []

    published = publish(repo, *targets.flags(), *WAIT)
    assert published.returncode == 0, published.stdout + published.stderr
    assert last_line(published) == ("obsgen publish: published prometheus (10 groups added), alertmanager (config "
                                    "changed), grafana (folder created, 4 dashboards created)")
    assert "alertmanager: Alertmanager runs our config" in published.stderr
    assert {r.body["message"] for r in targets.grafana.saves()} == {
        f"obsgen publish of commit {publish_servers.head(repo)}"}
    assert targets.grafana.token not in published.stdout + published.stderr

    reloaded, writes = targets.reload_times(), len(targets.grafana.writes())
    again = publish(repo, "--dry-run", *targets.flags(), *WAIT)
    assert again.returncode == 0
    assert last_line(again) == "obsgen publish --dry-run: unchanged: prometheus, alertmanager, grafana"
    second = publish(repo, *targets.flags(), *WAIT)
    assert second.returncode == 0
    assert last_line(second) == "obsgen publish: unchanged: prometheus, alertmanager, grafana"
    assert targets.reload_times() == reloaded, "a publish with nothing to do reloaded a server"
    assert len(targets.grafana.writes()) == writes


def test_a_stale_out_is_refused_before_any_server_is_touched(targets: Targets, repo: Path) -> None:
    rules = repo / "out/prometheus/rules/maestro-conductor.rules.yml"
    rules.write_text(rules.read_text().replace("interval: 30s", "interval: 1m", 1))
    proc = publish(repo, *targets.flags())
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["obsgen publish: out is stale (1 files of prometheus, alertmanager, grafana "
                                        "differ from the declarations; `obsgen build --check` shows how): run "
                                        "`obsgen build` and commit; nothing was published"]
    assert list(targets.rules_dir.iterdir()) == [] and targets.grafana.requests == []


def test_a_failed_target_fails_the_run_and_the_others_still_publish(targets: Targets, repo: Path) -> None:
    down = f"http://127.0.0.1:{lab.free_port()}"
    flags = targets.flags()
    flags[flags.index(targets.grafana.url)] = down
    proc = publish(repo, *flags, *WAIT)
    assert proc.returncode == 1
    assert f"grafana: FAILED: Grafana at {down} is unreachable" in proc.stdout
    assert last_line(proc) == ("obsgen publish: published prometheus (10 groups added), alertmanager (config "
                               "changed); FAILED: grafana")
    dry = publish(repo, "--dry-run", *flags, *WAIT)
    assert dry.returncode == 1, "an unreachable server fails a dry run too"


def test_a_wrong_token_fails_and_is_never_printed(targets: Targets, repo: Path, tmp_path: Path) -> None:
    secret = "glsa_not_the_token_0123456789abcdef"
    wrong = tmp_path / "token"
    wrong.write_text(secret)
    proc = publish(repo, "--only", "grafana", "--grafana-url", targets.grafana.url, "--grafana-token-file",
                   str(wrong), "--dry-run")
    assert proc.returncode == 1
    assert "grafana: FAILED: Grafana answered HTTP 401" in proc.stdout
    assert secret not in proc.stdout + proc.stderr


@pytest.mark.parametrize("args, message", [
    ([], "--prometheus-url and --prometheus-rules-dir required to publish to prometheus (or leave prometheus out "
         "with --only)"),
    (["--only", "loki"], "--only: unknown target 'loki'; choose from prometheus, alertmanager, grafana"),
    (["--only", "grafana", "--grafana-url", "http://127.0.0.1:1"],
     "--grafana-token-file required to publish to grafana (or leave grafana out with --only)"),
    (["--only", "grafana", "--grafana-url", "http://127.0.0.1:1", "--grafana-token-file", "t"],
     "--grafana-token-file t: No such file or directory"),
    (["--only", "grafana", "--grafana-url", "http://127.0.0.1:1", "--grafana-token-file", "t",
      "--grafana-folder", "a/b"], "--grafana-folder 'a/b': a folder uid is 1-40 of A-Z a-z 0-9 _ -"),
    (["--only", "prometheus", "--prometheus-url", "http://127.0.0.1:1", "--prometheus-rules-dir", "missing"],
     "--prometheus-rules-dir missing: no such directory"),
    (["--only", "prometheus", "--prometheus-url", "http://127.0.0.1:1", "--prometheus-rules-dir", ".",
      "--prometheus-wait", "soon"], "--prometheus-wait: 'soon' is not a duration like 30s, 5m, 1h or 30d"),
    (["--only", "alertmanager", "--alertmanager-url", "localhost:9093", "--alertmanager-config", "am.yml"],
     "--alertmanager-url must be an http(s) URL"),
])
def test_usage_errors_exit_2_with_one_line(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(repo)
    assert cli.main(["publish", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"obsgen publish: {message}"]
    assert captured.out == ""
