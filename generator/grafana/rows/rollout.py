"""Rollout Control's first row: where the Argo Rollout is (phase, canary weight, step) and its analyses.

Phase comes from `rollout_info{phase}` (`rollout_phase` is deprecated). Argo exports no
weight, so the weight is kube-state-metrics' copy of `.status.canary.weights.canary.weight`
(ksm.py), falling back to the share of updated replicas where that is absent (no traffic
router, or kube-state-metrics without our config).
"""

from __future__ import annotations

from generator.grafana import ksm, sdk
from generator.grafana.rows import sel

ROLLOUT = 'namespace="$namespace",name="$rollout"'
RUNS = 'namespace="$namespace",name=~"$rollout-.*"'  # AnalysisRuns are named <rollout>-<hash>-<step>
BY = "max by (namespace, name)"
ACTIVE = {"1": ("current", sdk.BLUE)}


def weight_expr() -> str:
    updated = f"{BY} ({sel('rollout_info_replicas_updated', ROLLOUT)})"
    desired = f"{BY} ({sel('rollout_info_replicas_desired', ROLLOUT)})"
    return f"{BY} ({sel(ksm.CANARY_WEIGHT, ROLLOUT)})\nor\n100 * {updated} / {desired}"


WEIGHT_DESCRIPTION = (f"Traffic weight on the canary, in percent: {ksm.CANARY_WEIGHT} (kube-state-metrics, "
                      "out/k8s config) or, where that is absent, updated / desired replicas.")


def row() -> sdk.Row:
    return sdk.Row("Rollout", [
        sdk.state_timeline(
            "Phase", "The rollout's phase over time (rollout_info{phase}: Healthy, Progressing, Paused, Degraded).",
            [sdk.query(f"max by (phase) ({sel('rollout_info', ROLLOUT)})", "{{phase}}")], mapping=ACTIVE,
            width=12),
        sdk.stat("Current phase", "The phase the rollout is in now (rollout_info{phase}).", sdk.NONE,
                 [sdk.query(f"max by (phase) ({sel('rollout_info', ROLLOUT)})", "{{phase}}")],
                 width=4, height=6, show_name=True),
        sdk.stat("Canary weight", WEIGHT_DESCRIPTION, sdk.PERCENT, [sdk.query(weight_expr(), "weight")],
                 width=4, height=6, steps=[sdk.Step(sdk.BLUE)]),
        sdk.stat("Canary step", f"Index of the canary step the rollout is at (.status.currentStepIndex via "
                 f"{ksm.CURRENT_STEP}); steps count from 0.", sdk.COUNT,
                 [sdk.query(f"max({sel(ksm.CURRENT_STEP, ROLLOUT)})", "step")], width=4, height=6, decimals=0),
        sdk.timeseries("Canary weight over time", WEIGHT_DESCRIPTION, sdk.PERCENT,
                       [sdk.query(weight_expr(), "weight")], min_value=0, max_value=100),
        sdk.timeseries("Canary step over time", f"The canary step index over time ({ksm.CURRENT_STEP}).",
                       sdk.COUNT, [sdk.query(f"max({sel(ksm.CURRENT_STEP, ROLLOUT)})", "step")], min_value=0),
        sdk.state_timeline(
            "Analysis runs", "Phase of the rollout's AnalysisRuns over time (analysis_run_info{phase}).",
            [sdk.query(f"max by (name, phase) ({sel('analysis_run_info', RUNS)})", "{{name}} {{phase}}")],
            mapping=ACTIVE, width=12, height=8),
        sdk.table("Analysis metrics", "Each analysis metric's current phase (analysis_run_metric_phase == 1): "
                  "Successful, Failed, Inconclusive, Error, Running.", sdk.NONE,
                  [sdk.query(f"max by (name, metric, phase) ({sel('analysis_run_metric_phase', RUNS)}) == 1",
                             "{{metric}}")], width=12, height=8),
    ])
