"""The simd figure: speedup over scalar per kernel and instruction set beside the ideal lane
count, GFLOP/s against the working set with the cache sizes marked, and the FMA peak as a share
of the theoretical peak."""

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn import names, stats
from flynn.results import Result, Run

ISAS = ("scalar", "auto", "sse2", "sse4_2", "avx", "avx2", "avx512f")
STREAM_KERNELS = ("triad", "dot", "sum")
# Every x86 core since Haswell and Zen 2 has two FMA pipes; the theoretical peak assumes them.
FMA_PIPES = 2
# Only these columns compile to FMA instructions (the others multiply and add apart), so only
# they are held against the FMA peak.
FMA_ISAS = ("avx2", "avx512f")
_CACHES = (("cache_l1d_bytes", "L1d"), ("cache_l2_bytes", "L2"), ("cache_l3_bytes", "L3"))

Point = tuple[names.BenchmarkName, Run]


def _median(run: Run, key: str) -> float | None:
    spread = stats.of(run, key)
    return spread.median if spread else None


def _ordered_isas(points: list[Point]) -> list[str]:
    found = {n.variant for n, _ in points}
    return [isa for isa in ISAS if isa in found] + sorted(found - set(ISAS))


def _context_int(result: Result, key: str) -> int:
    value = str(result.context.get(key, "0"))
    return int(value) if value.isdigit() else 0


def _speedup_panel(ax: Axes, points: list[Point], l1_bytes: int) -> None:
    """Per kernel: the largest working set that fits in L1 (compute speed, not memory)."""
    kernels = ["fma_peak", "poly", *STREAM_KERNELS]
    isas = [isa for isa in _ordered_isas(points) if isa != "scalar"]
    width = 0.8 / max(len(isas), 1)
    for slot, isa in enumerate(isas):
        xs, speedups, lanes = [], [], []
        for k, kernel in enumerate(kernels):
            pair = {}
            for variant in ("scalar", isa):
                rows = [(n, r) for n, r in points if n.kernel == kernel and n.variant == variant and r.repetitions]
                if kernel == "fma_peak":
                    # the best chain count: what the unit can do once latency is covered
                    best = max(rows, key=lambda p: _median(p[1], "flops_per_second") or 0, default=None)
                else:
                    fitting = [p for p in rows if int(p[0].params.get("bytes", "0")) <= max(l1_bytes, 4096)]
                    best = max(fitting, key=lambda p: int(p[0].params["bytes"]), default=None)
                pair[variant] = best
            if pair["scalar"] and pair[isa]:
                base = _median(pair["scalar"][1], "flops_per_second")
                value = _median(pair[isa][1], "flops_per_second")
                if base and value:
                    xs.append(k + (slot - len(isas) / 2 + 0.5) * width)
                    speedups.append(value / base)
                    lanes.append(_median(pair[isa][1], "lanes") or 1)
        ax.bar(xs, speedups, width, label=isa)
        ax.scatter(xs, lanes, marker="_", s=200, color="black", zorder=3)
    ax.scatter([], [], marker="_", s=200, color="black", label="ideal: lane count")
    ax.set_xticks(range(len(kernels)), kernels)
    ax.set_ylabel("speedup over scalar (x)")
    ax.set_title("f32 speedup over scalar, working set in L1 (fma_peak: best chain count)")
    ax.legend(fontsize="small", ncol=2)


def _sweep_panel(ax: Axes, points: list[Point], kernel: str, result: Result) -> None:
    rows = [(n, r) for n, r in points if n.kernel == kernel and "bytes" in n.params and r.repetitions]
    for isa in _ordered_isas(rows):
        curve = sorted((int(n.params["bytes"]), _median(r, "flops_per_second")) for n, r in rows if n.variant == isa)
        curve = [(b, f / 1e9) for b, f in curve if f]
        if curve:
            ax.plot(*zip(*curve), marker=".", label=isa)
    for key, label in _CACHES:
        size = _context_int(result, key)
        if size:
            ax.axvline(size, color="grey", linestyle="--", linewidth=0.8)
            ax.text(size, ax.get_ylim()[1] if ax.lines else 1, f" {label}", color="grey", va="top", fontsize="small")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("working set (bytes, log)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"{kernel} f32 against working-set size (caches from hwloc)")
    if ax.lines:
        ax.legend(fontsize="x-small", ncol=2)


def _peak_panel(ax: Axes, points: list[Point]) -> None:
    rows = [(n, r) for n, r in points if n.kernel == "fma_peak" and r.repetitions]
    notes = []
    for isa in _ordered_isas(rows):
        curve = sorted((int(n.params["chains"]), _median(r, "flops_per_cycle"), _median(r, "lanes"))
                       for n, r in rows if n.variant == isa)
        curve = [c for c in curve if c[1]]
        if not curve:
            continue
        line, = ax.plot([c[0] for c in curve], [c[1] for c in curve], marker="o", label=isa)
        if isa not in FMA_ISAS:
            continue
        lanes = curve[0][2] or 1
        peak = FMA_PIPES * lanes * 2  # two flops per FMA
        ax.axhline(peak, color=line.get_color(), linestyle=":", linewidth=0.8)
        notes.append(f"{isa}: {max(c[1] for c in curve) / peak:.0%} of {peak:g}")
    ax.set_xlabel("independent FMA chains")
    ax.set_ylabel("flops per cycle (clock estimated by the harness)")
    ax.set_yscale("log", base=2)
    ax.set_title(f"fma_peak f32; dotted: theoretical peak ({FMA_PIPES} FMA pipes x lanes x 2)")
    if notes:
        ax.legend(fontsize="x-small", ncol=2, title="best / peak: " + "; ".join(notes), title_fontsize="x-small")


def figure(result: Result, runs: list[Run]) -> Figure:
    points = [(names.parse(run.name), run) for run in runs]
    f32 = [(n, r) for n, r in points if "f32" in n.tokens]
    fig = Figure(figsize=(15, 11), layout="constrained")
    (speedup, peak), (triad, dot) = fig.subplots(2, 2)
    _speedup_panel(speedup, f32, _context_int(result, "cache_l1d_bytes"))
    _peak_panel(peak, f32)
    _sweep_panel(triad, f32, "triad", result)
    _sweep_panel(dot, f32, "poly" if any(n.kernel == "poly" for n, _ in f32) else "dot", result)
    context = result.context
    clock = context.get("clock_hz_estimate")
    clock_text = f"clock estimate {float(clock) / 1e9:.2f} GHz" if clock else "no clock estimate"
    fig.suptitle(f"SISD vs SIMD on {context.get('host_name', '?')}: {context.get('cpu_model', '')}; "
                 f"ISAs {context.get('simd_isas', '?')}; {clock_text}")
    return fig
