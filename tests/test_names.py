"""The recording-rule contract: README documents exactly the names generator/names.py defines."""

from __future__ import annotations

import re
from pathlib import Path

from generator import names

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_matches_names() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- names-table:start -->")[1].split("<!-- names-table:end -->")[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+?) \|$", block, flags=re.M))
    assert rows == names.NAMES


def test_names_are_valid_recording_rule_names() -> None:
    for name in names.NAMES:
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name), name
        assert name.count(":") == 2, f"{name} should follow level:metric:operations"


def test_series_selector_escapes_and_orders_labels() -> None:
    assert names.series(names.ERROR_RATIO, "svc", "a\"b", "1h") == \
        'obsgen:sli_error:ratio{service="svc",slo="a\\"b",window="1h"}'
