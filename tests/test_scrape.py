"""out/prometheus/scrape/blackbox.yml, checked the way `obsgen check` does: embedded in a whole
prometheus.yml and given to the real `promtool check config` (render/scrape.py, checkers/scrape.py).
That the job's relabelling yields what the probe SLIs select is tests/test_blackbox_live.py's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from generator.checkers import scrape

# every test here runs once per Prometheus major version (tests/toolchains.py)
pytestmark = pytest.mark.usefixtures("toolchain")

REPO = Path(__file__).resolve().parents[1]
JOBS = REPO / "out" / "prometheus" / "scrape" / "blackbox.yml"


def require_promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is required (apt-get install prometheus); these tests never skip"
    return path


def job() -> dict:
    (only,) = yaml.safe_load(JOBS.read_text())["scrape_configs"]
    return only


def write(tmp_path: Path, name: str, jobs: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"scrape_configs": jobs}))
    return path


def test_promtool_accepts_the_job_inside_a_whole_config() -> None:
    res = scrape.check(require_promtool(), [JOBS])
    assert res.ok, res.lines
    assert any("SUCCESS" in line for line in res.lines), res.lines


def test_the_job_is_the_one_the_probe_slis_select() -> None:
    j = job()
    assert j["job_name"] == "blackbox" and j["metrics_path"] == "/probe"
    targets = {t["labels"]["module"]: t["targets"] for t in j["static_configs"]}
    assert targets["https_2xx"] == ["https://maestro.example.com/health"]
    relabels = {r["target_label"]: r for r in j["relabel_configs"]}
    assert relabels["instance"]["source_labels"] == ["__param_target"]
    assert relabels["__param_module"]["source_labels"] == ["module"]


def test_a_timeout_longer_than_the_interval_is_refused(tmp_path: Path) -> None:
    bad = dict(job(), scrape_timeout="30s")
    res = scrape.check(require_promtool(), [write(tmp_path, "bad.yml", [bad])])
    assert not res.ok
    assert any("scrape timeout greater than scrape interval" in line for line in res.lines), res.lines
    assert not any(str(tmp_path) in line for line in res.lines if "prometheus.yml" in line)


def test_a_job_name_used_twice_across_files_is_refused(tmp_path: Path) -> None:
    res = scrape.check(require_promtool(), [JOBS, write(tmp_path, "again.yml", [job()])])
    assert not res.ok and any("multiple scrape configs" in line for line in res.lines), res.lines


def test_a_file_that_is_not_scrape_configs_is_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.yml"
    path.write_text("groups: []\n")
    res = scrape.check(require_promtool(), [path])
    assert not res.ok and res.lines == ["odd.yml: not a file of scrape_configs"]
