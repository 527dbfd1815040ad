"""Real PostgreSQL and Redis servers with their Prometheus exporters, for tests that check metric names.

The dashboards' metric catalog claims which series an exporter version exposes; only a running
exporter can prove it, so these context managers start throwaway servers (temporary data
directories, free ports on 127.0.0.1, never the system services the Debian packages install) and
stop them on exit, whatever the test did. A missing binary is a test failure naming the package:
`make tools` installs them, and a skipped check would let the catalog drift unnoticed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

APT_HINT = ("apt-get install -y --no-install-recommends postgresql prometheus-postgres-exporter "
            "redis-server prometheus-redis-exporter (or `make tools`)")
STARTUP_TIMEOUT = 30.0


class ToolMissing(AssertionError):
    """An AssertionError so pytest reports a FAIL (not an error, never a skip)."""


def require(binary: str, package: str) -> str:
    found = shutil.which(binary) if "/" not in binary else (binary if os.access(binary, os.X_OK) else None)
    if not found:
        raise ToolMissing(f"{binary} not found (Debian package {package}): {APT_HINT}")
    return found


def postgres_bindir() -> Path:
    """The newest /usr/lib/postgresql/<major>/bin holding initdb (Debian keeps them off PATH)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not candidates:
        raise ToolMissing(f"/usr/lib/postgresql/*/bin/initdb not found (Debian package postgresql): {APT_HINT}")
    return candidates[-1].parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Exporter:
    """A running exporter: where to scrape it and what `--version` says."""

    name: str
    url: str
    version: str

    def scrape(self) -> str:
        with urllib.request.urlopen(self.url, timeout=10) as resp:
            return resp.read().decode("utf-8")


def _stop(proc: subprocess.Popen[bytes], stop_signal: int, sig_timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(stop_signal)
        try:
            proc.wait(timeout=sig_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _process(argv: list[str], log: Path, *, env: dict[str, str] | None = None,
             user: str | None = None, stop_signal: int = signal.SIGTERM) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is always stopped (then killed after 10 s) on exit; its output goes to log."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, user=user, group=_group(user), extra_groups=[] if user else None)
    try:
        yield proc
    finally:
        _stop(proc, stop_signal)


def _group(user: str | None) -> int | None:
    return pwd.getpwnam(user).pw_gid if user else None


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_until(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{_log_tail(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {STARTUP_TIMEOUT:.0f}s:\n{_log_tail(log)}")


def _serves(url: str, needle: str) -> bool:
    """True once the exporter answers and reports its server as up (the needle, e.g. 'pg_up 1')."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = resp.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return re.search(rf"^{re.escape(needle)}(\.0)?$", body, re.MULTILINE) is not None


def exporter_version(binary: str) -> str:
    """The upstream version `--version` prints (postgres_exporter: 'version 0.11.1'; redis_exporter logs
    'Redis Metrics Exporter 1.45.0-2+b4', a Debian revision which is dropped)."""
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30, check=False)
    text = proc.stdout + proc.stderr
    match = re.search(r"(?:version|Exporter)\s+v?(\d+\.\d+\.\d+)", text)
    if not match:
        raise RuntimeError(f"{binary} --version: no version in {text!r}")
    return match.group(1)


def _unprivileged_user() -> str | None:
    """PostgreSQL refuses to run as root: tests run as root in CI, so the server runs as postgres or nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _run(argv: list[str], *, user: str | None = None, env: dict[str, str] | None = None,
         stdin: str | None = None) -> str:
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, check=False, env=env,
                          user=user, group=_group(user), extra_groups=[] if user else None)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


@dataclass(frozen=True)
class Postgres:
    port: int
    bindir: Path

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def sql(self, script: str, *options: str) -> str:
        """Run SQL through psql over TCP as the superuser (trust auth: the cluster lives for one test)."""
        return _run([str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                     "-p", str(self.port), "-U", "postgres", "-d", "postgres", *options], stdin=script)


@contextlib.contextmanager
def postgres(primary: Postgres | None = None) -> Iterator[Postgres]:
    """A new cluster, or with primary a streaming standby of it (pg_basebackup -R), ready for queries."""
    bindir = postgres_bindir()
    for tool in ("initdb", "postgres", "psql", "pg_isready", "pg_basebackup"):
        require(str(bindir / tool), "postgresql")
    user = _unprivileged_user()
    base = Path(tempfile.mkdtemp(prefix="obsgen-pg-"))  # not tmp_path: pytest's is 0700 root-only
    try:
        if user:
            entry = pwd.getpwnam(user)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        data, log = base / "data", base / "postgres.log"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(base)}
        if primary is None:
            _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale",
                  "-E", "UTF8", "--no-sync"], user=user, env=env)
        else:
            _run([str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                  "-D", str(data), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"], user=user, env=env)
        port = free_port()
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "logging_collector=off"]
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for the exporter's session to end
        with _process(argv, log, env=env, user=user, stop_signal=signal.SIGINT) as proc:
            server = Postgres(port=port, bindir=bindir)
            isready = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
            _wait_until("postgres", lambda: subprocess.run(isready, check=False).returncode == 0, proc, log)
            if primary is not None:
                _wait_until("postgres standby streaming",
                            lambda: primary.sql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming';",
                                                "-tA").strip() != "0", proc, log)
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def postgres_exporter(db: Postgres, logdir: Path, role: str = "primary") -> Iterator[Exporter]:
    binary = require("prometheus-postgres-exporter", "prometheus-postgres-exporter")
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATA_SOURCE_NAME": db.dsn}
    log = logdir / f"postgres_exporter-{role}.log"
    url = f"http://127.0.0.1:{port}/metrics"
    with _process([binary, f"--web.listen-address=127.0.0.1:{port}"], log, env=env) as proc:
        _wait_until("postgres_exporter", lambda: _serves(url, "pg_up 1"), proc, log)
        yield Exporter(f"postgres_exporter ({role})", url, exporter_version(binary))


@dataclass(frozen=True)
class Redis:
    port: int

    def cli(self, *args: str) -> str:
        return _run([require("redis-cli", "redis-tools"), "-h", "127.0.0.1", "-p", str(self.port), *args])


@contextlib.contextmanager
def redis(replica_of: Redis | None = None) -> Iterator[Redis]:
    """A Redis without persistence, or with replica_of a replica whose link to it is up."""
    binary = require("redis-server", "redis-server")
    require("redis-cli", "redis-tools")
    base = Path(tempfile.mkdtemp(prefix="obsgen-redis-"))
    try:
        port = free_port()
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dir", str(base), "--repl-diskless-sync-delay", "0"]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of.port)]
        log = base / "redis.log"
        with _process(argv, log) as proc:
            server = Redis(port)

            def ready() -> bool:
                try:
                    if replica_of is None:
                        return server.cli("PING").strip() == "PONG"
                    return "master_link_status:up" in server.cli("INFO", "replication")
                except RuntimeError:
                    return False

            _wait_until("redis-server", ready, proc, log)
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def redis_exporter(server: Redis, logdir: Path, role: str = "primary") -> Iterator[Exporter]:
    binary = require("prometheus-redis-exporter", "prometheus-redis-exporter")
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    argv = [binary, f"--redis.addr=redis://127.0.0.1:{server.port}", f"--web.listen-address=127.0.0.1:{port}"]
    log = logdir / f"redis_exporter-{role}.log"
    with _process(argv, log) as proc:
        _wait_until("redis_exporter", lambda: _serves(url, "redis_up 1"), proc, log)
        yield Exporter(f"redis_exporter ({role})", url, exporter_version(binary))


def postgres_workload(db: Postgres) -> None:
    """Commits, a rollback and reads, so the per-database counters the dashboards plot have moved."""
    db.sql("CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, note text);")
    for i in range(3):
        db.sql(f"INSERT INTO orders (note) VALUES ('order {i}');")
    db.sql("BEGIN; INSERT INTO orders (note) VALUES ('never'); ROLLBACK;")
    db.sql("SELECT count(*) FROM orders; SELECT * FROM orders WHERE id = 1;")


def redis_workload(server: Redis) -> None:
    """Keys, hits and misses, so keyspace and hit-ratio series exist."""
    for i in range(3):
        server.cli("SET", f"key:{i}", str(i))
    server.cli("GET", "key:0")
    server.cli("GET", "missing")
    server.cli("EXPIRE", "key:1", "3600")


@contextlib.contextmanager
def scraped_postgres(logdir: Path) -> Iterator[tuple[Exporter, Exporter]]:
    """Exporters of a primary that has done a little work and of its streaming standby.

    Replication series exist only in a replicated setup (pg_stat_replication_* on the primary), so
    both are scraped: a metric is exposed by the exporter version if either exposes it.
    """
    with postgres() as primary:
        postgres_workload(primary)
        with postgres(primary) as standby, \
                postgres_exporter(primary, logdir, "primary") as on_primary, \
                postgres_exporter(standby, logdir, "standby") as on_standby:
            yield on_primary, on_standby


@contextlib.contextmanager
def scraped_redis(logdir: Path) -> Iterator[tuple[Exporter, Exporter]]:
    """Exporters of a primary with keys, hits and misses, and of its replica (redis_master_link_up & co.)."""
    with redis() as primary:
        redis_workload(primary)
        with redis(primary) as replica, \
                redis_exporter(primary, logdir, "primary") as on_primary, \
                redis_exporter(replica, logdir, "replica") as on_replica:
            yield on_primary, on_replica


_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count"),
             "counter": ("_total",)}


@dataclass(frozen=True)
class Exposition:
    """Metric families (name -> TYPE) and every sample name of one scrape."""

    families: dict[str, str]
    samples: frozenset[str]

    def exposes(self, name: str) -> bool:
        """A family name, or a sample name such as a histogram's `_bucket` series."""
        return name in self.families or name in self.samples


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s+\S+")


def parse(text: str) -> Exposition:
    """The Prometheus text format, as far as names go (prometheus_client is not a dependency).

    Samples without a `# TYPE` line are untyped families of their own name.
    """
    families: dict[str, str] = {}
    samples: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            families[name] = kind.strip()
        elif line and not line.startswith("#"):
            match = _SAMPLE.match(line)
            if match:
                samples.add(match.group(1))
    for name in samples:
        if name in families:
            continue
        if not any(name == base + suffix for base, kind in families.items() for suffix in _SUFFIXES.get(kind, ())):
            families[name] = "untyped"
    return Exposition(families, frozenset(samples))


def build_info_version(exposition_text: str, metric: str) -> str | None:
    """The `version` label of an exporter's *_build_info metric, Debian revision dropped."""
    match = re.search(rf'^{re.escape(metric)}\{{[^}}]*version="v?(\d+\.\d+\.\d+)[^"]*"', exposition_text, re.MULTILINE)
    return match.group(1) if match else None


def scrape_all(exporters: tuple[Exporter, ...]) -> tuple[Exposition, list[str]]:
    """The union of the exporters' expositions, and the build_info/--version versions seen."""
    families: dict[str, str] = {}
    samples: set[str] = set()
    versions: list[str] = []
    for exporter in exporters:
        text = exporter.scrape()
        exposition = parse(text)
        families.update(exposition.families)
        samples |= exposition.samples
        versions.append(exporter.version)
        info = re.sub(r"\W", "_", exporter.name.split()[0]) + "_build_info"
        found = build_info_version(text, info)
        if found:
            versions.append(found)
    return Exposition(families, frozenset(samples)), versions


def main(argv: list[str]) -> int:
    """`python tests/exporters.py DIR`: write DIR/postgres.txt and DIR/redis.txt, the metric families the
    installed exporters expose (one per line, sorted), for choosing panel queries and catalog entries."""
    outdir = Path(argv[1] if len(argv) > 1 else "/tmp/exporter-metrics")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="obsgen-exporter-logs-") as logs:
        for filename, scraped in (("postgres.txt", scraped_postgres), ("redis.txt", scraped_redis)):
            with scraped(Path(logs)) as exporters:
                exposition, versions = scrape_all(exporters)
            (outdir / filename).write_text("".join(f"{name}\n" for name in sorted(exposition.families)))
            print(f"{outdir / filename}: {len(exposition.families)} families, versions {sorted(set(versions))}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv))
