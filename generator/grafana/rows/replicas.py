"""Rollout Control's replica row: available, unavailable, desired and updated (new revision) replicas."""

from __future__ import annotations

from generator.grafana import sdk
from generator.grafana.rows import sel
from generator.grafana.rows.rollout import BY, ROLLOUT


def row() -> sdk.Row:
    queries = [sdk.query(f"{BY} ({sel(f'rollout_info_replicas_{kind}', ROLLOUT)})", kind)
               for kind in ("available", "unavailable", "desired", "updated")]
    return sdk.Row("Replicas", [
        sdk.timeseries("Replicas", "The rollout's replicas (rollout_info_replicas_*): unavailable above zero "
                       "for long means pods that do not become ready; updated counts the new revision's pods.",
                       sdk.COUNT, queries, width=24, min_value=0),
    ])
