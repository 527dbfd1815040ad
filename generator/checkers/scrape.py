"""`promtool check config` for the scrape jobs in out/prometheus/scrape/.

A scrape job alone is not a file promtool checks, so the jobs of every file there are
embedded in one whole prometheus.yml (global settings and nothing else) in a temporary
directory; promtool then checks them as Prometheus would load them, duplicate job names
across files included.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from generator.checkers.promtool import Result, run

GLOBAL = {"scrape_interval": "15s", "evaluation_interval": "30s"}


def embed(files: list[Path]) -> dict:
    """The prometheus.yml that holds every job of these files; ValueError for a file that is not one."""
    jobs: list[dict] = []
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path.name}: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("scrape_configs"), list):
            raise ValueError(f"{path.name}: not a file of scrape_configs")
        jobs.extend(doc["scrape_configs"])
    return {"global": dict(GLOBAL), "scrape_configs": jobs}


def check(promtool: str, files: list[Path]) -> Result:
    if not files:
        return Result(True, [])
    try:
        config = embed(files)
    except ValueError as exc:
        return Result(False, [str(exc)])
    with tempfile.TemporaryDirectory(prefix="obsgen-scrape-") as tmp:
        path = Path(tmp) / "prometheus.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        res = run([promtool, "check", "config", str(path)], Path(tmp), 60)
    return Result(res.ok, [line.replace(str(path), "prometheus.yml (embedding the scrape jobs)") for line in res.lines])
