"""Publish out/prometheus/rules to a Prometheus: rule files in its rules directory, a reload, a check.

Ownership is by file name: publish writes `obsgen-publish-<file of out/>` and only ever writes or
deletes files named so. Every other file in the directory is someone else's, page-test's
(`obsgen-page-test-*`, which this prefix can never match) included. The check after the reload is
Prometheus's own word (`/api/v1/rules`): every group we wrote is loaded from our file with the rules
we wrote, and none has an evaluation error. A changed group is evaluated first one interval after the
reload, so the check waits for that, up to --prometheus-wait; a group whose interval is longer than
the wait is reported as loaded and not yet evaluated. When the new set does not load or does not
evaluate, the previous files are put back and Prometheus reloaded again (rollback).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator import durations
from generator.pagetest import rulefile
from generator.pagetest.httpjson import ServerError
from generator.pagetest.prometheus import Prometheus, ReloadFailed
from generator.publish import diff, files
from generator.publish.report import Failed, Progress

NAME = "prometheus"
PREFIX = "obsgen-publish-"
SUFFIX = ".rules.yml"
OUT_DIR = "prometheus/rules"
LIFECYCLE_HINT = "Prometheus refuses POST /-/reload: start it with --web.enable-lifecycle"
LOAD_GRACE_S = 5.0   # /-/reload answers once the files are loaded; a little slack for a busy server
POLL_S = 1.0     # at most: /api/v1/rules is large on a real server, and groups evaluate every 30s or more
FIRST_POLL_S = 0.1


def is_ours(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(SUFFIX) and not rulefile.is_page_test_file(name)


def published_name(out_file: str) -> str:
    """out/prometheus/rules/shop.rules.yml -> obsgen-publish-shop.rules.yml"""
    name = PREFIX + PurePosixPath(out_file).name
    assert is_ours(name), name
    return name


def desired(out_files: Mapping[str, str]) -> dict[str, str]:
    """Our file name -> text, from out/'s files (paths relative to out/)."""
    return {published_name(rel): text for rel, text in out_files.items()
            if rel.startswith(OUT_DIR + "/") and rel.endswith(SUFFIX)}


@dataclass(frozen=True)
class LoadedRule:
    name: str
    health: str          # "unknown" until the group's first evaluation, then "ok" or "err"
    last_error: str


@dataclass(frozen=True)
class LoadedGroup:
    name: str
    file: str
    interval_s: float
    rules: tuple[LoadedRule, ...]


class Server(Prometheus):
    """page-test's Prometheus client, plus what publishing asks: every group, and whether reloads work."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http.agent = "obsgen-publish"

    def groups(self) -> list[LoadedGroup]:
        out = []
        for g in self._data("/api/v1/rules").get("groups", []):
            rules = tuple(LoadedRule(str(r.get("name", "")), str(r.get("health", "unknown")),
                                     str(r.get("lastError") or "")) for r in g.get("rules") or [])
            out.append(LoadedGroup(str(g.get("name", "")), str(g.get("file", "")), float(g.get("interval") or 0),
                                   rules))
        return out

    def last_reload_ok(self) -> bool:
        return bool(self._data("/api/v1/status/runtimeinfo").get("reloadConfigSuccess", True))


def _groups(texts: Mapping[str, str | None]) -> dict[str, tuple[str, dict[str, Any]]]:
    """group name -> (our file name, the group as written)."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in sorted(texts):
        text = texts[name]
        if text is None:
            continue
        try:
            groups = diff.groups_in(text)
        except yaml.YAMLError:
            groups = [{"name": f"(unparsable {name})"}]
        for g in groups:
            out[str(g.get("name"))] = (name, g)
    return out


def _rule_names(group: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(r.get("record") or r.get("alert") or "") for r in group.get("rules") or [])


@dataclass
class Plan:
    rules_dir: Path
    url: str
    current: dict[str, str]                  # our files in the directory now
    wanted: dict[str, str]                   # what out/ says they must be
    not_loaded: list[str] = field(default_factory=list)  # groups of unchanged files Prometheus does not run

    @property
    def writes(self) -> dict[str, str]:
        return {n: t for n, t in self.wanted.items() if self.current.get(n) != t}

    @property
    def removes(self) -> list[str]:
        return sorted(n for n in self.current if n not in self.wanted)

    @property
    def files_changed(self) -> bool:
        return bool(self.writes or self.removes)

    @property
    def changed(self) -> bool:
        return self.files_changed or bool(self.not_loaded)

    def where(self) -> str:
        return f"{self.rules_dir}, {self.url}"

    def _group_diff(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        old = {k: g for k, (_, g) in _groups(dict(self.current)).items()}
        new = {k: g for k, (_, g) in _groups(dict(self.wanted)).items()}
        return old, new

    def counts(self) -> str:
        old, new = self._group_diff()
        n = {"added": sum(k not in old for k in new), "changed": sum(k in old and old[k] != new[k] for k in new),
             "removed": sum(k not in new for k in old)}
        text = ", ".join(f"{v} group{'s' if v > 1 else ''} {k}" for k, v in n.items() if v)
        if self.files_changed and not text:
            text = f"{len(self.writes)} files written, {len(self.removes)} removed (groups unchanged)"
        if self.not_loaded:
            text = ", ".join(t for t in (text, f"{len(self.not_loaded)} groups to reload") if t)
        return text

    def lines(self) -> list[str]:
        old, new = self._group_diff()
        out = diff.group_lines(old, new)
        out += [f"write {n}" for n in sorted(self.writes)] + [f"remove {n}" for n in self.removes]
        if self.not_loaded:
            out.append(f"Prometheus has not loaded {', '.join(self.not_loaded)} from our unchanged files: reload")
        return out


class Target:
    name = NAME

    def __init__(self, url: str, rules_dir: Path, out_files: Mapping[str, str], wait_s: float,
                 progress: Progress) -> None:
        self.server = Server(url)
        self.rules_dir = rules_dir
        self.wanted = desired(out_files)
        self.wait_s = wait_s
        self.progress = progress

    def _ours_on_disk(self) -> dict[str, str]:
        try:
            names = sorted(p.name for p in self.rules_dir.iterdir() if p.is_file() and is_ours(p.name))
        except OSError as exc:
            raise Failed(f"cannot read --prometheus-rules-dir {self.rules_dir}: {exc.strerror or exc}") from None
        return {n: t for n in names if (t := files.read(self.rules_dir / n)) is not None}

    def plan(self) -> Plan:
        plan = Plan(self.rules_dir, self.server.url, self._ours_on_disk(), dict(self.wanted))
        loaded = self.server.groups()  # also when files changed: an unreachable server fails the dry run too
        if not plan.files_changed:
            plan.not_loaded = self._missing(loaded, plan.wanted)
        return plan

    def _missing(self, loaded: list[LoadedGroup], texts: Mapping[str, str]) -> list[str]:
        """Groups of texts that Prometheus does not run from our file with the rules we wrote."""
        have = {(PurePosixPath(g.file).name, g.name): tuple(r.name for r in g.rules) for g in loaded}
        return [name for name, (file, g) in _groups(dict(texts)).items() if have.get((file, name)) != _rule_names(g)]

    # --- applying ---------------------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> str:
        if not self.server.last_reload_ok():
            raise Failed("Prometheus's last reload failed already (runtimeinfo reloadConfigSuccess=false), so a "
                         "reload would fail whatever we write; fix what its log names first. Nothing was written")
        before = files.snapshot(self.rules_dir, sorted(set(plan.writes) | set(plan.removes)))
        changes: dict[str, str | None] = {**plan.writes, **dict.fromkeys(plan.removes)}
        try:
            files.apply(self.rules_dir, changes)
        except OSError as exc:
            raise Failed(f"cannot write {self.rules_dir}: {exc.strerror or exc}",
                         rollback=self._rollback(before, plan, reload=False)) from None
        for name in sorted(plan.writes):
            self.progress.step(NAME, f"wrote {self.rules_dir / name}")
        for name in plan.removes:
            self.progress.step(NAME, f"removed {self.rules_dir / name}")
        try:
            self._reload()
            return self._confirm(plan.wanted)
        except (Failed, ServerError) as exc:
            rollback = self._rollback(before, plan, reload=True)
            raise Failed(str(exc), rollback=rollback) from None

    def _reload(self) -> None:
        try:
            self.server.reload(LIFECYCLE_HINT)
        except ReloadFailed as exc:
            raise Failed(f"{exc}; Prometheus keeps running the rules it had, and its log names the file") from None
        self.progress.step(NAME, "Prometheus reloaded")

    def _confirm(self, texts: Mapping[str, str]) -> str:
        """Every group loaded from our file with our rules, then each evaluated without error (see module doc)."""
        start = time.monotonic()
        pause = FIRST_POLL_S
        wanted = _groups(dict(texts))
        files_by_group = {name: file for name, (file, _) in wanted.items()}
        while True:
            loaded = self.server.groups()
            missing = self._missing(loaded, texts)
            elapsed = time.monotonic() - start
            if missing:
                if elapsed < LOAD_GRACE_S:
                    time.sleep(pause)
                    pause = min(POLL_S, pause * 2)
                    continue
                covered = ", ".join(self.server.rule_files()) or "none"
                raise Failed(f"Prometheus did not load {', '.join(missing)} after the reload; its rule_files are "
                             f"{covered}: --prometheus-rules-dir must be a directory they cover, as Prometheus "
                             "sees it")
            ours = [g for g in loaded if files_by_group.get(g.name) == PurePosixPath(g.file).name]
            broken = [(g, r) for g in ours for r in g.rules if r.health == "err" or r.last_error]
            if broken:
                g, r = broken[0]
                raise Failed(f"Prometheus cannot evaluate rule {r.name} of group {g.name}: "
                             f"{r.last_error or r.health}" + (f" (and {len(broken) - 1} more)" if len(broken) > 1
                                                               else ""))
            pending = [g for g in ours if any(r.health == "unknown" for r in g.rules)]
            if not pending:
                return self._loaded(len(ours), "evaluated, health ok")
            if elapsed >= self.wait_s:
                late = [g.name for g in pending if g.interval_s <= self.wait_s]
                if late:
                    raise Failed(f"Prometheus did not evaluate {', '.join(late)} within --prometheus-wait "
                                 f"{self.wait_s:g}s, although their interval is shorter")
                names = ", ".join(f"{g.name} (every {durations.fmt(int(g.interval_s))})" for g in pending)
                return self._loaded(len(ours), f"{len(ours) - len(pending)} evaluated, health ok; not evaluated "
                                    f"yet within --prometheus-wait: {names}")
            time.sleep(pause)
            pause = min(POLL_S, pause * 2)

    def _loaded(self, count: int, state: str) -> str:
        text = f"{count} groups loaded from our files, {state}"
        self.progress.step(NAME, text)
        return text

    def _rollback(self, before: files.Snapshot, plan: Plan, *, reload: bool) -> str:
        """Put our previous files back (and reload); returns what happened, for the report."""
        try:
            files.apply(self.rules_dir, before)
        except OSError as exc:
            text = f"ROLLBACK FAILED: cannot restore {self.rules_dir}: {exc.strerror or exc}"
            self.progress.step(NAME, text)
            return text
        self.progress.step(NAME, f"rolled back: restored the previous {len([t for t in before.values() if t])} "
                           "files of ours")
        if not reload:
            return "previous files restored"
        try:
            self.server.reload(LIFECYCLE_HINT)
            missing = self._missing(self.server.groups(), plan.current)
        except ServerError as exc:
            text = f"previous files restored, but the reload after them failed: {exc}"
            self.progress.step(NAME, text)
            return text
        text = "previous files restored and reloaded" + (
            f", but Prometheus does not run {', '.join(missing)}" if missing
            else "; the previous groups run" if plan.current else "; no group of ours runs, as before")
        self.progress.step(NAME, text)
        return text
