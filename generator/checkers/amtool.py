"""Run amtool on out/alertmanager: `check-config`, then every generated route case.

Each case is one `amtool config routes test --verify.receivers=R labels...` (amtool
exits 1 when the labels land elsewhere), run side by side since each is a short
process. Labels are passed in matcher syntax so any value survives quoting.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from generator.checkers.promtool import Result, run
from generator.errors import CheckError, ToolMissing
from generator.render.alertmanager import matcher

INSTALL_HINT = ("install it with: apt-get install prometheus-alertmanager (Debian/Ubuntu), "
                "or set AMTOOL=/path/to/amtool")


def find() -> str:
    path = os.environ.get("AMTOOL") or shutil.which("amtool")
    if not path or not os.access(path, os.X_OK):
        raise ToolMissing(f"amtool not found; {INSTALL_HINT}")
    return path


def uses_url_file(config: Path) -> bool:
    """Whether a webhook of the config reads its URL from a file (Alertmanager >= 0.26)."""
    try:
        doc = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return False  # check-config will say what is wrong with it
    return any("url_file" in w for r in doc.get("receivers") or [] for w in r.get("webhook_configs") or [])


def check_config(binary: str, config: Path) -> Result:
    return run([binary, "check-config", str(config)], config.parent, 60)


def _cases(path: Path) -> tuple[Path, list[dict]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        config = path.parent / doc["config"]
        cases = list(doc["cases"])
        for c in cases:
            if not isinstance(c["name"], str) or not isinstance(c["receiver"], str) \
                    or not isinstance(c["labels"], dict):
                raise TypeError("a case needs name, receiver and labels")
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise CheckError(f"{path}: not a route-test file ({exc})") from None
    return config, cases


def test_routes(binary: str, tests: Path) -> tuple[Result, int]:
    """(result, number of cases): a failed case names itself, what it expected and what amtool found."""
    config, cases = _cases(tests)

    def one(case: dict) -> list[str]:
        labels = [matcher(str(k), "=", str(v)) for k, v in case["labels"].items()]
        res = run([binary, "config", "routes", "test", f"--config.file={config}",
                   f"--verify.receivers={case['receiver']}", *labels], config.parent, 60)
        if res.ok:
            return []
        got = [line for line in res.lines if not line.startswith(("Warning:", "WARNING:"))]
        return [f"{case['name']}: expected {case['receiver']}, amtool says: {'; '.join(got) or 'no receiver'}"]

    workers = max(1, min(len(cases), 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        failures = [line for lines in pool.map(one, cases) for line in lines]
    return Result(not failures, failures), len(cases)
