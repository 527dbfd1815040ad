"""The `obsgen` command line.

Exit codes are a contract (README, "Commands"): 0 ok; 1 a check failed or out/ is
stale; 2 usage or spec error; 3 `publish --dry-run` found changes. Every error a
user can cause is printed as one line; tracebacks are for our own bugs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.errors import CheckError, SpecError, ToolMissing
from generator.targets import TARGETS

if TYPE_CHECKING:
    from generator.checkers.promtool import Result
    from generator.checkers.toolchains import Toolchain
    from generator.declarations import Declarations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C
VERBOSE_HELP = "progress and debug lines on stderr (never a secret)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 already; keep it one line
        print(f"{self.prog}: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def repo_root(start: Path | None = None) -> Path:
    """The checkout obsgen runs in: nearest ancestor holding slo/ or .git (else cwd)."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "slo").is_dir() or (d / ".git").exists():
            return d
    return here


def _spec_arguments(p: argparse.ArgumentParser, out_help: str | None = None) -> None:
    """What every command reading declarations takes (see _declarations); --out only where something is written."""
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help="a .py declaration module, a Sloth or OpenSLO YAML spec, or a directory of them "
                   "(default: the repo's slo/, and then its alerts/ and dashboards/ too)")
    if out_help:
        p.add_argument("--out", metavar="DIR" if "directory" in out_help else "FILE", help=out_help)
    p.add_argument("--period", metavar="DURATION",
                   help="SLO period for YAML specs (Sloth specs have none; default 30d)")
    p.add_argument("--windows", metavar="FILE",
                   help="a Sloth AlertWindows spec: its tiers and period apply to YAML specs")
    p.add_argument("--alerts", metavar="DIR",
                   help="Alertmanager declarations (default: the repo's alerts/ when no SPEC is given)")
    p.add_argument("--dashboards", metavar="DIR",
                   help="dashboard declarations (default: the repo's dashboards/ when no SPEC is given)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="obsgen", description="Observability as code: compile SLO and alert-routing declarations "
                "into Prometheus rules, promtool tests and an Alertmanager config with route tests.")
    p.add_argument("--version", action="version", version=f"obsgen {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    b = sub.add_parser("build", help="compile declarations into out/",
                       description="Compile SLO declarations (slo/*.py, Sloth YAML specs) into out/: "
                       "Prometheus rules and promtool tests; with alerts/ (or --alerts), the Alertmanager config "
                       "and its route tests; Grafana dashboards (SLO overviews, and the boards and dependency "
                       "alerts dashboards/ declares) into out/grafana; the SLO doc (out/docs/slos.md), the rule "
                       "groups for Mimir's and Thanos' rulers (out/rulers), Argo Rollouts AnalysisTemplates "
                       "(out/argo), Kubernetes objects (out/k8s) and a jsonnet mixin (out/mixin). "
                       "SPEC may also be OpenSLO YAML. Deterministic and atomic.")
    _spec_arguments(b, "output directory (default: the repo's out/)")
    b.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a unified diff when DIR differs from the build")
    b.add_argument("--only", metavar="TARGETS",
                   help="build (or --check) only these comma-separated targets, each a directory of out/ "
                   "(the others are left as they are): " + ", ".join(TARGETS))

    r = sub.add_parser("report", help="alert-quality report: detection and reset time per tier",
                       description="For every SLO and alerting tier: burn factor, threshold, windows, budget "
                       "spent before it fires, detection time at 2x and 10x its threshold and at 100%% errors, "
                       "reset time. Prints the tables and writes DIR/docs/<service>-alert-quality.md and a "
                       "detection-time PNG per SLO (the same files `obsgen build` writes there).")
    _spec_arguments(r, "output directory (default: the repo's out/)")
    r.add_argument("--service", metavar="S", help="only this service")

    d = sub.add_parser("doc", help="print the SLO doc (what out/docs/slos.md holds) to stdout",
                       description="Print the SLO doc: per service and SLO, what is measured and its queries, the "
                       "objective, period and error budget (minutes, and probes or requests where declared), each "
                       "alert tier with the budget it spends and where it routes, owner, runbook, dashboard and "
                       "error-budget policy. Writes nothing.")
    _spec_arguments(d)
    d.add_argument("--service", metavar="S", help="only this service")

    c = sub.add_parser("check", help="run promtool and amtool on out/",
                       description="Run `promtool check rules` and `promtool test rules` on DIR, and, when DIR "
                       "holds an Alertmanager config, `amtool check-config` and every generated route case "
                       "(`amtool config routes test --verify.receivers`), the blackbox exporter's "
                       "`--config.check` and `promtool check config` on the scrape jobs (README, Guardrails), "
                       "and lint DIR/grafana/dashboards "
                       "(README, Dashboards). Tools: PROMTOOL/AMTOOL/BLACKBOX_EXPORTER, else PATH. Exit 1 on "
                       "any failure, 2 when a tool is missing or too old.")
    c.add_argument("dir", nargs="?", metavar="DIR", help="output directory (default: the repo's out/)")
    c.add_argument("--all-versions", action="store_true",
                   help="run the checks once per toolchain found: the default one, then each of the "
                   "repository's .tools/*/usr/bin (where `make tools` puts Prometheus 3 beside the system's 2)")

    v = sub.add_parser("preview", help="a static HTML page of one dashboard's layout",
                       description="Build in memory (out/ is not touched) and write a self-contained HTML page "
                       "of dashboard DASHBOARD_UID: every panel's title, type, unit and queries at its grid "
                       "position, collapsed rows expanded. For review without a Grafana server; no data.")
    v.add_argument("uid", metavar="DASHBOARD_UID", help="the dashboard's uid, e.g. maestro-rollout")
    _spec_arguments(v, "the page to write (default: the repo's build/preview/<uid>.html)")

    from generator.pagetest import command as page_test

    t = sub.add_parser("page-test", help="drill a real burn page through Prometheus, Alertmanager and PagerDuty",
                       description="Raise a drill alert named and labelled like the service's 4h availability "
                       "burn page (plus test=\"true\" and a test_id) through a temporary rule file in --rules-dir, "
                       "confirm Prometheus fires it, Alertmanager routes it to the team's PagerDuty receiver and "
                       "delivers it (and, with a token, that the incident opens), then resolve it, confirm the "
                       "resolve arrives, and remove the rule. Exit 0 only when trigger and resolve were both "
                       "confirmed; 1 otherwise (a server unreachable, a step failed or timed out, interrupted); "
                       "2 on usage errors. README: \"On call: obsgen page-test\".")
    _spec_arguments(t)
    page_test.add_arguments(t)

    from generator.publish import command as publish

    u = sub.add_parser("publish", help="publish out/ to Prometheus, Alertmanager and Grafana (or --dry-run: the diff)",
                       description="Refuse when the chosen targets' directories of out/ are stale (as "
                       "`obsgen build --check --only` finds them); then, per target: "
                       "write out/prometheus/rules into the server's rules directory (as obsgen-publish-*.rules.yml), "
                       "reload and confirm every group loads and evaluates; write the Alertmanager config, reload and "
                       "confirm it runs; upsert out/grafana/dashboards into obsgen's folder and delete the folder's "
                       "dashboards out/ no longer has. Unchanged targets are not touched (no reload); a target that "
                       "fails is rolled back. Exit 0 published or nothing to do, 1 stale out/ or a target failed, 2 "
                       "usage, 3 --dry-run found changes. README: \"Publishing from CI\".")
    _spec_arguments(u, "the output directory to publish (default: the repo's out/)")
    publish.add_arguments(u)
    p.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    for command in sub.choices.values():  # `obsgen -v build` and `obsgen build -v` alike
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return p


def _declarations(args: argparse.Namespace) -> tuple[Path, Declarations]:
    """(repo root, everything declared) from SPEC, --period, --windows, --alerts and --dashboards."""
    from generator import declarations

    root = repo_root()
    return root, declarations.load(root, [Path(s) for s in args.specs], period=args.period,
                                   windows_file=args.windows, alerts=args.alerts, dashboards=args.dashboards)


def _out(args: argparse.Namespace, root: Path) -> Path:
    return Path(args.out) if args.out else root / "out"


def _build(args: argparse.Namespace) -> int:
    from generator import build, targets, writer
    from generator.loaders import relative

    only = targets.parse(args.only) if args.only is not None else None
    root, decl = _declarations(args)
    out, services = _out(args, root), decl.services
    files = build.outputs(decl, only=only)
    built = len(files)
    if only is not None:  # the other targets' files stay as they are, in the diff and on disk
        files = targets.merge(writer.read_tree(out), files, only)
    if args.check:
        label = relative(out, root) if out.exists() else str(out)
        diff = writer.diff_tree(out, files, label)
        if diff:
            sys.stdout.write(diff)
            print(f"obsgen: {label} is stale: run `obsgen build` and commit the result", file=sys.stderr)
            return EXIT_FAILED
        print(f"obsgen: {label} is up to date ({built} files)")
        return EXIT_OK
    writer.write_tree(out, files)
    print(f"obsgen: wrote {built} files for {len(services)} service(s) to "
          f"{relative(out, root) if out.resolve().is_relative_to(root) else out}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from generator import build, report, writer
    from generator.loaders import relative

    root, decl = _declarations(args)
    out, services = _out(args, root), decl.services
    if args.service is not None:
        chosen = [s for s in services if s.name == args.service]
        if not chosen:
            known = ", ".join(s.name for s in services) or "none"
            print(f"obsgen report: --service {args.service!r}: no such service (declared: {known})",
                  file=sys.stderr)
            return EXIT_USAGE
        services = chosen
    files: dict[str, str | bytes] = {}
    for svc in services:
        sys.stdout.write(report.terminal(report.analyse(svc)) + "\n")
        files.update(build.docs_outputs(svc))
    writer.write_files(out, files)
    label = relative(out, root) if out.resolve().is_relative_to(root) else str(out)
    print(f"obsgen report: wrote {len(files)} files to {label}/docs")
    return EXIT_OK


def _doc(args: argparse.Namespace) -> int:
    from generator.render import slo_doc

    _, decl = _declarations(args)
    services, am = decl.services, decl.alertmanager
    if args.service is not None:
        chosen = [s for s in services if s.name == args.service]
        if not chosen:
            known = ", ".join(s.name for s in services) or "none"
            print(f"obsgen doc: --service {args.service!r}: no such service (declared: {known})", file=sys.stderr)
            return EXIT_USAGE
        services = chosen
    sys.stdout.write(slo_doc.render(services, am))
    return EXIT_OK


def _report_check(title: str, result: Result, count: int, unit: str = "files") -> bool:
    print(f"{title}: {'ok' if result.ok else 'FAILED'} ({count} {unit})")
    for line in result.lines if not result.ok else []:
        print(f"  {line}")
    return result.ok


def _tools(out: Path, chain: Toolchain) -> dict[str, str]:
    """Every tool out/ needs, found and version-checked before any of them runs: an amtool too old for the
    config is refused at once, not after minutes of promtool tests."""
    from generator.build import ALERTMANAGER_CONFIG, NATIVE_TESTS, ROUTE_TESTS
    from generator.checkers import amtool, blackbox, versions
    from generator.render.guardrail_outputs import BLACKBOX_CONFIG

    native = any((out / "prometheus" / "tests").glob(f"*.{NATIVE_TESTS}.*test.yml"))
    wanted = [("promtool", chain.promtool, None, versions.PROMTOOL_NATIVE if native else versions.PROMTOOL)]
    if (out / ALERTMANAGER_CONFIG).exists() or (out / ROUTE_TESTS).exists():
        needs = versions.AMTOOL_URL_FILE if amtool.uses_url_file(out / ALERTMANAGER_CONFIG) else versions.AMTOOL
        wanted.append(("amtool", chain.amtool, amtool.find, needs))
    if (out / BLACKBOX_CONFIG).exists():
        wanted.append(("blackbox", chain.blackbox, blackbox.find, versions.BLACKBOX))
    found: dict[str, str] = {}
    for name, path, find, minimum in wanted:
        found[name] = path or find()  # find() raises ToolMissing with the install hint
        print(f"obsgen check: using {found[name]} ({versions.require(found[name], minimum)})")
    return found


def _check(args: argparse.Namespace) -> int:
    from generator.checkers import toolchains

    root = repo_root()
    out = Path(args.dir).resolve() if args.dir else root / "out"  # promtool runs with cwd=out
    if not out.is_dir():
        print(f"obsgen check: {out}: no such directory (run `obsgen build` first)", file=sys.stderr)
        return EXIT_USAGE
    if not args.all_versions:
        return _check_with(out, toolchains.default())
    chains = toolchains.every(root)
    codes = []
    for chain in chains:
        print(f"obsgen check: toolchain {chain.where}")
        codes.append(_check_with(out, chain))
    print(f"obsgen check: {sum(c == EXIT_OK for c in codes)} of {len(codes)} toolchains passed")
    return max(codes)


def _check_with(out: Path, chain: Toolchain) -> int:
    from generator.build import ALERTMANAGER_CONFIG, ROUTE_TESTS
    from generator.checkers import amtool, promtool
    from generator.checkers.promtool import Result

    tools = _tools(out, chain)
    binary = tools["promtool"]
    rule_files = sorted((out / "prometheus" / "rules").glob("*.yml"))
    test_files = sorted((out / "prometheus" / "tests").glob("*.yml"))
    if not rule_files:
        print(f"obsgen check: {out}/prometheus/rules holds no rule files", file=sys.stderr)
        return EXIT_FAILED
    ok = _report_check("promtool check rules", promtool.check_rules(binary, rule_files, out), len(rule_files))
    ok &= _report_check("promtool test rules", promtool.test_rules(binary, test_files, out), len(test_files))
    am_config, route_tests = out / ALERTMANAGER_CONFIG, out / ROUTE_TESTS
    if am_config.exists() or route_tests.exists():
        am = tools["amtool"]
        ok &= _report_check("amtool check-config", amtool.check_config(am, am_config), 1, "file")
        if not route_tests.exists():
            ok &= _report_check("amtool route tests", Result(False, [f"{ROUTE_TESTS} is missing"]), 0, "cases")
        else:
            ok &= _report_check("amtool route tests", *amtool.test_routes(am, route_tests), "cases")
    ok &= _check_guardrails(out, binary, tools.get("blackbox"))
    boards = sorted((out / "grafana" / "dashboards").glob("*.json"))
    if boards:
        from generator.checkers import dashlint

        ok &= _report_check("dashboard lint", dashlint.check(boards), len(boards))
    return EXIT_OK if ok else EXIT_FAILED


def _check_guardrails(out: Path, promtool_binary: str, exporter: str | None) -> bool:
    """The blackbox exporter's own check of its modules, and the scrape jobs inside a whole prometheus.yml."""
    from generator.checkers import blackbox, scrape
    from generator.render.guardrail_outputs import BLACKBOX_CONFIG, SCRAPE_DIR

    ok = True
    config = out / BLACKBOX_CONFIG
    if config.exists() and exporter is not None:
        ok &= _report_check("blackbox_exporter --config.check", blackbox.check_config(exporter, config), 1, "file")
    jobs = sorted((out / SCRAPE_DIR).glob("*.yml"))
    if jobs:
        ok &= _report_check("promtool check config (scrape jobs)", scrape.check(promtool_binary, jobs), len(jobs))
    return ok


def _preview(args: argparse.Namespace) -> int:
    from generator import build, preview, writer
    from generator.loaders import relative

    root, decl = _declarations(args)
    files = build.outputs(decl)
    board = preview.dashboard(files, args.uid)
    if board is None:
        known = ", ".join(preview.dashboard_uids(files)) or "none"
        print(f"obsgen preview: {args.uid!r}: no such dashboard (built: {known})", file=sys.stderr)
        return EXIT_USAGE
    target = Path(args.out) if args.out else root / "build" / "preview" / f"{args.uid}.html"
    writer.write_files(target.parent, {target.name: preview.render(board)})
    print(f"obsgen preview: wrote {relative(target, root) if target.resolve().is_relative_to(root) else target}")
    return EXIT_OK


def _page_test(args: argparse.Namespace) -> int:
    from generator.pagetest import command

    if args.cleanup:
        return command.cleanup(args)
    _, decl = _declarations(args)
    return command.main(args, decl.services, decl.alertmanager)


def _publish(args: argparse.Namespace) -> int:
    from generator.loaders import relative
    from generator.publish import command

    root, decl = _declarations(args)
    out = _out(args, root)
    return command.main(args, root, out, relative(out, root) if out.exists() else str(out), decl)


def main(argv: list[str] | None = None) -> int:
    from generator import log

    parser = _parser()
    args = parser.parse_args(argv)
    log.setup(args.verbose)
    log.debug("obsgen %s %s in %s", __version__, args.command, Path.cwd())
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "check":
            return _check(args)
        if args.command == "report":
            return _report(args)
        if args.command == "doc":
            return _doc(args)
        if args.command == "preview":
            return _preview(args)
        if args.command == "page-test":
            return _page_test(args)
        if args.command == "publish":
            return _publish(args)
    except (SpecError, ToolMissing) as exc:
        print(f"obsgen: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CheckError as exc:
        print(f"obsgen: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"obsgen: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:  # out/ is as it was (writer.write_tree); say so in one line, not a traceback
        print("obsgen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    parser.print_help()
    return EXIT_USAGE
