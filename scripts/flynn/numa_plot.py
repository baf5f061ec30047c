"""The numa figure: load latency against the working set (log) with hwloc's caches marked and the
plateaus read off it, one line per page-size variant; heat maps of the NUMA latency and bandwidth
matrices with remote/local ratios."""

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn import names, stats
from flynn.results import Result, Run

VARIANTS = ("normal_pages", "thp", "hugetlb", "within_pages")
_CACHES = (("cache_l1d_bytes", "L1d"), ("cache_l2_bytes", "L2"), ("cache_l3_bytes", "L3"))

Point = tuple[names.BenchmarkName, Run]


def _median(run: Run, key: str) -> float | None:
    spread = stats.of(run, key)
    return spread.median if spread else None


def cache_levels(context: dict) -> list[tuple[str, int]]:
    levels = []
    for key, label in _CACHES:
        value = str(context.get(key, ""))
        if value.isdigit() and int(value) > 0:
            levels.append((label, int(value)))
    return levels


def plateaus(curve: list[tuple[int, float]], levels: list[tuple[str, int]]) -> dict[str, float]:
    """Median latency of each level's plateau: working sets that fit in half of the level but not
    in the level below, and for DRAM those at least 4x the last level. Levels without a point
    are left out."""
    found: dict[str, float] = {}
    below = 0
    for label, size in levels:
        inside = [ns for b, ns in curve if below < b <= size // 2]
        if inside:
            found[label] = float(np.median(inside))
        below = size
    dram = [ns for b, ns in curve if levels and b >= 4 * levels[-1][1]]
    if dram:
        found["DRAM"] = float(np.median(dram))
    return found


def _latency_panel(ax: Axes, points: list[Point], result: Result) -> str:
    levels = cache_levels(result.context)
    summary = ""
    for variant in [v for v in VARIANTS if any(n.variant == v for n, _ in points)]:
        curve = sorted((int(n.params["bytes"]), _median(r, "ns_per_load"))
                       for n, r in points if n.kernel == "chase" and n.variant == variant and r.repetitions)
        curve = [(b, ns) for b, ns in curve if ns]
        if not curve:
            continue
        ax.plot(*zip(*curve), marker=".", label=variant)
        if variant == "normal_pages":
            found = plateaus(curve, levels)
            summary = ", ".join(f"{label} {ns:.1f} ns" for label, ns in found.items())
    for label, size in levels:
        ax.axvline(size, color="grey", linestyle="--", linewidth=0.8)
        ax.text(size, 1, f" {label}", color="grey", transform=ax.get_xaxis_transform(), va="top", fontsize="small")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("working set (bytes, log; dashed: hwloc's cache sizes)")
    ax.set_ylabel("ns per dependent load")
    ax.set_title("pointer chase latency" + (f"\nplateaus (normal pages): {summary}" if summary else ""))
    if any(line.get_label() in VARIANTS for line in ax.lines):
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no chase in this run", ha="center", va="center", transform=ax.transAxes)
    return summary


def _matrix(points: list[Point], kernel: str, variant: str, key: str) -> tuple[list[int], dict, list[str]]:
    """Nodes, the median per measured (cpu node, memory node) pair or None for a skipped one,
    and the skip reasons."""
    rows = [(n, r) for n, r in points if n.kernel == kernel and n.variant == variant]
    nodes = sorted({int(n.params["cpu_node"]) for n, _ in rows} | {int(n.params["mem_node"]) for n, _ in rows})
    cells: dict[tuple[int, int], float | None] = {}
    for n, r in rows:
        cells[(int(n.params["cpu_node"]), int(n.params["mem_node"]))] = _median(r, key) if r.repetitions else None
    skipped = sorted({r.skip_reason for _, r in rows if r.skip_reason})
    return nodes, cells, skipped


def _heat_map(ax: Axes, points: list[Point], kernel: str, variant: str, key: str, scale: float, unit: str) -> None:
    nodes, cells, skipped = _matrix(points, kernel, variant, key)
    if not nodes:
        ax.set_axis_off()
        return
    values = np.full((len(nodes), len(nodes)), math.nan)
    for (cpu, mem), value in cells.items():
        if value is not None:
            values[nodes.index(cpu), nodes.index(mem)] = value / scale
    ax.imshow(values, cmap="viridis")
    for i, cpu in enumerate(nodes):
        local = values[i, i]
        for j, mem in enumerate(nodes):
            if math.isnan(values[i, j]):
                label = "skipped" if (cpu, mem) in cells else "not run"
                ax.text(j, i, label, ha="center", va="center", fontsize="x-small", color="grey")
                continue
            ratio = f"\n{values[i, j] / local:.2f}x local" if i != j and not math.isnan(local) else ""
            ax.text(j, i, f"{values[i, j]:.3g} {unit}{ratio}", ha="center", va="center", fontsize="small", color="white")
    ax.set_xticks(range(len(nodes)), nodes)
    ax.set_yticks(range(len(nodes)), nodes)
    ax.set_xlabel("memory node")
    ax.set_ylabel("CPU node")
    note = f"\n(skipped: {'; '.join(skipped)})" if skipped else ""
    ax.set_title(f"{kernel.removeprefix('matrix_')} {variant} ({unit}){note}", fontsize="medium")


def figure(result: Result, runs: list[Run]) -> Figure:
    points = [(names.parse(run.name), run) for run in runs]
    fig = Figure(figsize=(16, 11), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    _latency_panel(top.subplots(), points, result)
    latency, read, triad = bottom.subplots(1, 3)
    _heat_map(latency, points, "matrix_latency", "chase", "ns_per_load", 1, "ns")
    _heat_map(read, points, "matrix_bandwidth", "read", "bytes_per_second", 1e9, "GB/s")
    _heat_map(triad, points, "matrix_bandwidth", "triad", "bytes_per_second", 1e9, "GB/s")
    context = result.context
    fig.suptitle(f"memory latency and NUMA on {context.get('host_name', '?')}: {context.get('cpu_model', '')}; "
                 f"{context.get('topology_numa_nodes', '?')} NUMA node(s), THP {context.get('thp_mode', '?')}")
    return fig
