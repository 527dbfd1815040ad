"""`obsgen publish`: its arguments, the checks that make a bad invocation exit 2 before any server is
touched, the refusal to publish a stale out/, and the run over the chosen targets.

Exit codes (generator/cli.py): 0 published, or nothing to publish; 1 out/ is stale, or a target
failed (unreachable, refused, not confirmed: after rolling that target back); 2 usage; 3 --dry-run
found changes, so a pull-request job can tell "changes" from "failure". Targets run in a fixed
order and independently: a failed one is rolled back and the others still publish, so the report
covers all of them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from generator import durations
from generator.pagetest.httpjson import ServerError
from generator.publish.report import Failed, Outcome, Plan, Progress, section, summary

if TYPE_CHECKING:
    from generator.declarations import Declarations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CHANGES = 0, 1, 2, 3
TARGETS = ("prometheus", "alertmanager", "grafana")
DEFAULT_WAIT = "6m"       # the longest generated rule group interval is 5m
DEFAULT_FOLDER = "obsgen"
_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # Grafana's rule for uids


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true",
                   help="change nothing: print per target what would change; exit 0 when nothing would, 3 when "
                   "something would")
    p.add_argument("--only", metavar="TARGETS",
                   help=f"publish only these comma-separated targets: {', '.join(TARGETS)} (default: all three)")
    g = p.add_argument_group("Prometheus")
    g.add_argument("--prometheus-url", metavar="URL", help="the Prometheus (run with --web.enable-lifecycle)")
    g.add_argument("--prometheus-rules-dir", metavar="DIR",
                   help="a directory its rule_files cover, writable here; publish owns the files named "
                   "obsgen-publish-*.rules.yml in it and no others")
    g.add_argument("--prometheus-wait", metavar="DURATION", default=DEFAULT_WAIT,
                   help="how long to wait for changed rule groups' first evaluation after the reload (default "
                   f"{DEFAULT_WAIT}); a group evaluated less often is reported as loaded, not yet evaluated")
    g = p.add_argument_group("Alertmanager")
    g.add_argument("--alertmanager-url", metavar="URL", help="the Alertmanager (API v2)")
    g.add_argument("--alertmanager-config", metavar="PATH",
                   help="the config file that Alertmanager reads (its --config.file), writable here")
    g = p.add_argument_group("Grafana")
    g.add_argument("--grafana-url", metavar="URL", help="the Grafana")
    g.add_argument("--grafana-token-file", metavar="FILE",
                   help="a file holding a service account token that may write dashboards and folders")
    g.add_argument("--grafana-folder", metavar="UID", default=DEFAULT_FOLDER,
                   help=f"uid of the folder obsgen owns (default {DEFAULT_FOLDER}; created when missing): every "
                   "dashboard in it that out/ does not hold is deleted, nothing outside it is touched")


class Usage(Exception):
    """A bad invocation: one line, exit 2."""


class Target(Protocol):
    name: str

    def plan(self) -> Plan: ...

    def apply(self, plan: Plan) -> str: ...


def chosen(only: str | None) -> list[str]:
    if only is None:
        return list(TARGETS)
    names = [t.strip() for t in only.split(",") if t.strip()]
    unknown = [t for t in names if t not in TARGETS]
    if not names or unknown:
        raise Usage(f"--only: {'unknown target ' + repr(unknown[0]) if unknown else 'names no target'}; "
                    f"choose from {', '.join(TARGETS)}")
    return [t for t in TARGETS if t in names]


def _url(value: str, flag: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Usage(f"{flag} must be an http(s) URL")
    return value


def _need(args: argparse.Namespace, target: str, flags: tuple[str, ...]) -> None:
    missing = [f for f in flags if not getattr(args, f[2:].replace("-", "_"))]
    if missing:
        raise Usage(f"{' and '.join(missing)} required to publish to {target} (or leave {target} out with --only)")


def read_token(path: str) -> str:
    """The token, never echoed: messages name the file only."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise Usage(f"--grafana-token-file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise Usage(f"--grafana-token-file {path}: not a text file") from None
    if not token or any(c.isspace() for c in token):
        raise Usage(f"--grafana-token-file {path}: must hold one token")
    return token


def git_commit(root: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = proc.stdout.strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else None


def targets(args: argparse.Namespace, out_files: dict[str, str], root: Path, progress: Progress) -> list[Target]:
    """The chosen targets, built from the flags; Usage for anything missing or malformed."""
    from generator.publish import alertmanager, grafana, prometheus

    made: list[Target] = []
    for name in chosen(args.only):
        if name == "prometheus":
            _need(args, name, ("--prometheus-url", "--prometheus-rules-dir"))
            rules_dir = Path(args.prometheus_rules_dir)
            if not rules_dir.is_dir():
                raise Usage(f"--prometheus-rules-dir {rules_dir}: no such directory")
            try:
                wait = durations.parse(args.prometheus_wait)
            except ValueError as exc:
                raise Usage(f"--prometheus-wait: {exc}") from None
            made.append(prometheus.Target(_url(args.prometheus_url, "--prometheus-url"), rules_dir, out_files, wait,
                                          progress))
        elif name == "alertmanager":
            _need(args, name, ("--alertmanager-url", "--alertmanager-config"))
            config = Path(args.alertmanager_config)
            if not config.parent.is_dir() or config.is_dir():
                raise Usage(f"--alertmanager-config {config}: not a file in an existing directory")
            if alertmanager.OUT_FILE not in out_files:
                raise Usage(f"out/{alertmanager.OUT_FILE} does not exist (no alerts/ declared?): nothing to publish "
                            "to Alertmanager; leave it out with --only")
            made.append(alertmanager.Target(_url(args.alertmanager_url, "--alertmanager-url"), config, out_files,
                                            progress))
        else:
            _need(args, name, ("--grafana-url", "--grafana-token-file"))
            if not _UID.match(args.grafana_folder):
                raise Usage(f"--grafana-folder {args.grafana_folder!r}: a folder uid is 1-40 of A-Z a-z 0-9 _ -")
            sha = git_commit(root)
            message = f"obsgen publish of commit {sha}" if sha else "obsgen publish"
            made.append(grafana.Target(_url(args.grafana_url, "--grafana-url"), read_token(args.grafana_token_file),
                                       args.grafana_folder, out_files, message, progress))
    return made


def stale(out: Path, label: str, decl: Declarations, dirs: list[str]) -> int:
    """How many files of out/'s published directories differ from what the declarations build: what
    `obsgen build --check --only <dirs>` reports. Only those: a stale plot in out/docs changes nothing we publish,
    and the full check is the CI job's step before this one."""
    from generator import build, targets, writer

    files = targets.merge(writer.read_tree(out), build.outputs(decl, only=dirs), dirs)
    text = writer.diff_tree(out, files, label)
    return sum(line.startswith(("--- ", "Binary file ")) for line in text.splitlines())


def main(args: argparse.Namespace, root: Path, out: Path, label: str, decl: Declarations) -> int:
    from generator import writer

    progress = Progress(sys.stderr)
    try:
        out_files = {rel: t for rel, t in writer.read_tree(out).items() if isinstance(t, str)}
        chosen_targets = targets(args, out_files, root, progress)
    except Usage as exc:
        print(f"obsgen publish: {exc}", file=sys.stderr)
        return EXIT_USAGE
    dirs = [t.name for t in chosen_targets]  # each target publishes the out/ directory of its name
    differing = stale(out, label, decl, dirs)
    if differing:
        print(f"obsgen publish: {label} is stale ({differing} files of {', '.join(dirs)} differ from the declarations; "
              "`obsgen build --check` shows how): run `obsgen build` and commit; nothing was published",
              file=sys.stderr)
        return EXIT_FAILED
    progress.step("publish", f"{label} is up to date; {'planning' if args.dry_run else 'publishing'} "
                  f"{', '.join(t.name for t in chosen_targets)}")
    return run(chosen_targets, args.dry_run, progress)


def run(chosen_targets: list[Target], dry_run: bool, progress: Progress) -> int:
    outcomes = []
    for target in chosen_targets:
        outcome = Outcome(target.name)
        outcomes.append(outcome)
        try:
            plan = target.plan()
        except (Failed, ServerError) as exc:
            _failed(outcome, str(exc), "", progress)
            continue
        sys.stdout.write(section(target.name, plan))
        sys.stdout.flush()
        if not plan.changed:
            progress.step(target.name, "unchanged: nothing written, nothing reloaded")
            continue
        outcome.counts = plan.counts()
        if dry_run:
            progress.step(target.name, f"would change: {outcome.counts}")
            continue
        try:
            target.apply(plan)
        except Failed as exc:
            _failed(outcome, str(exc), exc.rollback, progress)
        except ServerError as exc:  # before the target changed anything (it rolls back what it changed)
            _failed(outcome, str(exc), "", progress)
    print(summary(outcomes, dry_run))
    if any(o.failure is not None for o in outcomes):
        return EXIT_FAILED
    return EXIT_CHANGES if dry_run and any(o.counts for o in outcomes) else EXIT_OK


def _failed(outcome: Outcome, message: str, rollback: str, progress: Progress) -> None:
    """On stdout with the changes (a PR comment shows it) and in the progress log."""
    outcome.failure, outcome.rollback = message, rollback
    text = f"FAILED: {message}" + (f" (rollback: {rollback})" if rollback else "")
    print(f"{outcome.target}: {text}")
    progress.step(outcome.target, text)
