"""Publish out/alertmanager/alertmanager.yml: the config file Alertmanager reads, a reload, a check.

The check is the running config as Alertmanager reports it (`/api/v2/status`, `config.original`).
Alertmanager re-serialises it with its defaults filled in (global http_config, each receiver's
templates) and its own spellings (a 24h repeat_interval comes back as 1d), so the check compares
parsed structures on the keys we set: every key of ours must hold our value (durations compared as
durations, a secret Alertmanager masks as `<secret>` accepted), every list must have our length, and
keys only Alertmanager added are its defaults. A bad config makes `POST /-/reload` answer 500 and
Alertmanager keeps the old one running; either way a failed publish puts the previous file back
(so a restart does not load the bad one) and reloads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.pagetest.alertmanager import Alertmanager
from generator.pagetest.httpjson import BadStatus, ServerError
from generator.publish import diff, files
from generator.publish.report import Failed, Progress

NAME = "alertmanager"
OUT_FILE = "alertmanager/alertmanager.yml"
MASKED = "<secret>"
CONFIRM_S = 2.0   # /-/reload answers after the status API has the new config: this is slack, not a wait
POLL_S = 0.25
RELOAD_TIMEOUT_S = 60.0


def matches(ours: Any, running: Any) -> bool:
    """True when running holds every key and value of ours (see the module doc)."""
    if isinstance(ours, Mapping):
        return isinstance(running, Mapping) and all(k in running and matches(v, running[k]) for k, v in ours.items())
    if isinstance(ours, list):
        return (isinstance(running, list) and len(ours) == len(running)
                and all(matches(a, b) for a, b in zip(ours, running, strict=True)))
    if running == MASKED and ours is not None:
        return True
    return bool(diff.normalise(ours) == diff.normalise(running))


def project(ours: Any, running: Any) -> Any:
    """running cut down to the keys ours sets: what the diff against a running config shows."""
    if isinstance(ours, Mapping) and isinstance(running, Mapping):
        return {k: project(ours[k], running[k]) if k in ours else running[k]
                for k in running if k in ours}
    if isinstance(ours, list) and isinstance(running, list):
        return [project(ours[i], r) if i < len(ours) else r for i, r in enumerate(running)]
    return running


class Server(Alertmanager):
    """page-test's Alertmanager client, plus the running config and reloads."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http.agent = "obsgen-publish"

    def running_config(self) -> Any:
        body = self.http.get_json("/api/v2/status")
        original = ((body or {}).get("config") or {}).get("original", "") if isinstance(body, dict) else ""
        try:
            return yaml.safe_load(original or "") or {}
        except yaml.YAMLError:
            raise ServerError(f"Alertmanager at {self.url} reports a running config that is not YAML") from None

    def reload(self) -> None:
        try:
            self.http.post("/-/reload", timeout=RELOAD_TIMEOUT_S)
        except BadStatus as exc:  # 500 and the reason when the config does not load
            raise Failed(f"Alertmanager refused the config (HTTP {exc.status}): {exc.body or 'no reason given'}; "
                         "it keeps running the one it had") from None


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return {"(unparsable)": text}


@dataclass
class Plan:
    path: Path
    url: str
    current: str | None        # the config file now (None: it does not exist)
    wanted: str
    running: Any               # the config Alertmanager runs, parsed

    @property
    def file_changed(self) -> bool:
        return self.current != self.wanted

    @property
    def running_matches(self) -> bool:
        return matches(_parse(self.wanted), self.running)

    @property
    def changed(self) -> bool:
        return self.file_changed or not self.running_matches

    def where(self) -> str:
        return f"{self.path}, {self.url}"

    def counts(self) -> str:
        if self.current is None:
            return "config created"
        if self.file_changed and diff.yaml_text(_parse(self.current)) == diff.yaml_text(_parse(self.wanted)):
            return "config rewritten (same settings)"
        return "config changed" if self.file_changed else "running config differs: reload"

    def lines(self) -> list[str]:
        wanted = _parse(self.wanted)
        if self.file_changed:
            old, label = ("" if self.current is None else diff.yaml_text(_parse(self.current))), str(self.path)
        else:
            old, label = diff.yaml_text(project(wanted, self.running)), f"running config ({self.url})"
        text = diff.unified(old, diff.yaml_text(wanted), label, f"out/{OUT_FILE}")
        return text.splitlines() or ["(comments or formatting only)"]


class Target:
    name = NAME

    def __init__(self, url: str, config: Path, out_files: Mapping[str, str], progress: Progress) -> None:
        self.server = Server(url)
        self.config = config
        self.wanted = out_files[OUT_FILE]
        self.progress = progress

    def plan(self) -> Plan:
        try:
            current = files.read(self.config)
        except OSError as exc:
            raise Failed(f"cannot read --alertmanager-config {self.config}: {exc.strerror or exc}") from None
        return Plan(self.config, self.server.url, current, self.wanted, self.server.running_config())

    def apply(self, plan: Plan) -> str:
        if plan.file_changed:
            try:
                files.replace(self.config, self.wanted)
            except OSError as exc:
                raise Failed(f"cannot write {self.config}: {exc.strerror or exc}") from None
            self.progress.step(NAME, f"wrote {self.config}")
        try:
            self.server.reload()
            self.progress.step(NAME, "Alertmanager reloaded")
            return self._confirm(_parse(self.wanted), "our")
        except (Failed, ServerError) as exc:
            raise Failed(str(exc), rollback=self._rollback(plan)) from None

    def _confirm(self, config: Any, whose: str) -> str:
        deadline = time.monotonic() + CONFIRM_S
        while not matches(config, self.server.running_config()):
            if time.monotonic() >= deadline:
                raise Failed(f"Alertmanager reloaded but does not run {whose} config: is --alertmanager-config "
                             f"{self.config} the file it reads (its --config.file)?")
            time.sleep(POLL_S)
        text = f"Alertmanager runs {whose} config"
        self.progress.step(NAME, text)
        return text

    def _rollback(self, plan: Plan) -> str:
        if not plan.file_changed:
            return ""  # nothing of ours was written
        try:
            if plan.current is None:
                files.remove(self.config)
            else:
                files.replace(self.config, plan.current)
        except OSError as exc:
            text = f"ROLLBACK FAILED: cannot restore {self.config}: {exc.strerror or exc}"
            self.progress.step(NAME, text)
            return text
        self.progress.step(NAME, f"rolled back: restored the previous {self.config}")
        if plan.current is None:
            return "config file removed again"
        try:
            self.server.reload()
            text = "previous config restored and reloaded; " + self._confirm(_parse(plan.current), "the previous")
        except (Failed, ServerError) as exc:
            text = f"previous config restored, but: {exc}"
            self.progress.step(NAME, text)
        return text
