"""Write BENCHMARKS.md from bench/results/*.json (what `make bench` measured)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def rule_eval_section(path: Path) -> list[str]:
    d = json.loads(path.read_text())
    runs = d["runs"]
    ours = [r["cost_s_per_cycle"]["obsgen"] for r in runs]
    base = [r["cost_s_per_cycle"]["baseline"] for r in runs]
    ratio = [o / b for o, b in zip(ours, base, strict=True)]
    s_ours = [r["samples_per_cycle"]["obsgen"] for r in runs]
    s_base = [r["samples_per_cycle"]["baseline"] for r in runs]
    s_ratio = [b / o for o, b in zip(s_ours, s_base, strict=True)]
    lines = [
        f"### {d['prometheus'].split(' (')[0]}: N={d['services']} services x M={d['instances']} instances "
        f"({d['slos']} SLOs), {d['days']} days backfilled",
        "",
        f"{len(runs)} runs; each: {d['warmup_s']} s warm-up, then {d['measure_s']} s of group evaluations "
        f"(fewest evaluations seen per group: obsgen {min(r['min_evals_per_group']['obsgen'] for r in runs)}, "
        f"baseline {min(r['min_evals_per_group']['baseline'] for r in runs)}). Median (min-max) over runs.",
        "",
        "| | obsgen | Sloth-style baseline | obsgen / baseline |",
        "|---|---|---|---|",
        f"| eval seconds per 30 s cycle | {_spread(ours, '.3f')} | {_spread(base, '.3f')} | {_spread(ratio, '.3f')} |",
        f"| samples read per 30 s cycle | {_spread(s_ours, ',.0f')} | {_spread(s_base, ',.0f')} | "
        f"1/{_spread(s_ratio, '.0f')} |",
        f"| rule evaluation failures | {sum(r['rule_eval_failures'] for r in runs):.0f} (both sets) | | |",
        "",
        "Eval seconds per 30 s cycle by group kind (median over runs):",
        "",
        "| group kind | seconds |",
        "|---|---|",
    ]
    kinds = sorted({k for r in runs for k in r.get("cost_by_group_kind", {})})
    for k in kinds:
        lines.append(f"| {k} | {statistics.median(r['cost_by_group_kind'].get(k, 0.0) for r in runs):.4f} |")
    acc = d["accuracy"]
    lines += ["", "Accuracy of obsgen's recorded windows against the exact traffic-weighted ratio "
              "(relative error over points where the exact ratio is above 1e-6):", "",
              "| window | points | median | max |", "|---|---|---|---|"]
    order = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    for w in sorted((k for k in acc if not k.startswith("_")), key=lambda k: order.index(k) if k in order else 99):
        a = acc[w]
        lines.append(f"| {w} | {a['points']} | {a['median']:.2e} | {a['max']:.2e} |")
    lines += ["", f"Absolute error below 1e-6 wherever the exact ratio is: {acc['_abs_below_1e-6_elsewhere']}.",
              f"Preparation: {', '.join(f'{k} {v:,.0f}' for k, v in sorted(d['prepare'].items()))}; "
              f"whole run {d['wall_s']:.0f} s.", ""]
    return lines


def build_speed_section(path: Path) -> list[str]:
    d = json.loads(path.read_text())
    lines = ["## Build speed (bench/build_speed.py)", "",
             f"Targets built: {', '.join(d.get('measured_targets', []))}; not built yet: "
             f"{', '.join(d.get('not_built_yet', [])) or 'none'}. Floor = serialising the same rules and test "
             "documents alone with PyYAML's C dumper. Median of "
             f"{d.get('repeat', '?')} runs, each size in a fresh process.", "",
             "| SLOs | build s | build without docs (PNG plots) s | floor s | build / floor | "
             "without docs / floor | ms per SLO (no docs) | peak RSS MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for row in d["sizes"]:
        b, nd, fl = row["build"] or {}, row["build_no_docs"], row["floor"]
        full = f"{b['median_s']:.2f}" if b else "not run (PNG cost)"
        full_ratio = f"{row['ratio']['build']:.1f}" if row["ratio"].get("build") else "-"
        rss = b.get("peak_rss_mb") or nd.get("peak_rss_mb")
        lines.append(f"| {row['slos']} | {full} | {nd['median_s']:.2f} | {fl['median_s']:.2f} | "
                     f"{full_ratio} | {row['ratio']['build_no_docs']:.2f} | "
                     f"{1000 * nd['median_s'] / row['slos']:.2f} | {rss:.0f} |")
    lin = d.get("linearity", {}).get("build_no_docs", {})
    if lin:
        lines += ["", f"Growth without docs: log-log slope {lin['loglog_slope']:.2f} from 10 to "
                  f"{max(int(k) for k in lin['ms_per_slo'])} SLOs (1.0 is linear)."]
    return [*lines, ""]


def main() -> int:
    evals = sorted(RESULTS.glob("rule_eval-*.json"))
    first = json.loads(evals[0].read_text()) if evals else {}
    out = [
        "# Benchmarks",
        "",
        "Measured by `make bench` (not part of `make test`); this file is rewritten by `python -m bench.report`.",
        "",
        f"Machine: {first.get('machine', '?')}; Prometheus: the Debian packages of bookworm (2.x) and testing "
        "(3.x, unpacked into .tools/prometheus-3 by `make tools`), each section names its version.",
        "",
        "## Rule evaluation: obsgen vs a Sloth v0.16-style baseline, one Prometheus",
        "",
        "How (bench/rule_eval.py): a synthetic fleet (request counters 2xx/5xx and a latency histogram per "
        "instance, daily traffic sine, incidents) sampled every 15 s is backfilled with "
        "`promtool tsdb create-blocks-from openmetrics`; the series rules read over ranges get their history "
        "from the real Prometheus (each rule as a range query at its group's interval, written back as blocks); "
        "each run copies that data fresh and starts one Prometheus "
        "with both rule sets and a local exporter continuing the counters. Cost per 30 s cycle = sum over groups "
        "of `prometheus_rule_group_last_duration_seconds` x 30 s / production interval (obsgen's 5m groups run "
        "every 1m during the bench so they evaluate several times; their work per evaluation does not depend on "
        "that). Samples read = `totalQueryableSamples` of each rule's expression, x 30 s / interval.",
        "",
    ]
    for path in evals:
        out += rule_eval_section(path)
    speed = RESULTS / "build_speed.json"
    if speed.exists():
        out += build_speed_section(speed)
    out += ["Numbers measured on the 2-core development machine, sometimes while other work ran beside it: "
            "ratios move by about 0.01 between runs.", ""]
    out += ["## Reproduce", "", "```sh",
            "make bench            # all of the above, on Prometheus 2 and 3, about 30 minutes on 2 cores",
            "python -m bench.rule_eval --services 100 --instances 10   # a larger N", "python -m bench.report",
            "```", ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
