"""What page-test asks Prometheus: reload, is the drill group loaded, is the drill alert firing.

Only documented HTTP API endpoints (`/api/v1/...`, `/-/reload`), so it works against any
Prometheus 2.x page-test can reach, including one behind a path prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from generator.pagetest.httpjson import BadStatus, Client, ServerError

LIFECYCLE_HINT = ("Prometheus runs without --web.enable-lifecycle, so it refuses POST /-/reload: start it with "
                  "that flag, or run `obsgen page-test --direct` to test Alertmanager and PagerDuty only")


# /-/reload answers once every rule file is parsed and loaded: seconds on a big server
RELOAD_TIMEOUT_S = 120.0


class ReloadFailed(ServerError):
    pass


@dataclass(frozen=True)
class RuleGroup:
    name: str
    file: str
    health: str       # of the group's one rule: "unknown" until its first evaluation, then "ok" or "err"
    last_error: str


class Prometheus:
    def __init__(self, url: str) -> None:
        self.http = Client("Prometheus", url)
        self.url = self.http.base

    def _data(self, path: str, params: list[tuple[str, str]] | None = None) -> Any:
        body = self.http.get_json(path, params or [])
        if not isinstance(body, dict) or body.get("status") != "success":
            raise ServerError(f"Prometheus answered GET {self.url}{path} with an error: {str(body)[:200]}")
        return body["data"]

    def version(self) -> str:
        return str(self._data("/api/v1/status/buildinfo").get("version", "unknown version"))

    def time(self) -> float:
        """The server's clock: rule deadlines are compared with its time(), not ours."""
        data = self._data("/api/v1/query", [("query", "time()")])
        return float(data["result"][0])

    def reload(self, lifecycle_hint: str = LIFECYCLE_HINT) -> None:
        """lifecycle_hint: what to tell the user when the server refuses reloads (it differs per command)."""
        try:
            self.http.post("/-/reload", timeout=RELOAD_TIMEOUT_S)
        except BadStatus as exc:
            if exc.status == 403:
                raise ReloadFailed(f"{lifecycle_hint} (HTTP 403: {exc.body or 'forbidden'})") from None
            raise ReloadFailed(f"Prometheus failed to reload (HTTP {exc.status}): {exc.body}") from None

    def rule_group(self, name: str) -> RuleGroup | None:
        for g in self._data("/api/v1/rules", [("type", "alert")]).get("groups", []):
            if g.get("name") == name:
                rules = g.get("rules") or [{}]
                return RuleGroup(name, str(g.get("file", "")), str(rules[0].get("health", "unknown")),
                                 str(rules[0].get("lastError", "")))
        return None

    def alert_state(self, label: str, value: str) -> str | None:
        """"pending" or "firing" for the alert carrying label=value, None when Prometheus has none."""
        for a in self._data("/api/v1/alerts").get("alerts", []):
            if a.get("labels", {}).get(label) == value:
                return str(a.get("state"))
        return None

    def alertmanagers(self) -> list[str]:
        """Where its notifier sends alerts now (empty for a few seconds after every reload)."""
        return [str(a.get("url")) for a in self._data("/api/v1/alertmanagers").get("activeAlertmanagers", [])]

    def rule_files(self) -> list[str]:
        config = yaml.safe_load(self._data("/api/v1/status/config").get("yaml", "")) or {}
        return [str(f) for f in config.get("rule_files") or []]
