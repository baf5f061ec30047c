"""Cross-check of flynn's same-CPU pipe hand-off against `perf bench sched pipe`,
an independent implementation of the same ping-pong between two processes."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass

from flynn import results, stats
from flynn.results import Result

REFERENCE_RUN = "ctxsw/pipe/processes/placement:same_cpu/bytes:0/real_time"
CONTEXT_KEY = "perf_bench_sched_pipe_ns_per_switch"
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


def reference(result: Result) -> stats.Spread | None:
    for run in results.runs(result):
        if run.name == REFERENCE_RUN:
            return stats.of(run, "ns_per_switch")
    return None


def compare(result: Result) -> Comparison | None:
    recorded = result.context.get(CONTEXT_KEY)
    flynn = reference(result)
    if recorded is None or flynn is None:
        return None
    try:
        perf_ns = float(recorded)
    except ValueError:
        return None
    if perf_ns <= 0:
        return None
    return Comparison(perf_ns, flynn.median)


def describe(comparison: Comparison) -> str:
    verdict = "agree" if comparison.agrees else "DISAGREE"
    return (
        f"perf bench sched pipe: {comparison.perf_ns:.0f} ns/switch, "
        f"flynn {REFERENCE_RUN}: {comparison.flynn_ns:.0f} ns/switch (median), "
        f"ratio flynn/perf {comparison.ratio:.2f}: {verdict} within {TOLERANCE:.0%}"
    )
