"""The Watchdog end to end: out/'s guardrail rules in a real Prometheus, out/'s Alertmanager config
in a real Alertmanager, and the heartbeat receiver's webhook answered by a local server.

Only what a test cannot reach is changed in test-only copies: the heartbeat URL points at the local
server, secret files at files the test writes, and the rule groups evaluate every second. The beat
must arrive at once (group_wait 0s), firing, with the bearer token from credentials_file, and
nothing else may reach the heartbeat.
"""

from __future__ import annotations

import copy
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import servers

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
TOKEN = "heartbeat-test-token"


class _Beats(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]  # (Authorization header, body)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.headers.get("Authorization", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def heartbeat() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    received: list[tuple[str, dict[str, Any]]] = []
    handler = type("Beats", (_Beats,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ping", received
    finally:
        server.shutdown()
        server.server_close()


def _files_to(value: Any, secret: Path) -> Any:
    """Every *_file in the config pointed at one file the test wrote."""
    if isinstance(value, dict):
        return {k: str(secret) if k.endswith("_file") else _files_to(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_files_to(v, secret) for v in value]
    return value


def test_the_watchdog_beats_at_the_heartbeat_receiver(tmp_path: Path,
                                                      heartbeat: tuple[str, list[tuple[str, dict]]]) -> None:
    url, received = heartbeat
    secret = tmp_path / "secret"
    secret.write_text(TOKEN)
    config = _files_to(copy.deepcopy(yaml.safe_load((OUT / "alertmanager" / "alertmanager.yml").read_text())), secret)
    route = config["route"]["routes"][0]
    (receiver,) = [r for r in config["receivers"] if r["name"] == route["receiver"]]
    receiver["webhook_configs"][0]["url"] = url
    rules = yaml.safe_load((OUT / "prometheus" / "rules" / "obsgen-guardrails.rules.yml").read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "guardrails.yml").write_text(yaml.safe_dump(rules))
    # a 1s resend: Prometheus drops the first send while it still discovers Alertmanager (servers.prometheus)
    with servers.Alertmanager(config, tmp_path) as am, \
            servers.prometheus(tmp_path, rules_dir, am.target, resend_delay="1s"):
        deadline = time.monotonic() + 60
        while not received:
            assert time.monotonic() < deadline, "no heartbeat within 60s"
            time.sleep(0.2)
        first_beat = 60 - (deadline - time.monotonic())
        time.sleep(2)  # anything else routed here would arrive with it
    auth, body = received[0]
    assert auth == f"Bearer {TOKEN}"
    assert body["receiver"] == receiver["name"] and body["status"] == "firing"
    assert {a["labels"]["alertname"] for _, b in received for a in b["alerts"]} == {"Watchdog"}
    (alert,) = body["alerts"]
    assert alert["labels"]["component"] == "watchdog" and alert["labels"]["severity"] == "none"
    assert first_beat < 30, f"the first beat took {first_beat:.0f}s"
