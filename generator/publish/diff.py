"""What a publish changes, in the words a reviewer of a pull request needs.

Rules are compared by group name (the unit Prometheus loads and reports) and, inside a changed
group, by rule (its record or alert name plus its labels: every dependency's DependencyDown alert
has the same name, and so do a service's recording rules); the Alertmanager config as a unified
diff of normalised YAML (keys sorted, durations in one spelling, comments gone), so only changes
Alertmanager would see show; dashboards by uid and, inside one, by panel (its row and title), the
level at which people know a board.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from generator import durations

_DURATION = re.compile(r"^(?:\d+(?:y|w|d|h|m|s|ms))+$")
_MS = {"y": 365 * 86400_000, "w": 604800_000, "d": 86400_000, "h": 3600_000, "m": 60_000, "s": 1000, "ms": 1}
_PART = re.compile(r"(\d+)(y|w|d|h|ms|m|s)")


# --- rule groups ---------------------------------------------------------------------------------------------

LISTED = 10  # names listed per kind of change; the rest are counted


def _name(rule: Mapping[str, Any]) -> str:
    return str(rule.get("record") or rule.get("alert") or "?")


def varying(*versions: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Per rule name, the labels whose values tell its rules apart in either version of a group: the
    window of each burn-rate record, the component of each DependencyDown."""
    labels: dict[str, list[Mapping[str, Any]]] = {}
    for rules in versions:
        for rule in rules:
            labels.setdefault(_name(rule), []).append(rule.get("labels") or {})
    return {name: sorted(k for k in set().union(*found) if len({str(x.get(k)) for x in found}) > 1)
            for name, found in labels.items()}


def rule_key(rule: Mapping[str, Any], telling: Mapping[str, list[str]]) -> str:
    labels, keys = rule.get("labels") or {}, telling.get(_name(rule), [])
    return _name(rule) + ("{" + ",".join(f"{k}={labels.get(k, '')}" for k in keys) + "}" if keys else "")


def listed(names: list[str]) -> str:
    more = len(names) - LISTED
    return ", ".join(names[:LISTED]) + (f" and {more} more" if more > 0 else "")


def _keyed(rules: Iterable[Mapping[str, Any]], telling: Mapping[str, list[str]]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for rule in rules:
        key = base = rule_key(rule, telling)
        n = 1
        while key in out:
            n += 1
            key = f"{base} #{n}"
        out[key] = rule
    return out


def groups_in(text: str) -> list[dict[str, Any]]:
    """The groups of a rule file (YAML errors propagate: a file we wrote ourselves must parse)."""
    data = yaml.safe_load(text) or {}
    groups = data.get("groups") if isinstance(data, dict) else None
    return [g for g in groups or [] if isinstance(g, dict)]


def group_lines(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """`+ group X`, `- group X`, `~ group X: ...` for groups (by name) added, removed, changed."""
    lines: list[str] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if before is None:
            lines.append(f"+ group {name} ({len(after.get('rules') or [])} rules)")  # type: ignore[union-attr]
        elif after is None:
            lines.append(f"- group {name}")
        else:
            lines.append(f"~ group {name}: {_group_change(before, after)}")
    return lines


def _group_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    parts = []
    for key in sorted((set(before) | set(after)) - {"rules", "name"}):
        if before.get(key) != after.get(key):
            parts.append(f"{key} {before.get(key)} -> {after.get(key)}")
    telling = varying(before.get("rules") or [], after.get("rules") or [])
    old, new = _keyed(before.get("rules") or [], telling), _keyed(after.get("rules") or [], telling)
    for word, names in (("added", [k for k in new if k not in old]), ("removed", [k for k in old if k not in new]),
                        ("changed", [k for k in new if k in old and old[k] != new[k]])):
        if names:
            parts.append(f"rules {word}: {listed(names)}")
    return "; ".join(parts) or "reordered"


# --- YAML configs --------------------------------------------------------------------------------------------

def duration_ms(text: str) -> int | None:
    if not _DURATION.match(text):
        return None
    return sum(int(n) * _MS[u] for n, u in _PART.findall(text))


def normalise(value: Any) -> Any:
    """Durations in one spelling (Alertmanager writes 24h back as 1d), everything else as parsed."""
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        ms = duration_ms(value)
        if ms is not None:
            return "0s" if ms == 0 else durations.fmt(ms // 1000) if ms % 1000 == 0 else f"{ms}ms"
    return value


def yaml_text(value: Any) -> str:
    return yaml.safe_dump(normalise(value), sort_keys=True, default_flow_style=False, width=120)


def unified(old: str, new: str, fromfile: str, tofile: str) -> str:
    chunks = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                  fromfile=fromfile, tofile=tofile)
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)


# --- dashboards ----------------------------------------------------------------------------------------------

IGNORED = ("id", "version")  # Grafana's own: the database row and the save counter


def comparable(dashboard: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dashboard.items() if k not in IGNORED}


def rows(dashboard: Mapping[str, Any]) -> list[str]:
    return [str(p.get("title") or "") for p in dashboard.get("panels") or []
            if isinstance(p, dict) and p.get("type") == "row"]


def panels(dashboard: Mapping[str, Any], renamed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Panels by "row / title" (collapsed rows' panels included); a repeated title gets #2, #3. `renamed` maps
    row titles to the ones they are known by (a renamed row's panels are still its panels)."""
    out: dict[str, Any] = {}
    row = ""
    renamed = renamed or {}

    def add(panel: Mapping[str, Any], within: str, title: str | None = None) -> None:
        title = title or str(panel.get("title") or f"(untitled {panel.get('type', 'panel')})")
        key = base = f"{within} / {title}" if within else title
        n = 1
        while key in out:
            n += 1
            key = f"{base} #{n}"
        out[key] = {k: v for k, v in panel.items() if k != "panels"}

    for panel in dashboard.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            row = str(panel.get("title") or "")
            row = renamed.get(row, row)
            add(panel, "", row)
            for inner in panel.get("panels") or []:
                if isinstance(inner, dict):
                    add(inner, row)
        else:
            add(panel, row)
    return out


def dashboard_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """"panels added: A; removed: B; changed: C; settings: time, title" (what differs, by panel title).

    A row whose title changed (an SLO row names its objective) is matched by its place among the rows that
    did not keep their titles, so its panels read as changed where they changed, not as all new."""
    gone, fresh = [t for t in rows(old) if t not in rows(new)], [t for t in rows(new) if t not in rows(old)]
    renamed = dict(zip(gone, fresh, strict=False))
    before, after = panels(old, renamed), panels(new)
    parts = []
    for word, names in (("panels added", [k for k in after if k not in before]),
                        ("panels removed", [k for k in before if k not in after]),
                        ("panels changed", [k for k in after if k in before and before[k] != after[k]])):
        if names:
            parts.append(f"{word}: {listed(names)}")
    a, b = comparable(old), comparable(new)
    settings = sorted(k for k in set(a) | set(b) if k != "panels" and a.get(k) != b.get(k))
    if settings:
        parts.append(f"settings: {', '.join(settings)}")
    if not parts and list(before) != list(after):
        parts.append("panels reordered")
    return "; ".join(parts) or "no visible change"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
