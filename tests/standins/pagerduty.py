"""A local PagerDuty: Events API v2 (`POST /v2/enqueue`) and the REST incidents endpoints.

Alertmanager's PagerDuty integration is only proven if what it sends would be accepted by
PagerDuty, so this server rejects what PagerDuty rejects (a routing key that is not 32
characters, an unknown event_action, a severity outside critical/error/warning/info, a trigger
without payload.summary or payload.source, a resolve without dedup_key) with PagerDuty's 400
body, and keeps incidents the way PagerDuty does: a trigger opens one per dedup_key (or joins the
open one), resolve closes it. The REST side (`GET /incidents`, `GET /incidents/{id}`) answers only
with the right `Authorization: Token token=...`. `fail_with(500)` makes the events endpoint fail
like an outage. Every request to the events endpoint is recorded, rejected ones included.
"""

from __future__ import annotations

import datetime
import http.server
import itertools
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.standins import send_json

SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")
ROUTING_KEY_LENGTH = 32
OPEN = ("triggered", "acknowledged")


@dataclass
class Event:
    """One request to /v2/enqueue as received, and what it was answered."""

    status: int
    body: dict[str, Any]
    received: float

    @property
    def action(self) -> str:
        return str(self.body.get("event_action", ""))

    @property
    def dedup_key(self) -> str:
        return str(self.body.get("dedup_key", ""))

    @property
    def payload(self) -> dict[str, Any]:
        payload = self.body.get("payload")
        return payload if isinstance(payload, dict) else {}


@dataclass
class Incident:
    id: str
    number: int
    title: str
    incident_key: str
    status: str = "triggered"
    created_at: str = ""
    alerts: int = 1
    log: list[str] = field(default_factory=list)

    def json(self, base: str) -> dict[str, Any]:
        return {"id": self.id, "type": "incident", "incident_number": self.number, "title": self.title,
                "summary": f"[#{self.number}] {self.title}", "status": self.status,
                "incident_key": self.incident_key, "created_at": self.created_at, "urgency": "high",
                "html_url": f"{base}/incidents/{self.id}", "alert_counts": {"all": self.alerts}}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate(body: Any) -> list[str]:
    """PagerDuty's error messages for an invalid event (empty when it would be accepted)."""
    if not isinstance(body, dict):
        return ["Event object is not a JSON object"]
    errors = []
    key = body.get("routing_key")
    if not isinstance(key, str) or not key:
        errors.append("'routing_key' is missing or blank")
    elif len(key) != ROUTING_KEY_LENGTH:
        errors.append(f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)")
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' "
                      "or 'resolve')")
    if action in ("acknowledge", "resolve") and not body.get("dedup_key"):
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or blank")
        else:
            for name in ("summary", "source"):
                value = payload.get(name)
                if not isinstance(value, str) or not value.strip():
                    errors.append(f"'payload.{name}' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' is invalid (must be one of the following: 'critical', "
                              "'warning', 'error' or 'info')")
    return errors


class PagerDuty:
    """Use as a context manager; events_url is what a PagerDuty receiver's `url` points at,
    api_url the REST base URL (`obsgen page-test --pagerduty-api-url`)."""

    def __init__(self, token: str = "stand-in-rest-token") -> None:
        self.token = token
        self.events: list[Event] = []
        self.incidents: dict[str, Incident] = {}  # by id
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._fail: int | None = None
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base = ""

    @property
    def events_url(self) -> str:
        return f"{self.base}/v2/enqueue"

    @property
    def api_url(self) -> str:
        return self.base

    def fail_with(self, status: int | None) -> None:
        """Answer every event with this HTTP status (None: behave again)."""
        with self._lock:
            self._fail = status

    def events_for(self, text: str) -> list[Event]:
        """Events whose summary mentions text (a page-test id), and the resolves of their dedup keys."""
        with self._lock:
            keys = {e.dedup_key for e in self.events if text in str(e.payload.get("summary", ""))}
            return [e for e in self.events if text in str(e.payload.get("summary", "")) or
                    (e.dedup_key and e.dedup_key in keys)]

    def __enter__(self) -> PagerDuty:
        handler = _handler(self)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="pagerduty-standin", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # what the handler calls, under the lock
    def _enqueue(self, raw: bytes, received: float) -> tuple[int, dict[str, Any]]:
        with self._lock:
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = None
            record = body if isinstance(body, dict) else {"_raw": raw.decode("utf-8", "replace")}
            if self._fail is not None:
                self.events.append(Event(self._fail, record, received))
                return self._fail, {"status": "error", "message": "Internal Server Error"}
            errors = ["Event object is invalid: not JSON"] if body is None else validate(body)
            if errors:
                self.events.append(Event(400, record, received))
                return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
            key = body.get("dedup_key") or uuid.uuid4().hex
            body["dedup_key"] = key
            self.events.append(Event(202, body, received))
            current = next((i for i in self.incidents.values() if i.incident_key == key and i.status in OPEN), None)
            action = body["event_action"]
            if action == "trigger":
                if current is None:
                    number = next(self._numbers)
                    incident = Incident(f"PSTAND{number:04d}", number, body["payload"]["summary"][:1024], key,
                                        created_at=_now())
                    self.incidents[incident.id] = incident
                else:
                    current.alerts += 1
            elif current is not None:
                current.status = "acknowledged" if action == "acknowledge" else "resolved"
            return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    def _rest(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, dict[str, Any]]:
        if auth != f"Token token={self.token}":
            return 401, {"error": {"message": "Authentication failed", "code": 2006}}
        with self._lock:
            if path == "/incidents":
                statuses = query.get("statuses[]", [])
                found = [i for i in self.incidents.values()
                         if (not statuses or i.status in statuses)
                         and (not query.get("incident_key") or i.incident_key == query["incident_key"][0])]
                if query.get("sort_by", [""])[0].endswith(":desc"):
                    found.reverse()
                limit = int(query.get("limit", ["25"])[0])
                offset = int(query.get("offset", ["0"])[0])
                page = found[offset:offset + limit]
                return 200, {"incidents": [i.json(self.base) for i in page], "limit": limit, "offset": offset,
                             "more": offset + limit < len(found), "total": None}
            if path.startswith("/incidents/"):
                incident = self.incidents.get(path.rsplit("/", 1)[1])
                if incident is None:
                    return 404, {"error": {"message": "Not Found", "code": 2100}}
                return 200, {"incident": incident.json(self.base)}
        return 404, {"error": {"message": "Not Found", "code": 2100}}


def _handler(standin: PagerDuty) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            send_json(self, status, body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if urllib.parse.urlsplit(self.path).path != "/v2/enqueue":
                self._answer(404, {"status": "error", "message": "Not Found"})
                return
            self._answer(*standin._enqueue(raw, time.time()))

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            status, body = standin._rest(parts.path.rstrip("/"), urllib.parse.parse_qs(parts.query),
                                         self.headers.get("Authorization", ""))
            self._answer(status, body)

    return Handler
