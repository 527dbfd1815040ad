"""Rule-evaluation benchmark: obsgen's rules against a Sloth-style baseline in one real Prometheus.

`python -m bench.rule_eval [--services 50] [--instances 10] [--days 3.1] [--runs 2]`

1. Synthetic fleet (bench/workload.py): N services x M instances, request counters and
   a latency histogram, 15 s samples backfilled over DAYS ending now (OpenMetrics ->
   `promtool tsdb create-blocks-from openmetrics`). Two SLOs per service (availability
   99.9 from the counters, latency 95 at 0.5 s from the histogram): 2N SLOs.
2. The series that rules read over ranges get their history by rule backfill (obsgen's
   base rates and 5m buckets, Sloth's ratio_rate5m), as a server running for days would
   have recorded them.
3. Each run copies the data fresh, starts the Debian package's Prometheus with both rule
   sets and a local exporter that continues the counters live, warms up, then samples
   `prometheus_rule_group_last_duration_seconds` per group. Cost per 30 s cycle = sum over
   groups of mean duration x 30 s / group interval. obsgen's 5m groups are evaluated every
   1m during the bench so they run several times in minutes; their cost is still counted
   at their production interval (5m): the work per evaluation does not depend on how often
   it runs.
4. Samples read: every rule's expression as an instant query with stats, x 30 s / interval.
5. Accuracy: obsgen's recorded window ratios (historic samples, no live gap) against the
   exact traffic-weighted ratio of the raw series (the workload's closed form; spot-checked
   against `increase()` on the raw series).
Results go to bench/results/rule_eval-n<N>-m<M>-prometheus<major>.json (the `prometheus` first on
PATH: `make bench` runs it with the system's 2.x and with .tools/prometheus-3); bench/report.py writes
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import baseline, lab
from bench.workload import Fleet, fleet
from generator import durations, names, yamlio
from generator.model import SLO, Service
from generator.render import rules
from generator.sli import LatencySLI, RatioSLI

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "work"


def declarations(fl: Fleet) -> list[Service]:
    out = []
    for svc in fl.services:
        sel = f'job="{fl.job}",service="{svc.name}"'
        # the fleet is sampled every 15 s: the rules are sized for that scrape (names.base_window)
        out.append(Service(name=svc.name, source="bench", scrape_interval="15s", slos=(
            SLO(name="availability", objective=99.9, sli=RatioSLI(
                error_query=f'sum(rate(http_requests_total{{{sel},code=~"5.."}}[{{{{.window}}}}]))',
                total_query=f"sum(rate(http_requests_total{{{sel}}}[{{{{.window}}}}]))")),
            SLO(name="latency", objective=95, sli=LatencySLI(
                metric="http_request_duration_seconds", matchers=sel, threshold=0.5, le="0.5")),
        )))
    return out


def obsgen_groups(services: list[Service], slow_every: str | None = None) -> list[dict]:
    groups = [g for svc in services for g in rules.render(svc)["groups"]]
    if slow_every:
        for g in groups:
            if g["interval"] == names.SLOW_INTERVAL:
                g["interval"] = slow_every
    return groups


def exporter(fl: Fleet) -> lab.TextExporter:
    """Serves the fleet's counters at wall-clock time on 127.0.0.1, continuing the backfill."""
    return lab.TextExporter(lambda: fl.exposition(time.time()))


def prepare(n: int, m: int, days: float, work: Path) -> tuple[Fleet, list[Service], Path, int, dict]:
    """Backfilled template data dir (raw + rule history); returns its end time."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    timings: dict[str, float] = {}
    end = int(time.time()) // 15 * 15
    span = int(days * 86400) // 15 * 15
    fl = fleet(n, m, origin=end - span, days=days)
    services = declarations(fl)
    t = time.time()
    om = work / "openmetrics"
    om.mkdir()
    files, n_samples = fl.write_openmetrics(om, end - span, end, 15)
    timings["generate_openmetrics_s"] = time.time() - t
    t = time.time()
    template = work / "template"
    lab.backfill_openmetrics(files, template)
    shutil.rmtree(om)
    timings["backfill_raw_s"] = time.time() - t
    t = time.time()
    read_over_ranges = {names.ERRORS_RATE, names.TOTAL_RATE, names.ERRORS_BUCKET, names.TOTAL_BUCKET,
                        "slo:sli_error:ratio_rate5m"}
    groups = obsgen_groups(services) + baseline.render(services)["groups"]
    wanted = [dict(g, rules=[r for r in g["rules"] if r.get("record") in read_over_ranges]) for g in groups]
    wanted = [g for g in wanted if g["rules"]]
    lab.backfill_rules(template, lab.recording_levels(wanted), end - span, end, work)
    timings["backfill_rules_s"] = time.time() - t
    timings["raw_samples"] = n_samples
    return fl, services, template, end, timings


def _group_costs(prom: lab.Prometheus, seen: dict[tuple[str, float], float]) -> None:
    rows = prom.metrics("prometheus_rule_group_last_")
    stamps = {lb["rule_group"]: v for lb, v in rows
              if lb["__name__"] == "prometheus_rule_group_last_evaluation_timestamp_seconds"}
    for lb, v in rows:
        if lb["__name__"] != "prometheus_rule_group_last_duration_seconds":
            continue
        stamp = stamps.get(lb["rule_group"], 0.0)
        if stamp > 0:
            seen[(lb["rule_group"], stamp)] = v


def _kind(group: str) -> str:
    for key in ("sli-recordings", "meta-recordings", "alerts"):
        if key in group:
            return key
    return "5m group" if group.endswith("-long") else "30s group"


def run_once(fl: Fleet, services: list[Service], template: Path, work: Path, warmup: int,
             measure: int) -> dict:
    data = work / "run-data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    ours = work / "obsgen.rules.yml"
    theirs = work / "baseline.rules.yml"
    our_groups = obsgen_groups(services, slow_every="1m")
    ours.write_text(yamlio.dump({"groups": our_groups}))
    theirs.write_text(yamlio.dump(baseline.render(services)))
    real_interval = {g["name"]: durations.parse(g.get("interval", "30s")) for g in obsgen_groups(services)}
    real_interval.update({g["name"]: 30 for g in baseline.render(services)["groups"]})
    with exporter(fl) as exp:
        scrape = [{"job_name": "bench-exporter", "scrape_interval": "15s", "honor_labels": True,
                   "static_configs": [{"targets": [f"127.0.0.1:{exp.port}"]}]}]
        with lab.Prometheus(data, [ours, theirs], scrape=scrape, workdir=work) as prom:
            time.sleep(warmup)
            seen: dict[tuple[str, float], float] = {}
            stop = time.time() + measure
            while time.time() < stop:
                _group_costs(prom, seen)
                time.sleep(10)
            _group_costs(prom, seen)
            samples = samples_read(prom, our_groups, baseline.render(services)["groups"], real_interval)
            per_rule = rule_costs(prom, real_interval)
            failures = sum(v for _, v in prom.metrics("prometheus_rule_evaluation_failures_total"))
    per_group: dict[str, list[float]] = {}
    for (group, _stamp), dur in seen.items():
        per_group.setdefault(group, []).append(dur)
    cost = {"obsgen": 0.0, "baseline": 0.0}
    by_kind: dict[str, float] = {}
    evals: dict[str, list[int]] = {"obsgen": [], "baseline": []}
    for group, durs in per_group.items():
        file, name = group.split(";", 1)
        which = "obsgen" if file.endswith("obsgen.rules.yml") else "baseline"
        share = statistics.mean(durs) * 30 / real_interval[name]
        cost[which] += share
        kind = f"{which} {_kind(name)}"
        by_kind[kind] = by_kind.get(kind, 0.0) + share
        evals[which].append(len(durs))
    return {"cost_s_per_cycle": cost, "cost_by_group_kind": by_kind, "cost_by_rule": per_rule,
            "samples_per_cycle": samples,
            "rule_eval_failures": failures,
            "min_evals_per_group": {k: min(v) for k, v in evals.items()},
            "groups": {k: len(v) for k, v in evals.items()}}


def rule_costs(prom: lab.Prometheus, interval: dict[str, int]) -> dict[str, float]:
    """Seconds per 30 s cycle by rule (record name or alert, obsgen's windows apart), from /api/v1/rules."""
    out: dict[str, float] = {}
    for g in prom.api("rules")["groups"]:
        which = "obsgen" if g["file"].endswith("obsgen.rules.yml") else "baseline"
        for r in g["rules"]:
            name = r.get("name", "?")
            window = r.get("labels", {}).get("window") or r.get("labels", {}).get("sloth_window")
            if r.get("type") == "alerting":
                name = "alert"
            key = f"{which} {name}" + (f"{{window={window}}}" if window else "")
            out[key] = out.get(key, 0.0) + float(r.get("evaluationTime", 0.0)) * 30 / interval[g["name"]]
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def samples_read(prom: lab.Prometheus, ours: list[dict], theirs: list[dict], interval: dict[str, int]) -> dict:
    out = {"obsgen": 0.0, "baseline": 0.0}
    now = time.time()
    for which, groups in (("obsgen", ours), ("baseline", theirs)):
        for g in groups:
            for r in g["rules"]:
                stats = prom.query(r["expr"], at=now, stats=True).get("stats", {})
                n = stats.get("samples", {}).get("totalQueryableSamples", 0)
                out[which] += n * 30 / interval[g["name"]]
    return out


def accuracy(fl: Fleet, template: Path, services: list[Service], end: int, work: Path) -> dict:
    """Relative error of each recorded window ratio against the exact ratio, per window."""
    by_svc = {s.name: s for s in fl.services}
    errors: dict[str, list[float]] = {}
    abs_ok = True
    data = work / "acc-data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    # the windows need their own history: backfill obsgen's ratio rules into this copy
    levels = lab.recording_levels([dict(g, rules=[r for r in g["rules"] if r.get("record") == names.ERROR_RATIO])
                                   for g in obsgen_groups(services)])
    lab.backfill_rules(data, levels, end - 6 * 3600, end, work)
    with lab.Prometheus(data, workdir=work) as prom:
        for svc in services:
            load = by_svc[svc.name]
            for slo in svc.slos:
                for w in slo.windows:
                    window = durations.fmt(w)
                    got = prom.query(f"{names.series(names.ERROR_RATIO, svc.name, slo.name, window)}[6h]",
                                     end)["result"]
                    if not got:
                        continue
                    for stamp, value in got[0]["values"][::12]:
                        t = float(stamp) - fl.origin
                        lo = max(0.0, t - w)
                        if slo.name == "availability":
                            exact = load.exact_error_ratio(lo, t)
                        else:
                            exact = (load.slow(t) - load.slow(lo)) / (load.requests(t) - load.requests(lo))
                        if exact > 1e-6:
                            errors.setdefault(window, []).append(abs(float(value) - exact) / exact)
                        elif abs(float(value) - exact) >= 1e-6:
                            abs_ok = False
    return {w: {"median": statistics.median(v), "max": max(v), "points": len(v)} for w, v in errors.items()} | {
        "_abs_below_1e-6_elsewhere": abs_ok}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.rule_eval", description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--instances", type=int, default=10)
    ap.add_argument("--days", type=float, default=3.1)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--measure", type=int, default=180)
    ap.add_argument("--keep", action="store_true",
                    help="keep the backfilled template in bench/work/ and reuse it on the next --keep run "
                    "(recorded history is valid while the recorded names and their meaning stay)")
    args = ap.parse_args(argv)
    started = time.time()
    work = WORK / f"n{args.services}-m{args.instances}"
    state = work / "state.json"
    if args.keep and state.exists():
        saved = json.loads(state.read_text())
        end, timings = saved["end"], saved["timings"]
        fl = fleet(args.services, args.instances, origin=end - int(args.days * 86400) // 15 * 15, days=args.days)
        services, template = declarations(fl), work / "template"
    else:
        fl, services, template, end, timings = prepare(args.services, args.instances, args.days, work)
        if args.keep:
            state.write_text(json.dumps({"end": end, "timings": timings}))
    print(f"prepared {len(services) * 2} SLOs, {timings['raw_samples']:,} raw samples: "
          + ", ".join(f"{k} {v:.0f}" for k, v in timings.items() if k.endswith("_s")), flush=True)
    runs = []
    for i in range(args.runs):
        r = run_once(fl, services, template, work, args.warmup, args.measure)
        print(f"run {i + 1}: {json.dumps(r)}", flush=True)
        runs.append(r)
    acc = accuracy(fl, template, services, end, work)
    version = subprocess.run([lab.need("prometheus"), "--version"], capture_output=True, text=True).stdout
    major = version.split("version", 1)[1].strip().split(".")[0] if "version" in version else "x"
    result = {
        "services": args.services, "instances": args.instances, "slos": 2 * args.services, "days": args.days,
        "runs": runs, "accuracy": acc, "prepare": timings, "prometheus": version.splitlines()[0],
        "machine": f"{platform.machine()}, {shutil.os.cpu_count()} cores, Python {platform.python_version()}",
        "warmup_s": args.warmup, "measure_s": args.measure, "wall_s": time.time() - started,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rule_eval-n{args.services}-m{args.instances}-prometheus{major}.json"
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {out.relative_to(ROOT)} in {time.time() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
