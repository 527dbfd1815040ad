"""The generated blackbox modules against real servers: each catches its own fault and only that.

Local servers on 127.0.0.1 (free ports): HTTPS with a certificate for 127.0.0.1 signed by a CA
the test makes with the openssl CLI (5 days left, so the 7-day page applies), with and without
the HSTS header, with max-age=0, answering 500; plain HTTP answering 200, 301/308/302 to https,
or 301 to http. The real blackbox exporter runs the modules of out/blackbox/blackbox.yml, with
only `tls_config.ca_file` added (test CA) to the TLS modules; an untouched copy of the health
module shows certificates are verified. Then a real Prometheus scrapes the exporter with the
job of out/prometheus/scrape/blackbox.yml (targets and exporter address pointed at the test's)
and the probe alerts' expressions from out/ are evaluated on what it scraped: each names
exactly the faulty targets, and the SLO's selector finds its probe.
"""

from __future__ import annotations

import copy
import http.server
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bench.lab import Prometheus, free_port

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
APT_HINT = "apt-get install -y --no-install-recommends prometheus-blackbox-exporter openssl (or `make tools`)"
CERT_DAYS = 5


def require(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    raise AssertionError(f"{names[0]} is required: {APT_HINT}; this test never skips")


def openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run([require("openssl"), *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem (test CA) and server.pem/server.key for 127.0.0.1, valid CERT_DAYS days."""
    d = tmp_path_factory.mktemp("pki")
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=obsgen test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", str(CERT_DAYS), "-extfile", "ext.cnf", cwd=d)
    return d


@dataclass(frozen=True)
class Behaviour:
    status: int
    headers: tuple[tuple[str, str], ...] = ()


class _Handler(http.server.BaseHTTPRequestHandler):
    behaviour: Behaviour  # set per server class

    def do_GET(self) -> None:
        self.send_response(self.behaviour.status)
        for name, value in self.behaviour.headers:
            self.send_header(name, value.replace("{path}", self.path))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def servers(pki: Path) -> Iterator[dict[str, str]]:
    """name -> base URL of a running server; all stopped at the end."""
    running: list[http.server.ThreadingHTTPServer] = []
    urls: dict[str, str] = {}

    def start(name: str, tls: bool, behaviour: Behaviour) -> None:
        handler = type(f"Handler_{name}", (_Handler,), {"behaviour": behaviour})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(pki / "server.pem", pki / "server.key")
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append(server)
        urls[name] = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"

    hsts = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    try:
        start("hsts", True, Behaviour(200, (hsts,)))
        start("no_hsts", True, Behaviour(200))
        start("hsts_zero", True, Behaviour(200, (("Strict-Transport-Security", "max-age=0"),)))
        start("error", True, Behaviour(500, (hsts,)))
        start("plain", False, Behaviour(200))
        to_https = urls["hsts"] + "{path}"
        start("redirect_301", False, Behaviour(301, (("Location", to_https),)))
        start("redirect_308", False, Behaviour(308, (("Location", to_https),)))
        start("redirect_302", False, Behaviour(302, (("Location", to_https),)))
        start("redirect_to_http", False, Behaviour(301, (("Location", urls["plain"] + "{path}"),)))
        yield urls
    finally:
        for server in running:
            server.shutdown()
            server.server_close()


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited: {log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} not ready in 30s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def exporter(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of a blackbox exporter running out/'s modules (+ the test CA) and `as_generated_<m>` copies."""
    binary = require("prometheus-blackbox-exporter", "blackbox_exporter")
    generated = yaml.safe_load((OUT / "blackbox" / "blackbox.yml").read_text())["modules"]
    modules: dict[str, dict] = {}
    for name, module in generated.items():
        modules[f"as_generated_{name}"] = module
        trusting = copy.deepcopy(module)
        if trusting["http"].get("fail_if_not_ssl"):
            trusting["http"]["tls_config"] = {"ca_file": str(pki / "ca.pem")}
        modules[name] = trusting
    d = tmp_path_factory.mktemp("blackbox")
    config = d / "blackbox.yml"
    config.write_text(yaml.safe_dump({"modules": modules}))
    address = f"127.0.0.1:{free_port()}"
    log = d / "exporter.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([binary, f"--config.file={config}", f"--web.listen-address={address}"],
                                stdout=fh, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://{address}/", proc, log)
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def probe(exporter: str, module: str, target: str) -> dict[str, float]:
    """The exporter's /probe answer: metric name -> value (the first sample of each name)."""
    query = urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(f"http://{exporter}/probe?{query}", timeout=30) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name = line.split("{", 1)[0].split(" ", 1)[0]
            out.setdefault(name, float(line.rsplit(" ", 1)[1]))
    return out


CASES = [  # (module, server, path, probe_success, other metrics that must hold)
    ("https_2xx", "hsts", "/health", 1, {"probe_http_ssl": 1, "probe_http_status_code": 200}),
    ("https_2xx", "no_hsts", "/health", 1, {}),  # HSTS is not availability: only its own module fails
    ("https_2xx", "error", "/health", 0, {"probe_http_status_code": 500}),
    ("https_2xx", "plain", "/health", 0, {"probe_http_ssl": 0}),  # fail_if_not_ssl
    ("https_hsts", "hsts", "/", 1, {"probe_failed_due_to_regex": 0}),
    ("https_hsts", "no_hsts", "/", 0, {"probe_failed_due_to_regex": 1}),
    ("https_hsts", "hsts_zero", "/", 0, {"probe_failed_due_to_regex": 1}),
    ("http_redirect", "redirect_301", "/", 1, {"probe_http_status_code": 301, "probe_http_ssl": 0}),  # not followed
    ("http_redirect", "redirect_308", "/", 1, {"probe_http_status_code": 308}),
    ("http_redirect", "plain", "/", 0, {"probe_http_status_code": 200, "probe_failed_due_to_regex": 0}),
    ("http_redirect", "redirect_302", "/", 0, {"probe_http_status_code": 302}),
    ("http_redirect", "redirect_to_http", "/", 0, {"probe_failed_due_to_regex": 1}),
    ("http_redirect", "hsts", "/", 0, {}),  # TLS where plain HTTP belongs (fail_if_ssl) or no redirect
]


@pytest.mark.parametrize(("module", "server", "path", "success", "metrics"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_module_catches_its_fault(exporter: str, servers: dict[str, str], module: str, server: str, path: str,
                                       success: int, metrics: dict[str, float]) -> None:
    got = probe(exporter, module, servers[server] + path)
    assert got["probe_success"] == success, got
    for name, value in metrics.items():
        assert got[name] == value, (name, got)


def test_certificates_are_verified_and_their_expiry_reported(exporter: str, servers: dict[str, str]) -> None:
    untrusted = probe(exporter, "as_generated_https_2xx", servers["hsts"] + "/health")
    assert untrusted["probe_success"] == 0  # the generated module trusts only the system's CAs
    got = probe(exporter, "https_2xx", servers["hsts"] + "/health")
    left = got["probe_ssl_earliest_cert_expiry"] - time.time()
    assert (CERT_DAYS - 1) * 86400 < left <= CERT_DAYS * 86400, left


def probe_rules() -> list[dict]:
    groups = yaml.safe_load((OUT / "prometheus" / "rules" / "obsgen-guardrails.rules.yml").read_text())["groups"]
    return next(g for g in groups if g["name"] == "obsgen-guardrails-probes")["rules"]


def test_the_scrape_job_and_the_probe_alerts_on_live_probes(exporter: str, servers: dict[str, str],
                                                             tmp_path: Path) -> None:
    (job,) = yaml.safe_load((OUT / "prometheus" / "scrape" / "blackbox.yml").read_text())["scrape_configs"]
    health = servers["hsts"] + "/health"
    targets = {"https_2xx": [health, servers["plain"] + "/health"],
               "https_hsts": [servers["hsts"], servers["no_hsts"]],
               "http_redirect": [servers["redirect_301"], servers["plain"]]}
    assert {c["labels"]["module"] for c in job["static_configs"]} == set(targets)
    for static in job["static_configs"]:
        static["targets"] = targets[static["labels"]["module"]]
    (address,) = [r for r in job["relabel_configs"] if r["target_label"] == "__address__"]
    address["replacement"] = exporter
    job.update(scrape_interval="1s", scrape_timeout="1s")
    with Prometheus(tmp_path / "data", scrape=[job], workdir=tmp_path) as prom:
        deadline = time.monotonic() + 60
        while len(prom.query('probe_success{job="blackbox"}')["result"]) < 6:
            assert time.monotonic() < deadline, "Prometheus did not scrape every probe in 60s"
            time.sleep(0.5)
        # what the availability SLO selects: job and instance exactly, one series, up
        (sli,) = prom.query(f'probe_success{{job="blackbox",instance="{health}"}}')["result"]
        assert sli["value"][1] == "1" and sli["metric"]["module"] == "https_2xx"
        firing: dict[tuple[str, str], set[str]] = {}
        for rule in probe_rules():
            result = prom.query(rule["expr"])["result"]
            firing.setdefault((rule["alert"], rule["labels"]["severity"]), set()).update(
                r["metric"]["instance"] for r in result)
    tls_ok = {health, servers["hsts"], servers["no_hsts"]}
    assert firing == {
        ("ProbeFailing", "ticket"): {servers["plain"] + "/health"},  # not no_hsts: that is HSTSMissing's
        ("ProbeHSTSMissing", "ticket"): {servers["no_hsts"]},
        ("ProbeHTTPSRedirectBroken", "ticket"): {servers["plain"]},
        ("ProbeCertificateExpiring", "ticket"): tls_ok,  # 5 days left: under 21
        ("ProbeCertificateExpiring", "page"): tls_ok,  # and under 7
    }
