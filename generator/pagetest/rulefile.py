"""The temporary rule file page-test puts in Prometheus's rule directory.

Its name starts with PREFIX so page-test's cleanup and obsgen's publishing can tell it from every
other file there (publishing must never write or delete one). It holds one group with one alert
rule whose expression is true only until DEADLINE, a timestamp in the file: if page-test is killed,
the alert still resolves by itself at the deadline, and rewriting the file with an earlier deadline
(same group, alert name and labels, so Prometheus carries the firing state across the reload) is how
page-test resolves it on purpose.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from generator import yamlio
from generator.drill import DrillAlert
from generator.render.rules import go_literal

PREFIX = "obsgen-page-test-"
# matched by rule_files globs written for obsgen's own files (*.rules.yml) as well as *.yml
SUFFIX = ".rules.yml"
# Longer than the few seconds after a reload in which Prometheus's notifier has no Alertmanager
# yet (its discovery sends updates every 5 s) and would drop the first notification.
FOR = "6s"
# Evaluated every second whatever the server's evaluation_interval: the deadline takes effect at once.
INTERVAL = "1s"


def is_page_test_file(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(SUFFIX)


def group_name(test_id: str) -> str:
    return f"{PREFIX}{test_id}"


def path(rules_dir: Path, test_id: str) -> Path:
    return rules_dir / f"{group_name(test_id)}{SUFFIX}"


def expression(deadline: float) -> str:
    return f"vector(1) and on() (vector(time()) < {deadline:.3f})"


def utc(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(drill: DrillAlert, test_id: str, deadline: float) -> str:
    """Label and annotation values are escaped: Prometheus expands both as Go templates."""
    rule = {
        "alert": drill.name,
        "expr": expression(deadline),
        "for": FOR,
        "labels": {k: go_literal(v) for k, v in drill.labels.items()},
        "annotations": {k: go_literal(v) for k, v in drill.annotations.items()},
    }
    header = (f"written by obsgen page-test {test_id}, which removes it; if it is left behind, its alert "
              f"resolves by itself at {utc(deadline)} and the file may be deleted")
    return yamlio.dump({"groups": [{"name": group_name(test_id), "interval": INTERVAL, "rules": [rule]}]}, header)


def write(target: Path, text: str) -> None:
    """Atomically, so Prometheus never loads half a file; the temporary name does not end in .yml."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
