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


def _si(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _finite(value: float) -> bool:
    return math.isfinite(value) and value > 0


def figure(ceilings: Sequence[Ceiling], points: Sequence[RooflinePoint], title: str = "") -> Figure | None:
    """None when there is nothing measured to draw."""
    compute = sorted((c for c in ceilings if c.kind == "compute" and _finite(c.value)), key=lambda c: -c.value)
    memory = sorted((c for c in ceilings if c.kind == "memory" and _finite(c.value)), key=lambda c: -c.value)
    placed = [p for p in points if _finite(p.flops_per_byte) and _finite(p.flops_per_second)]
    if not compute and not memory and not placed:
        return None
    low, high = _X_RANGE
    if placed:
        low = min(low, min(p.flops_per_byte for p in placed) / 2)
        high = max(high, max(p.flops_per_byte for p in placed) * 2)
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    axes = figure.add_subplot()
    axes.set_xscale("log")
    axes.set_yscale("log")
    top = compute[0].value if compute else None
    widest = memory[0].value if memory else None
    # Each bandwidth roof: from the left edge up to the highest compute peak (or the right edge).
    for index, ceiling in enumerate(memory):
        end = top / ceiling.value if top else high
        end = min(max(end, low), high)
        axes.plot([low, end], [ceiling.value * low, ceiling.value * end], color="tab:red",
                  linewidth=2 if index == 0 else 1.2, alpha=1 if index == 0 else 0.65)
        axes.annotate(f"{ceiling.label}: {_si(ceiling.value, 'B/s')}", (low * 1.15, ceiling.value * low * 1.15),
                      rotation=0, fontsize=8, color="tab:red", va="bottom")
    # Each compute roof: from where the widest bandwidth meets it to the right edge.
    for index, ceiling in enumerate(compute):
        start = ceiling.value / widest if widest else low
        start = min(max(start, low), high)
        axes.plot([start, high], [ceiling.value, ceiling.value], color="tab:purple",
                  linewidth=2 if index == 0 else 1.2, alpha=1 if index == 0 else 0.65)
        axes.annotate(f"{ceiling.label}: {_si(ceiling.value, 'FLOP/s')}", (high / 1.1, ceiling.value * 1.04),
                      fontsize=8, color="tab:purple", ha="right", va="bottom")
    if top and widest:
        ridge = top / widest
        axes.axvline(ridge, color="grey", linestyle=":", linewidth=1)
        axes.annotate(f"ridge {ridge:.2g} flop/B", (ridge * 1.05, top / 60), fontsize=7, color="grey", rotation=90)
    for index, point in enumerate(placed):
        axes.scatter(point.flops_per_byte, point.flops_per_second, s=40, zorder=3,
                     marker=_MARKERS[index % len(_MARKERS)], color=_AREA_COLOURS.get(point.area, "tab:gray"),
                     edgecolors="black", linewidths=0.5,
                     label=f"{point.label}: {_si(point.flops_per_second, 'FLOP/s')}")
    values = [c.value for c in compute] + [p.flops_per_second for p in placed]
    values += [c.value * low for c in memory]
    if compute:
        values.append(compute[0].value * 2)
    axes.set_xlim(low, high)
    axes.set_ylim(min(values) / 3, max(values) * 2.5)
    axes.set_xlabel("arithmetic intensity (flop per byte moved)")
    axes.set_ylabel("FLOP/s")
    axes.grid(True, which="major", alpha=0.3)
    axes.set_title(f"Roofline{': ' + title if title else ''}  (red: memory roofs, purple: compute peaks)",
                   fontsize=10)
    if placed:
        axes.legend(fontsize=7, loc="lower right", ncol=1 if len(placed) <= 12 else 2)
    return figure
