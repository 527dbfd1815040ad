"""Publishing dashboards (generator/publish/grafana.py) against the local Grafana stand-in.

Grafana has no package here, so tests/standins/grafana.py plays it, keeping to its documented API
and rejecting what it rejects (the first tests below hold the stand-in to that). The boards are the
repo's own out/grafana/dashboards, plus edits of them.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.pagetest.httpjson import BadStatus
from generator.publish import grafana
from generator.publish.diff import comparable
from generator.publish.report import Failed, Progress
from tests.standins.grafana import Grafana

REPO = Path(__file__).resolve().parents[1]
FOLDER = "obsgen"
MESSAGE = "obsgen publish of commit 0123456789abcdef0123456789abcdef01234567"


def repo_boards() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((REPO / "out/grafana/dashboards").glob("*.json"))}


def out_files(boards: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {f"grafana/dashboards/{uid}.json": json.dumps(b, indent=2, sort_keys=True) for uid, b in boards.items()}


@pytest.fixture
def standin() -> Iterator[Grafana]:
    with Grafana() as g:
        yield g


def target(standin: Grafana, boards: dict[str, dict[str, Any]], token: str | None = None) -> grafana.Target:
    return grafana.Target(standin.url, token or standin.token, FOLDER, out_files(boards), MESSAGE,
                          Progress(io.StringIO()))


def publish(t: grafana.Target) -> grafana.Plan:
    plan = t.plan()
    if plan.changed:
        t.apply(plan)
    return plan


def state(standin: Grafana) -> dict[str, tuple[str, dict[str, Any]]]:
    """uid -> (folder, JSON without Grafana's id/version): what a user of Grafana sees."""
    return {uid: (d.folder_uid, comparable(d.dashboard)) for uid, d in standin.dashboards.items()}


def small_board(uid: str, title: str, panels: list[str]) -> dict[str, Any]:
    return {"uid": uid, "title": title, "schemaVersion": 41, "panels": [
        {"id": i, "type": "stat", "title": t, "gridPos": {"x": 0, "y": i * 4, "w": 6, "h": 4}}
        for i, t in enumerate(panels, 1)]}


# --- the stand-in answers as Grafana does -------------------------------------------------------------------

def save(standin: Grafana, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    return standin.handle("POST", "/api/dashboards/db", {}, body, f"Bearer {token or standin.token}")


@pytest.mark.parametrize("dashboard, folder, status, message", [
    ({"uid": "a"}, "", 400, "Dashboard title cannot be empty"),
    ({"uid": "a", "title": "  "}, "", 400, "Dashboard title cannot be empty"),
    ({"uid": "a/b", "title": "A"}, "", 400, "uid contains illegal characters"),
    ({"uid": "x" * 41, "title": "A"}, "", 400, "uid too long, max 40 characters"),
    ({"uid": "a", "title": "A"}, "nope", 400, "folder not found"),
])
def test_standin_rejects_what_grafana_rejects(standin: Grafana, dashboard: dict[str, Any], folder: str, status: int,
                                              message: str) -> None:
    got_status, body = save(standin, {"dashboard": dashboard, "folderUid": folder, "overwrite": True})
    assert (got_status, body["message"]) == (status, message)
    assert standin.dashboards == {}


def test_standin_guards_versions_titles_and_auth_as_grafana_does(standin: Grafana) -> None:
    status, first = save(standin, {"dashboard": {"uid": "a", "title": "A"}})
    assert status == 200 and first["version"] == 1 and first["uid"] == "a"
    # someone saved it meanwhile: a save of the version we read is a conflict without overwrite
    assert save(standin, {"dashboard": {"uid": "a", "title": "A", "version": 1}})[0] == 200
    status, body = save(standin, {"dashboard": {"uid": "a", "title": "A", "version": 1}})
    assert (status, body["status"]) == (412, "version-mismatch")
    assert save(standin, {"dashboard": {"uid": "a", "title": "A", "version": 1}, "overwrite": True})[0] == 200
    assert standin.dashboards["a"].version == 3
    status, body = save(standin, {"dashboard": {"uid": "b", "title": "A"}})
    assert (status, body["status"]) == (412, "name-exists")
    status, body = save(standin, {"dashboard": {"uid": "b", "title": "A"}, "overwrite": True})
    assert body["uid"] == "a", "Grafana's overwrite takes over the board holding the title"
    status, body = save(standin, {"dashboard": {"title": "No uid"}})
    assert status == 200 and body["uid"] and body["uid"] in standin.dashboards
    assert save(standin, {"dashboard": {"uid": "c", "title": "C"}}, token="wrong")[0] == 401
    assert standin.handle("GET", "/api/dashboards/uid/a", {}, None, "")[0] == 401


# --- publishing ----------------------------------------------------------------------------------------------

def test_first_publish_creates_the_folder_and_every_board_with_the_commit(standin: Grafana) -> None:
    boards = repo_boards()
    plan = publish(target(standin, boards))
    assert plan.counts() == f"folder created, {len(boards)} dashboards created"
    assert standin.folders[FOLDER].title == FOLDER
    assert state(standin) == {uid: (FOLDER, comparable(b)) for uid, b in boards.items()}
    assert {r.body["message"] for r in standin.saves()} == {MESSAGE}
    assert all(r.body["overwrite"] is True and r.body["folderUid"] == FOLDER for r in standin.saves())
    assert {r.authorization for r in standin.requests} == {f"Bearer {standin.token}"}


def test_a_second_publish_writes_nothing(standin: Grafana) -> None:
    boards = repo_boards()
    publish(target(standin, boards))
    writes = len(standin.writes())
    plan = publish(target(standin, boards))
    assert not plan.changed and sorted(plan.unchanged) == sorted(boards)
    assert len(standin.writes()) == writes
    assert {d.version for d in standin.dashboards.values()} == {1}


def test_a_changed_board_is_updated_and_described_by_panel_title(standin: Grafana) -> None:
    boards = repo_boards()
    publish(target(standin, boards))
    changed = copy.deepcopy(boards)
    rollout = changed["maestro-rollout"]
    first, second = rollout["panels"][1], rollout["panels"][2]
    removed_title = second["title"]
    rollout["panels"].remove(second)
    first["description"] = "edited"
    rollout["panels"].insert(2, {**copy.deepcopy(first), "id": 999, "title": "A new panel"})  # in the first row
    plan = target(standin, changed).plan()
    assert plan.counts() == "1 dashboard updated"
    [line] = plan.lines()
    assert line.startswith('~ dashboard maestro-rollout "Maestro Conductor: Rollout Control": ')
    assert "panels added: Rollout / A new panel" in line
    assert f"panels removed: Rollout / {removed_title}" in line
    assert f"panels changed: Rollout / {first['title']}" in line
    target(standin, changed).apply(plan)
    assert standin.dashboards["maestro-rollout"].version == 2
    assert comparable(standin.dashboards["maestro-rollout"].dashboard) == comparable(rollout)
    assert all(standin.dashboards[uid].version == 1 for uid in boards if uid != "maestro-rollout")


def test_boards_no_longer_declared_are_deleted_from_our_folder_only(standin: Grafana) -> None:
    standin.add_folder(FOLDER, FOLDER)
    standin.add_folder("team", "Team boards")
    standin.add_dashboard(small_board("gone", "Removed SLO board", ["x"]), FOLDER)
    standin.add_dashboard(small_board("theirs", "Team board", ["y"]), "team")
    standin.add_dashboard(small_board("home", "Home", ["z"]), "")
    keep = {uid: d for uid, d in state(standin).items() if uid != "gone"}
    boards = {"s1": small_board("s1", "Shop SLOs", ["Objective"])}
    plan = publish(target(standin, boards))
    assert plan.lines() == ['- dashboard gone "Removed SLO board"', '+ dashboard s1 "Shop SLOs"']
    assert state(standin) == {**keep, "s1": (FOLDER, comparable(boards["s1"]))}


def test_a_board_with_our_uid_outside_our_folder_is_not_ours_to_overwrite(standin: Grafana) -> None:
    standin.add_folder("team", "Team boards")
    standin.add_dashboard(small_board("s1", "Somebody's board", ["theirs"]), "team")
    before, writes = state(standin), len(standin.writes())
    with pytest.raises(Failed, match=r"uid s1 .* in folder team, outside obsgen's folder obsgen: it is not ours"):
        target(standin, {"s1": small_board("s1", "Shop SLOs", ["Objective"])}).plan()
    assert state(standin) == before and len(standin.writes()) == writes


def test_a_title_moving_between_two_of_our_boards_is_refused_before_any_change(standin: Grafana) -> None:
    boards = {"a": small_board("a", "Alpha", ["p"]), "b": small_board("b", "Beta", ["q"])}
    publish(target(standin, boards))
    before, writes = state(standin), len(standin.writes())
    swapped = {"a": small_board("a", "Beta", ["p"]), "b": small_board("b", "Alpha", ["q"])}
    with pytest.raises(Failed, match='dashboard a takes the title "Beta" from dashboard b'):
        target(standin, swapped).plan()
    assert state(standin) == before and len(standin.writes()) == writes


def midway(standin: Grafana) -> tuple[grafana.Target, grafana.Plan, dict[str, Any]]:
    """Boards a and z published; the plan updates a, creates b and deletes z (delete first, then a, then b)."""
    old = {"a": small_board("a", "Alpha", ["p"]), "z": small_board("z", "Zulu", ["old"])}
    publish(target(standin, old))
    new = {"a": small_board("a", "Alpha", ["p", "new panel"]), "b": small_board("b", "Bravo", ["q"])}
    t = target(standin, new)
    plan = t.plan()
    assert [c.action for c in sorted(plan.changes, key=lambda c: c.uid)] == ["update", "create", "delete"]
    return t, plan, state(standin)


def test_a_failure_midway_undoes_what_was_done(standin: Grafana) -> None:
    t, plan, before = midway(standin)
    standin.fail("POST", "/api/dashboards/db", 500, after=1, times=1)  # the delete and a's save pass, b's fails
    with pytest.raises(Failed, match="Grafana answered HTTP 500 to POST") as failed:
        t.apply(plan)
    assert failed.value.rollback == "undid 3 of 3 dashboard changes"
    assert state(standin) == before


def test_a_rollback_that_cannot_finish_says_what_is_left(standin: Grafana) -> None:
    t, plan, _ = midway(standin)
    standin.fail("POST", "/api/dashboards/db", 500, after=1)  # an outage from b's save on: a and z cannot be restored
    with pytest.raises(Failed) as failed:
        t.apply(plan)
    assert failed.value.rollback.startswith("undid 1 of 3 dashboard changes; ROLLBACK FAILED for a: ")
    assert "; z: Grafana answered HTTP 500" in failed.value.rollback
    assert "b" not in standin.dashboards and "z" not in standin.dashboards


def test_a_takeover_by_title_at_save_time_is_caught(standin: Grafana) -> None:
    publish(target(standin, {"a": small_board("a", "Alpha", ["p"])}))
    t = target(standin, {"a": small_board("a", "Alpha", ["p"]), "b": small_board("b", "Bravo", ["q"])})
    plan = t.plan()
    standin.add_dashboard(small_board("x", "Bravo", ["made by hand meanwhile"]), FOLDER)
    with pytest.raises(Failed, match=r"saved dashboard b .* over dashboard x"):
        t.apply(plan)


def test_folder_creation_conflict_fails_before_any_board_is_written(standin: Grafana) -> None:
    standin.add_folder("other-uid", FOLDER)  # the title we would give our folder is taken
    t = target(standin, {"a": small_board("a", "Alpha", ["p"])})
    with pytest.raises(Failed, match=r"HTTP 409 to POST .*/api/folders"):
        t.apply(t.plan())
    assert standin.dashboards == {}


def test_a_wrong_token_is_refused_and_never_shown(standin: Grafana) -> None:
    secret = "glsa_wrong_token_0123456789"
    with pytest.raises(BadStatus) as refused:
        target(standin, repo_boards(), token=secret).plan()
    assert refused.value.status == 401
    assert secret not in str(refused.value) and standin.token not in str(refused.value)
    assert standin.requests[0].authorization == f"Bearer {secret}"
