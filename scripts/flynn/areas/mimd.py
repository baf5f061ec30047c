"""The mimd area: strong- and weak-scaling efficiency of compute-bound work at the core count
with Amdahl's and Gustafson's serial fractions fitted only there, the bandwidth ceiling and the
thread count that reaches it for memory-bound work (where a serial fraction means nothing), the
OpenMP constructs' overheads in microseconds and in lost flops, and what a static schedule costs
on an imbalanced loop; and its figure, which draws those readings."""

from dataclasses import dataclass, replace

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn import scaling
from flynn.areas import counted
from flynn.areas.common import Point, cores, finding, median, missing, points, si, time_median_ns, trust
from flynn.findings import Ceiling, Finding, ReadingOptions, RooflinePoint, Trust
from flynn.results import Result, Run

AREA = "mimd"
SCALING_KERNELS = ("compute", "mixed", "copy", "scale", "add", "triad")
LAWS = ("strong", "weak")
# Arithmetic intensity of the kernel with no bytes_per_second counter: `compute` is the simd
# poly kernel's traits (2 x 10 + 1 flops per f32 element, 4 bytes loaded from cache), per
# kernels/mimd/compute.h. The others carry flops and bytes counters from their traits.
INTENSITY_TABLE = {"compute": 21 / 4}
# Below this many flops per byte a kernel is memory-bound on any x86 machine since 2010: their
# ridge points (peak FLOP/s over DRAM bandwidth) all lie above it.
MEMORY_BOUND_BELOW = 1.0
# The bandwidth ceiling counts as reached at this share of the best rate.
CEILING_SHARE = 0.9
# Compute-bound work in cache cannot run more than p times as fast on p threads: a speedup past
# the ideal by more than this share says a run was disturbed, not that the kernel scaled.
PAST_IDEAL = 1.05
# A thread's place was not kept below this (threads_in_place_pct): the figure is not what it says.
IN_PLACE_PCT = 100.0


@dataclass(frozen=True)
class Curve:
    kernel: str
    law: str
    rate_key: str  # flops_per_second or bytes_per_second
    intensity: float | None
    by_threads: dict[int, Point]
    rates: dict[int, float]

    @property
    def memory_bound(self) -> bool:
        return self.intensity is not None and self.intensity < MEMORY_BOUND_BELOW


def _intensity(kernel: str, pts: list[Point]) -> float | None:
    for point in pts:
        flops, moved = median(point.run, "flops_per_second"), median(point.run, "bytes_per_second")
        if moved:
            return (flops or 0.0) / moved
    return INTENSITY_TABLE.get(kernel)


def curves(pts: list[Point]) -> list[Curve]:
    found = []
    for kernel in SCALING_KERNELS:
        for law in LAWS:
            mine = [p for p in pts if p.name.kernel == kernel and p.name.variant == law and p.run.repetitions]
            if not mine:
                continue
            ai = _intensity(kernel, mine)
            key = "bytes_per_second" if ai is not None and ai < MEMORY_BOUND_BELOW else "flops_per_second"
            by_threads = {t: p for p in mine if (t := p.param("threads"))}
            rates = {t: r for t, p in by_threads.items() if (r := median(p.run, key))}
            if rates:
                found.append(Curve(kernel, law, key, ai, by_threads, rates))
    return found


def placement_proof(runs: list[Run]) -> tuple[str | None, str | None]:
    placed = [v for run in runs if (v := median(run, "threads_in_place_pct")) is not None]
    if not placed:
        return None, None
    worst = min(placed)
    failed = f"only {worst:.0f}% of the threads stayed in their place (threads_in_place_pct)" if worst < IN_PLACE_PCT else None
    return f"threads_in_place_pct {worst:.0f}%", failed


def fit(curve: Curve, core_count: int | None) -> scaling.Scaling | None:
    """Amdahl (strong) or Gustafson (weak) on a compute-bound curve, on the counts up to the core
    count only; None for memory-bound work, where the flattening is the bandwidth, not a serial part."""
    if curve.memory_bound:
        return None
    threads = [t for t in sorted(curve.rates) if core_count is None or t <= core_count]
    return scaling.analyse(threads, [curve.rates[t] for t in threads], curve.law, core_count)


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    n = cores(result)
    found: list[Finding] = []
    for curve in curves(pts):
        found += _scaling_readings(curve, n, options)
    found += _overhead_readings(pts, n, options)
    found += _schedule_readings(pts, n, options)
    if not found:
        found.append(missing(AREA, "none", "mimd: nothing measured", "every mimd row was skipped or failed"))
    return found


def _at_cores(counts: list[int], n: int | None) -> int | None:
    fitting = [t for t in counts if n is None or t <= n]
    return max(fitting, default=None)


def _scaling_readings(curve: Curve, n: int | None, options: ReadingOptions) -> list[Finding]:
    found: list[Finding] = []
    base = curve.rates.get(1)
    top = _at_cores(sorted(curve.rates), n)
    if base is None or top is None:
        return [missing(AREA, f"{curve.kernel}/{curve.law}", f"{curve.kernel} {curve.law} scaling",
                        "no 1-thread run to scale from", "unknown")]
    runs = [curve.by_threads[1].run, curve.by_threads[top].run]
    proof, failed = placement_proof([p.run for p in curve.by_threads.values()])
    # The CPU's IPC per thread count, where a PMU counted it: a team whose IPC falls with the
    # threads waits on something shared (memory, a lock), one whose IPC holds scales.
    team_ipc = counted.ipc({t: p.run for t, p in curve.by_threads.items()})
    if team_ipc:
        proof = f"{proof}; {team_ipc}" if proof else team_ipc
    where = f"{top} threads" + (f" = the {n} cores" if top == n else f" (cores: {n or '?'})")
    if curve.memory_bound:
        best_t = max((t for t in curve.rates if n is None or t <= n), key=lambda t: curve.rates[t])
        best = curve.rates[best_t]
        reach = min(t for t in curve.rates if curve.rates[t] >= CEILING_SHARE * best)
        # A ceiling is shown only where the rate stops growing before the cores run out: reached
        # first at the last core count, the best rate may be no ceiling at all (one core of a
        # server draws a fraction of its DRAM bandwidth, and so may two).
        flattened = reach < top
        if flattened:
            label = f"{curve.kernel} ({curve.law}) bandwidth ceiling"
            meaning = (f"memory-bound ({curve.intensity:.2g} flop/B): {reach} thread(s) reach {CEILING_SHARE:.0%} of "
                       f"the {si(best, 'B/s')} ceiling; past it more cores wait on memory, so no serial fraction applies")
            reach_meaning = f"{reach} of {n or '?'} cores already draw {CEILING_SHARE:.0%} of the memory bandwidth"
        else:
            label = f"{curve.kernel} ({curve.law}) at {top} threads: no ceiling shown"
            meaning = (f"memory-bound ({curve.intensity:.2g} flop/B): the best rate, {si(best, 'B/s')}, comes only at "
                       f"the last core count measured ({top}), so this run cannot tell whether more cores would draw "
                       "more; no serial fraction applies either way")
            reach_meaning = (f"the rate still grew up to {top} of {n or '?'} cores: no ceiling reached within them, "
                             "so this count is an upper bound")
        found.append(finding(
            AREA, f"{curve.kernel}/{curve.law}/bandwidth_ceiling", label, best, "B/s",
            limit=base * best_t, limit_source=f"1 thread's {si(base, 'B/s')} x {best_t} threads (perfect scaling)",
            meaning=meaning,
            trust=trust([curve.by_threads[best_t].run], curve.rate_key, options, proof, failed),
            headline=curve.kernel == "triad" and curve.law == "strong",
        ))
        found.append(finding(
            AREA, f"{curve.kernel}/{curve.law}/threads_to_ceiling",
            f"{curve.kernel} ({curve.law}) threads to reach the ceiling", float(reach), "threads",
            limit=float(n) if n else None, limit_source="topology_cores (hwloc)",
            meaning=reach_meaning,
            trust=trust([curve.by_threads[reach].run], curve.rate_key, options, proof, failed),
        ))
        return found
    speedup = curve.rates[top] / base
    beyond = past_ideal(speedup, top)
    found.append(finding(
        AREA, f"{curve.kernel}/{curve.law}/speedup", f"{curve.kernel} {curve.law} speedup at {where}", speedup, "x",
        limit=float(top), limit_source=f"ideal: {top} threads on {n or '?'} cores (topology_cores, hwloc)",
        # Weak scaling grows the problem with the threads: the same time for more work, so its
        # speedup is work done per second (Gustafson's scaled speedup), not "as fast".
        meaning=(f"the same problem runs {speedup:.2f}x as fast on {top} threads: {speedup / top:.0%} parallel efficiency"
                 if curve.law == "strong" else
                 f"a problem grown with the threads gets {speedup:.2f}x the work done per second on {top} threads "
                 f"(scaled speedup): {speedup / top:.0%} weak-scaling efficiency"),
        trust=disturbed(trust(runs, curve.rate_key, options, proof, failed), beyond),
        headline=curve.kernel == "compute" and curve.law == "strong",
    ))
    fitted = fit(curve, n)
    if fitted is not None and fitted.serial_fraction is not None:
        law = "Amdahl" if curve.law == "strong" else "Gustafson"
        counts = [t for t in fitted.threads if n is None or t <= n]
        found.append(finding(
            AREA, f"{curve.kernel}/{curve.law}/serial_fraction", f"{curve.kernel} serial fraction ({law})",
            fitted.serial_fraction * 100, "%",
            limit_source=f"fitted on {', '.join(map(str, counts))} threads (none past the {n or '?'} cores)",
            meaning=(f"{law}'s law fits {curve.kernel} with {fitted.serial_fraction:.1%} of the work serial"
                     + (f": at most {1 / fitted.serial_fraction:.0f}x on any number of cores"
                        if curve.law == "strong" and fitted.serial_fraction > 0.001 else "")),
            trust=disturbed(trust(runs, curve.rate_key, options, proof, failed,
                                   note="two points fit any serial fraction exactly: read it as one number"
                                   if len(counts) <= 2 else None), beyond),
            headline=curve.kernel == "compute" and curve.law == "strong",
        ))
    return found


def past_ideal(speedup: float, threads: int, workers: str | None = None) -> str | None:
    """Why a compute-bound speedup past the ideal cannot be read as scaling, or None."""
    if speedup <= threads * PAST_IDEAL:
        return None
    return (f"{speedup:.2f}x on {workers or f'{threads} threads'} is past the ideal {threads}x, which compute-bound work cannot "
            "pass: a run was disturbed (another process, or a clock that differed between them); "
            "measure again with repetitions")


def disturbed(read: Trust, why: str | None) -> Trust:
    """`read` as unstable where the speedup went past the ideal (`why`); a worse status is kept."""
    if why is None or read.status != "ok":
        return read
    return replace(read, status="unstable", note="; ".join(part for part in (why, read.note) if part))


def _overhead_readings(pts: list[Point], n: int | None, options: ReadingOptions) -> list[Finding]:
    rows = [p for p in pts if p.name.kernel == "overhead" and p.run.repetitions and p.param("threads")]
    top = _at_cores(sorted({p.param("threads") or 0 for p in rows}), n)
    if top is None:
        return []
    compute = {p.param("threads"): median(p.run, "flops_per_second")
               for p in pts if p.name.kernel == "compute" and p.name.variant == "strong" and p.run.repetitions}
    rate = compute.get(top)
    found = []
    for point in [p for p in rows if p.param("threads") == top]:
        construct = point.name.variant
        us = median(point.run, "overhead_us")
        if us is None:
            continue
        proof, failed = placement_proof([point.run])
        lost = us * 1e-6 * rate if rate else None
        found.append(finding(
            AREA, f"overhead/{construct}", f"omp {construct} overhead, {top} threads", us, "us",
            limit_source="EPCC syncbench: test loop minus reference loop (reference_us)",
            meaning=(f"each {construct} costs {us:.3g} us" +
                     (f", the time {top} threads take for {si(lost, 'flop')} of the compute kernel" if lost else "")),
            trust=trust([point.run], "overhead_us", options, proof, failed),
            headline=construct == "parallel_for",
        ))
        if lost is not None:
            found.append(finding(
                AREA, f"overhead/{construct}/lost_flops", f"omp {construct} overhead in lost flops, {top} threads",
                lost, "flop", limit_source=f"the compute kernel's {si(rate, 'flop/s')} at {top} threads (mimd/compute/strong)",
                meaning=f"a {construct} must amortise over more than {si(lost, 'flop')} of work to pay for itself",
                trust=trust([point.run], "overhead_us", options, proof, failed),
            ))
    return found


def _schedule_readings(pts: list[Point], n: int | None, options: ReadingOptions) -> list[Finding]:
    rows = [p for p in pts if p.name.kernel == "schedule" and p.run.repetitions and p.param("threads")]
    top = _at_cores(sorted({p.param("threads") or 0 for p in rows}), n)
    found: list[Finding] = []
    for cost in ("triangular", "random"):
        mine = [p for p in rows if p.param("threads") == top and p.name.params.get("cost") == cost]
        static = next((p for p in mine if p.name.variant == "static" and p.param("chunk") == 0), None)
        timed = [(t, p) for p in mine if (t := time_median_ns(p.run))]
        if static is None or not timed:
            continue
        best_time, best = min(timed, key=lambda item: item[0])
        static_time = time_median_ns(static.run)
        imbalance = median(static.run, "load_imbalance")
        found.append(finding(
            AREA, f"schedule/{cost}/static", f"static schedule on the {cost} loop, {top} threads",
            (static_time or 0) / 1e6, "ms", limit=best_time / 1e6,
            limit_source=f"the fastest schedule measured: {best.name.variant}, chunk {best.name.params.get('chunk')}",
            meaning=(f"equal blocks of unequal work leave threads idle: busy time max/mean {imbalance:.2f}, "
                     f"{(static_time or 0) / best_time:.2f}x the best schedule's time" if imbalance else
                     "the default static blocks against the best schedule"),
            trust=trust([static.run, best.run], None, options),
            headline=cost == "triangular",
        ))
    return found


def roofline(result: Result, runs: list[Run]) -> tuple[list[Ceiling], list[RooflinePoint]]:
    pts = points(runs)
    n = cores(result)
    ceilings: list[Ceiling] = []
    placed: list[RooflinePoint] = []
    best_memory: tuple[float, str] | None = None
    for curve in curves(pts):
        if curve.law != "strong":
            continue
        top = _at_cores(sorted(curve.rates), n)
        if top is None:
            continue
        point = curve.by_threads[top]
        flops = median(point.run, "flops_per_second")
        moved = median(point.run, "bytes_per_second")
        if curve.memory_bound and moved and (best_memory is None or moved > best_memory[0]):
            best_memory = (moved, point.run.name)
        if flops and curve.intensity:
            placed.append(RooflinePoint(f"mimd {curve.kernel} {top} threads", AREA, curve.intensity, flops,
                                        point.run.name))
    if best_memory is not None:
        ceilings.append(Ceiling(f"DRAM STREAM, {n or '?'} cores", "memory", best_memory[0], best_memory[1]))
    return ceilings, placed


# The figure ----------------------------------------------------------------------------------


def _scaling_panel(ax: Axes, found: list[Curve], law: str, n: int | None) -> None:
    top = 1
    for curve in [c for c in found if c.law == law]:
        base = curve.rates.get(1)
        if not base:
            continue
        threads = sorted(curve.rates)
        speedup = [curve.rates[t] / base for t in threads]
        top = max(top, *threads)
        fitted = fit(curve, n)
        if curve.memory_bound:
            label = f"{curve.kernel} (memory-bound: bandwidth ceiling, no serial fraction)"
        elif fitted is not None and fitted.serial_fraction is not None:
            label = f"{curve.kernel} (serial {fitted.serial_fraction:.1%})"
        else:
            label = curve.kernel
        line, = ax.plot(threads, speedup, marker="o", label=label, linestyle="--" if curve.memory_bound else "-")
        if fitted is not None and fitted.serial_fraction is not None:
            # Only over the counts it was fitted on: past the cores the threads take turns.
            p = np.linspace(1, max(t for t in threads if n is None or t <= n), 50)
            model = scaling.amdahl if law == "strong" else scaling.gustafson
            ax.plot(p, model(p, fitted.serial_fraction), linestyle=":", color=line.get_color())
    ax.plot([1, top], [1, top], color="black", linewidth=0.8, label="ideal")
    if n:
        ax.axvline(n, color="grey", linestyle="--", linewidth=0.8)
        ax.text(n, 1, " cores", color="grey", va="bottom")
    name = "Amdahl" if law == "strong" else "Gustafson"
    ax.set_title(f"{law} scaling: speedup over 1 thread (dotted: {name} fit on compute-bound work, up to the cores)",
                 fontsize="medium")
    ax.set_xlabel("OpenMP threads")
    ax.set_ylabel("speedup (x)")
    ax.legend(fontsize="x-small")


def _schedule_panel(ax: Axes, pts: list[Point]) -> None:
    rows = [p for p in pts if p.name.kernel == "schedule" and p.run.repetitions and p.param("threads")]
    if not rows:
        ax.set_axis_off()
        return
    most = max(p.param("threads") or 0 for p in rows)
    rows = [p for p in rows if p.param("threads") == most]
    labels = [f"{p.name.variant},{p.name.params.get('chunk')}\n{p.name.params.get('cost')}" for p in rows]
    times = [(time_median_ns(p.run) or 0) / 1e6 for p in rows]
    colours = ["#1f77b4" if p.name.params.get("cost") == "triangular" else "#ff7f0e" for p in rows]
    bars = ax.bar(range(len(rows)), times, color=colours)
    for bar, point in zip(bars, rows):
        imbalance = median(point.run, "load_imbalance")
        if imbalance:
            ax.annotate(f"{imbalance:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(range(len(rows)), labels, fontsize="x-small", rotation=90)
    ax.set_ylabel("time per loop (ms)")
    ax.set_title(f"schedules on an imbalanced loop, {most} threads (label: max/mean busy time)")


def _overhead_panel(ax: Axes, pts: list[Point]) -> None:
    rows = [p for p in pts if p.name.kernel == "overhead" and p.run.repetitions and p.param("threads")]
    constructs = list(dict.fromkeys(p.name.variant for p in rows))
    for construct in constructs:
        series = sorted((p.param("threads") or 0, median(p.run, "overhead_us") or 0)
                        for p in rows if p.name.variant == construct)
        ax.plot([t for t, _ in series], [v for _, v in series], marker="o", label=construct)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_xlabel("OpenMP threads")
    ax.set_ylabel("overhead per construct (us)")
    ax.set_title("OpenMP construct overheads (EPCC method: test - reference loop)")
    if constructs:
        ax.legend(fontsize="x-small", ncol=2)


def figure(result: Result, runs: list[Run]) -> Figure:
    pts = points(runs)
    n = cores(result)
    found = curves(pts)
    fig = Figure(figsize=(15, 11), layout="constrained")
    (strong, weak), (schedule, overhead) = fig.subplots(2, 2)
    _scaling_panel(strong, found, "strong", n)
    _scaling_panel(weak, found, "weak", n)
    _schedule_panel(schedule, pts)
    _overhead_panel(overhead, pts)
    context = result.context
    binding = f"OMP_PLACES={context.get('omp_places', '?')}, OMP_PROC_BIND={context.get('omp_proc_bind', '?')}"
    fig.suptitle(f"MIMD (OpenMP) on {context.get('host_name', '?')}: {context.get('cpu_model', '')}, "
                 f"{n or '?'} cores; {binding}")
    return fig



