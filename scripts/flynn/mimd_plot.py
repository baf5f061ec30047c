"""The mimd figure: strong and weak scaling against the ideal line with the fitted laws,
the schedules on an imbalanced loop, and the fixed cost of each OpenMP construct."""

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flynn import names, results, scaling, stats
from flynn.results import Result, Run

SCALING_KERNELS = ("compute", "mixed", "copy", "scale", "add", "triad")
# Compute-bound work is judged by flops, memory-bound work by bytes moved.
_RATE = {"compute": "flops_per_second"}
_DEFAULT_RATE = "bytes_per_second"


def _median(run: Run, key: str) -> float | None:
    spread = stats.of(run, key)
    return spread.median if spread else None


def _cores(result: Result) -> int | None:
    value = str(result.context.get("topology_cores", ""))
    return int(value) if value.isdigit() else None


def _scaling_panel(ax: Axes, runs: list[tuple[names.BenchmarkName, Run]], law: str, cores: int | None) -> None:
    top = 1
    for kernel in SCALING_KERNELS:
        points = [(int(n.params["threads"]), _median(r, _RATE.get(kernel, _DEFAULT_RATE)))
                  for n, r in runs if n.kernel == kernel and n.variant == law and r.repetitions]
        points = [(p, rate) for p, rate in points if rate]
        found = scaling.analyse([p for p, _ in points], [rate for _, rate in points], law, cores)
        if found is None:
            continue
        top = max(top, *found.threads)
        label = kernel if found.serial_fraction is None else f"{kernel} (serial {found.serial_fraction:.1%})"
        line, = ax.plot(found.threads, found.speedup, marker="o", label=label)
        if found.serial_fraction is not None:
            p = np.linspace(1, max(found.threads), 50)
            model = scaling.amdahl if law == "strong" else scaling.gustafson
            ax.plot(p, model(p, found.serial_fraction), linestyle=":", color=line.get_color())
    ax.plot([1, top], [1, top], color="black", linewidth=0.8, label="ideal")
    if cores:
        ax.axvline(cores, color="grey", linestyle="--", linewidth=0.8)
        ax.text(cores, 1, " cores", color="grey", va="bottom")
    name = "Amdahl" if law == "strong" else "Gustafson"
    ax.set_title(f"{law} scaling: speedup over 1 thread (dotted: {name} fit)")
    ax.set_xlabel("OpenMP threads")
    ax.set_ylabel("speedup (x)")
    ax.legend(fontsize="small")


def _schedule_panel(ax: Axes, runs: list[tuple[names.BenchmarkName, Run]]) -> None:
    rows = [(n, r) for n, r in runs if n.kernel == "schedule" and r.repetitions]
    if not rows:
        ax.set_axis_off()
        return
    most = max(int(n.params["threads"]) for n, _ in rows)
    rows = [(n, r) for n, r in rows if int(n.params["threads"]) == most]
    labels = [f"{n.variant},{n.params['chunk']}\n{n.params['cost']}" for n, _ in rows]
    times = [stats.spread([results.time_ns(row) / 1e6 for row in r.repetitions]).median for _, r in rows]
    bars = ax.bar(range(len(rows)), times, color=["#1f77b4" if n.params["cost"] == "triangular" else "#ff7f0e" for n, _ in rows])
    for bar, (_, run) in zip(bars, rows):
        imbalance = _median(run, "load_imbalance")
        if imbalance:
            ax.annotate(f"{imbalance:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(range(len(rows)), labels, fontsize="x-small", rotation=90)
    ax.set_ylabel("time per loop (ms)")
    ax.set_title(f"schedules on an imbalanced loop, {most} threads (label: max/mean busy time)")


def _overhead_panel(ax: Axes, runs: list[tuple[names.BenchmarkName, Run]]) -> None:
    rows = [(n, r) for n, r in runs if n.kernel == "overhead" and r.repetitions]
    constructs = list(dict.fromkeys(n.variant for n, _ in rows))
    for construct in constructs:
        points = sorted((int(n.params["threads"]), _median(r, "overhead_us")) for n, r in rows if n.variant == construct)
        ax.plot([p for p, _ in points], [v for _, v in points], marker="o", label=construct)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_xlabel("OpenMP threads")
    ax.set_ylabel("overhead per construct (us)")
    ax.set_title("OpenMP construct overheads (EPCC method: test - reference loop)")
    if constructs:
        ax.legend(fontsize="x-small", ncol=2)


def figure(result: Result, runs: list[Run]) -> Figure:
    parsed = [(names.parse(run.name), run) for run in runs]
    cores = _cores(result)
    fig = Figure(figsize=(15, 11), layout="constrained")
    (strong, weak), (schedule, overhead) = fig.subplots(2, 2)
    _scaling_panel(strong, parsed, "strong", cores)
    _scaling_panel(weak, parsed, "weak", cores)
    _schedule_panel(schedule, parsed)
    _overhead_panel(overhead, parsed)
    context = result.context
    binding = f"OMP_PLACES={context.get('omp_places', '?')}, OMP_PROC_BIND={context.get('omp_proc_bind', '?')}"
    fig.suptitle(f"MIMD (OpenMP) on {context.get('host_name', '?')}: {context.get('cpu_model', '')}, "
                 f"{cores or '?'} cores; {binding}")
    return fig
