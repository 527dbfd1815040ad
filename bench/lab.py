"""A real Prometheus on 127.0.0.1 for benchmarks and live tests.

Starts the Debian package's `prometheus` on a free port with a given data dir,
config and rule files; backfills raw samples (OpenMetrics) and recording rules
(`promtool tsdb create-blocks-from rules`, level by level, restarting in
between because a rule can only be backfilled from series already in blocks);
queries the HTTP API. Everything listens on loopback and is stopped by its owner.
"""

from __future__ import annotations

import http.server
import json
import math
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise RuntimeError(f"{tool} is not installed (apt-get install prometheus); `make build` installs it")
    return path


class TextExporter:
    """Serves `render()` in Prometheus' text format on 127.0.0.1 (a free port) while in use: a stand-in
    for an instrumented service that a real Prometheus scrapes (bench, and the tests' live checks)."""

    def __init__(self, render: Callable[[], str]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        self.target = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TextExporter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Prometheus:
    """One server; use as a context manager so it is always stopped."""

    def __init__(self, data: Path, rule_files: list[Path] | None = None, *, scrape: list[dict] | None = None,
                 eval_interval: str = "30s", workdir: Path | None = None, alertmanagers: list[str] | None = None,
                 lifecycle: bool = True, flags: tuple[str, ...] = ()) -> None:
        """rule_files may be globs; alertmanagers are host:port targets for its notifier; lifecycle
        False leaves out --web.enable-lifecycle (so /-/reload is refused, as on some servers)."""
        self.data = data
        self.rule_files = rule_files or []
        self.scrape = scrape or []
        self.eval_interval = eval_interval
        self.alertmanagers = alertmanagers or []
        self.lifecycle = lifecycle
        self.flags = flags
        self.workdir = workdir or data.parent
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.workdir / f"prometheus-{self.port}.log"

    def __enter__(self) -> Prometheus:
        config = {
            "global": {"scrape_interval": "15s", "evaluation_interval": self.eval_interval},
            "rule_files": [str(p) for p in self.rule_files],
            "scrape_configs": self.scrape,
        }
        if self.alertmanagers:
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": self.alertmanagers}]}]}
        cfg = self.workdir / f"prometheus-{self.port}.yml"
        cfg.write_text(yaml.safe_dump(config))
        self.proc = subprocess.Popen(
            [need("prometheus"), f"--config.file={cfg}", f"--storage.tsdb.path={self.data}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             *(["--web.enable-lifecycle"] if self.lifecycle else []),
             "--storage.tsdb.retention.time=90d", "--query.max-samples=500000000",
             "--query.timeout=5m", "--log.level=warn", *self.flags],
            stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("prometheus did not become ready in 180 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self, path: str, **params: Any) -> Any:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=600) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body}")
        return body["data"]

    def metrics(self, prefix: str) -> list[tuple[dict[str, str], float]]:
        """The server's own /metrics samples whose name starts with prefix (no self-scrape needed)."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=60) as r:
            text = r.read().decode()
        out = []
        for line in text.splitlines():
            if not line.startswith(prefix):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
            if not m:
                continue
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            labels["__name__"] = m.group(1)
            out.append((labels, float(m.group(3))))
        return out

    def query(self, expr: str, at: float | None = None, stats: bool = False) -> Any:
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        if stats:
            params["stats"] = "all"
        return self.api("query", **params)

    def query_range(self, expr: str, start: float, end: float, step: int) -> Any:
        return self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=str(step))


def backfill_openmetrics(files: list[Path], data: Path, workers: int = 2) -> None:
    promtool = need("promtool")
    data.mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> None:
        proc = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(path), str(data)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"backfill of {path.name} failed: {proc.stderr[-1000:]}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, files))


def backfill_rules(data: Path, levels: list[list[dict]], start: float, end: float, work: Path) -> None:
    """Record the history of recording rules, level by level; each level may read the ones before it.

    Each rule is evaluated by the real Prometheus as a range query at its group's interval and
    the results are written back as blocks (OpenMetrics, one file per 2h block). promtool's own
    `create-blocks-from rules` writes one block per rule per 2 hours, thousands of blocks that the
    server would then spend minutes compacting in the middle of a measurement.
    A level is a list of rule groups (Prometheus rule-file format, recording rules only).
    """
    for n, groups in enumerate(levels):
        if not groups:
            continue
        out = work / f"recorded-level{n}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        series: dict[str, list[tuple[float, str]]] = {}
        with Prometheus(data, workdir=work) as prom:
            for g in groups:
                step = durations_seconds(g.get("interval", "30s"))
                first = math.ceil(start / step) * step
                for r in g["rules"]:
                    for chunk_start in range(int(first), int(end), step * 10000):
                        chunk_end = min(end, chunk_start + step * 9999)
                        result = prom.query_range(r["expr"], chunk_start, chunk_end, step)["result"]
                        for item in result:
                            labels = {k: v for k, v in item["metric"].items() if k != "__name__"}
                            labels.update(r.get("labels", {}))
                            key = r["record"] + "{" + ",".join(
                                f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"
                            series.setdefault(key, []).extend((float(t), v) for t, v in item["values"])
        files = _write_chunks(series, out)
        backfill_openmetrics(files, data)
        shutil.rmtree(out, ignore_errors=True)


def durations_seconds(text: str) -> int:
    from generator import durations

    return durations.parse(text)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _write_chunks(series: dict[str, list[tuple[float, str]]], out: Path, chunk: int = 7200) -> list[Path]:
    by_chunk: dict[int, list[str]] = {}
    for key, values in series.items():
        values.sort()
        for t, v in values:
            if v in ("NaN", "+Inf", "-Inf"):
                continue
            by_chunk.setdefault(int(t) // chunk, []).append(f"{key} {v} {t:.3f}\n")
    files = []
    for k in sorted(by_chunk):
        path = out / f"chunk-{k}.om"
        # OpenMetrics wants each series' samples together and in time order
        lines = sorted(by_chunk[k], key=lambda line: (line.rsplit(" ", 2)[0], float(line.rsplit(" ", 1)[1])))
        path.write_text("".join(lines) + "# EOF\n")
        files.append(path)
    return files


def recording_levels(groups: list[dict]) -> list[list[dict]]:
    """Split recording rules into levels: a rule waits until every name it reads is complete."""
    pending = [(g, r) for g in groups for r in g["rules"] if "record" in r]
    names = {r["record"] for _, r in pending}
    reads = {id(r): {n for n in names if n != r["record"]
                     and re.search(re.escape(n) + r"(?![a-zA-Z0-9_:])", r["expr"])} for _, r in pending}
    levels: list[list[dict]] = []
    while pending:
        open_names = {r["record"] for _, r in pending}
        ready = [(g, r) for g, r in pending if not reads[id(r)] & open_names]
        if not ready:
            raise RuntimeError("recording rules depend on each other in a cycle")
        level: list[dict] = []
        for g, r in ready:
            pending.remove((g, r))
            target = next((x for x in level if x["name"] == g["name"]), None)
            if target is None:
                target = {"name": g["name"], "interval": g.get("interval", "30s"), "rules": []}
                level.append(target)
            target["rules"].append(r)
        levels.append(level)
    return levels
