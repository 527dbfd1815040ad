"""Detection-time plots for out/docs: one PNG per SLO, the SRE Workbook's figure.

Detection time (minutes, log scale) against a constant error ratio (log scale, from the
lowest tier threshold to 100% errors), one line per alerting tier; the numbers come from
generator/report.py. Rendered with matplotlib's Agg canvas on a Figure of its own (no
pyplot, no global figure state), with matplotlib's built-in defaults rather than any
matplotlibrc, fixed margins, size and dpi, and no Software/date metadata: the same
declarations give byte-identical PNGs (for a given matplotlib, Pillow and FreeType).

Cost: about 0.13-0.19 s per PNG, plus ~0.5 s to import matplotlib and load its fonts once
(only when a PNG is rendered); rules and tests for Maestro's 3 SLOs take ~0.04 s. tight_layout,
mathtext tick labels and dense minor ticks are avoided: they doubled it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from generator.report import SLOQuality, TierQuality, detection_curve, percent

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100
# Line styles by severity; colours from a fixed list in tier order.
STYLE = {"page": "-", "ticket": (0, (4, 4))}
COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _label(t: TierQuality) -> str:
    return (f"{t.severity} {t.windows}: {t.factor:.4g}x, threshold {percent(t.threshold)}, "
            f"{percent(t.budget_consumed)} of budget")


def _minutes(y: float, _pos: object = None) -> str:
    return f"{y:g}"


def _render(q: SLOQuality) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    tiers = [t for t in q.tiers if t.can_fire]
    # Tiers that spend the same share of the budget have the same curve (T = share x P x B / e): a later
    # one is drawn thin with dots on top of the earlier one, so both show, and the legend says so.
    drawn: dict[tuple[float, int], list[str]] = {}
    for i, t in enumerate(tiers):
        xs, ys = detection_curve(t)
        same = drawn.setdefault((round(t.budget_consumed, 9), t.for_s), [])
        colour = COLOURS[i % len(COLOURS)]
        if same:
            ax.plot(xs, ys, linestyle="-", linewidth=1, marker="o", markersize=4, markevery=(i % 4, 6),
                    color=colour, label=_label(t) + f" (same curve as {same[-1]})")
        else:
            ax.plot(xs, ys, linestyle=STYLE.get(t.severity, "-"), linewidth=2, color=colour, label=_label(t))
        same.append(f"{t.severity} {t.windows}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if tiers:
        ax.set_xlim(min(t.threshold for t in tiers), 1.0)
        ax.legend(loc="upper right", fontsize="small", frameon=True)
    else:
        ax.set_xlim(1e-3, 1.0)
        ax.set_ylim(1, 10)
        ax.text(0.5, 0.5, "no tier can fire", transform=ax.transAxes, ha="center", va="center")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: percent(x)))
    ax.yaxis.set_major_formatter(FuncFormatter(_minutes))
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # 1%, 2%, 5%, 10%, ...
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))  # few minor ticks: Ticks are costly
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="major", linestyle="-", linewidth=0.6, alpha=0.6)
    ax.grid(True, which="minor", linestyle=":", linewidth=0.4, alpha=0.4)
    ax.set_xlabel("error rate (constant, from onset)")
    ax.set_ylabel("detection time (minutes)")
    ax.set_title(f"{q.title} (error budget {percent(q.budget)})\n"
                 "time to detect a constant error rate, per alert tier", fontsize="medium")
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.89)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def detection_pngs(qualities: Iterable[SLOQuality]) -> list[bytes]:
    """One PNG per SLO, in order."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # ignore any matplotlibrc: the image depends on the declarations only
        return [_render(q) for q in qualities]


def detection_png(q: SLOQuality) -> bytes:
    return detection_pngs([q])[0]
