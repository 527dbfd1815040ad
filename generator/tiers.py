"""Multi-window multi-burn-rate tiers (SRE Workbook ch. 5), Sloth-compatible.

A tier is declared as the share of the period's error budget it may consume
before it fires over its long window; the burn factor follows from the period
(factor = budget% x period hours / 100 / long-window hours), so 30d gives
14.4/6/3/1 and 28d 13.44/5.6/2.8/0.933 exactly as Sloth's AlertWindows do.
A tier may instead name its factor directly (the runbook's "burn > 1x over 4h").
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import durations
from generator.errors import SpecError

SEVERITIES = ("page", "ticket")


@dataclass(frozen=True)
class Tier:
    severity: str
    long_window: str
    short_window: str | None = None
    budget_percent: float | None = None
    factor: float | None = None

    def validate(self, where: str) -> None:
        if self.severity not in SEVERITIES:
            raise SpecError(f"severity {self.severity!r} must be page or ticket", field=f"{where}.severity")
        for name in ("long_window", "short_window"):
            value = getattr(self, name)
            if value is None and name == "short_window":
                continue
            try:
                durations.parse(value)
            except ValueError as exc:
                raise SpecError(str(exc), field=f"{where}.{name}") from None
        if self.short_window is not None and \
                durations.parse(self.short_window) >= durations.parse(self.long_window):
            raise SpecError("short_window must be shorter than long_window", field=f"{where}.short_window")
        if (self.budget_percent is None) == (self.factor is None):
            raise SpecError("give exactly one of budget_percent and factor", field=where)
        value = self.budget_percent if self.budget_percent is not None else self.factor
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise SpecError(f"{value!r} must be a positive number", field=where)


@dataclass(frozen=True)
class ResolvedTier:
    """A tier with its factor fixed for one SLO's period."""

    severity: str
    factor: float
    long_s: int
    short_s: int | None
    budget_percent: float

    @property
    def long(self) -> str:
        return durations.fmt(self.long_s)

    @property
    def short(self) -> str | None:
        return durations.fmt(self.short_s) if self.short_s else None

    @property
    def windows(self) -> tuple[int, ...]:
        return (self.long_s,) if self.short_s is None else (self.long_s, self.short_s)


def resolve(tier: Tier, period_s: int) -> ResolvedTier:
    long_s = durations.parse(tier.long_window)
    short_s = durations.parse(tier.short_window) if tier.short_window else None
    hours = period_s / 3600
    if tier.factor is not None:
        factor = float(tier.factor)
        percent = factor * (long_s / 3600) * 100 / hours
    else:
        percent = float(tier.budget_percent or 0)
        factor = percent * hours / 100 / (long_s / 3600)
    return ResolvedTier(tier.severity, factor, long_s, short_s, percent)


# Sloth's defaults (and the Workbook's): the same budget shares for any period.
DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("page", "1h", "5m", budget_percent=2),
    Tier("page", "6h", "30m", budget_percent=5),
    Tier("ticket", "1d", "2h", budget_percent=10),
    Tier("ticket", "3d", "6h", budget_percent=10),
)


def from_alert_windows(doc: object, source: str) -> tuple[str, tuple[Tier, ...]]:
    """Read a Sloth `AlertWindows` spec: (sloPeriod, tiers)."""
    if not isinstance(doc, dict) or doc.get("kind") != "AlertWindows":
        raise SpecError("is not a Sloth AlertWindows spec (kind: AlertWindows)", file=source, field="kind")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise SpecError("is missing", file=source, field="spec")
    period = spec.get("sloPeriod")
    try:
        durations.parse(period)
    except ValueError as exc:
        raise SpecError(str(exc), file=source, field="spec.sloPeriod") from None
    tiers = []
    for severity in SEVERITIES:
        block = spec.get(severity)
        if not isinstance(block, dict):
            raise SpecError("is missing", file=source, field=f"spec.{severity}")
        for speed in ("quick", "slow"):
            w = block.get(speed)
            if not isinstance(w, dict):
                raise SpecError("is missing", file=source, field=f"spec.{severity}.{speed}")
            tier = Tier(severity, w.get("longWindow"), w.get("shortWindow"),
                        budget_percent=w.get("errorBudgetPercent"))
            try:
                tier.validate(f"spec.{severity}.{speed}")
            except SpecError as exc:
                raise exc.located(file=source) from None
            tiers.append(tier)
    return str(period), tuple(tiers)
