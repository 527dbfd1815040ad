"""Run the real blackbox exporter's `--config.check` on out/blackbox/blackbox.yml.

The exporter parses modules strictly (an unknown key, a regexp RE2 cannot compile, a bad
status code list all fail), which is exactly what would otherwise surface as a crash loop
after a deploy. Debian names the binary prometheus-blackbox-exporter; upstream builds
blackbox_exporter.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.checkers.promtool import Result, run
from generator.errors import ToolMissing

INSTALL_HINT = ("install it with: apt-get install prometheus-blackbox-exporter (Debian/Ubuntu), "
                "or set BLACKBOX_EXPORTER=/path/to/blackbox_exporter")
NAMES = ("prometheus-blackbox-exporter", "blackbox_exporter")


def find() -> str:
    path = os.environ.get("BLACKBOX_EXPORTER") or next((p for n in NAMES if (p := shutil.which(n))), None)
    if not path or not os.access(path, os.X_OK):
        raise ToolMissing(f"blackbox exporter not found; {INSTALL_HINT}")
    return path


def check_config(binary: str, config: Path) -> Result:
    res = run([binary, "--config.check", f"--config.file={config}"], config.parent, 60)
    # the exporter logs its start-up at info level; on failure only its error lines say why
    # (`level=error` up to 0.25, `level=ERROR` from 0.26's slog)
    errors = [line for line in res.lines if "level=error" in line.lower()]
    return Result(res.ok, res.lines if res.ok or not errors else errors)
