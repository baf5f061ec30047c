"""The roofline as the Empirical Roofline Toolkit draws it: log-log, FLOP/s over arithmetic
intensity; each measured bandwidth a slanted roof up to where it meets the highest compute peak,
each compute peak a flat roof from where the highest bandwidth meets it; the kernels as points."""

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)

from flynn.findings import Ceiling, RooflinePoint  # noqa: E402

# The intensity range drawn, in flop/byte, widened to take every point: from streaming kernels
# (1/24 for a double triad) to far past the ridge of any CPU (tens of flop/byte).
_X_RANGE = (1 / 64, 64.0)
_MARKERS = "osD^v<>p*h"
_AREA_COLOURS = {"simd": "tab:blue", "mimd": "tab:orange", "numa": "tab:green"}
# Roofs closer than this ratio are drawn as one, with the count of the others in its label.
_SAME = 1.12
# The least distance between two roof labels, in decades of the y axis (about a line of 8 pt text).
_LABEL_GAP = 0.09


def _si(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _merged(ceilings: list[Ceiling]) -> list[tuple[Ceiling, int]]:
    """Roofs within _SAME of a higher one are one roof: fourteen FMA peaks at five distinct
    heights would otherwise print their labels over each other. Highest first, with the count merged."""
    kept: list[tuple[Ceiling, int]] = []
    for ceiling in ceilings:
        if kept and kept[-1][0].value <= ceiling.value * _SAME:
            kept[-1] = (kept[-1][0], kept[-1][1] + 1)
        else:
            kept.append((ceiling, 0))
    return kept


def _apart(heights: list[float], gap: float) -> list[float]:
    """Label heights (log10) moved down, in order, until each is `gap` below the one above it."""
    placed: list[float] = []
    for height in heights:
        placed.append(min(height, placed[-1] - gap) if placed else height)
    return placed


def _label(ceiling: Ceiling, merged: int, unit: str) -> str:
    more = f" (+{merged} within {(_SAME - 1) * 100:.0f}%)" if merged else ""
    return f"{ceiling.label}: {_si(ceiling.value, unit)}{more}"


def figure(ceilings: Sequence[Ceiling], points: Sequence[RooflinePoint], title: str = "") -> Figure | None:
    """None when there is nothing measured to draw."""
    compute = _merged(sorted((c for c in ceilings if c.kind == "compute" and _finite(c.value)), key=lambda c: -c.value))
    memory = _merged(sorted((c for c in ceilings if c.kind == "memory" and _finite(c.value)), key=lambda c: -c.value))
    placed = [p for p in points if _finite(p.flops_per_byte) and _finite(p.flops_per_second)]
    if not compute and not memory and not placed:
        return None
    low, high = _X_RANGE
    if placed:
        low = min(low, min(p.flops_per_byte for p in placed) / 2)
        high = max(high, max(p.flops_per_byte for p in placed) * 2)
    # Fixed margins, not a layout engine: the legend's place is known, and a constrained layout
    # of dozens of legend entries costs more than the rest of the figure.
    figure = Figure(figsize=(13, 6.5))
    axes = figure.add_axes((0.06, 0.08, 0.55, 0.86))
    axes.set_xscale("log")
    axes.set_yscale("log")
    top = compute[0][0].value if compute else None
    widest = memory[0][0].value if memory else None
    # Each bandwidth roof: from the left edge up to the highest compute peak (or the right edge).
    heights = _apart([math.log10(c.value * low * 1.15) for c, _ in memory], _LABEL_GAP)
    for index, ((ceiling, merged), height) in enumerate(zip(memory, heights)):
        end = top / ceiling.value if top else high
        end = min(max(end, low), high)
        axes.plot([low, end], [ceiling.value * low, ceiling.value * end], color="tab:red",
                  linewidth=2 if index == 0 else 1.2, alpha=1 if index == 0 else 0.65)
        axes.annotate(_label(ceiling, merged, "B/s"), (low * 1.15, 10**height), fontsize=8, color="tab:red", va="bottom")
    # Each compute roof: from where the widest bandwidth meets it to the right edge.
    heights = _apart([math.log10(c.value * 1.04) for c, _ in compute], _LABEL_GAP)
    for index, ((ceiling, merged), height) in enumerate(zip(compute, heights)):
        start = ceiling.value / widest if widest else low
        start = min(max(start, low), high)
        axes.plot([start, high], [ceiling.value, ceiling.value], color="tab:purple",
                  linewidth=2 if index == 0 else 1.2, alpha=1 if index == 0 else 0.65)
        axes.annotate(_label(ceiling, merged, "FLOP/s"), (high / 1.1, 10**height), fontsize=8, color="tab:purple",
                      ha="right", va="bottom")
    if top and widest:
        # Named, since a ridge is a pair of roofs: the highest one's (L1) sits far left of the
        # DRAM ridge a reader usually means, which is drawn too.
        ridges = [(memory[0][0], 1.0)]
        if len(memory) > 1:
            ridges.append((memory[-1][0], 4.0))
        for roof, lower in ridges:
            ridge = top / roof.value
            axes.axvline(ridge, color="grey", linestyle=":", linewidth=1)
            axes.annotate(f"ridge {ridge:.2g} flop/B ({roof.label} / {compute[0][0].label})",
                          (ridge * 1.05, top / 60 / lower), fontsize=7, color="grey", rotation=90)
    for index, point in enumerate(placed):
        axes.scatter(point.flops_per_byte, point.flops_per_second, s=40, zorder=3,
                     marker=_MARKERS[index % len(_MARKERS)], color=_AREA_COLOURS.get(point.area, "tab:gray"),
                     edgecolors="black", linewidths=0.5,
                     label=f"{point.label}: {_si(point.flops_per_second, 'FLOP/s')}")
    values = [c.value for c, _ in compute] + [p.flops_per_second for p in placed]
    values += [c.value * low for c, _ in memory]
    if compute:
        values.append(compute[0][0].value * 2)
    axes.set_xlim(low, high)
    axes.set_ylim(min(values) / 3, max(values) * 2.5)
    axes.set_xlabel("arithmetic intensity (flop per byte moved)")
    axes.set_ylabel("FLOP/s")
    axes.grid(True, which="major", alpha=0.3)
    axes.set_title(f"Roofline{': ' + title if title else ''}  (red: memory roofs, purple: compute peaks)",
                   fontsize=10)
    if placed:
        # Beside the plot, not over it: a run places dozens of kernels.
        axes.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                    ncol=1 if len(placed) <= 24 else 2, title="kernels (blue simd, orange mimd)", title_fontsize=7)
    return figure
