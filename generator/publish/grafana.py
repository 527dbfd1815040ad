"""Publish out/grafana/dashboards to Grafana through its HTTP API, into one folder that is obsgen's.

Ownership is the folder (--grafana-folder, a folder uid, created when missing): every dashboard in
it is obsgen's, so one that out/ no longer has is deleted, and nothing outside it is ever written
or deleted. (Not a tag: the grafanalib boards users bring carry none, and a tag can be copied onto
a board by hand.) A dashboard with one of our uids that lives in another folder is someone else's
until they move it: the plan refuses it before anything is changed. A dashboard whose JSON in
Grafana equals ours, ignoring Grafana's own `id` and `version`, is skipped, so its version history
only grows when the board changed; each save carries the git commit in its message.

Deletions go first (a board of ours in the folder still holding a title we now give to another
uid would make Grafana's overwrite take that board's uid), then upserts with overwrite. If a step
fails, the steps done are undone in reverse (previous JSON saved back, new boards deleted).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.pagetest.httpjson import BadStatus, Client, ServerError
from generator.publish import diff
from generator.publish.report import Failed, Progress

NAME = "grafana"
OUT_DIR = "grafana/dashboards"
PAGE_SIZE = 1000   # Grafana's default search limit (its maximum is 5000)


def desired(out_files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """uid -> dashboard JSON, from out/grafana/dashboards/<uid>.json."""
    boards: dict[str, dict[str, Any]] = {}
    for rel, text in sorted(out_files.items()):
        if rel.startswith(OUT_DIR + "/") and rel.endswith(".json"):
            board = json.loads(text)
            boards[str(board["uid"])] = board
    return boards


class Grafana:
    """The documented endpoints publishing needs; the token travels in a header, never in a message."""

    def __init__(self, url: str, token: str) -> None:
        self.http = Client("Grafana", url, headers={"Authorization": f"Bearer {token}"}, agent="obsgen-publish")
        self.url = self.http.base

    @staticmethod
    def _q(uid: str) -> str:
        return urllib.parse.quote(uid, safe="")

    def folder(self, uid: str) -> dict[str, Any] | None:
        try:
            return dict(self.http.get_json(f"/api/folders/{self._q(uid)}"))
        except BadStatus as exc:
            if exc.status == 404:
                return None
            raise

    def create_folder(self, uid: str, title: str) -> None:
        self.http.post_json("/api/folders", {"uid": uid, "title": title})

    def dashboards_in(self, folder_uid: str) -> list[dict[str, Any]]:
        """Every dashboard (not sub-folder) directly in the folder, page by page."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            hits = self.http.get_json("/api/search", [("type", "dash-db"), ("folderUIDs", folder_uid),
                                                      ("limit", str(PAGE_SIZE)), ("page", str(page))])
            if not isinstance(hits, list):
                raise ServerError(f"Grafana answered GET {self.url}/api/search with {str(hits)[:200]}")
            found += [h for h in hits if isinstance(h, dict) and h.get("type", "dash-db") == "dash-db"]
            if len(hits) < PAGE_SIZE:
                return found
            page += 1

    def dashboard(self, uid: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(dashboard JSON, meta) or None when Grafana has no dashboard with this uid."""
        try:
            body = self.http.get_json(f"/api/dashboards/uid/{self._q(uid)}")
        except BadStatus as exc:
            if exc.status == 404:
                return None
            raise
        return dict(body.get("dashboard") or {}), dict(body.get("meta") or {})

    def save(self, board: Mapping[str, Any], folder_uid: str, message: str) -> dict[str, Any]:
        payload = {"dashboard": {k: v for k, v in board.items() if k not in diff.IGNORED},
                   "folderUid": folder_uid, "message": message, "overwrite": True}
        return dict(json.loads(self.http.post_json("/api/dashboards/db", payload) or b"{}"))

    def delete(self, uid: str) -> None:
        self.http.request("DELETE", f"/api/dashboards/uid/{self._q(uid)}")


@dataclass
class Change:
    uid: str
    title: str
    action: str                            # create, update, delete
    before: dict[str, Any] | None = None   # the dashboard as Grafana has it (None: it has none)
    before_folder: str = ""
    after: dict[str, Any] | None = None
    detail: str = ""

    def line(self) -> str:
        mark = {"create": "+", "update": "~", "delete": "-"}[self.action]
        text = f"{mark} dashboard {self.uid} \"{self.title}\""
        return text + (f": {self.detail}" if self.detail else "")


@dataclass
class Plan:
    url: str
    folder_uid: str
    folder_exists: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes) or not self.folder_exists

    def where(self) -> str:
        return f"folder {self.folder_uid}, {self.url}"

    def counts(self) -> str:
        words = []
        if not self.folder_exists:
            words.append("folder created")
        for action, past in (("create", "created"), ("update", "updated"), ("delete", "deleted")):
            n = sum(c.action == action for c in self.changes)
            if n:
                words.append(f"{n} dashboard{'s' if n > 1 else ''} {past}")
        return ", ".join(words)

    def lines(self) -> list[str]:
        head = [] if self.folder_exists else [f"+ folder {self.folder_uid}"]
        order = {"delete": 0, "create": 1, "update": 2}
        return head + [c.line() for c in sorted(self.changes, key=lambda c: (order[c.action], c.uid))]


class Target:
    name = NAME

    def __init__(self, url: str, token: str, folder_uid: str, out_files: Mapping[str, str], message: str,
                 progress: Progress) -> None:
        self.api = Grafana(url, token)
        self.folder_uid = folder_uid
        self.wanted = desired(out_files)
        self.message = message
        self.progress = progress

    def plan(self) -> Plan:
        exists = self.api.folder(self.folder_uid) is not None
        plan = Plan(self.api.url, self.folder_uid, exists)
        in_folder = {str(h.get("uid")): h for h in self.api.dashboards_in(self.folder_uid)} if exists else {}
        for uid, board in self.wanted.items():
            found = self.api.dashboard(uid)
            title = str(board.get("title", ""))
            if found is None:
                plan.changes.append(Change(uid, title, "create", after=board))
                continue
            live, meta = found
            folder = str(meta.get("folderUid") or "")
            if folder != self.folder_uid:
                where = f"folder {folder}" if folder else "the General folder"
                raise Failed(f"Grafana already has a dashboard with uid {uid} (\"{live.get('title', '')}\") in "
                             f"{where}, outside obsgen's folder {self.folder_uid}: it is not ours to overwrite; move "
                             "it into that folder or delete it, or change the declared uid. Nothing was changed")
            if diff.comparable(live) == diff.comparable(board):
                plan.unchanged.append(uid)
            else:
                plan.changes.append(Change(uid, title, "update", before=live, before_folder=folder, after=board,
                                           detail=diff.dashboard_change(live, board)))
        for uid in sorted(set(in_folder) - set(self.wanted)):
            found = self.api.dashboard(uid)
            if found is not None:
                plan.changes.append(Change(uid, str(found[0].get("title", "")), "delete", before=found[0],
                                           before_folder=self.folder_uid))
        self._refuse_title_moves(plan, in_folder)
        return plan

    def _refuse_title_moves(self, plan: Plan, in_folder: Mapping[str, Mapping[str, Any]]) -> None:
        """A title may only be given to a board when no board that stays in the folder holds it now: Grafana keys
        titles per folder, and its overwrite would take over the holder (its uid) instead of failing."""
        deleted = {c.uid for c in plan.changes if c.action == "delete"}
        for change in plan.changes:
            holder = next((uid for uid, hit in in_folder.items() if uid not in (change.uid, *deleted)
                           and str(hit.get("title", "")) == change.title), None)
            if change.action != "delete" and holder is not None:
                raise Failed(f"dashboard {change.uid} takes the title \"{change.title}\" from dashboard {holder}, "
                             f"which stays in folder {self.folder_uid}: Grafana allows one board per title in a "
                             "folder; publish the two renames one after the other. Nothing was changed")

    def apply(self, plan: Plan) -> str:
        done: list[Change] = []
        try:
            if not plan.folder_exists:
                self.api.create_folder(self.folder_uid, self.folder_uid)
                self.progress.step(NAME, f"created folder {self.folder_uid}")
            for change in sorted(plan.changes, key=lambda c: c.action != "delete"):
                done.append(change)  # before the request: one that failed (a timeout) may have been carried out
                self._do(change)
        except (Failed, ServerError) as exc:
            raise Failed(str(exc), rollback=self._undo(done)) from None
        return plan.counts()

    def _do(self, change: Change) -> None:
        if change.action == "delete":
            self.api.delete(change.uid)
            self.progress.step(NAME, f"deleted dashboard {change.uid}")
            return
        assert change.after is not None
        answer = self.api.save(change.after, self.folder_uid, self.message)
        if answer.get("uid") != change.uid:
            raise Failed(f"Grafana saved dashboard {change.uid} (\"{change.title}\") over dashboard "
                         f"{answer.get('uid')}, which someone gave that title in folder {self.folder_uid} meanwhile "
                         f"(Grafana's overwrite takes over a board of the same title); restore {answer.get('uid')} "
                         "from its version history")
        self.progress.step(NAME, f"{change.action}d dashboard {change.uid} (version {answer.get('version', '?')})")

    def _undo(self, done: list[Change]) -> str:
        """Reverse the steps done, newest first; says what was undone (and what could not be)."""
        if not done:
            return ""
        problems = []
        for change in reversed(done):
            try:
                if change.before is None:
                    self.api.delete(change.uid)
                else:
                    self.api.save(change.before, change.before_folder, f"{self.message} (rolled back)")
            except BadStatus as exc:
                if not (change.before is None and exc.status == 404):  # a create that never happened
                    problems.append(f"{change.uid}: {exc}")
            except ServerError as exc:
                problems.append(f"{change.uid}: {exc}")
        text = (f"undid {len(done) - len(problems)} of {len(done)} dashboard changes"
                + (f"; ROLLBACK FAILED for {'; '.join(problems)}" if problems else ""))
        self.progress.step(NAME, f"rolled back: {text}")
        return text
