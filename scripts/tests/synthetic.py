"""Synthetic result files for compare and history: a base with known medians and noise,
and variants of it named for their verdict (triad_20pct_slower.json, ...)."""

import copy
import json
from pathlib import Path
from typing import Any

from flynn import results

CONTEXT: dict[str, Any] = {
    "date": "2026-01-05T10:00:00+00:00",
    "host_name": "ci-box",
    "executable": "build/bin/flynn_mimd",
    "num_cpus": 4,
    "library_build_type": "release",
    "build_type": "Release",
    "compiler": "GNU 12.2.0",
    "cxx_flags": "-O3 -DNDEBUG",
    "cpu_model": "Test CPU 9000",
    "git_revision": "aaaaaaaaaaaa",
    "topology_packages": "1",
    "topology_numa_nodes": "1",
    "topology_cores": "4",
    "topology_pus": "4",
}

TRIAD = "mimd/triad/strong/threads:2/real_time"
SWITCH = "ctxsw/pipe/threads/placement:same_cpu/bytes:0/real_time"
SCHEDULE = "mimd/schedule/static/cost:triangular/chunk:0/threads:2/real_time"
SMT = "ctxsw/pipe/threads/placement:smt/bytes:0/real_time"

# name: (primary counter or None for Google Benchmark's own time, its median)
BENCHMARKS: dict[str, tuple[str | None, float]] = {
    TRIAD: ("bytes_per_second", 20e9),
    SWITCH: ("ns_per_switch", 2000.0),
    SCHEDULE: (None, 1500.0),
}
RATES = {"bytes_per_second"}

# Relative offsets of the repetitions from their median: CV about 0.4%.
LOW_NOISE = (-0.005, -0.0025, 0.0, 0.0025, 0.005)
# Same median, CV about 25%: a shared machine on a bad day.
HIGH_NOISE = (-0.3, -0.15, 0.0, 0.15, 0.3)
# The same spread in another order and slightly off: what a second noisy run looks like.
HIGH_NOISE_AGAIN = (0.28, -0.31, 0.02, -0.12, 0.17)
# Offsets of the median of each of three runs (scripts/run --runs 3), in the direction that
# is worse: quiet within a run, 12% apart between runs, like DRAM-bound figures on a VM.
DRIFTING_RUNS = (-0.06, 0.0, 0.06)


def document(
    slower: dict[str, float] | float = 0.0,
    noise: tuple[float, ...] = LOW_NOISE,
    context: dict[str, Any] | None = None,
    skipped: tuple[str, ...] = (),
    runs: tuple[float, ...] = (0.0,),
) -> dict[str, Any]:
    """`slower` is the change of each metric in the direction that is worse, 0.2 for 20%
    (times grow by 20%, rates fall by 20%); negative means faster. `runs` holds one offset per
    invocation of the binary, added to `slower`; two or more tag rows with their invocation."""
    rows: list[dict[str, Any]] = []
    for name, (counter, median) in BENCHMARKS.items():
        for invocation, shift in enumerate(runs):
            change = (slower.get(name, 0.0) if isinstance(slower, dict) else slower) + shift
            value = median * (1 - change) if counter in RATES else median * (1 + change)
            for index, offset in enumerate(noise):
                measured = value * (1 + offset)
                time = 1e9 / measured * 1e3 if counter in RATES else measured
                row: dict[str, Any] = {
                    "name": name, "family_index": 0, "per_family_instance_index": 0, "run_name": name,
                    "run_type": "iteration", "repetitions": len(noise), "repetition_index": index,
                    "threads": 1, "iterations": 1000, "real_time": time, "cpu_time": time, "time_unit": "ns",
                    "omp_threads": 2.0, "threads_in_place_pct": 100.0,
                }
                if counter is not None:
                    row[counter] = measured
                if len(runs) > 1:
                    row[results.INVOCATION_KEY] = invocation
                rows.append(row)
            rows.append({"name": f"{name}_median", "run_name": name, "run_type": "aggregate",
                         "aggregate_name": "median", "real_time": value, "cpu_time": value, "time_unit": "ns"})
    for name in (SMT, *skipped):
        rows = [row for row in rows if row["run_name"] != name]
        rows.append({"name": name, "run_name": name, "run_type": "iteration", "error_occurred": True,
                     "error_message": "skipped: no SMT siblings: every core has 1 PU"})
    return {"context": {**copy.deepcopy(CONTEXT), **(context or {})}, "benchmarks": rows}


def write(directory: Path, name: str, doc: dict[str, Any]) -> Path:
    path = directory / name
    path.write_text(json.dumps(doc, indent=1))
    return path
