"""The mpi area's readings for the card's interconnect section: the small-message latency and the
peak window bandwidth of each placement (same host, cross host), the message size that reaches
half the peak (n_1/2, Hockney's figure for where a link stops being latency-bound), the
cross-host/same-host ratios (as each cross-host finding's ratio against its same-host limit) and
how an 8-byte allreduce grows with the rank count."""

import math

from typing import TYPE_CHECKING

from flynn.areas import mimd
from flynn.areas.common import Point, finding, median, missing, points, size_text, skipped_reasons, trust
from flynn.findings import Finding, ReadingOptions
from flynn.results import Result, Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

AREA = "mpi"
# The small message: OSU's 8-byte row, one double, what a reduction of a scalar sends.
SMALL_BYTES = 8
PLACEMENTS = ("same_host", "cross_host")


def _of(pts: list[Point], kernel: str, placement: str) -> list[Point]:
    return [p for p in pts if p.name.kernel == kernel and p.name.params.get("placement") == placement
            and p.run.repetitions]


def _latency(pts: list[Point], placement: str) -> tuple[float | None, Point | None]:
    for p in _of(pts, "pingpong", placement):
        if p.param("bytes") == SMALL_BYTES:
            return median(p.run, "ns_per_message"), p
    return None, None


def _bandwidth_curve(pts: list[Point], placement: str) -> list[tuple[int, float, Point]]:
    curve = []
    for p in _of(pts, "bandwidth", placement):
        size, rate = p.param("bytes"), median(p.run, "bytes_per_second")
        if size is not None and rate is not None and rate > 0:
            curve.append((size, rate, p))
    return sorted(curve, key=lambda item: item[0])


def half_peak_size(curve: list[tuple[int, float]]) -> int | None:
    """The smallest message size whose bandwidth reaches half the peak of `curve` (size, rate)."""
    if not curve:
        return None
    peak = max(rate for _, rate in curve)
    return min(size for size, rate in curve if rate >= peak / 2)


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    found: list[Finding] = []
    hosts = result.context.get("mpi_hosts", "?")
    same_latency, same_peak = None, None
    for placement in PLACEMENTS:
        where = placement.replace("_", " ")
        value, point = _latency(pts, placement)
        if point is not None:
            cross = placement == "cross_host"
            found.append(finding(
                AREA, f"latency/{placement}", f"{SMALL_BYTES}-byte latency, {where}", value / 1e3 if value else None, "us",
                limit=same_latency / 1e3 if cross and same_latency else None,
                limit_source="the same-host pair's latency" if cross and same_latency else "",
                meaning=(f"an {SMALL_BYTES}-byte message from rank {point.param('rank_a')} to rank {point.param('rank_b')} "
                         f"({where}) takes {value / 1e3:.3g} us one way (half a ping-pong round trip)") if value else "",
                trust=trust([point.run], "ns_per_message", options), headline=True,
            ))
            if not cross:
                same_latency = value
        curve = _bandwidth_curve(pts, placement)
        if curve:
            peak_size, peak, peak_point = max(curve, key=lambda item: item[1])
            cross = placement == "cross_host"
            found.append(finding(
                AREA, f"bandwidth/{placement}/peak", f"peak bandwidth, {where}", peak / 1e9, "GB/s",
                limit=same_peak / 1e9 if cross and same_peak else None,
                limit_source="the same-host pair's peak" if cross and same_peak else "",
                meaning=(f"a window of {peak_point.param('window')} messages of {peak_size} B reaches "
                         f"{peak / 1e9:.3g} GB/s {where}"),
                trust=trust([peak_point.run], "bytes_per_second", options), headline=True,
            ))
            half = half_peak_size([(size, rate) for size, rate, _ in curve])
            found.append(finding(
                AREA, f"bandwidth/{placement}/half_peak_size", f"message size reaching half the peak, {where}",
                float(half) if half is not None else None, "B",
                limit_source=f"half of {peak / 1e9:.3g} GB/s (n_1/2)",
                meaning=(f"from {half} B per message a window gets half the peak {where}: smaller messages "
                         "are bound by latency, not by the link") if half is not None else "",
                trust=trust([p.run for _, _, p in curve], "bytes_per_second", options),
            ))
            if not cross:
                same_peak = peak
    found += _allreduce_scaling(pts, options)
    found += _hybrid_scaling(result, pts, options)
    if not found:
        found.append(missing(AREA, "none", "mpi: nothing measured", f"no mpi row with figures ({hosts} hosts)"))
    return found


def _allreduce_scaling(pts: list[Point], options: ReadingOptions) -> list[Finding]:
    small = [(p.param("ranks") or 0, v, p) for p in pts
             if p.name.kernel == "allreduce" and p.param("bytes") == SMALL_BYTES and p.run.repetitions
             and (v := median(p.run, "ns_per_op")) is not None]
    if len(small) < 2:
        return []
    small.sort(key=lambda item: item[0])
    (few, few_ns, few_point), (many, many_ns, many_point) = small[0], small[-1]
    return [finding(
        AREA, "allreduce/scaling", f"{SMALL_BYTES}-byte allreduce on {many} ranks", many_ns / 1e3, "us",
        limit=few_ns / 1e3, limit_source=f"the same allreduce on {few} ranks",
        meaning=(f"from {few} to {many} ranks an {SMALL_BYTES}-byte allreduce goes from {few_ns / 1e3:.3g} us to "
                 f"{many_ns / 1e3:.3g} us (a tree's log2 would be {_log2_ratio(few, many):.2g}x)"),
        trust=trust([few_point.run, many_point.run], "ns_per_op", options), headline=True,
    )]


def _hybrid_scaling(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    """The compute kernel's speedup at the most workers (ranks x threads) over 1 x 1, read as
    flynn_mimd reads its teams: the threads' places kept (threads_in_place_pct, where OpenMP places
    were given), and no compute-bound speedup past the ideal."""
    rates = {(p.param("ranks"), p.param("threads")): (rate, p) for p in pts
             if p.name.kernel == "hybrid" and p.run.repetitions and (rate := median(p.run, "flops_per_second"))}
    base = rates.get((1, 1))
    others = [(ranks, threads) for ranks, threads in rates if ranks and threads and (ranks, threads) != (1, 1)]
    if base is None or not others:
        rows = [p.run for p in pts if p.name.kernel == "hybrid"]
        if not rows:
            return []
        # Rows the CPUs could not hold are skipped with the reason: said, not left out.
        return [missing(AREA, "hybrid/poly/speedup", "hybrid compute speedup (ranks x threads)",
                        skipped_reasons(rows) or "no 1 x 1 row and another to scale from")]
    ranks, threads = max(others, key=lambda shape: (shape[0] * shape[1], rates[shape][0]))
    rate, point = rates[(ranks, threads)]
    workers = ranks * threads
    speedup = rate / base[0]
    proof, failed = mimd.placement_proof([p.run for _, p in rates.values()])
    note = None if proof else (f"threads' places unchecked: flynn_mpi ran with OMP_PLACES "
                               f"{result.context.get('mpi_omp_places', 'unset')}, so no thread had a place to keep")
    read = trust([base[1].run, point.run], "flops_per_second", options, proof, failed, note=note)
    return [finding(
        AREA, "hybrid/poly/speedup", f"hybrid compute speedup at {ranks} ranks x {threads} threads", speedup, "x",
        limit=float(workers), limit_source=f"ideal: {ranks} ranks x {threads} threads",
        meaning=(f"flynn_mimd's compute kernel runs {speedup:.2f}x as fast on {ranks} ranks x {threads} threads as on "
                 f"1 x 1: {speedup / workers:.0%} parallel efficiency"),
        trust=mimd.disturbed(read, mimd.past_ideal(speedup, workers, f"{ranks} ranks x {threads} threads")),
        headline=True,
    )]


def _log2_ratio(few: int, many: int) -> float:
    return math.log2(many) / math.log2(few) if few > 1 else float(many)


# The figure: what the readings summarise, as OSU's and mpiGraph's plots show it.

_PLACEMENT_STYLE = {"same_host": ("tab:blue", "same host (shared memory)"), "cross_host": ("tab:red", "cross host")}


def _curve(pts: list[Point], kernel: str, placement: str, counter: str) -> list[tuple[int, float]]:
    curve = []
    for p in _of(pts, kernel, placement):
        size, value = p.param("bytes"), median(p.run, counter)
        if size is not None and value is not None and value > 0:
            curve.append((size, value))
    return sorted(curve)


def _no_data(ax: "Axes", title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "not in this run", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _finish_size_panel(ax: "Axes", title: str, ylabel: str, drawn: bool) -> None:
    """Log-log axes over the message size, or the panel's word that the run lacks it."""
    if not drawn:
        _no_data(ax, title)
        return
    ax.set_xscale("log", base=2)
    ax.set_xlabel("message size (bytes)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def _latency_panel(ax: "Axes", pts: list[Point]) -> None:
    title = "(a) one-way latency (half the ping-pong round trip)"
    drawn = False
    for placement, (colour, label) in _PLACEMENT_STYLE.items():
        # A 0-byte message has no place on a log axis; the readings keep it, the plot starts at 1 B.
        curve = [(size, ns / 1e3) for size, ns in _curve(pts, "pingpong", placement, "ns_per_message") if size > 0]
        if curve:
            ax.plot(*zip(*curve), "o-", color=colour, label=label, markersize=3)
            drawn = True
    _finish_size_panel(ax, title, "latency (us)", drawn)


def _bandwidth_panel(ax: "Axes", pts: list[Point]) -> None:
    title = "(b) bandwidth: window of 64 sends (solid), both ways (dashed)"
    drawn = False
    for placement, (colour, label) in _PLACEMENT_STYLE.items():
        for kernel, style in (("bandwidth", "o-"), ("bibandwidth", "s--")):
            curve = [(size, rate / 1e9) for size, rate in _curve(pts, kernel, placement, "bytes_per_second")]
            if curve:
                ax.plot(*zip(*curve), style, color=colour, markersize=3,
                        label=f"{label}{'' if kernel == 'bandwidth' else ', both ways'}")
                drawn = True
        half = half_peak_size(_curve(pts, "bandwidth", placement, "bytes_per_second"))
        if half is not None:
            ax.axvline(half, color=colour, linestyle=":", linewidth=1)
    _finish_size_panel(ax, title, "GB/s (dotted: the size reaching half the peak)", drawn)


# A pair matrix is drawn up to this many ranks (mpiGraph's pages hold thousands, but the ranks
# come from an untrusted file); each cell is labelled up to the second.
MAX_PAIR_RANKS = 512
LABELLED_PAIR_RANKS = 16
# kernel: (counter, scale to the unit shown, unit, what the panel shows)
_PAIR_FIGURES = {
    "pair_latency": ("ns_per_message", 1e-3, "us", "latency"),
    "pair_bandwidth": ("bytes_per_second", 1e-9, "GB/s", "bandwidth"),
}


def _pair_panel(fig: "Figure", ax: "Axes", result: Result, pts: list[Point], kernel: str, letter: str) -> None:
    counter, scale, unit, what = _PAIR_FIGURES[kernel]
    sizes = {p.param("bytes") for p in pts if p.name.kernel == kernel and p.param("bytes") is not None}
    size = f"{size_text(sizes.pop())} " if len(sizes) == 1 else ""
    title = f"({letter}) pairs: {size}{what} ({unit})\nwhite lines part the hosts"
    cells = {}
    for p in pts:
        if p.name.kernel == kernel and p.run.repetitions:
            a, b, value = p.param("rank_a"), p.param("rank_b"), median(p.run, counter)
            if a is not None and b is not None and value is not None:
                cells[(a, b)] = cells[(b, a)] = value * scale
    if not cells:
        _no_data(ax, title)
        return
    # The ranks the rows name, in order: a grid of those, not of every number up to the largest.
    ranks = sorted({rank for pair in cells for rank in pair})
    if len(ranks) > MAX_PAIR_RANKS:
        _no_data(ax, title)
        ax.texts[0].set_text(f"{len(ranks)} ranks: more than the {MAX_PAIR_RANKS} drawn")
        return
    at = {rank: index for index, rank in enumerate(ranks)}
    grid = [[cells.get((a, b), float("nan")) for b in ranks] for a in ranks]
    image = ax.imshow(grid, cmap="viridis", origin="upper")
    fig.colorbar(image, ax=ax, label=unit)
    hosts = [str(result.context.get(f"mpi_host_rank_{rank}", "?")) for rank in ranks]
    # A line wherever the next rank lives on another host: mpiGraph's blocks.
    for index in range(1, len(ranks)):
        if hosts[index] != hosts[index - 1]:
            ax.axhline(index - 0.5, color="white", linewidth=2)
            ax.axvline(index - 0.5, color="white", linewidth=2)
    if len(ranks) <= LABELLED_PAIR_RANKS:
        ax.set_xticks(range(len(ranks)), [f"{rank}\n{host}" for rank, host in zip(ranks, hosts)], fontsize="x-small")
        ax.set_yticks(range(len(ranks)), [f"{rank} {host}" for rank, host in zip(ranks, hosts)], fontsize="x-small")
        for (a, b), value in cells.items():
            ax.text(at[b], at[a], f"{value:.3g}", ha="center", va="center", color="white", fontsize="x-small")
    ax.set_title(title)


def _collectives_panel(ax: "Axes", pts: list[Point]) -> None:
    title = "(e) 8-byte collectives by rank count: mean over ranks, band min to max"
    by_kernel: dict[str, list[tuple[int, float, float, float]]] = {}
    for p in pts:
        if p.name.kernel not in ("allreduce", "bcast", "alltoall", "barrier") or not p.run.repetitions:
            continue
        if p.name.kernel != "barrier" and p.param("bytes") != SMALL_BYTES:
            continue
        ranks = p.param("ranks")
        low, mean, high = (median(p.run, f"ns_per_op_{which}_rank") for which in ("min", "mean", "max"))
        if ranks is not None and None not in (low, mean, high):
            by_kernel.setdefault(p.name.kernel, []).append((ranks, low / 1e3, mean / 1e3, high / 1e3))
    if not by_kernel:
        _no_data(ax, title)
        return
    for kernel, rows in sorted(by_kernel.items()):
        rows.sort()
        counts = [row[0] for row in rows]
        line, = ax.plot(counts, [row[2] for row in rows], "o-", label=kernel, markersize=3)
        ax.fill_between(counts, [row[1] for row in rows], [row[3] for row in rows], color=line.get_color(), alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("ranks")
    ax.set_ylabel("us per operation")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize="small")


def figure(result: Result, runs: list[Run]) -> "Figure":
    """The mpi area: latency and bandwidth by message size, same host against cross host; the pair
    matrices of latency and bandwidth with the host boundaries; the collectives by rank count."""
    from matplotlib.figure import Figure

    pts = points(runs)
    fig = Figure(figsize=(18, 11), layout="constrained")
    panels = fig.subplot_mosaic([["latency", "latency", "bandwidth", "bandwidth"],
                                 ["pair_latency", "pair_bandwidth", "collectives", "collectives"]])
    _latency_panel(panels["latency"], pts)
    _bandwidth_panel(panels["bandwidth"], pts)
    _pair_panel(fig, panels["pair_latency"], result, pts, "pair_latency", "c")
    _pair_panel(fig, panels["pair_bandwidth"], result, pts, "pair_bandwidth", "d")
    _collectives_panel(panels["collectives"], pts)
    context = result.context
    hosts = sorted({str(value) for key, value in context.items() if key.startswith("mpi_host_rank_")})
    fig.suptitle(f"mpi: {context.get('mpi_ranks', '?')} ranks on {len(hosts) or '?'} host(s) "
                 f"({', '.join(hosts)}), {context.get('cpu_model', 'unknown CPU')}")
    return fig
