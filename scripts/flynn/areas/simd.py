"""The simd area: the FMA peak per instruction set and type against the theoretical peak, the
speedup over scalar in L1 per kernel against the lane count (with the part of reductions that is
instruction-level parallelism named), bandwidth per memory level; and its figure, which draws
those readings."""

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn.areas import counted, numa
from flynn.areas.common import Point, clock, context_int, finding, median, missing, points, si, size_text, trust
from flynn.findings import Ceiling, Finding, ReadingOptions, RooflinePoint
from flynn.results import Result, Run

AREA = "simd"
ISAS = ("scalar", "auto", "sse2", "sse4_2", "avx", "avx2", "avx512f")
DTYPES = ("f32", "f64")
STREAM_KERNELS = ("triad", "dot", "sum", "poly")
# Every x86 core since Haswell and Zen 2 has two FMA pipes (Zen 4 double-pumps 512-bit ones, Zen 5
# and the Xeons with two AVX-512 units have two full ones); ReadingOptions.fma_pipes overrides.
DEFAULT_FMA_PIPES = 2
# Only these columns compile to FMA instructions (the others multiply and add apart, on more
# pipes than the FMA ones), so only they are held against the FMA peak.
FMA_ISAS = ("avx2", "avx512f")
# Independent accumulators of each column's reductions (dot, sum): kernels_impl.h's
# kReductionChains for the xsimd columns; the plain loop keeps one, and GCC may not reorder a
# floating-point sum without -ffast-math, so `auto` keeps one too.
REDUCTIONS = ("dot", "sum")
REDUCTION_ACCUMULATORS = {"scalar": 1, "auto": 1, "sse2": 8, "sse4_2": 8, "avx": 8, "avx2": 8, "avx512f": 8}
# 4 KiB fits every L1d (the sweep's first size); the L1 point is the largest size within L1.
_MIN_L1 = 4096


def _ordered(found: set[str]) -> list[str]:
    return [isa for isa in ISAS if isa in found] + sorted(found - set(ISAS))


def _dtype(point: Point) -> str | None:
    return next((token for token in point.name.tokens if token in DTYPES), None)


def pipes(options: ReadingOptions) -> tuple[int, str]:
    if options.fma_pipes is not None:
        return options.fma_pipes, f"{options.fma_pipes} FMA pipes (set by --fma-pipes)"
    return DEFAULT_FMA_PIPES, f"{DEFAULT_FMA_PIPES} FMA pipes (assumed: every x86 core since Haswell and Zen 2; --fma-pipes overrides)"


@dataclass(frozen=True)
class Peak:
    isa: str
    dtype: str
    point: Point  # the best chain count
    flops: float
    lanes: int


def peaks(pts: list[Point]) -> list[Peak]:
    best: dict[tuple[str, str], Peak] = {}
    for point in pts:
        dtype = _dtype(point)
        if point.name.kernel != "fma_peak" or dtype is None or not point.run.repetitions:
            continue
        flops = median(point.run, "flops_per_second")
        lanes = median(point.run, "lanes") or 1
        key = (point.name.variant, dtype)
        if flops and (key not in best or flops > best[key].flops):
            best[key] = Peak(point.name.variant, dtype, point, flops, int(lanes))
    return [best[key] for key in sorted(best, key=lambda k: (DTYPES.index(k[1]), _rank(k[0])))]


def _rank(isa: str) -> int:
    return ISAS.index(isa) if isa in ISAS else len(ISAS)


def l1_bytes(result: Result, reading: numa.LevelReading) -> tuple[int, str]:
    """The L1 size the speedups are read in: the latency curve's (numa rows of the same result)
    when there is one, else hwloc's."""
    for level in reading.levels:
        if level.name == "L1" and level.step:
            return level.step[0], f"L1 from the latency curve (<= {size_text(level.step[0])})"
    hwloc = context_int(result, "cache_l1d_bytes")
    if hwloc:
        return max(hwloc, _MIN_L1), f"L1d {size_text(hwloc)} (hwloc)"
    return _MIN_L1, "4 KiB (no L1 size known: the smallest sweep size)"


@dataclass(frozen=True)
class Speedup:
    kernel: str
    isa: str
    dtype: str
    size: int
    value: float
    lanes: int
    accumulators: int  # this column's over scalar's: the ILP part of a reduction
    runs: tuple[Run, Run]


def speedups(pts: list[Point], l1: int) -> list[Speedup]:
    """Per kernel, ISA and type: the rate at the largest working set within L1 over scalar's."""
    found = []
    by_key: dict[tuple[str, str, str, int], Point] = {}
    for point in pts:
        size, dtype = point.param("bytes"), _dtype(point)
        if point.name.kernel in STREAM_KERNELS and size and dtype and point.run.repetitions:
            by_key[(point.name.kernel, point.name.variant, dtype, size)] = point
    for kernel in STREAM_KERNELS:
        for dtype in DTYPES:
            sizes = sorted({s for k, isa, d, s in by_key if k == kernel and d == dtype and isa == "scalar" and s <= l1})
            if not sizes:
                continue
            size = sizes[-1]
            scalar = by_key[(kernel, "scalar", dtype, size)]
            base = median(scalar.run, "flops_per_second")
            for isa in _ordered({isa for k, isa, d, s in by_key if k == kernel and d == dtype and s == size}):
                if isa == "scalar" or not base:
                    continue
                point = by_key[(kernel, isa, dtype, size)]
                value = median(point.run, "flops_per_second")
                if value:
                    accumulators = (REDUCTION_ACCUMULATORS.get(isa, 1) if kernel in REDUCTIONS else 1)
                    found.append(Speedup(kernel, isa, dtype, size, value / base,
                                         int(median(point.run, "lanes") or 1), accumulators, (point.run, scalar.run)))
    return found


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    reading = numa.levels_of(result)
    found: list[Finding] = []
    found += _peak_readings(result, pts, options)
    found += _speedup_readings(result, pts, reading, options)
    found += _bandwidth_readings(pts, reading, options)
    if not found:
        found.append(missing(AREA, "none", "simd: nothing measured", "every simd row was skipped: "
                             + "; ".join(sorted({run.skip_reason or run.error or "?" for run in runs}))))
    return found


def _peak_readings(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    hz, clock_source = clock(result)
    count, pipes_source = pipes(options)
    found = []
    all_peaks = peaks(pts)
    widest = {}
    for peak in all_peaks:
        if peak.isa in FMA_ISAS:
            widest[peak.dtype] = peak  # ordered by ISA, so the last is the widest
    for peak in all_peaks:
        chains = peak.point.param("chains")
        fma = peak.isa in FMA_ISAS
        limit = count * peak.lanes * 2 * hz if fma and hz else None
        if fma:
            source = (f"theoretical: {pipes_source} x {peak.lanes} lanes x 2 flops x {clock_source}"
                      if hz else f"no theoretical peak: {clock_source}")
        else:
            source = "not held against the FMA peak: this column multiplies and adds apart (no FMA instructions)"
        found.append(finding(
            AREA, f"fma_peak/{peak.isa}/{peak.dtype}", f"FMA peak, {peak.isa}, {peak.dtype}", peak.flops, "flop/s",
            limit=limit, limit_source=source,
            meaning=(f"{chains} independent chains of {peak.lanes}-lane {'FMAs' if fma else 'multiply-adds'} reach "
                     f"{si(peak.flops, 'flop/s')} on one core"
                     + (f", {peak.flops / limit:.0%} of the theoretical peak" if limit else "")),
            trust=trust([peak.point.run], "flops_per_second", options),
            headline=widest.get(peak.dtype) is peak,
        ))
    return found


def _speedup_readings(result: Result, pts: list[Point], reading: numa.LevelReading,
                      options: ReadingOptions) -> list[Finding]:
    l1, l1_source = l1_bytes(result, reading)
    found = []
    rows = speedups(pts, l1)
    widest = {s.kernel: s.isa for s in rows if s.dtype == "f32"}  # ordered by ISA: the last is widest
    for s in rows:
        ilp = s.accumulators
        if ilp > 1:
            meaning = (f"{s.value:.1f}x over scalar with {s.lanes} lanes: {s.value / s.lanes:.1f}x more than the "
                       f"width, the instruction-level parallelism of {ilp} accumulators against scalar's 1 "
                       "(a plain loop's sum is one dependent chain)")
            source = (f"lane count {s.lanes} (counter lanes); reductions: {ilp} accumulators vs 1 "
                      f"(kernels_impl.h kReductionChains), so up to {s.lanes * ilp}x")
        elif s.isa in FMA_ISAS and s.value > s.lanes:
            meaning = (f"{s.value:.1f}x over scalar with {s.lanes} lanes: above the width because an FMA "
                       "multiplies and adds in one instruction where the scalar column needs two")
            source = (f"lane count {s.lanes} (counter lanes): the ideal speedup of a {s.lanes}-wide vector; "
                      "an FMA column can reach twice that on multiply-add work")
        elif s.isa == "auto" and s.kernel in REDUCTIONS:
            # "25% of the width" would say the loop ran on 4 lanes: it ran on none.
            meaning = (f"{s.value:.1f}x over scalar: GCC may not reorder a floating-point sum without -ffast-math, "
                       f"so the plain loop's reduction stays one scalar chain and none of the {s.lanes} lanes is used")
            source = (f"lane count {s.lanes} (counter lanes): what the auto-vectorised column could use, "
                      "not what it used")
        else:
            meaning = f"{s.value:.1f}x over scalar with {s.lanes} lanes: {s.value / s.lanes:.0%} of the width"
            source = f"lane count {s.lanes} (counter lanes): the ideal speedup of a {s.lanes}-wide vector"
        # The CPU's instruction counts, where a PMU counted them, confirm the ISA at run time.
        counted_proof, failed = counted.vector(s.runs[0], s.runs[1], s.lanes, s.isa)
        ilp_proof = f"{ilp} accumulators vs 1: ILP part {min(ilp, s.value / s.lanes):.1f}x" if ilp > 1 else None
        found.append(finding(
            AREA, f"speedup/{s.kernel}/{s.isa}/{s.dtype}", f"{s.kernel} {s.isa} {s.dtype} over scalar, in L1 "
            f"({size_text(s.size)})", s.value, "x",
            limit=float(s.lanes), limit_source=f"{source}; working set within {l1_source}",
            meaning=meaning + (f"; {counted_proof}" if counted_proof and not failed else ""),
            trust=trust(list(s.runs), "flops_per_second", options,
                        proof="; ".join(p for p in (ilp_proof, counted_proof) if p) or None, failed_proof=failed),
            headline=s.dtype == "f32" and widest.get(s.kernel) == s.isa,
        ))
    return found


def level_bandwidths(pts: list[Point], reading: numa.LevelReading) -> list[tuple[str, float, Point]]:
    """Per memory level, the best bytes_per_second of any streaming kernel and ISA at a working
    set inside that level (levels from the latency curve, else hwloc's sizes)."""
    bounds: list[tuple[str, int, int]] = []
    if reading.levels:
        low = 0
        for level in reading.levels:
            high = level.step[0] if level.step else 1 << 62
            bounds.append((level.name, low, high))
            low = high
    else:
        low = 0
        for name, size in reading.hwloc.items():
            bounds.append((name, low, size))
            low = size
        if bounds:
            bounds.append(("DRAM", 4 * low, 1 << 62))
    found = []
    for name, low, high in bounds:
        inside = [p for p in pts if p.name.kernel in STREAM_KERNELS and p.run.repetitions
                  and low < (p.param("bytes") or 0) <= high]
        if name == "DRAM":  # the largest sizes only: DRAM is where the sweep ends
            largest = max((p.param("bytes") or 0 for p in inside), default=0)
            inside = [p for p in inside if p.param("bytes") == largest]
        rated = [(median(p.run, "bytes_per_second") or 0, p) for p in inside]
        if rated:
            value, point = max(rated, key=lambda item: item[0])
            if value:
                found.append((name, value, point))
    return found


def _bandwidth_readings(pts: list[Point], reading: numa.LevelReading, options: ReadingOptions) -> list[Finding]:
    found = []
    where = f"levels from the {reading.variant} latency curve" if reading.levels else "levels from hwloc's sizes"
    for name, value, point in level_bandwidths(pts, reading):
        found.append(finding(
            AREA, f"bandwidth/{name.lower()}", f"{name} bandwidth, one core (best simd kernel)", value, "B/s",
            limit_source=f"measured roof, no theoretical limit ({where})",
            meaning=(f"one core moves {si(value, 'B/s')} from {name} ({point.name.kernel} {point.name.variant} "
                     f"at {size_text(point.param('bytes') or 0)})"),
            trust=trust([point.run], "bytes_per_second", options),
        ))
    return found


def intensity(run: Run) -> float | None:
    """Flops per byte from the kernel's declared traits, as the counters carry them."""
    flops, moved = median(run, "flops_per_second"), median(run, "bytes_per_second")
    return flops / moved if flops and moved else None


def roofline(result: Result, runs: list[Run]) -> tuple[list[Ceiling], list[RooflinePoint]]:
    pts = points(runs)
    reading = numa.levels_of(result)
    ceilings = [Ceiling(f"{p.isa} {p.dtype} FMA peak (one core)", "compute", p.flops, p.point.run.name)
                for p in peaks(pts)]
    ceilings += [Ceiling(f"{name} (one core)", "memory", value, point.run.name)
                 for name, value, point in level_bandwidths(pts, reading)]
    placed: list[RooflinePoint] = []
    l1, _ = l1_bytes(result, reading)
    for kernel in STREAM_KERNELS:
        for dtype in DTYPES:
            rows = [p for p in pts if p.name.kernel == kernel and _dtype(p) == dtype and p.run.repetitions]
            if not rows:
                continue
            isas = _ordered({p.name.variant for p in rows})
            in_l1 = [p.param("bytes") or 0 for p in rows if (p.param("bytes") or 0) <= l1]
            sizes = {"L1": max(in_l1, default=0), "largest": max(p.param("bytes") or 0 for p in rows)}
            for isa in dict.fromkeys((isas[0], isas[-1])):  # a set would order them by hash, run to run
                for where, size in sizes.items():
                    point = next((p for p in rows if p.name.variant == isa and p.param("bytes") == size), None)
                    if point is None:
                        continue
                    ai, flops = intensity(point.run), median(point.run, "flops_per_second")
                    if ai and flops:
                        placed.append(RooflinePoint(f"simd {kernel} {isa} {dtype} ({size_text(size)})", AREA, ai,
                                                    flops, point.run.name))
    return ceilings, placed


# The figure ----------------------------------------------------------------------------------


def _speedup_panel(ax: Axes, rows: list[Speedup], l1_source: str) -> None:
    rows = [s for s in rows if s.dtype == "f32"]
    kernels = [k for k in STREAM_KERNELS if any(s.kernel == k for s in rows)]
    isas = _ordered({s.isa for s in rows})
    width = 0.8 / max(len(isas), 1)
    for slot, isa in enumerate(isas):
        mine = [s for s in rows if s.isa == isa]
        xs = [kernels.index(s.kernel) + (slot - len(isas) / 2 + 0.5) * width for s in mine]
        ax.bar(xs, [s.value for s in mine], width, label=isa)
        ax.scatter(xs, [s.lanes for s in mine], marker="_", s=200, color="black", zorder=3)
        for x, s in zip(xs, mine):
            if s.accumulators > 1 and s.value > s.lanes:
                ax.annotate(f"ILP\n{s.accumulators} acc", (x, s.value), ha="center", va="bottom",
                            fontsize="xx-small", color="#b22222")
    ax.scatter([], [], marker="_", s=200, color="black", label="ideal: lane count")
    ax.set_xticks(range(len(kernels)), kernels)
    ax.set_ylabel("speedup over scalar (x)")
    ax.set_title(f"f32 speedup over scalar in L1 ({l1_source}); red: the part above the lanes is "
                 "the reductions' 8 accumulators vs 1 (ILP), not width", fontsize="medium")
    if isas:
        ax.legend(fontsize="small", ncol=2)


def _sweep_panel(ax: Axes, pts: list[Point], kernel: str, levels: list[numa.Level]) -> None:
    rows = [p for p in pts if p.name.kernel == kernel and _dtype(p) == "f32" and p.param("bytes") and p.run.repetitions]
    for isa in _ordered({p.name.variant for p in rows}):
        sweep = sorted((p.param("bytes") or 0, median(p.run, "flops_per_second") or 0)
                       for p in rows if p.name.variant == isa)
        sweep = [(b, f / 1e9) for b, f in sweep if f]
        if sweep:
            ax.plot(*zip(*sweep), marker=".", label=isa)
    for level in levels:
        if level.size:
            ax.axvline(level.size, color="grey", linestyle="--", linewidth=0.8)
            ax.text(level.size, 1, f" {level.name}|", color="grey", va="top", fontsize="small",
                    transform=ax.get_xaxis_transform())
    ax.set_xscale("log", base=2)
    ax.set_xlabel("working set (bytes, log)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"{kernel} f32 against working-set size (dashed: level steps of the latency curve)")
    if ax.lines:
        ax.legend(fontsize="x-small", ncol=2)


def _peak_panel(ax: Axes, pts: list[Point], found: list[Finding]) -> None:
    limits = {f.figure: f for f in found if f.figure.startswith("fma_peak/")}
    notes = []
    rows = [p for p in pts if p.name.kernel == "fma_peak" and _dtype(p) == "f32" and p.run.repetitions]
    for isa in _ordered({p.name.variant for p in rows}):
        sweep = sorted((p.param("chains") or 0, median(p.run, "flops_per_second") or 0)
                       for p in rows if p.name.variant == isa)
        sweep = [(c, f / 1e9) for c, f in sweep if f]
        if not sweep:
            continue
        line, = ax.plot(*zip(*sweep), marker="o", label=isa)
        reading = limits.get(f"fma_peak/{isa}/f32")
        if reading is not None and reading.limit:
            ax.axhline(reading.limit / 1e9, color=line.get_color(), linestyle=":", linewidth=0.8)
            notes.append(f"{isa}: {reading.ratio:.0%} of {reading.limit / 1e9:.0f}")
    ax.set_xlabel("independent FMA chains")
    ax.set_ylabel("GFLOP/s, one core")
    ax.set_yscale("log", base=2)
    ax.set_title("fma_peak f32; dotted: theoretical peak (FMA pipes x lanes x 2 x clock estimate)")
    if notes:
        ax.legend(fontsize="x-small", ncol=2, title="best / peak (GFLOP/s): " + "; ".join(notes),
                  title_fontsize="x-small")


def figure(result: Result, runs: list[Run]) -> Figure:
    pts = points(runs)
    found = readings(result, runs, ReadingOptions())
    reading = numa.levels_of(result)
    l1, l1_source = l1_bytes(result, reading)
    levels = reading.levels
    fig = Figure(figsize=(15, 11), layout="constrained")
    (speedup, peak), (triad, dot) = fig.subplots(2, 2)
    _speedup_panel(speedup, speedups(pts, l1), l1_source)
    _peak_panel(peak, pts, found)
    _sweep_panel(triad, pts, "triad", levels)
    _sweep_panel(dot, pts, "poly" if any(p.name.kernel == "poly" for p in pts) else "dot", levels)
    context = result.context
    hz, clock_source = clock(result)
    fig.suptitle(f"SISD vs SIMD on {context.get('host_name', '?')}: {context.get('cpu_model', '')}; "
                 f"ISAs {context.get('simd_isas', '?')}; {clock_source}")
    return fig

