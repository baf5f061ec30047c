"""The ctxsw area: thread and process switch cost on one CPU, the cross-core wake-up, the
mechanism alone, the cache refill per MiB touched and the time slice observed; and its figure:
hand-off cost by mechanism and placement, its growth with the working set, and how one CPU is
time-sliced between busy threads."""

import re
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter

from flynn import names, stats
from flynn.areas.common import Point, context_int, finding, median, missing, points, trust
from flynn.findings import Finding, ReadingOptions
from flynn.results import Result, Run

AREA = "ctxsw"
# The mechanism the headline figures use: a futex wake is what every other one ends in.
HEADLINE_MECHANISM = "futex"
# Below this many switches per hand-off the benchmark did not switch (switches_per_op).
SWITCHED = 0.5
# The mechanisms whose hand-off enters the kernel even with nobody waiting; a condvar's notify and
# a polled yield bell return in user space when there is nothing to wake or wait for.
SYSCALL_MECHANISMS = frozenset({"futex", "pipe", "eventfd"})
# EEVDF's default base slice since Linux 6.6: sched/base_slice_ns is 0.75 ms scaled, as the
# default SCHED_TUNABLESCALING_LOG does, by 1 + ilog2(online CPUs, at most 8) (kernel/sched/fair.c),
# so 1.5 ms on 2 CPUs and 3 ms from 8 on. The tunable itself is not recorded in the context, so
# this is an assumption the limit_source states.
EEVDF_NORMALIZED_SLICE_NS = 0.75e6
EEVDF_SCALING_CPUS_MAX = 8


def eevdf_base_slice_ns(cpus: int) -> float:
    return EEVDF_NORMALIZED_SLICE_NS * (1 + (min(cpus, EEVDF_SCALING_CPUS_MAX).bit_length() - 1))


def _find(pts: list[Point], kernel: str, variant: str, placement: str | None, size: int) -> Point | None:
    for p in pts:
        if (p.name.kernel == kernel and p.name.variant == variant and p.param("bytes") == size
                and (placement is None or p.name.params.get("placement") == placement)):
            return p
    return None


def _counted_by(run: Run) -> str:
    """Whose count switches_per_op is. Today getrusage's over the timed run, with perf's
    context-switches from a counted pass before it beside it (perf events on a switching task
    lengthen its switches, so the timed run has none); results from before that counted the timed
    run with perf and kept getrusage as rusage_switches_per_op."""
    if run.values("rusage_switches_per_op"):
        return "perf_event, the kernel's count"
    kernel = median(run, "context_switches_per_switch")
    if kernel is None:
        return "getrusage"
    return f"getrusage over the timed run; perf_event {kernel:.2f} in a counted pass before it"


def _switch_proof(point: Point) -> tuple[str | None, str | None]:
    switches = median(point.run, "switches_per_op")
    if switches is None:
        return None, None
    failed = f"only {switches:.2f} context switches per hand-off: it did not switch" if switches < SWITCHED else None
    return f"switches_per_op {switches:.2f} ({_counted_by(point.run)})", failed


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    found: list[Finding] = []
    mechanisms = list(dict.fromkeys(p.name.kernel for p in pts if p.name.kernel != "timeslice"))
    for mechanism in mechanisms:
        alone = _find(pts, mechanism, "alone", None, 0)
        alone_ns = median(alone.run, "ns_per_handoff") if alone and alone.run.repetitions else None
        if alone is not None:
            found.append(finding(
                AREA, f"{mechanism}/alone", f"{mechanism} call alone (no partner to wake)", alone_ns, "ns",
                meaning=(f"the {mechanism} {'system calls' if mechanism in SYSCALL_MECHANISMS else 'calls'} of one "
                         "hand-off with nobody waiting: the mechanism without a switch"
                         + ("" if mechanism in SYSCALL_MECHANISMS else
                            " (with nobody waiting they stay in user space)")),
                trust=trust([alone.run], "ns_per_handoff", options), headline=mechanism == HEADLINE_MECHANISM,
            ))
        thread = _find(pts, mechanism, "threads", "same_cpu", 0)
        thread_ns = None
        for model in ("threads", "processes"):
            point = _find(pts, mechanism, model, "same_cpu", 0)
            if point is None:
                continue
            value = median(point.run, "ns_per_switch") if point.run.repetitions else None
            proof, failed = _switch_proof(point) if point.run.repetitions else (None, None)
            if model == "threads":
                thread_ns = value
                limit, source = alone_ns, f"the call alone ({alone.run.name})" if alone else ""
                meaning = (f"waking a partner thread on the same CPU and switching to it costs {value:.3g} ns"
                           + (f", {value / alone_ns:.1f}x the call alone" if value and alone_ns else "")) if value else ""
            else:
                limit, source = thread_ns, f"the thread switch ({thread.run.name})" if thread else ""
                meaning = (f"between processes a switch costs {value:.3g} ns: the address-space change on top "
                           "of a thread switch") if value else ""
            found.append(finding(
                AREA, f"{mechanism}/{model}/same_cpu", f"{mechanism} {model[:-1] if model == 'threads' else 'process'} switch, one CPU",
                value, "ns", limit=limit, limit_source=source, meaning=meaning,
                trust=trust([point.run], "ns_per_switch", options, proof, failed),
                headline=mechanism == HEADLINE_MECHANISM,
            ))
        cross = _find(pts, mechanism, "threads", "cross_core", 0)
        if cross is not None:
            value = median(cross.run, "ns_per_switch") if cross.run.repetitions else None
            switches = median(cross.run, "switches_per_op") if cross.run.repetitions else None
            # A partner that polls (yield on two CPUs) never sleeps: no wake-up, no interrupt.
            slept = switches is None or switches >= SWITCHED
            if not value:
                meaning = ""
            elif slept:
                meaning = (f"waking a thread that sleeps on another core costs {value:.3g} ns per hand-off: "
                           "an inter-processor interrupt and an idle core's wake-up")
            else:
                meaning = (f"the partner on the other core polls and never sleeps ({switches:.2f} switches per "
                           f"hand-off): {value:.3g} ns is the message's trip between cores, with no wake-up")
            found.append(finding(
                AREA, f"{mechanism}/threads/cross_core",
                f"{mechanism} {'wake-up' if slept else 'hand-off (no sleep)'} across cores", value, "ns",
                limit=thread_ns, limit_source="the same-CPU thread switch",
                meaning=meaning,
                trust=trust([cross.run], "ns_per_switch", options,
                            proof=(f"switches_per_op {switches:.2f} ({_counted_by(cross.run)})"
                                   if switches is not None else None)),
                headline=mechanism == HEADLINE_MECHANISM,
            ))
        if thread is not None and thread.run.repetitions:
            sizes = sorted(p.param("bytes") or 0 for p in pts if p.name.kernel == mechanism and p.name.variant == "threads"
                           and p.name.params.get("placement") == "same_cpu" and p.run.repetitions)
            big = _find(pts, mechanism, "threads", "same_cpu", sizes[-1]) if sizes and sizes[-1] > 0 else None
            if big is not None and thread_ns:
                mib = (big.param("bytes") or 0) / (1 << 20)
                big_ns = median(big.run, "ns_per_switch") or 0
                per_mib = (big_ns - thread_ns) / mib
                found.append(finding(
                    AREA, f"{mechanism}/refill_per_mib", f"{mechanism}: cache refill after a switch, per MiB touched",
                    per_mib, "ns/MiB",
                    limit_source=f"slope from bytes:0 to bytes:{big.param('bytes')} (same_cpu threads)",
                    meaning=(f"each MiB the two sides touch between hand-offs adds {per_mib / 1e3:.3g} us to a switch: "
                             "the caches the other side evicted are refilled"),
                    trust=trust([thread.run, big.run], "ns_per_switch", options),
                    headline=mechanism == HEADLINE_MECHANISM,
                ))
    found += _timeslice_reading(result, pts, options)
    if not found:
        found.append(missing(AREA, "none", "ctxsw: nothing measured", "every ctxsw row was skipped"))
    return found


def _timeslice_reading(result: Result, pts: list[Point], options: ReadingOptions) -> list[Finding]:
    busy = [p for p in pts if p.name.kernel == "timeslice" and (p.param("threads") or 0) >= 2 and p.run.repetitions]
    slices = [(v, p) for p in busy if (v := median(p.run, "mean_time_slice_ns"))]
    if not slices:
        return []
    slices.sort(key=lambda item: item[0])
    value, point = slices[len(slices) // 2]
    release = re.match(r"(\d+)\.(\d+)", str(result.context.get("kernel_release", "")))
    eevdf = release is not None and (int(release[1]), int(release[2])) >= (6, 6)
    cpus = context_int(result, "num_cpus") or context_int(result, "topology_pus")
    slice_ns = eevdf_base_slice_ns(cpus) if eevdf and cpus else None
    if slice_ns is not None:
        source = (f"EEVDF's default base slice on {cpus} CPUs: 0.75 ms x (1 + log2 of the CPUs, at most 8) = "
                  f"{slice_ns / 1e6:g} ms (Linux >= 6.6; assumed, sched/base_slice_ns is not recorded; a slice "
                  "ends at the next scheduler tick, so the one observed can be longer)")
    elif eevdf:
        source = "EEVDF's base slice depends on the CPU count, which the context does not record"
    else:
        source = "the kernel's slice is not recorded (kernel before 6.6 or unknown)"
    return [finding(
        AREA, "timeslice", "time slice between busy threads on one CPU", value / 1e6, "ms",
        limit=slice_ns / 1e6 if slice_ns is not None else None,
        limit_source=source,
        meaning=(f"{point.param('threads')} busy threads pinned to one CPU each run {value / 1e6:.2f} ms before "
                 "the scheduler preempts them (the median over the thread counts)"),
        trust=trust([point.run], "mean_time_slice_ns", options),
        headline=True,
    )]


# The figure ----------------------------------------------------------------------------------

MECHANISMS = ("futex", "pipe", "eventfd", "condvar", "yield")
MODELS = ("threads", "processes")
PLACEMENTS = ("same_cpu", "cross_core", "smt", "cross_package", "unpinned")
# A y axis turns logarithmic once values span more than this factor, so the
# cheap mechanisms (a futex wake with no waiter) stay readable beside the dear ones.
_LOG_SPAN = 20.0

_PLACEMENT_COLOURS = dict(zip(PLACEMENTS, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")))
_MECHANISM_COLOURS = dict(zip(MECHANISMS, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")))
_ALONE_COLOUR = "#7f7f7f"
_MODEL_STYLE = {"threads": ("-", "o"), "processes": ("-.", "s")}


def _ordered(found: set[str], canonical: tuple[str, ...]) -> list[str]:
    return [item for item in canonical if item in found] + sorted(found - set(canonical))


def _kibibytes(value: int) -> str:
    if value == 0:
        return "0"
    if value % (1 << 20) == 0:
        return f"{value >> 20} MiB"
    if value % (1 << 10) == 0:
        return f"{value >> 10} KiB"
    return f"{value} B"


def _log_if_wide(ax: Axes, values: list[float]) -> None:
    positive = [value for value in values if value > 0]
    if positive and max(positive) / min(positive) > _LOG_SPAN:
        ax.set_yscale("log")


def _empty(ax: Axes, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "not in this run", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _error_bar(spread: stats.Spread) -> list[list[float]]:
    return [[spread.median - spread.low], [spread.high - spread.median]]


def _bytes(point: Point) -> int | None:
    value = point.name.params.get("bytes", "")
    return int(value) if value.isdigit() else None


def _switch_bars(ax: Axes, model: str, switches: list[Point], alone: list[Point]) -> list[float]:
    """Panel (a) for one model; returns the plotted values for the shared y scale."""
    at_zero = [p for p in switches if _bytes(p) == 0 and p.run.repetitions]
    mechanisms = _ordered({p.name.kernel for p in switches + alone}, MECHANISMS)
    placements = _ordered({p.name.params.get("placement", "?") for p in at_zero}, PLACEMENTS)
    alone_at_zero = {p.name.kernel: p for p in alone if _bytes(p) == 0 and p.run.repetitions}
    slots = len(placements) + (1 if alone_at_zero else 0)
    width = 0.8 / max(slots, 1)
    plotted = []
    for slot, placement in enumerate(placements):
        for index, mechanism in enumerate(mechanisms):
            match = [
                p for p in at_zero
                if p.name.kernel == mechanism and p.name.variant == model
                and p.name.params.get("placement") == placement
            ]
            spread = stats.of(match[0].run, "ns_per_switch") if match else None
            if spread is None:
                continue
            ax.bar(
                index - 0.4 + width * (slot + 0.5), spread.median, width,
                yerr=_error_bar(spread), capsize=2,
                color=_PLACEMENT_COLOURS.get(placement, "#bcbd22"),
                label=f"placement:{placement}",
            )
            plotted += [spread.low, spread.high]
    for index, mechanism in enumerate(mechanisms):
        point = alone_at_zero.get(mechanism)
        spread = stats.of(point.run, "ns_per_handoff") if point else None
        if spread is None:
            continue
        ax.bar(
            index - 0.4 + width * (slots - 0.5), spread.median, width,
            yerr=_error_bar(spread), capsize=2, color="white", edgecolor=_ALONE_COLOUR,
            hatch="///", label="alone: no partner (ns per hand-off)",
        )
        plotted += [spread.low, spread.high]
    ax.set_xticks(range(len(mechanisms)), mechanisms)
    ax.set_title(f"(a) one hand-off that wakes a partner, {model}, bytes:0")
    ax.set_ylabel("ns per switch (median; bars min..max)")
    ax.grid(axis="y", alpha=0.3)
    return plotted


def _dedupe_legend(ax: Axes, **kwargs: object) -> None:
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), **kwargs)


def _working_set(ax: Axes, switches: list[Point], alone: list[Point]) -> None:
    """Panel (b): same-CPU cost against the bytes each side touches per hand-off."""
    title = "(b) same_cpu: cost vs working set touched per hand-off"
    curves: list[tuple[str, str, str, list[tuple[int, stats.Spread]]]] = []
    for mechanism in _ordered({p.name.kernel for p in switches + alone}, MECHANISMS):
        for model in MODELS:
            same_cpu = [
                p for p in switches
                if p.name.kernel == mechanism and p.name.variant == model
                and p.name.params.get("placement") == "same_cpu"
            ]
            curves.append((mechanism, model, "ns_per_switch", _series(same_cpu, "ns_per_switch")))
        mine = [p for p in alone if p.name.kernel == mechanism]
        curves.append((mechanism, "alone", "ns_per_handoff", _series(mine, "ns_per_handoff")))
    curves = [curve for curve in curves if len(curve[3]) >= 1]
    if not curves:
        _empty(ax, title)
        return
    values: list[float] = []
    sizes: set[int] = set()
    for mechanism, model, _, series in curves:
        linestyle, marker = _MODEL_STYLE.get(model, ("--", "x"))
        xs = [size for size, _ in series]
        ax.errorbar(
            xs, [s.median for _, s in series],
            yerr=[[s.median - s.low for _, s in series], [s.high - s.median for _, s in series]],
            color=_MECHANISM_COLOURS.get(mechanism, "#333333"), linestyle=linestyle, marker=marker,
            capsize=2, markersize=4,
        )
        values += [s.low for _, s in series] + [s.high for _, s in series]
        sizes.update(xs)
    # symlog keeps bytes:0 on the axis; the sizes above it are powers of two, evenly spaced in log.
    positive = sorted(size for size in sizes if size > 0)
    ax.set_xscale("symlog", linthresh=positive[0] if positive else 1, linscale=0.5)
    ax.set_xticks(sorted(sizes), [_kibibytes(size) for size in sorted(sizes)])
    ax.minorticks_off()
    _log_if_wide(ax, values)
    ax.set_title(title)
    ax.set_xlabel("bytes touched by each side per hand-off (log scale)")
    ax.set_ylabel("ns per switch or per hand-off (median)")
    ax.grid(alpha=0.3)
    mechanisms = _ordered({curve[0] for curve in curves}, MECHANISMS)
    colour_legend = ax.legend(
        [Line2D([], [], color=_MECHANISM_COLOURS.get(m, "#333333")) for m in mechanisms],
        mechanisms, loc="upper left", fontsize="small", title="mechanism",
    )
    ax.add_artist(colour_legend)
    models = _ordered({curve[1] for curve in curves}, (*MODELS, "alone"))
    ax.legend(
        [Line2D([], [], color="black", linestyle=_MODEL_STYLE.get(m, ("--", "x"))[0],
                marker=_MODEL_STYLE.get(m, ("--", "x"))[1]) for m in models],
        [m if m != "alone" else "alone (no partner)" for m in models],
        loc="lower right", fontsize="small", title="model",
    )


def _series(points: list[Point], counter: str) -> list[tuple[int, stats.Spread]]:
    series = []
    for point in points:
        size = _bytes(point)
        spread = stats.of(point.run, counter)
        if size is not None and spread is not None:
            series.append((size, spread))
    return sorted(series, key=lambda item: item[0])


def _timeslice(ax: Axes, busy: list[Point]) -> None:
    """Panel (c): k busy threads pinned to one CPU share it; the scheduler's slice shows up here."""
    title = "(c) k busy threads time-sliced on one CPU"
    points = []
    for point in busy:
        count = point.name.params.get("threads", "")
        work = stats.of(point.run, "work_units_per_second_per_thread")
        if count.isdigit() and work is not None:
            points.append((int(count), work, stats.of(point.run, "mean_time_slice_ns")))
    if not points:
        _empty(ax, title)
        return
    points.sort(key=lambda item: item[0])
    counts = [count for count, _, _ in points]
    ax.errorbar(
        counts, [w.median for _, w, _ in points],
        yerr=[[w.median - w.low for _, w, _ in points], [w.high - w.median for _, w, _ in points]],
        color="#1f77b4", marker="o", capsize=2, label="work units per second per thread",
    )
    single = points[0][1].median * points[0][0]
    ax.plot(
        counts, [single / count for count in counts], color="#1f77b4", linestyle=":",
        label=f"fair share: {points[0][0]}-thread rate / k",
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(count) for count in counts])
    ax.minorticks_off()
    _log_if_wide(ax, [w.low for _, w, _ in points] + [w.high for _, w, _ in points])
    ax.set_xlabel("busy threads on one CPU (k)")
    ax.set_ylabel("work units per second per thread", color="#1f77b4")
    ax.yaxis.set_major_formatter(EngFormatter())
    ax.set_title(title)
    ax.grid(alpha=0.3)
    slices = [(count, s) for count, _, s in points if s is not None]
    handles, labels = ax.get_legend_handles_labels()
    if slices:
        right = ax.twinx()
        right.errorbar(
            [count for count, _ in slices], [s.median / 1e6 for _, s in slices],
            yerr=[[(s.median - s.low) / 1e6 for _, s in slices], [(s.high - s.median) / 1e6 for _, s in slices]],
            color="#d62728", marker="s", linestyle="--", capsize=2, label="mean time slice (ms)",
        )
        right.set_ylabel("mean time slice before preemption (ms)", color="#d62728")
        right.set_ylim(bottom=0)
        extra_handles, extra_labels = right.get_legend_handles_labels()
        handles, labels = handles + extra_handles, labels + extra_labels
    ax.legend(handles, labels, loc="upper right", fontsize="small")


def _footnote(runs: list[Run]) -> str:
    """Skipped and failed benchmarks are absent from the panels; this says why."""
    reasons: dict[str, list[str]] = {}
    for run in runs:
        if run.skip_reason is not None:
            name = names.parse(run.name)
            what = f"placement:{name.params['placement']}" if "placement" in name.params else run.name
            listed = reasons.setdefault(run.skip_reason, [])
            if what not in listed:
                listed.append(what)
    lines = [f"not measured here: {', '.join(whats)} ({reason})" for reason, whats in reasons.items()]
    lines += [f"FAILED: {run.name}: {run.error}" for run in runs if run.failed]
    return "\n".join(lines)


def figure(result: Result, runs: list[Run]) -> Figure:
    points = [Point(names.parse(run.name), run) for run in runs]
    switches = [p for p in points if p.name.variant in MODELS]
    alone = [p for p in points if p.name.variant == "alone"]
    busy = [p for p in points if p.name.kernel == "timeslice"]

    fig = Figure(figsize=(16, 11))
    grid = fig.add_gridspec(2, 2, left=0.06, right=0.94, top=0.90, bottom=0.1, hspace=0.3, wspace=0.22)
    bars = [fig.add_subplot(grid[0, 0])]
    bars.append(fig.add_subplot(grid[0, 1], sharey=bars[0]))
    values: list[float] = []
    for ax, model in zip(bars, MODELS):
        if any(p.name.variant == model for p in switches):
            values += _switch_bars(ax, model, switches, alone)
    for ax, model in zip(bars, MODELS):
        if not ax.has_data():
            _empty(ax, f"(a) one hand-off that wakes a partner, {model}, bytes:0")
        else:
            _dedupe_legend(ax, fontsize="small", loc="upper left")
    if values:
        _log_if_wide(bars[0], values)
        # Headroom above the tallest bar keeps the legend off the data.
        top = max(values)
        bars[0].set_ylim(top=top * 4 if bars[0].get_yscale() == "log" else top * 1.4)
    _working_set(fig.add_subplot(grid[1, 0]), switches, alone)
    _timeslice(fig.add_subplot(grid[1, 1]), busy)

    context = result.context
    fig.suptitle(
        f"ctxsw: context-switch cost on {context.get('host_name', '?')} "
        f"({context.get('cpu_model', 'unknown CPU')})",
        fontsize="x-large",
    )
    machine = ", ".join(
        f"{label} {context[key]}"
        for key, label in (
            ("kernel_release", "kernel"), ("hypervisor", "hypervisor"),
            ("cpu_governor", "governor"), ("topology_cores", "cores"), ("topology_pus", "PUs"),
            ("date", "run"),
        )
        if context.get(key)
    )
    fig.text(0.5, 0.935, machine, ha="center", fontsize="small")
    note = _footnote(runs)
    if note:
        fig.text(0.01, 0.01, note, ha="left", va="bottom", fontsize="small", wrap=True)
    return fig
