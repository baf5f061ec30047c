"""Cross-check of flynn's same-CPU pipe hand-off against `perf bench sched pipe`,
an independent implementation of the same ping-pong between two processes."""

import math
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from flynn import results, stats
from flynn.errors import FlynnError
from flynn.results import Result

REFERENCE_RUN = "ctxsw/pipe/processes/placement:same_cpu/bytes:0/real_time"
CONTEXT_KEY = "perf_bench_sched_pipe_ns_per_switch"
FLYNN_CONTEXT_KEY = "perf_crosscheck_flynn_ns_per_switch"
# A virtual machine's switch cost drifts by tens of percent within minutes, so the two tools are
# compared in alternating rounds (perf, flynn, perf, flynn, ...) and by the median of each.
ROUNDS = 3
_FLYNN_MIN_TIME = "0.3"
# Two implementations of one ping-pong differ in syscall count and loop overhead;
# past 15% one of them measures something else (a migration, a missed pin).
TOLERANCE = 0.15
LOOPS = 200_000
# Enough round trips (~0.3 s) for a stable mean; --quick trades that for time.
QUICK_LOOPS = 20_000
_TIMEOUT_S = 300

_USECS_PER_OP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+usecs/op\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Comparison:
    perf_ns: float
    flynn_ns: float

    @property
    def ratio(self) -> float:
        return self.flynn_ns / self.perf_ns

    @property
    def agrees(self) -> bool:
        return abs(self.ratio - 1.0) <= TOLERANCE


def parse_usecs_per_op(text: str) -> float | None:
    match = _USECS_PER_OP.search(text)
    return float(match.group(1)) if match else None


def _note(message: str) -> None:
    print(f"note: perf cross-check skipped: {message}", file=sys.stderr)


def measure(loops: int) -> float | None:
    """perf's ns per switch on the lowest CPU we may use, or None (with a note) when perf cannot tell."""
    cpu = min(os.sched_getaffinity(0))
    command = ["taskset", "-c", str(cpu), "perf", "bench", "sched", "pipe", "-l", str(loops)]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except FileNotFoundError as error:
        _note(f"{error.filename} not found")
        return None
    except subprocess.TimeoutExpired:
        _note(f"`{' '.join(command)}` took over {_TIMEOUT_S} s")
        return None
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        _note(f"`{' '.join(command)}` exited {completed.returncode}: {lines[0] if lines else ''}")
        return None
    usecs = parse_usecs_per_op(completed.stdout)
    if usecs is None:
        _note(f"no 'usecs/op' line in the output of `{' '.join(command)}`")
        return None
    # One op is a round trip through two pipes, so two switches.
    return usecs * 1000.0 / 2.0


def measure_flynn(binary: Path) -> float | None:
    """flynn's REFERENCE_RUN alone, now: ns per switch, or None (with a note)."""
    registered = REFERENCE_RUN.removesuffix("/real_time")
    command = [str(binary), f"--benchmark_filter=^{re.escape(registered)}/",
               f"--benchmark_min_time={_FLYNN_MIN_TIME}", "--benchmark_format=json"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    try:
        value = results.parse(completed.stdout, f"{binary.name}'s output")["benchmarks"][0]["ns_per_switch"]
        if not results._is_number(value) or not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    except (FlynnError, ValueError, KeyError, IndexError, TypeError):
        _note(f"`{' '.join(command)}` gave no ns_per_switch (exit {completed.returncode})")
        return None


def cross_check(binary: Path, loops: int) -> tuple[float, float] | None:
    """Medians of perf's and flynn's ns per switch over ROUNDS alternating rounds."""
    perf, flynn = [], []
    for _ in range(ROUNDS):
        perf_ns = measure(loops)
        flynn_ns = measure_flynn(binary) if perf_ns is not None else None
        if perf_ns is None or flynn_ns is None:
            return None
        perf.append(perf_ns)
        flynn.append(flynn_ns)
    return statistics.median(perf), statistics.median(flynn)


def reference(result: Result) -> stats.Spread | None:
    for run in results.runs(result):
        if run.name == REFERENCE_RUN:
            return stats.of(run, "ns_per_switch")
    return None


def compare(result: Result) -> Comparison | None:
    """From the context's interleaved figures; a file without flynn's own figure there falls back
    on the suite's median, measured minutes apart from perf's."""
    recorded = result.context.get(CONTEXT_KEY)
    flynn = reference(result)
    if recorded is None or flynn is None:
        return None
    try:
        perf_ns = float(recorded)
        flynn_ns = float(result.context.get(FLYNN_CONTEXT_KEY, flynn.median))
    except ValueError:
        return None
    if not (math.isfinite(perf_ns) and math.isfinite(flynn_ns)) or perf_ns <= 0:
        return None
    return Comparison(perf_ns, flynn_ns)


def describe(comparison: Comparison) -> str:
    verdict = "agree" if comparison.agrees else "DISAGREE"
    return (
        f"perf bench sched pipe: {comparison.perf_ns:.0f} ns/switch, "
        f"flynn {REFERENCE_RUN}: {comparison.flynn_ns:.0f} ns/switch "
        f"(medians of {ROUNDS} alternating rounds), "
        f"ratio flynn/perf {comparison.ratio:.2f}: {verdict} within {TOLERANCE:.0%}"
    )
