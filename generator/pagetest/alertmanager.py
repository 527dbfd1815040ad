"""What page-test asks Alertmanager (API v2 and /metrics): does it hold the drill, where did it
route it, and did its PagerDuty integration deliver.

Delivery is read from the per-request counters, which carry only the `integration` label in
Alertmanager 0.25: `alertmanager_notification_requests_total` counts every HTTP request to
PagerDuty once it is answered, `..._failed_total` the failed ones, so requests rising by more than
failures means PagerDuty accepted one. (`alertmanager_notifications_total` is counted when a
notification starts, before any request, and `alertmanager_notifications_failed_total` only when
its retries are exhausted: neither says "delivered".) In 0.25 the counters are shared by every
PagerDuty receiver (a heartbeat receiver included); where a later Alertmanager labels them with
`receiver_name`, only the expected receiver's are counted. The PagerDuty REST check
(--pagerduty-token-file) is the one that names the incident.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import yaml

from generator.pagetest.httpjson import Client, ServerError
from generator.render.alertmanager import matcher

INTEGRATION = "pagerduty"
_SAMPLE = re.compile(r'^(alertmanager_notification_requests(?:_failed)?_total)\{([^}]*)\}\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Counters:
    requests: float
    failed: float

    def since(self, before: Counters) -> tuple[int, int]:
        """(requests PagerDuty accepted, requests that failed) since `before`."""
        failed = int(self.failed - before.failed)
        return int(self.requests - before.requests) - failed, failed


@dataclass(frozen=True)
class HeldAlert:
    state: str                    # active, suppressed or unprocessed
    receivers: tuple[str, ...]
    silenced_by: tuple[str, ...]
    inhibited_by: tuple[str, ...]
    fingerprint: str


def rfc3339(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Alertmanager:
    def __init__(self, url: str) -> None:
        self.http = Client("Alertmanager", url)
        self.url = self.http.base

    def status(self) -> tuple[str, list[str]]:
        """(version, receiver names of the loaded config)."""
        body = self.http.get_json("/api/v2/status")
        if not isinstance(body, dict):
            raise ServerError(f"Alertmanager answered GET {self.url}/api/v2/status with {str(body)[:200]}")
        version = str((body.get("versionInfo") or {}).get("version", "unknown version"))
        try:
            config = yaml.safe_load((body.get("config") or {}).get("original", "")) or {}
        except yaml.YAMLError:
            config = {}
        return version, [str(r.get("name")) for r in config.get("receivers") or [] if isinstance(r, dict)]

    def held(self, label: str, value: str) -> HeldAlert | None:
        """The alert with label=value that Alertmanager holds and has not resolved, if any."""
        body = self.http.get_json("/api/v2/alerts", [("filter", matcher(label, "=", value))])
        for a in body if isinstance(body, list) else []:
            status = a.get("status") or {}
            return HeldAlert(str(status.get("state", "")),
                             tuple(str(r.get("name")) for r in a.get("receivers") or []),
                             tuple(status.get("silencedBy") or ()), tuple(status.get("inhibitedBy") or ()),
                             str(a.get("fingerprint", "")))
        return None

    def drills(self, label: str = "test", value: str = "true", id_label: str = "test_id") -> set[str]:
        """The test_ids of every drill Alertmanager holds (page-tests of anyone, anywhere)."""
        body = self.http.get_json("/api/v2/alerts", [("filter", matcher(label, "=", value))])
        return {str((a.get("labels") or {}).get(id_label, "")) for a in body if isinstance(a, dict)} \
            if isinstance(body, list) else set()

    def post(self, labels: dict[str, str], annotations: dict[str, str], starts: float, ends: float) -> None:
        alert: dict[str, Any] = {"labels": labels, "annotations": annotations,
                                 "startsAt": rfc3339(starts), "endsAt": rfc3339(ends)}
        self.http.post_json("/api/v2/alerts", [alert])

    def counters(self, receiver: str, integration: str = INTEGRATION) -> Counters:
        return parse_counters(self.http.get_text("/metrics"), receiver, integration)


def parse_counters(metrics: str, receiver: str, integration: str = INTEGRATION) -> Counters:
    requests = failed = 0.0
    for line in metrics.splitlines():
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(2)))
        if labels.get("integration") != integration or labels.get("receiver_name", receiver) != receiver:
            continue
        if m.group(1).endswith("_failed_total"):
            failed += float(m.group(3))
        else:
            requests += float(m.group(3))
    return Counters(requests, failed)
