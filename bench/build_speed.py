"""How fast `obsgen build` is, against the floor of serialising its output alone.

The performance target: building 1,000 SLOs takes at most 2x the time that
serialising the same output takes with PyYAML's C dumper (and json.dumps for JSON
targets), measured in the same run; time grows linearly from 10 to 5,000 SLOs;
peak memory is reported.

Declarations are synthetic and built in memory: services of 10 SLOs each, mixing
RatioSLI (error and good queries), LatencySLI and ProbeSLI with realistic
queries, objectives 99/99.5/99.9/99.95 and periods 30d/28d/7d.

Every measurement runs in a fresh subprocess, so peak RSS (ru_maxrss) belongs to
one size and nothing (caches, interned strings) carries over from one repeat to
the next:
- build: generator.build.outputs(services) + writer.write_tree to a temporary dir,
  every target obsgen builds; out/docs (a matplotlib PNG per SLO) only up to
  --docs-max SLOs, as it takes minutes beyond;
- build_no_docs: the same with build.docs_outputs stubbed out: the issue's targets
  that exist so far (rules and promtool tests; dashboards and Alertmanager config
  are not built yet, and the output says so);
- floor: the documents of the same output are rendered first, untimed
  (render.rules.render, render.promtool_tests.render), then only their
  serialisation (yamlio.dump, i.e. the C dumper) is timed.
ratio = median build / median floor. Results: a table on stdout and
bench/results/build_speed.json (read by the script that writes BENCHMARKS.md).

    python -m bench.build_speed [--sizes 10,100,1000,5000] [--repeat 3] [--docs-max 100]
    python -m bench.build_speed --profile 1000 [--docs]   # cProfile one build, top functions
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "build_speed.json"
SLOS_PER_SERVICE = 10
TARGET_SIZE = 1000
TARGET_RATIO = 2.0
# What the issue asks to build; whichever of these build.outputs does not produce yet is reported.
TARGETS = {
    "rules": "prometheus/rules/",
    "promtool tests": "prometheus/tests/",
    "docs": "docs/",
    "dashboards": "grafana/",
    "alertmanager config": "alertmanager/",
}

OBJECTIVES = (99.0, 99.5, 99.9, 99.95)
PERIODS = ("30d", "28d", "7d")
HANDLERS = ("/api/v1/orders", "/api/v1/users", "/api/v1/search", "/api/v1/payments", "/api/v1/carts",
            "/healthz", "/graphql", "/api/v2/items", "/api/v2/inventory", "/login")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


# -- synthetic declarations ------------------------------------------------------------------------

def synthetic(n_slos: int, seed: int = 0) -> list:
    """n_slos SLOs in services of 10: 5 ratio (error or good query), 3 latency, 2 probe SLIs each."""
    from generator.api import SLO, Alerting, LatencySLI, ProbeSLI, RatioSLI, Service

    rng = random.Random(seed)
    services = []
    n_services = math.ceil(n_slos / SLOS_PER_SERVICE)
    for i in range(n_services):
        name = f"svc-{i:04d}"
        job = f'job="{name}"'
        slos = []
        for j in range(min(SLOS_PER_SERVICE, n_slos - i * SLOS_PER_SERVICE)):
            handler = HANDLERS[j]
            sel = f'{job},handler="{handler}"'
            if j < 5 and j % 2 == 0:
                sli = RatioSLI(
                    error_query=f'sum(rate(http_requests_total{{{sel},code=~"5.."}}[{{{{.window}}}}]))',
                    total_query=f"sum(rate(http_requests_total{{{sel}}}[{{{{.window}}}}]))")
                what = "availability"
            elif j < 5:
                sli = RatioSLI(
                    good_query=f'sum(rate(grpc_server_handled_total{{{sel},grpc_code="OK"}}[{{{{.window}}}}]))',
                    total_query=f"sum(rate(grpc_server_handled_total{{{sel}}}[{{{{.window}}}}]))")
                what = "success"
            elif j < 8:
                threshold = rng.choice((0.25, 0.5, 1.0))
                sli = LatencySLI(metric="http_request_duration_seconds", matchers=sel, threshold=threshold,
                                 buckets=LATENCY_BUCKETS)
                what = "latency"
            else:
                sli = ProbeSLI(f'probe_success{{job="blackbox",instance="https://{name}.example.com{handler}"}}')
                what = "probe"
            alerting = Alerting(for_="2m") if rng.random() < 0.1 else Alerting()
            slos.append(SLO(
                name=f"{handler.strip('/').replace('/', '-') or 'root'}-{what}",
                objective=OBJECTIVES[(i + 3 * j) % len(OBJECTIVES)],
                period=PERIODS[(2 * i + j) % len(PERIODS)],
                description=f"{what} of {handler} on {name}",
                labels={"tier": str(1 + j % 3)},
                alerting=alerting,
                sli=sli,
            ))
        services.append(Service(name=name, slos=tuple(slos), owner=f"team-{i % 7}",
                                labels={"team": f"team-{i % 7}"},
                                runbook_url=f"https://runbooks.example.com/{name}",
                                source="bench/build_speed.py"))
    for svc in services:
        svc.validate()
    return services


# -- one measurement (child process) ---------------------------------------------------------------

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _without_docs() -> None:
    """build.outputs without out/docs (alert-quality pages and PNGs): the issue's targets only."""
    from generator import build

    if hasattr(build, "docs_outputs"):
        build.docs_outputs = lambda service: {}


def _measure_build(size: int, docs: bool) -> dict:
    from generator import build, writer
    from generator.declarations import Declarations

    if not docs:
        _without_docs()
    services = synthetic(size)
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        rss_before = _peak_rss_mb()
        t0 = time.perf_counter()
        files = build.outputs(Declarations(services))
        writer.write_tree(Path(tmp) / "out", files)
        seconds = time.perf_counter() - t0
    targets = {name: sum(1 for p in files if p.startswith(prefix)) for name, prefix in TARGETS.items()}
    other = sorted({p.split("/")[0] for p in files if not any(p.startswith(x) for x in TARGETS.values())})
    size_b = sum(len(v.encode() if isinstance(v, str) else v) for v in files.values())
    return {"seconds": seconds, "files": len(files), "bytes": size_b, "targets": targets, "other_paths": other,
            "builds_docs": hasattr(build, "docs_outputs"), "rss_before_mb": rss_before,
            "peak_rss_mb": _peak_rss_mb()}


def _measure_floor(size: int, verify: bool) -> dict:
    """Time only the serialisation of the build's documents (rendered beforehand, untimed)."""
    from generator import build, yamlio
    from generator.declarations import Declarations
    from generator.render import promtool_tests, rules

    services = synthetic(size)
    docs: list[tuple[str, object, str]] = []  # (path, document, header)
    for svc in services:
        mark = yamlio.mark(svc.source)
        docs.append((build.rules_path(svc), rules.render(svc), mark))
        short, long = promtool_tests.render(svc, f"../rules/{svc.name}.rules.yml")
        docs.append((f"prometheus/tests/{svc.name}.test.yml", short, mark))
        docs.append((f"prometheus/tests/{svc.name}.long.test.yml", long, mark))
    # Holding every document at once (the build holds one service's) would make each full garbage
    # collection during the dump walk all of them: up to 2x the floor at 1,000 SLOs. Frozen objects
    # are not walked, so the floor is the serialisation alone.
    gc.collect()
    gc.freeze()
    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    out = {path: (json.dumps(doc, indent=2) + "\n" if path.endswith(".json") else yamlio.dump(doc, header))
           for path, doc, header in docs}
    seconds = time.perf_counter() - t0
    result = {"seconds": seconds, "files": len(out), "rss_before_mb": rss_before, "peak_rss_mb": _peak_rss_mb()}
    if verify:  # the floor must serialise exactly what the build writes (checked outside the timing)
        _without_docs()
        files = build.outputs(Declarations(services))
        result["identical_to_build"] = all(files.get(p) == text for p, text in out.items())
        result["build_files_not_in_floor"] = sorted(set(files) - set(out))
    return result


# -- the run (parent process) ----------------------------------------------------------------------

def _child(mode: str, size: int, verify: bool = False) -> dict:
    cmd = [sys.executable, "-m", "bench.build_speed", "--child", mode, "--size", str(size)]
    if verify:
        cmd.append("--verify")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench child {mode} {size} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stats(runs: list[dict]) -> dict:
    values = [r["seconds"] for r in runs]
    med = statistics.median(values)
    return {"median_s": med, "min_s": min(values), "max_s": max(values),
            "spread_pct": 100 * (max(values) - min(values)) / med if med else 0.0, "runs_s": values,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) on log(size): 1.0 is linear growth."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


def _growth(rows: list[dict], key: str) -> dict:
    rows = [r for r in rows if r[key] is not None]
    per_slo = [1000 * r[key]["median_s"] / r["slos"] for r in rows]
    slope = _slope([(r["slos"], r[key]["median_s"]) for r in rows])
    return {
        "ms_per_slo": {str(r["slos"]): v for r, v in zip(rows, per_slo, strict=True)},
        "loglog_slope": slope,
        # linear: time per SLO does not grow with size (a fixed start-up cost may make small sizes dearer)
        "linear": bool(slope is not None and slope <= 1.1
                       and all(b <= 1.25 * a for a, b in itertools.pairwise(per_slo))),
    }


def run(sizes: list[int], repeat: int, docs_max: int) -> dict:
    rows = []
    for size in sizes:
        runs: dict[str, list[dict]] = {"build": [], "build_no_docs": [], "floor": []}
        for r in range(repeat):  # interleaved, so a slow spell of the machine hits all three alike
            if size <= docs_max:
                runs["build"].append(_child("build", size))
            runs["build_no_docs"].append(_child("build_no_docs", size))
            runs["floor"].append(_child("floor", size, verify=r == 0))
            print(f"  {size} SLOs, run {r + 1}/{repeat}: "
                  + ", ".join(f"{k} {v[-1]['seconds']:.3f} s" for k, v in runs.items() if v), file=sys.stderr)
        row = {"slos": size, "services": math.ceil(size / SLOS_PER_SERVICE)}
        for key, found in runs.items():
            row[key] = _stats(found) if found else None
        for key in ("build", "build_no_docs"):
            first = runs[key][0] if runs[key] else None
            if row[key] is not None and first is not None:
                row[key].update(files=first["files"], bytes=first["bytes"], targets=first["targets"],
                                other_paths=first["other_paths"], builds_docs=first["builds_docs"])
        floor = row["floor"]["median_s"]
        row["ratio"] = {k: (row[k]["median_s"] / floor if row[k] else None) for k in ("build", "build_no_docs")}
        row["floor"].update(identical_to_build=runs["floor"][0]["identical_to_build"],
                            build_files_not_in_floor=runs["floor"][0]["build_files_not_in_floor"])
        rows.append(row)
    built = [r[k] for r in rows for k in ("build", "build_no_docs") if r[k]]
    measured = [name for name in TARGETS if any(b["targets"][name] for b in built)]
    measured += sorted({f"{p}/ (unrecognised)" for b in built for p in b["other_paths"]})
    skipped = []  # built by obsgen but left out of the measurement at every size
    if "docs" not in measured and any(r["build_no_docs"]["builds_docs"] for r in rows):
        skipped.append("docs")
    at_target = next((r for r in rows if r["slos"] == TARGET_SIZE), None)
    return {
        "benchmark": "build_speed",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "platform": platform.platform(),
        "pyyaml": __import__("yaml").__version__, "c_dumper": hasattr(__import__("yaml"), "CSafeDumper"),
        "repeat": repeat, "slos_per_service": SLOS_PER_SERVICE, "docs_max": docs_max,
        "definitions": {
            "build": "generator.build.outputs(services) + writer.write_tree, every target it builds",
            "build_no_docs": "the same with build.docs_outputs stubbed out: rules + promtool tests",
            "floor": "yamlio.dump (PyYAML C dumper) of the rules and test documents alone, rendered beforehand",
            "ratio": "median build time / median floor time",
        },
        "measured_targets": measured,
        "not_measured": skipped,
        "not_built_yet": [name for name in TARGETS if name not in measured and name not in skipped],
        "sizes": rows,
        "linearity": {"build_no_docs": _growth(rows, "build_no_docs"), "build": _growth(rows, "build")},
        "target": {"size": TARGET_SIZE, "max_ratio": TARGET_RATIO,
                   "ratio_no_docs": at_target["ratio"]["build_no_docs"] if at_target else None,
                   "ratio_with_docs": at_target["ratio"]["build"] if at_target else None,
                   "met_no_docs": bool(at_target and at_target["ratio"]["build_no_docs"] <= TARGET_RATIO),
                   # None: not measured at that size
                   "met_with_docs": (at_target["ratio"]["build"] <= TARGET_RATIO
                                     if at_target and at_target["ratio"]["build"] is not None else None)},
    }


def _cell(stats: dict | None, floor: float | None = None) -> str:
    if stats is None:
        return f"{'-':>9} {'':>5} {'':>6} {'':>8}"
    ratio = f"{stats['median_s'] / floor:>5.3g}" if floor else f"{'':>5}"
    return f"{stats['median_s']:>9.3f} {stats['spread_pct']:>4.0f}% {ratio} {stats['peak_rss_mb']:>5.0f} MB"


def report(res: dict) -> str:
    lines = [
        f"obsgen build speed (Python {res['python']}, PyYAML {res['pyyaml']}, C dumper: "
        f"{'yes' if res['c_dumper'] else 'NO'}); median of {res['repeat']} fresh processes; "
        "spread = (max - min) / median",
        f"built and measured: {', '.join(res['measured_targets']) or 'nothing'}; not built yet, so not measured: "
        f"{', '.join(res['not_built_yet']) or 'none'}"
        + (f"; built but not measured: {', '.join(res['not_measured'])} (--docs-max)" if res["not_measured"] else ""),
        "build = build.outputs + write_tree; no docs = the same without out/docs; floor = yamlio.dump (C dumper) "
        "of the rules and tests documents alone",
        "",
        f"{'':>6} {'':>6} {'':>7} | {'build, no docs':^32} | {'floor':^32} | {'build with docs':^32}",
        f"{'SLOs':>6} {'files':>6} {'MB':>7} | {'s':>9} {'sprd':>5} {'ratio':>5} {'RSS':>8} "
        f"| {'s':>9} {'sprd':>5} {'':>5} {'RSS':>8} | {'s':>9} {'sprd':>5} {'ratio':>5} {'RSS':>8}",
    ]
    for r in res["sizes"]:
        nd, fl = r["build_no_docs"], r["floor"]
        lines.append(f"{r['slos']:>6} {nd['files']:>6} {nd['bytes'] / 1e6:>7.2f} | {_cell(nd, fl['median_s'])} "
                     f"| {_cell(fl)} | {_cell(r['build'], fl['median_s'])}")
    lines.append("")
    for key, title in (("build_no_docs", "build, no docs"), ("build", "build with docs")):
        lin = res["linearity"][key]
        if lin["loglog_slope"] is None:
            continue
        lines.append(f"growth, {title}: ms per SLO " + ", ".join(f"{k}: {v:.2f}" for k, v in lin["ms_per_slo"].items())
                     + f"; log-log slope {lin['loglog_slope']:.2f} -> {'linear' if lin['linear'] else 'NOT linear'}")
    tgt = res["target"]
    if tgt["ratio_no_docs"] is not None:
        lines.append(f"target, {tgt['size']} SLOs in <= {tgt['max_ratio']:g}x the floor: without docs "
                     f"{tgt['ratio_no_docs']:.2f}x -> {'met' if tgt['met_no_docs'] else 'NOT met'}; with docs "
                     + (f"{tgt['ratio_with_docs']:.2f}x -> {'met' if tgt['met_with_docs'] else 'NOT met'}"
                        if tgt["ratio_with_docs"] is not None else
                        f"not measured (docs are built only up to --docs-max {res['docs_max']} SLOs)"))
    for r in res["sizes"]:
        if not r["floor"]["identical_to_build"] or r["floor"]["build_files_not_in_floor"]:
            lines.append(f"warning: at {r['slos']} SLOs the floor does not serialise exactly the build's output "
                         f"({len(r['floor']['build_files_not_in_floor'])} files not in the floor)")
    return "\n".join(lines)


def profile(size: int, docs: bool, top: int = 30) -> None:
    import cProfile
    import pstats

    from generator import build
    from generator.declarations import Declarations

    if not docs:
        _without_docs()
    services = synthetic(size)
    prof = cProfile.Profile()
    prof.enable()
    build.outputs(Declarations(services))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.build_speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,100,1000,5000", help="SLO counts, comma-separated")
    p.add_argument("--repeat", type=int, default=3, help="fresh-process runs per size and measurement")
    p.add_argument("--docs-max", type=int, default=100, metavar="SLOS",
                   help="build out/docs (a matplotlib PNG per SLO, ~0.15 s each) only up to this size")
    p.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    p.add_argument("--profile", type=int, metavar="SLOS", help="cProfile one build of SLOS SLOs and exit")
    p.add_argument("--docs", action="store_true", help="with --profile: build out/docs too")
    p.add_argument("--child", choices=("build", "build_no_docs", "floor"), help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        if args.child == "floor":
            res = _measure_floor(args.size, args.verify)
        else:
            res = _measure_build(args.size, docs=args.child == "build")
        print(json.dumps(res))
        return 0
    if args.profile:
        profile(args.profile, args.docs)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    res = run(sizes, args.repeat, args.docs_max)
    print(report(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.out.relative_to(ROOT) if args.out.resolve().is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
