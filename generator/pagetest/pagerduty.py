"""PagerDuty's REST API, read-only: the incident a drill opened, and whether it resolved.

Alertmanager's counters only say that some PagerDuty event was accepted; the REST API names
the incident. Alertmanager's dedup_key is a hash of its group key, which page-test cannot
rebuild, so the incident is found by its title: the drill's summary carries
`[page-test <test_id>]`. The token is held only in the request header (see httpjson).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from generator.pagetest.httpjson import BadStatus, Client, ServerError

DEFAULT_API_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
OPEN = ("triggered", "acknowledged")


@dataclass(frozen=True)
class Incident:
    id: str
    number: int
    title: str
    status: str
    incident_key: str


def _incident(data: dict) -> Incident:
    return Incident(str(data.get("id", "")), int(data.get("incident_number") or 0), str(data.get("title", "")),
                    str(data.get("status", "")), str(data.get("incident_key") or ""))


class PagerDutyAPI:
    def __init__(self, api_url: str, token: str) -> None:
        self.http = Client("PagerDuty's REST API", api_url, headers={"Authorization": f"Token token={token}"})
        self.url = self.http.base

    def _get(self, path: str, params: list[tuple[str, str]]) -> dict:
        try:
            body = self.http.get_json(path, params, accept=ACCEPT)
        except BadStatus as exc:
            if exc.status in (401, 403):
                raise ServerError(f"PagerDuty's REST API at {self.url} refused the token (HTTP {exc.status}): "
                                  "--pagerduty-token-file must hold a REST API key (not the routing key) "
                                  "that may read incidents") from None
            raise
        if not isinstance(body, dict):
            raise ServerError(f"PagerDuty's REST API answered GET {self.url}{path} with {str(body)[:200]}")
        return body

    def open_incident(self, text: str) -> Incident | None:
        """The newest triggered or acknowledged incident whose title contains text."""
        params = [*(("statuses[]", s) for s in OPEN), ("sort_by", "created_at:desc"), ("limit", "100")]
        for data in self._get("/incidents", params).get("incidents") or []:
            if text in str(data.get("title", "")):
                return _incident(data)
        return None

    def incident(self, incident_id: str) -> Incident:
        return _incident(self._get(f"/incidents/{urllib.parse.quote(incident_id, safe='')}", []).get("incident") or {})

    def check(self) -> None:
        """Fail early on a wrong token or URL, before anything is written."""
        self._get("/incidents", [("limit", "1")])
