"""`obsgen page-test`: its arguments, and the checks that make a bad invocation a usage error (exit 2)
before anything is written to a server.

The expected PagerDuty receiver comes from the declarations (the service's team's `page`), not from
a flag, so the drill proves that Alertmanager routes pages where alerts/ says they go.
"""

from __future__ import annotations

import argparse
import datetime
import secrets
import sys
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from generator import durations

if TYPE_CHECKING:
    from generator.model import Service
    from generator.pagetest.run import Plan
    from generator.routing import Alertmanager

EXIT_USAGE = 2
DEFAULT_TIMEOUT = "10m"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service", metavar="NAME", help="the service whose burn page is drilled (required)")
    p.add_argument("--prometheus-url", metavar="URL",
                   help="the Prometheus that loads --rules-dir and sends alerts to the Alertmanager "
                   "(needs --web.enable-lifecycle for POST /-/reload)")
    p.add_argument("--alertmanager-url", metavar="URL", help="the Alertmanager, API v2 (required)")
    p.add_argument("--rules-dir", metavar="DIR",
                   help="a directory that Prometheus's rule_files cover, writable here; page-test writes "
                   "obsgen-page-test-<test_id>.rules.yml there and removes it")
    p.add_argument("--timeout", default=DEFAULT_TIMEOUT, metavar="DURATION",
                   help=f"give up after this long (default {DEFAULT_TIMEOUT}); the drill alert ends by itself then")
    p.add_argument("--pagerduty-api-url", metavar="URL",
                   help="PagerDuty REST API base URL (default https://api.pagerduty.com; "
                   "used with --pagerduty-token-file)")
    p.add_argument("--pagerduty-token-file", metavar="FILE",
                   help="a file holding a PagerDuty REST API key that may read incidents: then page-test also "
                   "checks that the incident opened and resolved")
    p.add_argument("--direct", action="store_true",
                   help="leave Prometheus out: post the drill alert to Alertmanager (with an endsAt) and resolve "
                   "it there; --prometheus-url and --rules-dir are not needed")
    p.add_argument("--cleanup", action="store_true",
                   help="drill nothing: remove the drill rule files a killed page-test left in --rules-dir (only "
                   "obsgen-page-test-*.rules.yml), then reload --prometheus-url if given; run it when no "
                   "page-test is running")


class Usage(Exception):
    """A bad invocation: one line, exit 2."""


def new_test_id() -> str:
    """Unique per run and readable in PagerDuty: when, plus randomness for two drills in one second."""
    return f"pt-{datetime.datetime.now(datetime.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _url(value: str, flag: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Usage(f"{flag} must be an http(s) URL")
    return value


def _token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise Usage(f"--pagerduty-token-file {path}: {exc.strerror or exc}") from None
    if not token or any(c.isspace() for c in token):
        raise Usage(f"--pagerduty-token-file {path}: must hold one REST API key")
    return token


def plan(args: argparse.Namespace, services: list[Service], am: Alertmanager | None) -> Plan:
    from generator.drill import drill_alert
    from generator.pagetest import run
    from generator.pagetest.alertmanager import Alertmanager as AlertmanagerAPI
    from generator.pagetest.pagerduty import DEFAULT_API_URL, PagerDutyAPI
    from generator.pagetest.prometheus import Prometheus

    missing = [f for f, v in (("--service", args.service), ("--alertmanager-url", args.alertmanager_url)) if not v]
    if missing:
        raise Usage(f"{' and '.join(missing)} required")
    service = next((s for s in services if s.name == args.service), None)
    if service is None:
        known = ", ".join(s.name for s in services) or "none"
        raise Usage(f"--service {args.service!r}: no such service (declared: {known})")
    if am is None:
        raise Usage("no Alertmanager declaration: page-test takes the expected PagerDuty receiver from alerts/ "
                    "(or --alerts DIR)")
    team = am.team_of(service.name)
    if team is None:
        raise Usage(f"service {service.name!r} has no team in {am.source or 'the Alertmanager declaration'}")
    try:
        timeout_s = durations.parse(args.timeout)
    except ValueError as exc:
        raise Usage(f"--timeout: {exc}") from None
    prometheus = rules_dir = None
    if not args.direct:
        missing = [f for f, v in (("--prometheus-url", args.prometheus_url), ("--rules-dir", args.rules_dir)) if not v]
        if missing:
            raise Usage(f"{' and '.join(missing)} required (or --direct to test Alertmanager and PagerDuty only)")
        rules_dir = Path(args.rules_dir)
        if not rules_dir.is_dir():
            raise Usage(f"--rules-dir {rules_dir}: no such directory")
        prometheus = Prometheus(_url(args.prometheus_url, "--prometheus-url"))
    if args.pagerduty_api_url and not args.pagerduty_token_file:
        raise Usage("--pagerduty-api-url needs --pagerduty-token-file")
    pagerduty = None
    if args.pagerduty_token_file:
        api = _url(args.pagerduty_api_url, "--pagerduty-api-url") if args.pagerduty_api_url else DEFAULT_API_URL
        pagerduty = PagerDutyAPI(api, _token(args.pagerduty_token_file))
    test_id = new_test_id()
    return run.Plan(service=service.name, receiver=team.page.name, drill=drill_alert(service, test_id),
                    test_id=test_id, alertmanager=AlertmanagerAPI(_url(args.alertmanager_url, "--alertmanager-url")),
                    timeout_s=timeout_s, prometheus=prometheus, rules_dir=rules_dir, pagerduty=pagerduty)


def main(args: argparse.Namespace, services: list[Service], am: Alertmanager | None) -> int:
    from generator import log
    from generator.pagetest import run

    try:
        chosen = plan(args, services, am)
    except Usage as exc:
        print(f"obsgen page-test: {exc}", file=sys.stderr)
        return EXIT_USAGE
    log.debug("page-test %s: %s to %s, timeout %ss, %s", chosen.test_id, chosen.drill.name, chosen.receiver,
              chosen.timeout_s, "--direct" if chosen.prometheus is None else f"rules in {chosen.rules_dir}")
    return run.PageTest(chosen).run()


def cleanup(args: argparse.Namespace) -> int:
    """`--cleanup`: needs --rules-dir only (and reads no declarations); the drill's flags are refused."""
    from generator.pagetest import cleanup as leftovers
    from generator.pagetest.prometheus import Prometheus

    drill_flags = [f for f, v in (("--service", args.service), ("--alertmanager-url", args.alertmanager_url),
                                  ("--direct", args.direct), ("--pagerduty-token-file", args.pagerduty_token_file),
                                  ("--pagerduty-api-url", args.pagerduty_api_url)) if v]
    try:
        if drill_flags:
            raise Usage(f"--cleanup drills nothing: drop {', '.join(drill_flags)}")
        if not args.rules_dir:
            raise Usage("--cleanup needs --rules-dir")
        rules_dir = Path(args.rules_dir)
        if not rules_dir.is_dir():
            raise Usage(f"--rules-dir {rules_dir}: no such directory")
        prometheus = Prometheus(_url(args.prometheus_url, "--prometheus-url")) if args.prometheus_url else None
    except Usage as exc:
        print(f"obsgen page-test: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return leftovers.run(rules_dir, prometheus)
