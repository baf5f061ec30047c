"""A short plain-text summary of a result file: markdown tables per area, meant to be pasted into a review."""

import re
from typing import Any

from flynn import perf_check, results, stats, textsafe
from flynn.results import Result, Run

# Past this (max - min) / median the median hides more than it tells.
UNSTABLE = 0.10
_NO_HYPERVISOR = {"", "none", "no", "bare_metal", "bare-metal"}


def _number(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _machine(context: dict[str, Any]) -> list[str]:
    get = context.get
    topology = ", ".join(
        f"{label} {get(key)}"
        for key, label in (
            ("topology_packages", "packages"),
            ("topology_numa_nodes", "NUMA nodes"),
            ("topology_cores", "cores"),
            ("topology_pus", "PUs"),
        )
        if get(key) is not None
    )
    safe = textsafe.terminal
    lines = [f"# flynn results: {safe(get('host_name', '?'))}, {safe(get('cpu_model', 'unknown CPU'))}"]
    facts = [
        ("date", get("date")),
        ("binaries", get("flynn_binaries", get("executable"))),
        ("git", get("git_revision")),
        ("compiler", get("compiler")),
        ("topology", topology or None),
        ("SIMD", get("simd_isas")),
        ("THP", get("thp_mode")),
        ("governor", get("cpu_governor")),
        ("kernel", get("kernel_release")),
    ]
    lines.append("; ".join(f"{label}: {safe(value)}" for label, value in facts if value))
    return lines


def _warnings(context: dict[str, Any]) -> list[str]:
    """What makes the numbers less trustworthy, said up front."""
    found = []
    governor = context.get("cpu_governor")
    if governor and governor != "performance":
        found.append(f"cpu_governor is {textsafe.terminal(governor)!r}: the clock may ramp during a run")
    hypervisor = str(context.get("hypervisor", "")).strip()
    if hypervisor.lower() not in _NO_HYPERVISOR:
        found.append(f"runs under a hypervisor ({textsafe.terminal(hypervisor)}): steal time and vCPU moves add noise")
    if context.get("library_build_type") == "debug":
        found.append("Google Benchmark is a debug build")
    return [f"warning: {text}" for text in found]


def _cell(spread: stats.Spread | None) -> str:
    return _number(spread.median) if spread else "-"


def _stability(spread: stats.Spread | None) -> str:
    if spread is None or spread.n < 2:
        return "-"
    text = f"{spread.relative_range:.1%}"
    return f"{text} unstable" if spread.relative_range > UNSTABLE else text


# Which counter a row is about, most telling first; the rest are context for it.
_PRIMARY = (
    re.compile(r"^ns_per_"),
    re.compile(r"^(work_units|bytes|flops|items)_per_second"),
    re.compile(r"_per_second$"),
)


# The kernel's and the CPU's counts (harness/perf_counters: `<event>_per_<op>`, ipc): they explain
# a row's figure, never are it, so a row without a known figure keeps its first own counter
# (load_imbalance), which sorts after context_switches_per_region.
_PERF_COUNTS = re.compile(
    r"^(context_switches|cpu_migrations|minor_faults|major_faults|task_clock_ns|cpu_cycles|instructions"
    r"|branch_misses|l1d_read_misses|llc_misses|dtlb_misses)_per_|^(ipc|hardware_counted_pct)$")


def primary_counter(run: Run) -> str | None:
    counters = run.counters()
    for pattern in _PRIMARY:
        for key in counters:
            if pattern.search(key):
                return key
    own = [key for key in counters if not _PERF_COUNTS.search(key)]
    return (own or counters)[0] if counters else None


def _table(primary: str | None, rows: list[Run]) -> list[str]:
    if primary is None:
        columns = ["real_time_ns"]
    else:
        seen = {primary: None}
        for run in rows:
            seen.update(dict.fromkeys(run.counters()))
        columns = list(seen)
    lines = [
        "| benchmark | reps | " + " | ".join(map(textsafe.cell, columns)) + f" | spread of {textsafe.cell(columns[0])} |",
        "| --- | ---: | " + " | ".join("---:" for _ in columns) + " | ---: |",
    ]
    for run in rows:
        if primary is None:
            spreads = [stats.spread([results.time_ns(row) for row in run.repetitions])]
        else:
            spreads = [stats.of(run, key) for key in columns]
        cells = " | ".join(_cell(spread) for spread in spreads)
        lines.append(f"| {textsafe.cell(run.name)} | {len(run.repetitions)} | {cells} | {_stability(spreads[0])} |")
    return lines


def _area(area: str, runs: list[Run]) -> list[str]:
    lines = [f"## {textsafe.terminal(area)}"]
    # One table per measured quantity, so a column means one thing all the way down.
    tables: dict[str | None, list[Run]] = {}
    for run in runs:
        if run.repetitions:
            tables.setdefault(primary_counter(run), []).append(run)
    for primary, rows in tables.items():
        lines += [""] + _table(primary, rows)
    skipped = [run for run in runs if run.skip_reason is not None]
    if skipped:
        lines += ["", f"skipped ({len(skipped)}):"]
        lines += [f"- {textsafe.terminal(run.name)}: {textsafe.terminal(run.skip_reason)}" for run in skipped]
    failed = [run for run in runs if run.failed]
    if failed:
        lines += ["", f"errors ({len(failed)}):"]
        lines += [f"- {textsafe.terminal(run.name)}: {textsafe.terminal(run.error)}" for run in failed]
    return lines


def format_summary(result: Result) -> str:
    lines = _machine(result.context) + _warnings(result.context)
    comparison = perf_check.compare(result)
    if comparison is not None:
        lines.append(perf_check.describe(comparison))
    for area, runs in results.runs_by_area(result).items():
        lines += [""] + _area(area, runs)
    return "\n".join(lines) + "\n"
