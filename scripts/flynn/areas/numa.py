"""The numa area: load latency per memory level with the levels found from the latency curve
itself, DRAM latency as MLC and multichase define it, what TLB misses and huge pages change,
loaded against idle latency, bandwidth, and remote/local ratios where there are several nodes;
and its figure, which draws those readings."""

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn.areas import counted
from flynn.areas.common import (
    Point, clock, context_int, finding, median, missing, points, si, size_text, trust,
)
from flynn.findings import Ceiling, Finding, ReadingOptions, RooflinePoint, Trust
from flynn import results
from flynn.results import Result, Run

AREA = "numa"
VARIANTS = ("page_groups", "normal_pages", "thp", "hugetlb", "within_pages")
# The curve the levels are found on, best first: page_groups keeps every page's TLB entry warm and
# defeats the line prefetcher, so its steps are the caches' own; normal_pages is the plain chase.
DETECTION_VARIANTS = ("page_groups", "normal_pages", "thp", "within_pages")
DRAM_VARIANT = "page_groups"
_HWLOC = (("cache_l1d_bytes", "L1"), ("cache_l2_bytes", "L2"), ("cache_l3_bytes", "L3"))
# A step between two levels: latency at least this factor higher from one size to the next, and
# the largest rise among its neighbours (the middle of a transition spread over several sizes).
STEP_RATIO = 1.5
# No cache of a current x86 core takes 50 ns for a load (L3 misses on one die: 10-40 ns); DRAM
# takes 60 ns and more. A plateau above this is memory, whatever hwloc says the caches are.
DRAM_MIN_NS = 50.0
# hwloc's size and the curve's step disagree when they are further apart than this factor.
DISAGREE_FACTOR = 2.0
# Where a matrix's cell counts as placed: the harness itself fails a cell below 99%.
PLACED_PCT = 99.0


@dataclass(frozen=True)
class Level:
    """A plateau of the latency curve: a cache level or DRAM."""

    name: str  # "L1", "L2", "L3", "DRAM"
    first: int  # smallest working set on the plateau (bytes)
    last: int  # largest working set on it
    ns: float  # median latency of its points
    # The level's capacity as the curve shows it: the geometric middle of the step to the next
    # level (None for the last level, which the sweep never leaves).
    size: float | None
    step: tuple[int, int] | None  # the working sets either side of that step


def curve(pts: list[Point], kernel: str, variant: str, key: str = "ns_per_load") -> list[tuple[int, float]]:
    found = []
    for point in pts:
        size = point.param("bytes")
        if point.name.kernel == kernel and point.name.variant == variant and size and point.run.repetitions:
            value = median(point.run, key)
            if value and value > 0:
                found.append((size, value))
    return sorted(found)


def steps(sweep: list[tuple[int, float]]) -> list[int]:
    """Indices i where the latency steps from sweep[i] to sweep[i + 1]: a rise of at least
    STEP_RATIO that is the largest among its neighbours, on log latency over log size."""
    rises = [math.log(b / a) for (_, a), (_, b) in zip(sweep, sweep[1:])]
    found = []
    for i, rise in enumerate(rises):
        left = rises[i - 1] if i > 0 else -math.inf
        right = rises[i + 1] if i + 1 < len(rises) else -math.inf
        if rise >= math.log(STEP_RATIO) and rise >= left and rise > right:
            found.append(i)
    return found


def levels(sweep: list[tuple[int, float]], hwloc_caches: int = 3) -> list[Level]:
    """The plateaus between the steps, named L1, L2, ... in order; those above DRAM_MIN_NS are one
    DRAM level. hwloc's count of caches is not used: under a hypervisor it may be invented."""
    if len(sweep) < 2:
        return []
    cuts = steps(sweep)
    bounds = [0, *(i + 1 for i in cuts), len(sweep)]
    plateaus = [sweep[a:b] for a, b in zip(bounds, bounds[1:])]
    dram_from = next((k for k, plateau in enumerate(plateaus)
                      if float(np.median([ns for _, ns in plateau])) >= DRAM_MIN_NS), None)
    if dram_from is not None:
        plateaus = plateaus[:dram_from] + [[p for plateau in plateaus[dram_from:] for p in plateau]]
    found = []
    for k, plateau in enumerate(plateaus):
        name = "DRAM" if dram_from is not None and k == len(plateaus) - 1 else f"L{k + 1}"
        following = plateaus[k + 1][0][0] if k + 1 < len(plateaus) else None
        last = plateau[-1][0]
        found.append(Level(
            name, plateau[0][0], last, float(np.median([ns for _, ns in plateau])),
            math.sqrt(last * following) if following else None,
            (last, following) if following else None,
        ))
    return found


def hwloc_sizes(result: Result) -> dict[str, int]:
    return {label: size for key, label in _HWLOC if (size := context_int(result, key))}


@dataclass(frozen=True)
class LevelReading:
    """The levels of one result and where they came from, for the readings and the figure."""

    variant: str | None
    levels: list[Level]
    hwloc: dict[str, int]


def read_levels(result: Result, pts: list[Point]) -> LevelReading:
    hwloc = hwloc_sizes(result)
    for variant in DETECTION_VARIANTS:
        sweep = curve(pts, "chase", variant)
        if len(sweep) >= 4:
            return LevelReading(variant, levels(sweep, len(hwloc) or 3), hwloc)
    return LevelReading(None, [], hwloc)


def levels_of(result: Result) -> LevelReading:
    """The levels of a result's numa rows, for another area's readings (simd reads its L1 point
    and its bandwidth per level with them)."""
    return read_levels(result, points(results.runs_by_area(result).get(AREA, [])))


def _run_at(pts: list[Point], kernel: str, variant: str, size: int) -> Run | None:
    for point in pts:
        if point.name.kernel == kernel and point.name.variant == variant and point.param("bytes") == size:
            return point.run
    return None


def _largest(pts: list[Point], kernel: str, variant: str) -> Point | None:
    rows = [p for p in pts if p.name.kernel == kernel and p.name.variant == variant and p.param("bytes")]
    measured = [p for p in rows if p.run.repetitions]
    return max(measured or rows, key=lambda p: p.param("bytes") or 0, default=None)


def _cycles(ns: float, hz: float | None) -> str:
    return f", {ns * hz / 1e9:.0f} cycles" if hz else ""


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    found: list[Finding] = []
    found += _level_readings(result, pts, options)
    found += _dram_readings(result, pts, options)
    found += _bandwidth_readings(pts, options)
    found += _remote_readings(result, pts, options)
    return found


def _level_readings(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    reading = read_levels(result, pts)
    if reading.variant is None:
        return [missing(AREA, "levels", "memory levels from the latency curve",
                        "no chase sweep with four or more measured sizes in this result")]
    hz, clock_source = clock(result)
    found = []
    caches = [level for level in reading.levels if level.name != "DRAM"]
    last_cache = caches[-1].name if caches else None
    for level in reading.levels:
        key = level.name.lower()
        span = f"{size_text(level.first)}-{size_text(level.last)}"
        runs = [r for size in (level.first, level.last)
                if (r := _run_at(pts, "chase", reading.variant, size)) is not None]
        if level.name != "DRAM":
            # The CPU's counts at the plateau's smallest working set, where a PMU counted them: the
            # largest may fill the level to its last way.
            proof, failed = counted.level(runs[0], level.name) if runs else (None, None)
            found.append(finding(
                AREA, f"level/{key}/latency", f"{level.name} load latency ({reading.variant} chase, {span})",
                level.ns, "ns",
                meaning=(f"a dependent load served by {level.name} takes {level.ns:.3g} ns"
                         f"{_cycles(level.ns, hz)}: the plateau of the curve from {span}"
                         + (f"; {proof}" if proof and not failed else "")),
                trust=trust(runs, "ns_per_load", options, proof, failed),
                headline=True,
            ))
            found.append(finding(
                AREA, f"level/{key}/cycles", f"{level.name} load latency in cycles",
                level.ns * hz / 1e9 if hz else None, "cycles", limit_source=clock_source,
                meaning=f"the {level.name} plateau in core cycles, with the harness's clock estimate",
                trust=trust(runs, "ns_per_load", options) if hz else Trust("unknown", note=clock_source),
            ))
        if level.size is None:
            continue
        hwloc = reading.hwloc.get(level.name)
        low, high = level.step or (0, 0)
        note = None
        if hwloc and not (hwloc / DISAGREE_FACTOR <= level.size <= hwloc * DISAGREE_FACTOR):
            note = (f"disagrees with hwloc: hwloc reports {size_text(hwloc)} for {level.name}, the curve "
                    f"steps between {size_text(low)} and {size_text(high)}; the levels here are the curve's "
                    "(under a hypervisor hwloc's sizes can be invented)")
        # The card shows the label and the status only: the step's bracket (the value is only its
        # geometric middle, which no one can check) and a disagreement with hwloc, the reason this
        # figure is a headline, must be in the label, not only in the meaning and the trust note.
        bracket = f"{size_text(low)}-{size_text(high)}"
        label = (f"{level.name} size: steps at {bracket}, hwloc {size_text(hwloc)}" if note and hwloc
                 else f"{level.name} size: the latency steps at {bracket}")
        found.append(finding(
            AREA, f"level/{key}/size", label, level.size, "B",
            limit=float(hwloc) if hwloc else None,
            limit_source=f"hwloc's {level.name} size (context)" if hwloc else f"hwloc reports no {level.name}",
            meaning=(f"past {size_text(low)} and by {size_text(high)} the chase no longer fits in "
                     f"{level.name}" + (f" (hwloc: {size_text(hwloc)})" if hwloc else "")),
            trust=trust(runs, "ns_per_load", options, note=note),
            headline=note is not None or level.name == last_cache,
        ))
    if not any(level.name == "DRAM" for level in reading.levels):
        found.append(missing(AREA, "level/dram/latency", "DRAM plateau",
                             f"the {reading.variant} sweep ends at {size_text(max(l.last for l in reading.levels))} "
                             "without reaching a DRAM plateau", "unknown"))
    return found


def _dram_readings(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    hz, _ = clock(result)
    found: list[Finding] = []
    groups = _largest(pts, "chase", DRAM_VARIANT)
    normal = _largest(pts, "chase", "normal_pages")
    within = _largest(pts, "chase", "within_pages")
    dram_ns: float | None = None
    dram_source = ""
    if groups is not None and groups.run.repetitions:
        size = groups.param("bytes") or 0
        dram_ns = median(groups.run, "ns_per_load")
        dram_source = groups.run.name
        proof, failed = counted.dram(groups.run)
        found.append(finding(
            AREA, "dram/latency", f"DRAM latency (page_groups chase, {size_text(size)})", dram_ns, "ns",
            meaning=(f"a load that misses every cache takes {dram_ns:.3g} ns{_cycles(dram_ns or 0, hz)}, "
                     "measured as multichase and MLC do: random lines within TLB-covered 256 KiB groups"
                     + (f"; {proof}" if proof and not failed else "")),
            trust=trust([groups.run], "ns_per_load", options, proof, failed),
            headline=True,
        ))
    elif normal is not None and normal.run.repetitions:
        size = normal.param("bytes") or 0
        dram_ns = median(normal.run, "ns_per_load")
        dram_source = normal.run.name
        within_ns = median(within.run, "ns_per_load") if within is not None and within.run.repetitions else None
        bound = f"; within_pages reads {within_ns:.3g} ns, a lower bound" if within_ns else ""
        why = ("numa/chase/page_groups/bytes:<n> is absent from this result (a build before it, or "
               f"filtered out): DRAM latency falls back on normal_pages at {size_text(size)}, an upper "
               f"bound that includes page walks{bound}")
        proof, failed = counted.dram(normal.run)
        found.append(finding(
            AREA, "dram/latency", f"DRAM latency (FALLBACK: normal_pages chase, {size_text(size)})", dram_ns, "ns",
            meaning=(f"a load that misses every cache and the TLB takes {dram_ns:.3g} ns"
                     f"{_cycles(dram_ns or 0, hz)}; without page_groups the page walks are not separated"),
            # Not "ok": the figure is not DRAM latency as the label's multichase defines it, but an
            # upper bound with page walks in it, and the card shows only the status.
            trust=trust([normal.run], "ns_per_load", options, proof, failed_proof="; ".join(p for p in (failed, why) if p)),
            headline=True,
        ))
    else:
        found.append(missing(AREA, "dram/latency", "DRAM latency",
                             "no measured chase at DRAM sizes (page_groups, normal_pages) in this result"))
    for point, label, means in (
        (normal, "normal_pages", "random lines over all pages: DRAM plus a TLB miss and page walk per load"),
        (within, "within_pages", "every line of a page in a row: DRAM with the next lines' locality"),
    ):
        if point is None or not point.run.repetitions or dram_source == point.run.name:
            continue
        value = median(point.run, "ns_per_load")
        found.append(finding(
            AREA, f"dram/{label}", f"chase at {size_text(point.param('bytes') or 0)}, {label}", value, "ns",
            limit=dram_ns if dram_source.startswith("numa/chase/page_groups") else None,
            limit_source=f"DRAM latency ({dram_source})" if dram_source.startswith("numa/chase/page_groups") else "",
            meaning=means, trust=trust([point.run], "ns_per_load", options),
        ))
    found += _tlb_and_huge_pages(pts, options)
    found += _loaded(pts, options)
    return found


def _tlb_and_huge_pages(pts: list[Point], options: ReadingOptions) -> list[Finding]:
    found: list[Finding] = []
    normal = _largest(pts, "chase", "normal_pages")
    within = _largest(pts, "chase", "within_pages")
    if normal is not None and within is not None and normal.run.repetitions and within.run.repetitions \
            and normal.param("bytes") == within.param("bytes"):
        n, w = median(normal.run, "ns_per_load"), median(within.run, "ns_per_load")
        if n is not None and w is not None:
            found.append(finding(
                AREA, "dram/tlb_cost", f"TLB misses at {size_text(normal.param('bytes') or 0)} (normal - within_pages)",
                n - w, "ns", limit=n, limit_source=f"the whole normal_pages load ({normal.run.name})",
                meaning=(f"{n - w:.3g} ns of each {n:.3g} ns load go to the TLB miss and page walk "
                         "(and the lost line locality) that a chase within pages avoids"),
                trust=trust([normal.run, within.run], "ns_per_load", options),
                headline=True,
            ))
    for variant in ("thp", "hugetlb"):
        huge = _largest(pts, "chase", variant)
        if huge is None:
            continue
        if not huge.run.repetitions:
            found.append(finding(
                AREA, f"huge_pages/{variant}", f"{variant} vs normal pages", None, "x",
                meaning=f"{variant} not measured here", trust=trust([huge.run], None, options),
                headline=False,
            ))
            continue
        base = _run_at(pts, "chase", "normal_pages", huge.param("bytes") or 0)
        h = median(huge.run, "ns_per_load")
        n = median(base, "ns_per_load") if base is not None else None
        thp = median(huge.run, "thp_pct")
        failed = None
        if variant == "thp" and thp is not None and thp < 90:
            failed = f"only {thp:.0f}% of the region got transparent huge pages (thp_pct)"
        proof = f"thp_pct {thp:.0f}%" if thp is not None else None
        found.append(finding(
            AREA, f"huge_pages/{variant}", f"{variant} chase at {size_text(huge.param('bytes') or 0)}", h, "ns",
            limit=n, limit_source=f"normal pages ({base.name})" if base is not None else "no normal_pages row",
            meaning=_huge_page_meaning(h, n, variant),
            trust=trust([huge.run] + ([base] if base else []), "ns_per_load", options, proof, failed),
            headline=variant == "thp",
        ))
    return found


def _huge_page_meaning(huge_ns: float | None, normal_ns: float | None, variant: str) -> str:
    if not huge_ns or not normal_ns:
        return f"{variant} chase latency"
    if huge_ns < normal_ns:
        return f"2 MiB pages make the DRAM-sized chase {normal_ns / huge_ns:.2f}x as fast as 4 KiB pages: fewer TLB misses"
    # "0.97x as fast" reads as a gain at a glance; say it is none.
    return (f"2 MiB pages gain nothing here: the DRAM-sized chase takes {huge_ns / normal_ns:.2f}x the time of 4 KiB "
            "pages (under a hypervisor the host may still back the guest's huge pages with small ones)")


def _loaded(pts: list[Point], options: ReadingOptions) -> list[Finding]:
    found = []
    for point in pts:
        if point.name.kernel != "loaded_chase" or not point.run.repetitions:
            continue
        size = point.param("bytes") or 0
        idle = _run_at(pts, "chase", point.name.variant, size)
        loaded = median(point.run, "ns_per_load")
        idle_ns = median(idle, "ns_per_load") if idle is not None else None
        streams = point.param("streams")
        bandwidth = median(point.run, "stream_bytes_per_second")
        found.append(finding(
            AREA, f"loaded/streams:{streams}", f"loaded latency, {streams} streaming core(s)", loaded, "ns",
            limit=idle_ns, limit_source=f"idle latency ({idle.name})" if idle is not None else "no idle chase at this size",
            meaning=(f"while {streams} other core(s) stream{' ' + si(bandwidth, 'B/s') if bandwidth else ''}, a DRAM "
                     f"load takes {loaded:.3g} ns" + (f" against {idle_ns:.3g} ns idle" if idle_ns else "")),
            trust=trust([point.run] + ([idle] if idle else []), "ns_per_load", options),
            headline=True,
        ))
    return found


def _cells(pts: list[Point], kernel: str, variant: str) -> dict[tuple[int, int], Point]:
    cells = {}
    for point in pts:
        cpu, mem = point.param("cpu_node"), point.param("mem_node")
        if point.name.kernel == kernel and point.name.variant == variant and cpu is not None and mem is not None:
            cells[(cpu, mem)] = point
    return cells


def _placement(point: Point) -> tuple[str | None, str | None]:
    placed = median(point.run, "pages_on_node_pct")
    if placed is None:
        return None, None
    failed = f"only {placed:.1f}% of the pages on the memory node" if placed < PLACED_PCT else None
    return f"pages_on_node_pct {placed:.0f}%", failed


def _bandwidth_readings(pts: list[Point], options: ReadingOptions) -> list[Finding]:
    found = []
    for variant in ("read", "triad"):
        cells = _cells(pts, "matrix_bandwidth", variant)
        local = sorted((cpu, p) for (cpu, mem), p in cells.items() if cpu == mem and p.run.repetitions)
        if not local:
            if cells:
                found.append(missing(AREA, f"bandwidth/{variant}", f"{variant} bandwidth, local node",
                                     "; ".join(sorted({p.run.skip_reason or p.run.error or "?" for p in cells.values()}))))
            continue
        node, point = local[0]
        value = median(point.run, "bytes_per_second")
        proof, failed = _placement(point)
        found.append(finding(
            AREA, f"bandwidth/{variant}", f"{variant} bandwidth, node {node} (all its cores, local memory)",
            value, "B/s",
            limit_source="no theoretical limit: the memory's channels and speed are not in the context",
            meaning=(f"the cores of node {node} {'read' if variant == 'read' else 'run STREAM triad over'} their "
                     f"own node's memory at {si(value or 0, 'B/s')}"),
            trust=trust([point.run], "bytes_per_second", options, proof, failed),
            headline=True,
        ))
    return found


def measured_nodes(pts: list[Point]) -> list[int]:
    """Nodes with a measured matrix cell: a skipped remote pair on a one-node machine names a
    node 1 that does not exist."""
    nodes: set[int] = set()
    for kernel, variant in (("matrix_latency", "chase"), ("matrix_bandwidth", "read"), ("matrix_bandwidth", "triad")):
        for (cpu, mem), point in _cells(pts, kernel, variant).items():
            if point.run.repetitions:
                nodes.update((cpu, mem))
    return sorted(nodes)


def _remote_readings(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    nodes = measured_nodes(pts)
    topology = context_int(result, "topology_numa_nodes")
    if len(nodes) < 2:
        if topology == 1 or len(nodes) == 1:
            return [missing(AREA, "remote", "remote vs local memory",
                            "one NUMA node: no remote memory, so no remote/local ratio")]
        return []
    found = []
    for kernel, variant, key, worse in (
        ("matrix_latency", "chase", "ns_per_load", max),
        ("matrix_bandwidth", "read", "bytes_per_second", min),
        ("matrix_bandwidth", "triad", "bytes_per_second", min),
    ):
        cells = _cells(pts, kernel, variant)
        ratios = []
        for (cpu, mem), point in cells.items():
            local = cells.get((cpu, cpu))
            if cpu == mem or local is None or not point.run.repetitions or not local.run.repetitions:
                continue
            value, base = median(point.run, key), median(local.run, key)
            if value and base:
                ratios.append((value / base, cpu, mem, point, local))
        if not ratios:
            continue
        ratio_value, cpu, mem, point, local = worse(ratios, key=lambda item: item[0])
        unit = "ns" if key == "ns_per_load" else "B/s"
        value = median(point.run, key)
        proof, failed = _placement(point)
        what = "latency" if kernel == "matrix_latency" else f"{variant} bandwidth"
        found.append(finding(
            AREA, f"remote/{variant}", f"remote {what}, worst pair (CPUs node {cpu}, memory node {mem})",
            value, unit, limit=median(local.run, key), limit_source=f"local: {local.run.name}",
            meaning=(f"memory one node away costs {ratio_value:.2f}x the local {what}" if unit == "ns" else
                     f"memory one node away gives {ratio_value:.2f}x the local {what}"),
            trust=trust([point.run, local.run], key, options, proof, failed),
            headline=True,
        ))
    return found


def roofline(result: Result, runs: list[Run]) -> tuple[list[Ceiling], list[RooflinePoint]]:
    """The local read bandwidth of node 0's cores: the DRAM roof of the whole node."""
    pts = points(runs)
    cells = _cells(pts, "matrix_bandwidth", "read")
    local = sorted((cpu, p) for (cpu, mem), p in cells.items() if cpu == mem and p.run.repetitions)
    ceilings = []
    if local:
        node, point = local[0]
        value = median(point.run, "bytes_per_second")
        if value:
            ceilings.append(Ceiling(f"DRAM read, node {node} (all cores)", "memory", value, point.run.name))
    return ceilings, []


# The figure ----------------------------------------------------------------------------------


def _latency_panel(ax: Axes, pts: list[Point], result: Result, reading: LevelReading) -> None:
    for variant in VARIANTS:
        sweep = curve(pts, "chase", variant)
        if sweep:
            ax.plot(*zip(*sweep), marker=".", label=variant, linewidth=2 if variant == reading.variant else 1)
    for level in reading.levels:
        ax.hlines(level.ns, level.first, level.last, color="black", linewidth=3, alpha=0.35)
        ax.text(math.sqrt(level.first * level.last), level.ns, f"{level.name} {level.ns:.3g} ns",
                ha="center", va="bottom", fontsize="small", fontweight="bold")
        if level.size:
            ax.axvline(level.size, color="black", linestyle=":", linewidth=0.8)
    for label, size in reading.hwloc.items():
        ax.axvline(size, color="grey", linestyle="--", linewidth=0.8)
        ax.text(size, 1, f" hwloc {label}", color="grey", transform=ax.get_xaxis_transform(), va="top",
                fontsize="small", rotation=90)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("working set (bytes, log); dotted: steps found on the curve; dashed: hwloc's cache sizes")
    ax.set_ylabel("ns per dependent load")
    source = f"levels found on the {reading.variant} curve" if reading.variant else "no sweep to find levels on"
    ax.set_title(f"pointer chase latency ({source})")
    # Where a PMU counted them: the LLC misses per load along the same curve, the proof of which
    # sizes went to DRAM (about 1) and which stayed in the caches (about 0).
    misses = sorted((size, value) for point in pts
                    if point.name.kernel == "chase" and point.name.variant == reading.variant
                    and (size := point.param("bytes")) and (value := median(point.run, counted.LLC_MISSES)) is not None)
    if misses:
        twin = ax.twinx()
        twin.plot(*zip(*misses), color="black", linestyle="--", marker="x", linewidth=0.8,
                  label=f"LLC misses per load ({reading.variant})")
        twin.set_ylim(0, max(1.1, max(value for _, value in misses) * 1.1))
        twin.set_ylabel("LLC misses per load (counted by the CPU)")
        twin.legend(fontsize="small", loc="lower right")
    if ax.lines:
        ax.legend(fontsize="small", loc="upper left")
    else:
        ax.text(0.5, 0.5, "no chase in this run", ha="center", va="center", transform=ax.transAxes)


def _heat_map(ax: Axes, pts: list[Point], nodes: list[int], kernel: str, variant: str, key: str,
              scale: float, unit: str) -> None:
    cells = _cells(pts, kernel, variant)
    if not nodes or not cells:
        ax.set_axis_off()
        return
    values = np.full((len(nodes), len(nodes)), math.nan)
    for (cpu, mem), point in cells.items():
        value = median(point.run, key) if point.run.repetitions else None
        if value is not None and cpu in nodes and mem in nodes:
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
            ax.text(j, i, f"{values[i, j]:.3g} {unit}{ratio}", ha="center", va="center", fontsize="small",
                    color="white")
    ax.set_xticks(range(len(nodes)), nodes)
    ax.set_yticks(range(len(nodes)), nodes)
    ax.set_xlabel("memory node")
    ax.set_ylabel("CPU node")
    skipped = sorted({p.run.skip_reason for p in cells.values() if p.run.skip_reason})
    note = f"\n(not drawn: {'; '.join(skipped)})" if skipped else ""
    ax.set_title(f"{kernel.removeprefix('matrix_')} {variant} ({unit}){note}", fontsize="medium")


def figure(result: Result, runs: list[Run]) -> Figure:
    pts = points(runs)
    reading = read_levels(result, pts)
    fig = Figure(figsize=(16, 11), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    _latency_panel(top.subplots(), pts, result, reading)
    nodes = measured_nodes(pts)
    latency, read, triad = bottom.subplots(1, 3)
    _heat_map(latency, pts, nodes, "matrix_latency", "chase", "ns_per_load", 1, "ns")
    _heat_map(read, pts, nodes, "matrix_bandwidth", "read", "bytes_per_second", 1e9, "GB/s")
    _heat_map(triad, pts, nodes, "matrix_bandwidth", "triad", "bytes_per_second", 1e9, "GB/s")
    context = result.context
    fig.suptitle(f"memory latency and NUMA on {context.get('host_name', '?')}: {context.get('cpu_model', '')}; "
                 f"{context.get('topology_numa_nodes', '?')} NUMA node(s), THP {context.get('thp_mode', '?')}")
    return fig
