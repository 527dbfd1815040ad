"""A local Grafana: the dashboard and folder HTTP API endpoints `obsgen publish` calls, no more.

Grafana has no package on these machines, so publish's Grafana client is tested against this
server, which keeps to Grafana's documented behaviour (developers/http_api/dashboard.md, folder.md,
folder_dashboard_search.md) and rejects what Grafana rejects, with Grafana's status and message:
no `Authorization: Bearer <token>` (401); a dashboard without a title, a uid that is too long or has
other characters than A-Z a-z 0-9 - _ (400); a folderUid that does not exist (400); a save without
`overwrite` whose `version` differs from the stored one (412 version-mismatch) or whose title
another dashboard of the folder has (412 name-exists). What Grafana does and a client may not
expect, it does too: a dashboard posted without uid gets a generated one, and an overwrite that
meets another dashboard of the same title in the folder takes over that dashboard (its id and uid).
Stored dashboards are the JSON as posted, with `id`, `uid` and `version` set, as Grafana stores them.
`fail(method, path_prefix, status)` makes matching requests fail like an outage; every request is
recorded with its Authorization header.
"""

from __future__ import annotations

import http.server
import itertools
import json
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.standins import send_json

UID = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_UID = 40


@dataclass
class Folder:
    id: int
    uid: str
    title: str

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "uid": self.uid, "title": self.title,
                "url": f"/dashboards/f/{self.uid}/{_slug(self.title)}", "hasAcl": False,
                "canSave": True, "canEdit": True, "canAdmin": True, "version": 1}


@dataclass
class Stored:
    id: int
    uid: str
    folder_uid: str            # "" is the General folder
    dashboard: dict[str, Any]  # as posted, with id, uid and version set
    messages: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.dashboard.get("title", ""))

    @property
    def version(self) -> int:
        return int(self.dashboard.get("version") or 0)


@dataclass
class Request:
    method: str
    path: str
    authorization: str
    status: int
    body: Any


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class Grafana:
    """Use as a context manager; `url` is what --grafana-url points at, `token` what the token file holds."""

    def __init__(self, token: str = "stand-in-grafana-token") -> None:
        self.token = token
        self.folders: dict[str, Folder] = {}
        self.dashboards: dict[str, Stored] = {}
        self.requests: list[Request] = []
        self._ids = itertools.count(1)
        # [method, path prefix, status, matching requests still let through, failures left (None: no end)]
        self._fail: list[list[Any]] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self.url = ""

    def __enter__(self) -> Grafana:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="grafana-standin", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # --- for tests -------------------------------------------------------------------------------------------

    def fail(self, method: str, path_prefix: str, status: int = 500, after: int = 0, times: int | None = None) -> None:
        """Answer requests of this method whose path starts with path_prefix with status, after letting the
        first `after` of them through; `times` failures, or until heal()."""
        with self._lock:
            self._fail.append([method, path_prefix, status, after, times])

    def heal(self) -> None:
        with self._lock:
            self._fail.clear()

    def add_folder(self, uid: str, title: str) -> Folder:
        with self._lock:
            folder = Folder(next(self._ids), uid, title)
            self.folders[uid] = folder
            return folder

    def add_dashboard(self, dashboard: dict[str, Any], folder_uid: str = "") -> Stored:
        """As if someone had saved it through the UI."""
        status, body = self.handle("POST", "/api/dashboards/db", {},
                                   {"dashboard": dashboard, "folderUid": folder_uid, "overwrite": True},
                                   f"Bearer {self.token}")
        assert status == 200, body
        return self.dashboards[body["uid"]]

    def saves(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/api/dashboards/db"]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("POST", "DELETE", "PUT")]

    # --- the API ---------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               authorization: str) -> tuple[int, Any]:
        with self._lock:
            status, answer = self._route(method, path, query, body, authorization)
            self.requests.append(Request(method, path, authorization, status, body))
            return status, answer

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               authorization: str) -> tuple[int, Any]:
        for rule in self._fail:
            if rule[0] == method and path.startswith(rule[1]):
                if rule[3] > 0:
                    rule[3] -= 1
                    continue
                if rule[4] is not None:
                    if rule[4] == 0:
                        continue
                    rule[4] -= 1
                return rule[2], {"message": "Internal Server Error"}
        if authorization != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}
        parts = path.rstrip("/").split("/")
        if method == "GET" and path == "/api/search":
            return 200, self._search(query)
        if path == "/api/folders" and method == "POST":
            return self._create_folder(body)
        if len(parts) == 4 and parts[:3] == ["", "api", "folders"] and method == "GET":
            folder = self.folders.get(parts[3])
            return (200, folder.json()) if folder else (404, {"message": "folder not found", "status": "not-found"})
        if path == "/api/dashboards/db" and method == "POST":
            return self._save(body)
        if len(parts) == 5 and parts[:4] == ["", "api", "dashboards", "uid"]:
            stored = self.dashboards.get(parts[4])
            if stored is None:
                return 404, {"message": "Dashboard not found"}
            if method == "GET":
                return 200, {"dashboard": stored.dashboard, "meta": self._meta(stored)}
            if method == "DELETE":
                del self.dashboards[stored.uid]
                return 200, {"title": stored.title, "message": f"Dashboard {stored.title} deleted", "id": stored.id}
        return 404, {"message": "Not found"}

    def _meta(self, stored: Stored) -> dict[str, Any]:
        folder = self.folders.get(stored.folder_uid)
        return {"type": "db", "slug": _slug(stored.title), "url": f"/d/{stored.uid}/{_slug(stored.title)}",
                "folderId": folder.id if folder else 0, "folderUid": stored.folder_uid,
                "folderTitle": folder.title if folder else "General", "version": stored.version,
                "provisioned": False, "canSave": True}

    def _search(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        kind = query.get("type", [""])[0]
        folders = set(query.get("folderUIDs", []))
        uids = set(query.get("dashboardUIDs", []))
        limit = min(int(query.get("limit", ["1000"])[0]), 5000)
        page = int(query.get("page", ["1"])[0])
        hits: list[dict[str, Any]] = []
        if kind in ("", "dash-folder") and not folders:
            hits += [{"id": f.id, "uid": f.uid, "title": f.title, "type": "dash-folder", "tags": [],
                      "url": f.json()["url"], "uri": f"db/{_slug(f.title)}", "isStarred": False}
                     for f in self.folders.values() if not uids or f.uid in uids]
        if kind in ("", "dash-db"):
            for d in self.dashboards.values():
                if (folders and d.folder_uid not in folders) or (uids and d.uid not in uids):
                    continue
                folder = self.folders.get(d.folder_uid)
                hit = {"id": d.id, "uid": d.uid, "title": d.title, "type": "dash-db",
                       "tags": d.dashboard.get("tags") or [], "url": f"/d/{d.uid}/{_slug(d.title)}",
                       "uri": f"db/{_slug(d.title)}", "isStarred": False}
                if folder:
                    hit.update(folderId=folder.id, folderUid=folder.uid, folderTitle=folder.title)
                hits.append(hit)
        hits.sort(key=lambda h: str(h["title"]).lower())
        return hits[(page - 1) * limit: page * limit]

    def _create_folder(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"message": "bad request data"}
        title = str(body.get("title") or "").strip()
        uid = str(body.get("uid") or "") or secrets.token_hex(7)
        if not title:
            return 400, {"message": "folder title cannot be empty"}
        if len(uid) > MAX_UID:
            return 400, {"message": "uid too long, max 40 characters"}
        if not UID.match(uid):
            return 400, {"message": "uid contains illegal characters"}
        if uid in self.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        if any(f.title == title for f in self.folders.values()):
            return 409, {"message": "a folder or dashboard in the general folder with the same name already exists"}
        folder = Folder(next(self._ids), uid, title)
        self.folders[uid] = folder
        return 200, folder.json()

    def _save(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            return 400, {"message": "bad request data"}
        dash = dict(body["dashboard"])
        overwrite = bool(body.get("overwrite"))
        folder_uid = str(body.get("folderUid") or "")
        title = str(dash.get("title") or "").strip()
        uid = str(dash.get("uid") or "")
        if not title:
            return 400, {"message": "Dashboard title cannot be empty", "status": "empty-name"}
        if len(uid) > MAX_UID:
            return 400, {"message": "uid too long, max 40 characters", "status": "uid-too-long"}
        if not UID.match(uid):
            return 400, {"message": "uid contains illegal characters", "status": "invalid-uid"}
        if folder_uid and folder_uid not in self.folders:
            return 400, {"message": "folder not found", "status": "not-found"}
        existing = self.dashboards.get(uid) if uid else None
        if existing is not None and int(dash.get("version") or 0) != existing.version and not overwrite:
            return 412, {"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}
        same_title = next((d for d in self.dashboards.values()
                           if d.folder_uid == folder_uid and d.title == title and d is not existing), None)
        if same_title is not None:
            if not overwrite:
                return 412, {"status": "name-exists",
                             "message": "A dashboard with the same name in the folder already exists"}
            existing, uid = same_title, same_title.uid  # Grafana's overwrite takes over the same-titled board
        if not uid:
            uid = secrets.token_hex(7)
        number = existing.id if existing is not None else next(self._ids)
        version = existing.version + 1 if existing is not None else 1
        dash.update(id=number, uid=uid, version=version)
        stored = Stored(number, uid, folder_uid, dash, [*(existing.messages if existing else []),
                                                         str(body.get("message") or "")])
        self.dashboards[uid] = stored
        slug = _slug(title)
        return 200, {"id": number, "uid": uid, "url": f"/d/{uid}/{slug}", "status": "success", "version": version,
                     "slug": slug, "folderUid": folder_uid}


def _handler(standin: Grafana) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = "(not JSON)"
            parts = urllib.parse.urlsplit(self.path)
            status, answer = standin.handle(method, urllib.parse.unquote(parts.path),
                                            urllib.parse.parse_qs(parts.query), body,
                                            self.headers.get("Authorization", ""))
            send_json(self, status, answer)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler
