"""JSON over stdlib urllib for page-test and publish, with failures that read as one line and hold no secret.

An on-call engineer runs page-test against servers named on the command line; when one of them
is down or says no, the verdict must say which server and what it answered, never a traceback.
Secrets never reach a message: the PagerDuty token travels in a header (no message includes
headers), and credentials in a URL (`https://user:pass@host`) become a Basic header and are
stripped from every URL shown.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from generator import log

TIMEOUT_S = 10.0
EXCERPT = 200


class ServerError(Exception):
    """A server could not be reached or answered something unusable; str() is the whole story."""


class Unreachable(ServerError):
    pass


class BadStatus(ServerError):
    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def display(url: str) -> str:
    """The URL as we print it: without user info, query or fragment."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def excerpt(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


class Client:
    """One server: `name` is how messages call it ("Prometheus"), base_url where it lives."""

    def __init__(self, name: str, base_url: str, headers: Mapping[str, str] | None = None,
                 timeout: float = TIMEOUT_S, agent: str = "obsgen-page-test") -> None:
        parts = urllib.parse.urlsplit(base_url)
        self._headers = dict(headers or {})
        if parts.username is not None:
            pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        self.name = name
        self.base = display(base_url).rstrip("/")
        self.timeout = timeout
        self.agent = agent  # names the command in the server's logs: who changed this?

    def __repr__(self) -> str:
        return f"Client({self.name!r}, {self.base!r})"

    def request(self, method: str, path: str, *, params: Sequence[tuple[str, str]] = (),
                body: bytes | None = None, content_type: str | None = None,
                accept: str = "application/json", timeout: float | None = None) -> bytes:
        url = self.base + path + (("?" + urllib.parse.urlencode(list(params))) if params else "")
        headers = {"Accept": accept, "User-Agent": self.agent, **self._headers}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        shown = f"{method} {self.base}{path}"
        timeout = self.timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                data = r.read()
                # the URL as displayed (no user info) and the names of the query parameters, never headers
                log.debug("%s: %s%s -> HTTP %d, %d bytes in %.2fs", self.name, shown,
                          f" ({', '.join(k for k, _ in params)})" if params else "", r.status, len(data),
                          time.monotonic() - started)
                return data
        except urllib.error.HTTPError as exc:
            log.debug("%s: %s -> HTTP %d in %.2fs", self.name, shown, exc.code, time.monotonic() - started)
            text = excerpt(exc.read() or b"")
            raise BadStatus(f"{self.name} answered HTTP {exc.code} to {shown}" + (f": {text}" if text else ""),
                            exc.code, text) from None
        except urllib.error.URLError as exc:
            raise Unreachable(f"{self.name} at {self.base} is unreachable: {_reason(exc.reason)}") from None
        except TimeoutError:
            raise Unreachable(f"{self.name} at {self.base} did not answer {shown} within "
                              f"{timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"{self.name} at {self.base} is unreachable: {_reason(exc)}") from None

    def get_json(self, path: str, params: Sequence[tuple[str, str]] = (), accept: str = "application/json") -> Any:
        raw = self.request("GET", path, params=params, accept=accept)
        try:
            return json.loads(raw)
        except ValueError:
            raise ServerError(f"{self.name} answered GET {self.base}{path} with something other than JSON: "
                              f"{excerpt(raw)}") from None

    def get_text(self, path: str) -> str:
        return self.request("GET", path, accept="text/plain").decode("utf-8", "replace")

    def post_json(self, path: str, data: Any) -> bytes:
        return self.request("POST", path, body=json.dumps(data).encode(), content_type="application/json")

    def post(self, path: str, timeout: float | None = None) -> bytes:
        return self.request("POST", path, body=b"", timeout=timeout)


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
