"""OpenSLO AlertPolicies and AlertConditions -> obsgen tiers.

An AlertPolicy holds one burn-rate condition (OpenSLO allows one per policy), so an SLO's
policies are its tiers: `threshold` is the burn factor, `lookbackWindow` the long window and
`severity` page or ticket. OpenSLO has no short window; obsgen adds the Workbook's long/12
(1h -> 5m, 6h -> 30m, 1d -> 2h, 3d -> 6h), which lets a tier reset minutes after a burn
stops instead of hours; below 5m it would be noise, so such a tier keeps a single window.
`alertAfter` becomes the burn alerts' `for:`, which obsgen sets per SLO, so an SLO's
policies must agree on it. Routing is obsgen's (alerts/): notificationTargets are not read.
"""

from __future__ import annotations

from typing import Any

from generator import durations
from generator.errors import SpecError
from generator.loaders.openslo.documents import Catalog, Doc, flag, items, mapping, number, text
from generator.model import MIN_WINDOW
from generator.tiers import SEVERITIES, Tier

POLICY_KEYS = ("description", "alertWhenNoData", "alertWhenResolved", "alertWhenBreaching", "conditions",
               "notificationTargets")
CONDITION_SPEC_KEYS = ("description", "severity", "condition")
CONDITION_KEYS = ("kind", "op", "threshold", "lookbackWindow", "alertAfter")
INLINE_KEYS = ("kind", "metadata", "spec")
SHORT_DIVISOR = 12  # SRE Workbook ch. 5: the short window is 1/12 of the long one


def shorthand(value: object, field: str, doc: Doc, slo: str) -> int:
    """Seconds in an OpenSLO duration-shorthand; months, quarters and years are calendar units."""
    raw = text(value, field, doc, slo)
    if raw[-1:] in ("M", "Q", "Y"):
        raise doc.error(f"{raw!r} is a calendar unit; obsgen's windows are rolling: use m, h, d or w",
                        field, slo=slo)
    try:
        return durations.parse(raw)
    except ValueError as exc:
        raise doc.error(str(exc), field, slo=slo) from None


def short_window(long_s: int) -> str | None:
    short_s = long_s // SHORT_DIVISOR // 60 * 60
    return durations.fmt(short_s) if short_s >= MIN_WINDOW else None


def _inline_or_ref(value: object, kind: str, ref_key: str, field: str, doc: Doc, catalog: Catalog,
                   slo: str) -> tuple[Doc, Any, str]:
    """(document holding the object, its spec, the field path of that spec)."""
    if isinstance(value, dict) and ref_key in value:
        mapping(value, field, (ref_key,), doc, slo)
        target = catalog.ref(kind, value[ref_key], doc, f"{field}.{ref_key}", slo)
        return target, target.spec, "spec"
    block = mapping(value, field, INLINE_KEYS, doc, slo)
    if block.get("kind", kind) != kind:
        raise doc.error(f"must be an {kind} or a {ref_key}", f"{field}.kind", slo=slo)
    return doc, block.get("spec"), f"{field}.spec"


def _condition(value: object, field: str, doc: Doc, catalog: Catalog, slo: str) -> tuple[Tier, int]:
    holder, spec, where = _inline_or_ref(value, "AlertCondition", "conditionRef", field, doc, catalog, slo)
    block = mapping(spec, where, CONDITION_SPEC_KEYS, holder, slo)
    severity = text(block.get("severity"), f"{where}.severity", holder, slo)
    if severity.lower() not in SEVERITIES:
        raise holder.error(f"{severity!r}: obsgen's severities are page and ticket (they route to the team's "
                           "pager and ticket receivers)", f"{where}.severity", slo=slo)
    cond = mapping(block.get("condition"), f"{where}.condition", CONDITION_KEYS, holder, slo)
    kind = cond.get("kind", "burnrate")
    if kind != "burnrate":
        raise holder.error(f"{kind!r} is not supported: obsgen alerts on burn rates (kind: burnrate)",
                           f"{where}.condition.kind", slo=slo)
    op = cond.get("op")
    if op not in ("gt", "gte"):
        raise holder.error(f"{op!r}: a burn-rate alert fires when the burn rate is above the threshold; "
                           "use gt or gte", f"{where}.condition.op", slo=slo)
    factor = number(cond.get("threshold"), f"{where}.condition.threshold", holder, slo)
    if factor <= 0:
        raise holder.error("must be a positive burn rate", f"{where}.condition.threshold", slo=slo)
    long_s = shorthand(cond.get("lookbackWindow"), f"{where}.condition.lookbackWindow", holder, slo)
    after = cond.get("alertAfter")
    after_s = 0 if after in (None, "0m", "0s", "0h") else shorthand(after, f"{where}.condition.alertAfter", holder,
                                                                    slo)
    tier = Tier(severity.lower(), durations.fmt(long_s), short_window(long_s), factor=factor)
    try:
        tier.validate(where)
    except SpecError as exc:  # re-located in this document
        raise holder.error(exc.message, f"{where}.condition", slo=slo) from None
    return tier, after_s


def _policy(value: object, field: str, doc: Doc, catalog: Catalog, slo: str) -> tuple[Tier, int]:
    holder, spec, where = _inline_or_ref(value, "AlertPolicy", "alertPolicyRef", field, doc, catalog, slo)
    block = mapping(spec, where, POLICY_KEYS, holder, slo)
    for key in ("alertWhenNoData", "alertWhenResolved"):
        flag(block.get(key), f"{where}.{key}", holder, slo)  # obsgen always does both (absent-data ticket)
    if flag(block.get("alertWhenBreaching"), f"{where}.alertWhenBreaching", holder, slo) is False:
        raise holder.error("false would make a policy that never alerts on a burn; remove the policy instead",
                           f"{where}.alertWhenBreaching", slo=slo)
    items(block.get("notificationTargets"), f"{where}.notificationTargets", holder, slo)
    conditions = items(block.get("conditions"), f"{where}.conditions", holder, slo)
    if len(conditions) != 1:
        raise holder.error(f"holds {len(conditions)} conditions; an OpenSLO AlertPolicy holds exactly one "
                           "(declare one policy per tier)", f"{where}.conditions", slo=slo)
    return _condition(conditions[0], f"{where}.conditions[0]", holder, catalog, slo)


def read(value: object, doc: Doc, catalog: Catalog, slo: str) -> tuple[tuple[Tier, ...], str | None] | None:
    """(tiers, for) from spec.alertPolicies; None when the SLO declares none (default tiers apply)."""
    policies = items(value, "spec.alertPolicies", doc, slo)
    if not policies:
        return None
    tiers: list[Tier] = []
    afters: set[int] = set()
    for i, policy in enumerate(policies):
        tier, after_s = _policy(policy, f"spec.alertPolicies[{i}]", doc, catalog, slo)
        same = [j for j, t in enumerate(tiers) if (t.severity, t.long_window) == (tier.severity, tier.long_window)]
        twin = same[0] if same else None
        if twin is not None:
            raise doc.error(f"alerts at severity {tier.severity} over {tier.long_window} like alertPolicies[{twin}]; "
                            "one tier per severity and window", f"spec.alertPolicies[{i}]", slo=slo)
        tiers.append(tier)
        afters.add(after_s)
    if len(afters) > 1:
        raise doc.error("the policies' conditions give different alertAfter values; obsgen applies one for: to "
                        "all of an SLO's burn alerts", "spec.alertPolicies", slo=slo)
    after = afters.pop()
    return tuple(tiers), (durations.fmt(after) if after else None)
