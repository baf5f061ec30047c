"""The ctxsw figure: hand-off cost by mechanism and placement, its growth with the
working set, and how one CPU is time-sliced between busy threads."""

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter

from flynn import names, stats
from flynn.results import Result, Run

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


@dataclass(frozen=True)
class _Point:
    name: names.BenchmarkName
    run: Run


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


def _bytes(point: _Point) -> int | None:
    value = point.name.params.get("bytes", "")
    return int(value) if value.isdigit() else None


def _switch_bars(ax: Axes, model: str, switches: list[_Point], alone: list[_Point]) -> list[float]:
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


def _working_set(ax: Axes, switches: list[_Point], alone: list[_Point]) -> None:
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


def _series(points: list[_Point], counter: str) -> list[tuple[int, stats.Spread]]:
    series = []
    for point in points:
        size = _bytes(point)
        spread = stats.of(point.run, counter)
        if size is not None and spread is not None:
            series.append((size, spread))
    return sorted(series, key=lambda item: item[0])


def _timeslice(ax: Axes, busy: list[_Point]) -> None:
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
    points = [_Point(names.parse(run.name), run) for run in runs]
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
