"""The sync and io areas: contended against uncontended atomics, the mutex, the false-sharing
factor, the updates the race loses, the cache-line hand-off min/max, and I/O-bound speedup at
many threads against CPU-bound saturation at the core count; and their figures."""

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn import names, stats
from flynn.areas.common import Point, cores, finding, median, missing, points, trust
from flynn.findings import Finding, ReadingOptions
from flynn.results import Result, Run

STRATEGIES = ("racy", "fetch_add_relaxed", "fetch_add_seq_cst", "cas_loop", "mutex", "ttas_spinlock",
              "local_sum", "packed_slots", "padded_slots")
_FALSE_SHARING = ("packed_slots", "padded_slots", "local_sum")

Parsed = list[tuple[names.BenchmarkName, Run]]


def _counter(pts: list[Point], variant: str, threads: int | None) -> Point | None:
    return next((p for p in pts if p.name.kernel == "counter" and p.name.variant == variant
                 and p.param("threads") == threads and p.run.repetitions), None)


def _contended_threads(pts: list[Point], n: int | None) -> int | None:
    counts = sorted({p.param("threads") or 0 for p in pts if p.name.kernel == "counter" and p.run.repetitions})
    fitting = [t for t in counts if t > 1 and (n is None or t <= n)]
    return max(fitting, default=max(counts, default=None) if counts and counts[-1] > 1 else None)


def false_sharing(pts: list[Point]) -> dict[int, float]:
    """packed / padded ns per increment by thread count: the false-sharing factor."""
    found = {}
    for p in pts:
        threads = p.param("threads")
        if p.name.kernel == "counter" and p.name.variant == "packed_slots" and threads:
            padded = _counter(pts, "padded_slots", threads)
            a, b = median(p.run, "ns_per_increment"), median(padded.run, "ns_per_increment") if padded else None
            if a and b:
                found[threads] = a / b
    return found


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    n = cores(result)
    t = _contended_threads(pts, n)
    found: list[Finding] = []
    for variant, label, headline in (("fetch_add_relaxed", "atomic fetch_add", True), ("mutex", "mutex", True),
                                     ("cas_loop", "CAS loop", False), ("ttas_spinlock", "TTAS spinlock", False),
                                     ("fetch_add_seq_cst", "fetch_add seq_cst", False)):
        alone, shared = _counter(pts, variant, 1), _counter(pts, variant, t)
        if alone is None or shared is None:
            continue
        a, s = median(alone.run, "ns_per_increment"), median(shared.run, "ns_per_increment")
        lost = median(shared.run, "lost_updates_pct")
        found.append(finding(
            "sync", f"counter/{variant}/contended", f"{label}, {t} threads on one counter", s, "ns",
            limit=a, limit_source=f"uncontended: 1 thread ({alone.run.name})",
            meaning=(f"with {t} threads on one cache line each increment costs {s:.3g} ns against {a:.3g} ns alone: "
                     "the line moves between cores on every update") if s and a else "",
            trust=trust([alone.run, shared.run], "ns_per_increment", options,
                        proof=f"lost_updates_pct {lost:.0f}%" if lost is not None else None,
                        failed_proof=f"a safe strategy lost {lost:.1f}% of its updates" if lost else None),
            headline=headline,
        ))
    packed, padded = _counter(pts, "packed_slots", t), _counter(pts, "padded_slots", t)
    if packed and padded:
        a, b = median(packed.run, "ns_per_increment"), median(padded.run, "ns_per_increment")
        found.append(finding(
            "sync", "false_sharing", f"false sharing, {t} threads (packed vs padded slots)", a, "ns",
            limit=b, limit_source=f"own counters on their own lines ({padded.run.name})",
            meaning=(f"threads that never share a counter but share its cache line pay {a / b:.1f}x: "
                     "the line bounces as if they did") if a and b else "",
            trust=trust([packed.run, padded.run], "ns_per_increment", options), headline=True,
        ))
    racy = [p for p in pts if p.name.kernel == "counter" and p.name.variant == "racy" and p.run.repetitions
            and (p.param("threads") or 0) > 1]
    if racy:
        point = max(racy, key=lambda p: p.param("threads") or 0)
        lost = median(point.run, "lost_updates_pct")
        found.append(finding(
            "sync", "race/lost_updates", f"updates lost by the race, {point.param('threads')} threads", lost, "%",
            limit=0.0, limit_source="a correct counter loses none",
            meaning=(f"a load then a store from {point.param('threads')} threads loses {lost:.0f}% of the increments: "
                     "the data race is not a theory") if lost is not None else "",
            trust=trust([point.run], "lost_updates_pct", options), headline=True,
        ))
    handoffs = [(v, p) for p in pts if p.name.kernel == "line_handoff" and p.run.repetitions
                and (v := median(p.run, "ns_per_handoff"))]
    if handoffs:
        low, low_p = min(handoffs, key=lambda item: item[0])
        high, high_p = max(handoffs, key=lambda item: item[0])
        pair = lambda p: f"CPUs {p.name.params.get('cpu_a')}-{p.name.params.get('cpu_b')}"  # noqa: E731
        found.append(finding(
            "sync", "line_handoff/min", f"cache-line hand-off, fastest pair ({pair(low_p)})", low, "ns",
            meaning=f"a line bounced by compare-exchange moves between the closest CPUs in {low:.3g} ns",
            trust=trust([low_p.run], "ns_per_handoff", options), headline=len(handoffs) == 1,
        ))
        if len(handoffs) > 1:
            found.append(finding(
                "sync", "line_handoff/max", f"cache-line hand-off, slowest pair ({pair(high_p)})", high, "ns",
                limit=low, limit_source=f"the fastest pair ({pair(low_p)})",
                meaning=f"the furthest CPUs take {high / low:.1f}x as long to pass a line",
                trust=trust([high_p.run], "ns_per_handoff", options), headline=True,
            ))
    if not found:
        found.append(missing("sync", "none", "sync: nothing measured", "every sync row was skipped"))
    return found


def io_readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    n = cores(result)
    found: list[Finding] = []
    for kernel, variant, key, what in (("fetch", "blocking", "pages_per_second", "I/O-bound (blocking fetch)"),
                                       ("tasks", "spin", "tasks_per_second", "CPU-bound (spinning tasks)")):
        rows = {p.param("threads"): p for p in pts if p.name.kernel == kernel and p.name.variant == variant
                and p.run.repetitions and p.param("threads")}
        if 1 not in rows or len(rows) < 2:
            continue
        top = max(rows)
        base, value = median(rows[1].run, key), median(rows[top].run, key)
        if not base or not value:
            continue
        speedup = value / base
        if kernel == "fetch":
            limit, source = float(top), f"ideal: {top} threads, each waiting on its own page"
            meaning = (f"{top} threads fetch {speedup:.1f}x the pages of one, on {n or '?'} cores: waiting threads "
                       "need no core")
        else:
            limit, source = float(n) if n else None, f"saturation at the {n or '?'} cores (topology_cores)"
            meaning = (f"{top} threads run {speedup:.1f}x the tasks of one: CPU-bound work stops at the core count")
        found.append(finding(
            "io", f"{kernel}/speedup", f"{what} speedup at {top} threads", speedup, "x",
            limit=limit, limit_source=source, meaning=meaning,
            trust=trust([rows[1].run, rows[top].run], key, options), headline=True,
        ))
    if not found:
        found.append(missing("io", "none", "io: nothing measured", "no io run with 1 and more threads"))
    return found


# The figures ---------------------------------------------------------------------------------


def _median(run: Run, key: str) -> float | None:
    spread = stats.of(run, key)
    return spread.median if spread else None


def _int_context(result: Result, key: str) -> int | None:
    value = str(result.context.get(key, ""))
    return int(value) if value.isdigit() else None


def _empty(ax: Axes, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "not in this run", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _by_threads(rows: Parsed, variant: str, counter: str) -> list[tuple[int, float]]:
    points = []
    for name, run in rows:
        value = _median(run, counter) if name.variant == variant else None
        if value is not None:
            points.append((int(name.params["threads"]), value))
    return sorted(points)


def _threads_axis(ax: Axes, counts: list[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(count) for count in counts])
    ax.minorticks_off()


def _mark_cores(ax: Axes, cores: int | None) -> None:
    if cores:
        ax.axvline(cores, color="grey", linestyle="--", linewidth=0.8)
        ax.text(cores, 0.02, f" {cores} cores", color="grey", transform=ax.get_xaxis_transform())


def _strategy_panel(ax: Axes, rows: Parsed, cores: int | None) -> None:
    title = "(a) one shared counter: ns per increment (wall time / all increments)"
    counters = [(n, r) for n, r in rows if n.kernel == "counter"]
    variants = [v for v in STRATEGIES if any(n.variant == v for n, _ in counters)]
    variants += sorted({n.variant for n, _ in counters} - set(variants))
    counts: set[int] = set()
    for variant in variants:
        points = _by_threads(counters, variant, "ns_per_increment")
        if not points:
            continue
        style = "--" if variant in _FALSE_SHARING else "-"
        line, = ax.plot([t for t, _ in points], [v for _, v in points], marker="o", linestyle=style, label=variant)
        counts.update(t for t, _ in points)
        if variant == "racy":
            for t, lost in _by_threads(counters, variant, "lost_updates_pct"):
                value = dict(points).get(t)
                if value is not None:
                    ax.annotate(f"{lost:.0f}% lost", (t, value), textcoords="offset points", xytext=(4, -12),
                                color=line.get_color(), fontsize="small", fontweight="bold")
    if not counts:
        _empty(ax, title)
        return
    _threads_axis(ax, sorted(counts))
    _mark_cores(ax, cores)
    ax.set_yscale("log")
    ax.set_xlabel("threads (pinned, spread over cores)")
    ax.set_ylabel("ns per increment (median)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small", ncol=2)


def _false_sharing_panel(ax: Axes, rows: Parsed) -> None:
    title = "(b) false sharing: own counters 8 per line (packed) vs 128 B apart (padded)"
    counters = [(n, r) for n, r in rows if n.kernel == "counter"]
    series = {v: dict(_by_threads(counters, v, "ns_per_increment")) for v in _FALSE_SHARING}
    counts = sorted(set().union(*(s.keys() for s in series.values())))
    if not counts:
        _empty(ax, title)
        return
    width = 0.8 / len(_FALSE_SHARING)
    for index, variant in enumerate(_FALSE_SHARING):
        xs = [i for i, t in enumerate(counts) if t in series[variant]]
        bars = ax.bar([x - 0.4 + width * (index + 0.5) for x in xs], [series[variant][counts[x]] for x in xs],
                      width, label=variant)
        ax.bar_label(bars, fmt="%.2f", fontsize="x-small")
    factors = false_sharing([Point(n, r) for n, r in rows])
    for i, t in enumerate(counts):
        if t in factors:
            ax.annotate(f"packed/padded {factors[t]:.1f}x", (i, 0), xytext=(0, -28), textcoords="offset points",
                        ha="center", fontsize="x-small")
    ax.set_xticks(range(len(counts)), [f"threads:{t}" for t in counts])
    ax.set_ylabel("ns per increment (median)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")


def _handoff_panel(fig: Figure, ax: Axes, rows: Parsed) -> None:
    title = "(c) cache-line hand-off between CPUs (compare-exchange ping-pong), ns"
    cells: dict[tuple[int, int], float] = {}
    for name, run in rows:
        value = _median(run, "ns_per_handoff") if name.kernel == "line_handoff" else None
        if value is not None:
            a, b = int(name.params["cpu_a"]), int(name.params["cpu_b"])
            # The bounce is symmetric: (a, b) stands for (b, a) too.
            cells[(a, b)] = cells[(b, a)] = value
    if not cells:
        _empty(ax, title)
        return
    cpus = sorted({cpu for pair in cells for cpu in pair})
    index = {cpu: i for i, cpu in enumerate(cpus)}
    matrix = np.full((len(cpus), len(cpus)), np.nan)
    for (a, b), value in cells.items():
        matrix[index[a], index[b]] = value
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap="viridis", origin="upper")
    fig.colorbar(image, ax=ax, label="ns per hand-off (median)")
    if len(cpus) <= 16:
        for (a, b), value in cells.items():
            ax.text(index[b], index[a], f"{value:.0f}", ha="center", va="center", color="white", fontsize="small")
    ticks = range(len(cpus)) if len(cpus) <= 32 else range(0, len(cpus), max(1, len(cpus) // 16))
    ax.set_xticks(list(ticks), [str(cpus[i]) for i in ticks])
    ax.set_yticks(list(ticks), [str(cpus[i]) for i in ticks])
    ax.set_xlabel("CPU b (blank diagonal: a CPU with itself has no hand-off)")
    ax.set_ylabel("CPU a")
    ax.set_title(title)


def _lost_panel(ax: Axes, rows: Parsed) -> None:
    title = "(d) the race: share of updates lost by relaxed load + store"
    points = _by_threads([(n, r) for n, r in rows if n.kernel == "counter"], "racy", "lost_updates_pct")
    if not points:
        _empty(ax, title)
        return
    bars = ax.bar(range(len(points)), [v for _, v in points], color="#d62728")
    ax.bar_label(bars, fmt="%.1f%%", fontsize="small")
    ax.set_xticks(range(len(points)), [f"threads:{t}" for t, _ in points])
    ax.set_ylim(0, 100)
    ax.set_ylabel("lost updates (% of threads x increments)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)


def _footnote(runs: list[Run]) -> str:
    lines = [f"not measured: {run.name} ({run.skip_reason})" for run in runs if run.skip_reason is not None]
    lines += [f"FAILED: {run.name}: {run.error}" for run in runs if run.failed]
    return "\n".join(lines[:6])


def _title(fig: Figure, result: Result, what: str, runs: list[Run]) -> None:
    context = result.context
    fig.suptitle(f"{what} on {context.get('host_name', '?')} ({context.get('cpu_model', 'unknown CPU')}), "
                 f"{context.get('topology_cores', '?')} cores, {context.get('topology_pus', '?')} PUs")
    note = _footnote(runs)
    if note:
        fig.text(0.01, 0.005, note, ha="left", va="bottom", fontsize="x-small")


def figure(result: Result, runs: list[Run]) -> Figure:
    """The sync area."""
    rows = [(names.parse(run.name), run) for run in runs]
    cores = _int_context(result, "topology_cores")
    fig = Figure(figsize=(16, 11), layout="constrained")
    (strategies, sharing), (handoff, lost) = fig.subplots(2, 2)
    _strategy_panel(strategies, rows, cores)
    _false_sharing_panel(sharing, rows)
    _handoff_panel(fig, handoff, rows)
    _lost_panel(lost, rows)
    increments = result.context.get("sync_increments_per_thread", "?")
    _title(fig, result, f"sync: shared state ({increments} increments per thread)", runs)
    return fig


def _fetch_and_tasks(
    rows: Parsed, fetch_key: str, tasks_key: str
) -> tuple[list[tuple[int, float]], list[tuple[int, float]], list[int]]:
    """The blocking fetch's and the CPU tasks' medians by thread count, and every count seen."""
    fetch = _by_threads([(n, r) for n, r in rows if n.kernel == "fetch"], "blocking", fetch_key)
    tasks = _by_threads([(n, r) for n, r in rows if n.kernel == "tasks"], "spin", tasks_key)
    return fetch, tasks, sorted({t for t, _ in fetch + tasks})


def _rate_panel(ax: Axes, rows: Parsed, cores: int | None) -> None:
    title = "(a) K pages fetched vs K CPU tasks: throughput by thread count"
    fetch, tasks, counts = _fetch_and_tasks(rows, "pages_per_second", "tasks_per_second")
    if not counts:
        _empty(ax, title)
        return
    if fetch:
        ax.plot([t for t, _ in fetch], [v for _, v in fetch], marker="o", color="#1f77b4",
                label="I/O-bound: pages/s (blocking sockets, a thread each)")
        ax.plot(counts, [fetch[0][1] * t / fetch[0][0] for t in counts], color="#1f77b4", linestyle=":",
                linewidth=0.8, label="pages/s if it scaled perfectly")
    for name, run in rows:
        value = _median(run, "pages_per_second") if name.kernel == "fetch" and name.variant == "epoll" else None
        if value is not None:
            ax.scatter([1], [value], marker="*", s=180, color="#2ca02c", zorder=3,
                       label=f"I/O-bound: 1 thread, epoll over {name.params.get('connections', '?')} connections")
    if tasks:
        ax.plot([t for t, _ in tasks], [v for _, v in tasks], marker="s", color="#d62728",
                label="CPU-bound: tasks/s (fixed computation)")
    _threads_axis(ax, counts)
    _mark_cores(ax, cores)
    ax.set_yscale("log")
    ax.set_xlabel("threads (log scale)")
    ax.set_ylabel("pages or tasks per second (median, log scale)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small", loc="upper left")


def _cpu_panel(ax: Axes, rows: Parsed, cores: int | None, pus: int | None) -> None:
    title = "(b) CPU utilisation of the process (getrusage user + sys / wall time)"
    fetch, tasks, counts = _fetch_and_tasks(rows, "cpu_utilisation_pct", "cpu_utilisation_pct")
    if not counts:
        _empty(ax, title)
        return
    if fetch:
        ax.plot([t for t, _ in fetch], [v for _, v in fetch], marker="o", color="#1f77b4", label="fetching pages")
    if tasks:
        ax.plot([t for t, _ in tasks], [v for _, v in tasks], marker="s", color="#d62728", label="CPU tasks")
    if pus:
        ax.axhline(100 * pus, color="black", linewidth=0.8, linestyle=":")
        ax.text(counts[0], 100 * pus, f" all {pus} CPUs busy", va="bottom", fontsize="small")
    _threads_axis(ax, counts)
    _mark_cores(ax, cores)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("threads (log scale)")
    ax.set_ylabel("CPU utilisation (%, 100 = one CPU; includes the server thread)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def io_figure(result: Result, runs: list[Run]) -> Figure:
    """The io area: I/O-bound work keeps scaling past the core count, CPU-bound work stops at it."""
    rows = [(names.parse(run.name), run) for run in runs]
    fig = Figure(figsize=(16, 7), layout="constrained")
    rates, cpu = fig.subplots(1, 2)
    _rate_panel(rates, rows, _int_context(result, "topology_cores"))
    _cpu_panel(cpu, rows, _int_context(result, "topology_cores"), _int_context(result, "topology_pus"))
    delay = result.context.get("io_delay_us", "?")
    pages = result.context.get("io_pages", "?")
    _title(fig, result, f"io: I/O-bound vs CPU-bound (K = {pages}, server delay {delay} us per page)", runs)
    return fig
