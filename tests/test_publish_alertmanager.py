"""Publishing the Alertmanager config (generator/publish/alertmanager.py) to the real Alertmanager 0.25.

One Alertmanager for the module (Debian's package, free 127.0.0.1 port, gossip off), started on a
minimal config of its own; each test puts that config back first. What is published is the repo's
out/alertmanager/alertmanager.yml (its secret files need not exist: Alertmanager reads them when it
notifies), or a hand-broken copy of it.
"""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.publish import alertmanager
from generator.publish.report import Failed, Progress
from tests import servers

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
MINIMAL = {"route": {"receiver": "nobody"}, "receivers": [{"name": "nobody"}]}
OURS = (REPO / "out/alertmanager/alertmanager.yml").read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Alertmanager]:
    with servers.Alertmanager(MINIMAL, tmp_path_factory.mktemp("alertmanager")) as am:
        yield am


@pytest.fixture
def am(server: servers.Alertmanager) -> servers.Alertmanager:
    """The server, running its minimal config again."""
    server.config_file.write_text(yaml.safe_dump(MINIMAL))
    alertmanager.Server(server.url).reload()
    return server


def target(am: servers.Alertmanager, text: str = OURS, config: Path | None = None,
           log: io.StringIO | None = None) -> alertmanager.Target:
    return alertmanager.Target(am.url, config or am.config_file, {alertmanager.OUT_FILE: text},
                               Progress(log or io.StringIO()))


def reloads(am: servers.Alertmanager) -> float:
    with urllib.request.urlopen(am.url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    return float(re.search(r"^alertmanager_config_last_reload_success_timestamp_seconds (\S+)$", text, re.M)[1])


def running(am: servers.Alertmanager) -> Any:
    return alertmanager.Server(am.url).running_config()


def test_publishing_writes_the_config_and_alertmanager_runs_it(am: servers.Alertmanager) -> None:
    t = target(am)
    plan = t.plan()
    assert plan.counts() == "config changed"
    assert t.apply(plan) == "Alertmanager runs our config"
    assert am.config_file.read_text() == OURS
    assert alertmanager.matches(yaml.safe_load(OURS), running(am))
    receivers = [r["name"] for r in running(am)["receivers"]]
    assert receivers == [r["name"] for r in yaml.safe_load(OURS)["receivers"]]
    assert not target(am).plan().changed


def test_a_config_alertmanager_refuses_is_rolled_back(am: servers.Alertmanager) -> None:
    t = target(am)
    t.apply(t.plan())
    broken = OURS.replace("receiver: conductor-tickets", "receiver: nobody-declared", 1)
    assert broken != OURS
    log = io.StringIO()
    bad = target(am, broken, log=log)
    with pytest.raises(Failed, match=r"Alertmanager refused the config \(HTTP 500\): .*undefined receiver") as failed:
        bad.apply(bad.plan())
    assert failed.value.rollback == "previous config restored and reloaded; Alertmanager runs the previous config"
    assert am.config_file.read_text() == OURS
    assert alertmanager.matches(yaml.safe_load(OURS), running(am))
    assert f"rolled back: restored the previous {am.config_file}" in log.getvalue()


def test_a_config_file_alertmanager_does_not_read_is_caught_and_removed_again(
        am: servers.Alertmanager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alertmanager, "CONFIRM_S", 0.3)
    elsewhere = tmp_path / "alertmanager.yml"
    t = target(am, config=elsewhere)
    with pytest.raises(Failed, match=f"does not run our config: is --alertmanager-config {elsewhere} the file it "
                                     "reads") as failed:
        t.apply(t.plan())
    assert failed.value.rollback == "config file removed again"
    assert not elsewhere.exists()


def test_an_unchanged_file_that_alertmanager_does_not_run_is_reloaded(am: servers.Alertmanager) -> None:
    am.config_file.write_text(OURS)  # written, never reloaded
    before = reloads(am)
    t = target(am)
    plan = t.plan()
    assert plan.counts() == "running config differs: reload"
    assert plan.lines()[:2] == [f"--- running config ({am.url})", f"+++ out/{alertmanager.OUT_FILE}"]
    t.apply(plan)
    assert reloads(am) > before
    assert alertmanager.matches(yaml.safe_load(OURS), running(am))


def test_the_diff_is_of_normalised_yaml(am: servers.Alertmanager) -> None:
    t = target(am)
    t.apply(t.plan())
    comment_only = "# reviewed\n" + OURS
    assert target(am, comment_only).plan().counts() == "config rewritten (same settings)"
    longer = OURS.replace("repeat_interval: 24h", "repeat_interval: 2d", 1)
    lines = target(am, longer).plan().lines()
    assert [ln for ln in lines if ln[:1] in "+-" and ln[:3] not in ("---", "+++")] == [
        "-      repeat_interval: 1d", "+      repeat_interval: 2d"]


@pytest.mark.parametrize("ours, theirs, equal", [
    ({"repeat_interval": "24h"}, {"repeat_interval": "1d"}, True),
    ({"group_wait": "0s"}, {"group_wait": "0s", "group_interval": "5m"}, True),  # their default, not our key
    ({"auth_password": "x"}, {"auth_password": "<secret>"}, True),
    ({"receivers": [{"name": "a"}]}, {"receivers": [{"name": "a"}, {"name": "b"}]}, False),
    ({"route": {"receiver": "a"}}, {"route": {"receiver": "b"}}, False),
    ({"route": {"receiver": "a"}}, {}, False),
    ({"matchers": ['service="x"']}, {"matchers": ['service="x"']}, True),
])
def test_running_config_is_compared_on_our_keys(ours: dict[str, Any], theirs: dict[str, Any], equal: bool) -> None:
    assert alertmanager.matches(ours, theirs) is equal
