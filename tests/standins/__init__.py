"""Local HTTP servers that speak a third party's API, for tests that must not reach the real one."""

from __future__ import annotations

import http.server
import json


def send_json(handler: http.server.BaseHTTPRequestHandler, status: int, body: object) -> None:
    """Answer with a JSON body; a client that hung up early (a test's timeout) is not an error here."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    try:
        handler.wfile.write(data)
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass
