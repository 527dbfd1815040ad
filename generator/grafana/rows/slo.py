"""One SLO's row of its service's overview: target, SLI, budget, alerts, and a burn panel per tier.

Everything is read from the model (objective, period, tiers) and from the recorded series
named in generator.names, so a new SLO in slo/ gets its row with no dashboard code, and a
changed tier moves its threshold line.
"""

from __future__ import annotations

from generator import durations, names
from generator.grafana import sdk
from generator.grafana.rows import ALERTS, FIRING, ident, num, sel
from generator.model import SLO, Service
from generator.tiers import ResolvedTier

FIRING_STATE = {"1": ("firing", sdk.RED)}


def objective(service: Service, slo: SLO) -> sdk.Cell:
    return sdk.stat(
        "Objective", f"The SLO's target: {num(slo.objective)}% of events good over {slo.period} "
        f"({names.OBJECTIVE}).", sdk.PERCENT_UNIT,
        [sdk.query(names.series(names.OBJECTIVE, service.name, slo.name), "objective")], width=4, height=6,
        decimals=3)


def sli(service: Service, slo: SLO) -> sdk.Cell:
    period = durations.fmt(slo.period_s)
    return sdk.stat(
        f"SLI over {period}", f"Share of good events over the rolling {period} period: 1 - {names.ERROR_RATIO} "
        f"at window {period}. Red below the objective. SLI: {slo.sli.describe()}.", sdk.PERCENT_UNIT,
        [sdk.query(f"1 - {names.series(names.ERROR_RATIO, service.name, slo.name, period)}", "SLI")],
        width=4, height=6, decimals=3, steps=[sdk.Step(sdk.RED), sdk.Step(sdk.GREEN, slo.objective / 100)])


def budget(service: Service, slo: SLO, width: int = 4) -> sdk.Cell:
    return sdk.gauge(
        f"Error budget left: {slo.name}", f"Share of the {slo.period} error budget "
        f"({num(100 - slo.objective)}% of events) not yet spent ({names.BUDGET_REMAINING}); negative when "
        "overspent.", sdk.PERCENT_UNIT,
        [sdk.query(names.series(names.BUDGET_REMAINING, service.name, slo.name), "budget left")],
        steps=[sdk.Step(sdk.RED), sdk.Step(sdk.ORANGE, 0), sdk.Step(sdk.GREEN, 0.25)],
        min_value=0, max_value=1, width=width)


def alert_state(service: Service, slo: SLO) -> sdk.Cell:
    expr = (f"max by (alertname, {names.SEVERITY}, {names.WINDOW}) "
            f"({sel(ALERTS, ident(service.name, slo.name), FIRING)})")
    return sdk.state_timeline(
        "Alerts firing", f"The SLO's alerts while they fire ({slo.alert_name}, {slo.absent_alert_name}, "
        f"{slo.exhausted_alert_name}), one lane per alert, severity and window.",
        [sdk.query(expr, "{{alertname}} {{severity}} {{window}}")], mapping=FIRING_STATE, width=12)


def tier_burn(service: Service, slo: SLO, tier: ResolvedTier) -> sdk.Cell:
    windows = [durations.fmt(w) for w in tier.windows]
    alerting = tier in slo.tiers
    both = " and ".join(windows)
    return sdk.timeseries(
        f"{tier.severity} {'/'.join(windows)}: burn rate (fires above {num(tier.factor)}x)",
        f"Burn rate ({names.BURN_RATE}) over the tier's {both} window(s); the dashed line is the tier's factor "
        f"{num(tier.factor)}: the {tier.severity} {'fires' if alerting else 'would fire (not alerting)'} "
        f"when {'both windows are' if len(windows) > 1 else 'the window is'} above it "
        f"({num(tier.budget_percent)}% of the budget spent at that rate).",
        sdk.TIMES, [sdk.query(names.series(names.BURN_RATE, service.name, slo.name, w), f"{w} window")
                    for w in windows],
        lines=[sdk.Step(sdk.RED if tier.severity == "page" else sdk.ORANGE, tier.factor)], min_value=0)


def row(service: Service, slo: SLO) -> sdk.Row:
    cells = [objective(service, slo), sli(service, slo), budget(service, slo), alert_state(service, slo)]
    cells += [tier_burn(service, slo, t) for t in slo.declared_tiers]
    return sdk.Row(f"{slo.name}: {num(slo.objective)}% over {slo.period}", cells)
