"""out/blackbox/blackbox.yml and the checker that runs the real exporter on it (render/blackbox.py,
checkers/blackbox.py). What the modules catch is tests/test_blackbox_live.py's.

The exporter is Debian's prometheus-blackbox-exporter; missing, these tests fail, never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.checkers import blackbox

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
CONFIG = OUT / "blackbox" / "blackbox.yml"
APT_HINT = "apt-get install -y --no-install-recommends prometheus-blackbox-exporter (or `make tools`)"


def require_exporter() -> str:
    path = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    assert path, f"the blackbox exporter is required: {APT_HINT}; these tests never skip"
    return path


def modules() -> dict[str, dict]:
    return yaml.safe_load(CONFIG.read_text())["modules"]


def test_the_exporter_accepts_the_generated_modules() -> None:
    res = blackbox.check_config(require_exporter(), CONFIG)
    assert res.ok, res.lines


def test_one_module_per_fault_for_maestro() -> None:
    mods = modules()
    assert set(mods) == {"https_2xx", "https_hsts", "http_redirect"}
    assert mods["https_2xx"]["http"] == {"fail_if_not_ssl": True}  # no header check: HSTS is not availability
    assert mods["https_hsts"]["http"]["fail_if_header_not_matches"][0]["header"] == "Strict-Transport-Security"
    redirect = mods["http_redirect"]["http"]
    assert redirect["follow_redirects"] is False and set(redirect["valid_status_codes"]) == {301, 308}
    assert redirect["fail_if_header_not_matches"] == [{"header": "Location", "regexp": "^https://"}]
    assert all("tls_config" not in m["http"] for m in mods.values())  # certificates are verified


def broken_out(tmp_path: Path, mutate: str) -> Path:
    """A copy of the guardrails' part of out/ whose blackbox.yml has `mutate` appended to the redirect module."""
    out = tmp_path / "out"
    for rel in ("prometheus/rules/obsgen-guardrails.rules.yml", "prometheus/tests/obsgen-guardrails.test.yml",
                "prometheus/tests/obsgen-guardrails.long.test.yml", "blackbox/blackbox.yml"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(OUT / rel, out / rel)
    path = out / "blackbox" / "blackbox.yml"
    text = path.read_text()
    anchor = "      follow_redirects: false\n"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + mutate))
    return out


def test_a_broken_module_fails_the_check_with_the_exporters_reason(tmp_path: Path) -> None:
    out = broken_out(tmp_path, "      fail_if_header_matches: [{header: Location, regexp: '(^http:'}]\n")
    res = blackbox.check_config(require_exporter(), out / "blackbox" / "blackbox.yml")
    assert not res.ok
    assert any("Could not compile regular expression" in line for line in res.lines), res.lines
    proc = subprocess.run([sys.executable, "-m", "generator", "check", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "blackbox_exporter --config.check: FAILED" in proc.stdout
    assert "promtool test rules: ok" in proc.stdout


def test_an_unknown_key_fails_the_check(tmp_path: Path) -> None:
    out = broken_out(tmp_path, "      follow_redirect: false\n")
    res = blackbox.check_config(require_exporter(), out / "blackbox" / "blackbox.yml")
    assert not res.ok and any("follow_redirect not found" in line for line in res.lines), res.lines


def test_a_missing_exporter_is_exit_2_with_the_install_hint(tmp_path: Path) -> None:
    out = broken_out(tmp_path, "")
    env = dict(os.environ, BLACKBOX_EXPORTER=str(tmp_path / "no-such-exporter"))
    proc = subprocess.run([sys.executable, "-m", "generator", "check", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "apt-get install prometheus-blackbox-exporter" in proc.stderr
