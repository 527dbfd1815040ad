"""The CI pipeline users copy (examples/ci/): the plain-shell version run end to end, the GitHub workflow
read and held to the same commands.

pipeline.sh runs in a copy of this repo (a git repository) against the real Prometheus and
Alertmanager and the Grafana stand-in, with OBSGEN_SKIP_MAKE_TEST=1 (the suite it would run is the
one running it). The workflow cannot run here, so its `run:` steps are parsed: each job must run
exactly the obsgen command lines of the script's matching mode, and its release-tag step is
executed in a scratch repository.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import publish_servers
from tests.publish_servers import Targets

# it runs the pipeline against local Prometheus and Alertmanager servers: once per Prometheus major version
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples/ci/pipeline.sh"
WORKFLOW = REPO / "examples/ci/github-actions.yml"
TAG = re.compile(r"^v\d{4}\.\d{2}\.\d{2}-build\d+$")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    with publish_servers.started(tmp_path_factory.mktemp("servers")) as targets:
        yield targets


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def today() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")


def pipeline(repo: Path, mode: str, targets: Targets, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **targets.env(), "OBSGEN_SKIP_MAKE_TEST": "1", "PROMETHEUS_WAIT": "1s",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    environ.pop("PR_NUMBER", None)
    proc = subprocess.run(["bash", "examples/ci/pipeline.sh", mode], cwd=repo, env=environ, capture_output=True,
                          text=True, timeout=180)
    print(proc.stdout, proc.stderr)
    return proc


def test_the_pipeline_comments_on_a_pull_request_then_publishes_and_tags_main(servers: Targets,
                                                                               tmp_path: Path) -> None:
    servers.reset()
    repo = publish_servers.checkout(tmp_path / "repo")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "tag", "-a", f"v{today()}-build1", "-m", "x")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "next")
    comment = tmp_path / "comment.md"

    pr = pipeline(repo, "pr", servers, PUBLISH_DIFF_FILE=str(comment))
    assert pr.returncode == 0, "changes to publish are what a pull request is for, not a failure"
    assert "skipping make test" in pr.stderr
    body = comment.read_text().splitlines()
    assert body[:2] == ["<!-- obsgen publish --dry-run -->",
                        "**obsgen publish --dry-run: would change prometheus (10 groups added), alertmanager (config "
                        "changed), grafana (folder created, 4 dashboards created)**"]
    assert "+ group obsgen-maestro-conductor-availability (14 rules)" in body
    assert body[3] == "```diff" and body[-1] == "```"
    assert list(servers.rules_dir.iterdir()) == [] and servers.grafana.writes() == []

    main = pipeline(repo, "main", servers, OBSGEN_PUSH_TAGS="1")
    assert main.returncode == 0
    assert main.stdout.splitlines()[-1].startswith("obsgen publish: published prometheus (10 groups added)")
    tag = f"v{today()}-build2"
    assert git(repo, "tag", "--points-at", "HEAD") == tag
    assert git(origin, "tag", "--list") == tag  # only the release tag is pushed
    assert git(origin, "rev-parse", f"{tag}^{{commit}}") == publish_servers.head(repo)
    assert len(list(servers.rules_dir.glob("obsgen-publish-*.rules.yml"))) == 3
    assert sorted(servers.grafana.dashboards) == sorted(p.stem for p in (repo / "out/grafana/dashboards").iterdir())
    assert {r.body["message"] for r in servers.grafana.saves()} == {
        f"obsgen publish of commit {publish_servers.head(repo)}"}

    reloaded = servers.reload_times()
    again = pipeline(repo, "main", servers)
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "obsgen publish: unchanged: prometheus, alertmanager, grafana"
    assert "is tagged already" in again.stderr and git(repo, "tag", "--points-at", "HEAD") == tag
    assert servers.reload_times() == reloaded

    quiet = pipeline(repo, "pr", servers, PUBLISH_DIFF_FILE=str(comment))
    assert quiet.returncode == 0
    assert comment.read_text().splitlines()[1] == ("**obsgen publish --dry-run: unchanged: prometheus, alertmanager, "
                                                   "grafana**")


def test_the_pipeline_stops_at_a_stale_out(servers: Targets, tmp_path: Path) -> None:
    repo = publish_servers.checkout(tmp_path / "repo", git=False)
    rules = repo / "out/prometheus/rules/maestro-conductor.rules.yml"
    rules.write_text(rules.read_text() + "# edited by hand\n")
    proc = pipeline(repo, "pr", servers, PUBLISH_DIFF_FILE=str(tmp_path / "comment.md"))
    assert proc.returncode == 1
    assert "out is stale: run `obsgen build` and commit the result" in proc.stderr
    assert not (tmp_path / "comment.md").exists()


# --- the GitHub workflow ------------------------------------------------------------------------------------

def workflow() -> dict[Any, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def commands(shell: str, program: str) -> list[list[str]]:
    """The command lines of a shell text that start with program, as tokens, without redirections."""
    found = []
    for line in re.sub(r"\\\n\s*", " ", shell).splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens[:1] == [program]:
            end = next((i for i, t in enumerate(tokens) if t[:1] in (">", "|", "&", ";")), len(tokens))
            found.append(tokens[:end])
    return found


def job_shell(job: str) -> str:
    return "\n".join(step["run"] for step in workflow()["jobs"][job]["steps"] if "run" in step)


def function(text: str, name: str) -> str:
    start = text.index(f"\n{name}() {{\n")
    return text[start:text.index("\n}\n", start)]


def script_mode(mode: str) -> str:
    """What `pipeline.sh MODE` runs: its mode function, after the tests() it calls first."""
    text = SCRIPT.read_text()
    body = function(text, f"mode_{mode}")
    assert body.strip().splitlines()[1].strip() == "tests"
    return function(text, "tests") + body


def test_the_workflow_parses_and_runs_on_pull_requests_and_main() -> None:
    flow = workflow()
    assert flow.get("on", flow.get(True)) == {"pull_request": None, "push": {"branches": ["main"]}}
    jobs = flow["jobs"]
    assert set(jobs) == {"pr", "publish", "tag"}
    assert jobs["pr"]["if"].startswith("github.event_name == 'pull_request'")
    assert jobs["publish"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert jobs["tag"]["needs"] == "publish"
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in jobs["pr"]["steps"])


@pytest.mark.parametrize("job, mode", [("pr", "pr"), ("publish", "main")])
def test_the_workflow_runs_the_same_commands_as_the_script(job: str, mode: str) -> None:
    ours, theirs = job_shell(job), script_mode(mode)
    assert commands(ours, "obsgen") == commands(theirs, "obsgen")
    assert [c[0] for c in commands(ours, "obsgen")[-1:]] == ["obsgen"]
    assert commands(ours, "obsgen")[-1][1] == "publish"
    assert ("--dry-run" in commands(ours, "obsgen")[-1]) is (mode == "pr")
    assert commands(ours, "make") == commands(theirs, "make") == [["make", "test"]]


def test_the_workflow_release_step_tags_and_pushes_the_next_build_of_the_day(tmp_path: Path) -> None:
    [step] = [s for s in workflow()["jobs"]["tag"]["steps"] if "run" in s]
    origin, repo = tmp_path / "origin.git", tmp_path / "repo"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "remote", "add", "origin", str(origin))
    for n in (1, 2):
        git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "c")
        if n == 1:
            git(repo, "tag", f"v{today()}-build3")
            git(repo, "tag", "v2000.01.01-build9")
    for _ in range(2):  # the second run finds HEAD tagged and does nothing
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    tags = git(repo, "tag", "--points-at", "HEAD").split()
    assert tags == [f"v{today()}-build4"] and all(TAG.match(t) for t in tags)
    assert git(origin, "tag", "--list") == f"v{today()}-build4"
