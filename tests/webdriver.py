"""Just enough W3C WebDriver to look at a page in Debian's headless Chromium: open, run a script, screenshot.

chromedriver (package chromium-driver) speaks WebDriver over HTTP, so urllib suffices and the tests
need no selenium. A missing browser or driver fails the test with the apt-get hint: `make tools`
installs both, and a skipped browser test would let a broken preview through.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.exporters import ToolMissing, free_port

APT_HINT = "apt-get install -y --no-install-recommends chromium chromium-driver (or `make tools`)"
STARTUP_TIMEOUT = 30.0


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found (Debian package {package}): {APT_HINT}")
    return found


def _request(method: str, url: str, payload: dict[str, Any] | None = None, timeout: float = 60) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null").get("value")
    except urllib.error.HTTPError as exc:  # WebDriver errors are JSON bodies with a message
        body = exc.read().decode(errors="replace")[:2000]
        raise RuntimeError(f"WebDriver {method} {url}: {exc.code} {body}") from None


class Session:
    """One browser session: the calls the preview test needs."""

    def __init__(self, base: str, session_id: str) -> None:
        self.url = f"{base}/session/{session_id}"

    def open(self, url: str) -> None:
        _request("POST", f"{self.url}/url", {"url": url})

    def execute(self, script: str, *args: Any) -> Any:
        return _request("POST", f"{self.url}/execute/sync", {"script": script, "args": list(args)})

    def resize(self, width: int, height: int) -> None:
        _request("POST", f"{self.url}/window/rect", {"width": width, "height": height})

    def screenshot(self) -> bytes:
        """PNG of the viewport (resize the window to the page first to get all of it)."""
        return base64.b64decode(_request("GET", f"{self.url}/screenshot"))


@contextlib.contextmanager
def chromium(profile: Path, width: int = 1400, height: int = 1000) -> Iterator[Session]:
    """Headless Chromium driven by chromedriver; both stopped, with anything they spawned, on exit.

    profile is a writable directory for HOME and the user-data-dir (Chromium refuses to start without).
    """
    browser = _binary("chromium", "chromium")
    driver = _binary("chromedriver", "chromium-driver")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HOME": str(profile)}
    log = open(profile / "chromedriver.log", "ab")  # closed in finally, after the driver
    proc = subprocess.Popen([driver, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    session_id = None
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if (_request("GET", f"{base}/status", timeout=2) or {}).get("ready"):
                    break
            except (urllib.error.URLError, ConnectionError, RuntimeError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromedriver did not start (exit {proc.poll()}); see {profile}/chromedriver.log")
            time.sleep(0.1)
        options = {"binary": browser, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
            f"--window-size={width},{height}", f"--user-data-dir={profile / 'chromium'}"]}
        created = _request("POST", f"{base}/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        session_id = created["sessionId"]
        yield Session(base, session_id)
    finally:
        if session_id is not None:
            with contextlib.suppress(Exception):
                _request("DELETE", f"{base}/session/{session_id}", timeout=20)  # quits the browser
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the driver's group: it and any browser left behind
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        _reap(str(profile))


def _processes_mentioning(marker: str) -> list[int]:
    """Processes whose command line names marker: ours, since it is this session's temporary profile."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


def _reap(marker: str, grace: float = 10.0) -> None:
    """Wait for the browser's helpers to go; Chromium's crashpad handlers leave the process group
    (double fork) and outlive the browser briefly, so they are found by the profile path they name."""
    deadline = time.monotonic() + grace
    while (pids := _processes_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
