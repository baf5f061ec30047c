"""Synthetic results for the readings: latency curves with planted levels, scaling curves with a
planted bound, built as Google Benchmark rows so they go through results.load like a real file."""

import json
from pathlib import Path
from typing import Any

from flynn import results

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

CONTEXT: dict[str, Any] = {
    "host_name": "synthetic", "cpu_model": "Test CPU", "topology_cores": "4", "topology_numa_nodes": "1",
    "topology_pus": "4", "clock_hz_estimate": "3000000000", "clock_estimate_method": "dependent add chain",
    "cache_l1d_bytes": str(32 * KiB), "cache_l2_bytes": str(1 * MiB), "cache_l3_bytes": str(32 * MiB),
}


def row(name: str, counters: dict[str, float], index: int = 0, spread: float = 0.0) -> dict[str, Any]:
    scale = 1 + spread * (index - 1)
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3, "repetition_index": index,
            "threads": 1, "iterations": 100, "real_time": 1000.0, "cpu_time": 1000.0, "time_unit": "ns",
            **{key: value * scale for key, value in counters.items()}}


def rows(name: str, counters: dict[str, float], spread: float = 0.0) -> list[dict[str, Any]]:
    return [row(name, counters, index, spread) for index in range(3)]


def skipped(name: str, reason: str) -> dict[str, Any]:
    return {"name": name, "run_name": name, "run_type": "iteration", "error_occurred": True,
            "error_message": f"skipped: {reason}"}


def latency(levels: list[tuple[int, float]], dram_ns: float, top: int = 1 * GiB) -> list[tuple[int, float]]:
    """A chase curve: each (capacity, ns) level holds up to its capacity, DRAM beyond the last."""
    curve = []
    size = 4 * KiB
    while size <= top:
        ns = next((ns for capacity, ns in levels if size <= capacity), dram_ns)
        curve.append((size, ns))
        size *= 2
    return curve


def chase(variant: str, curve: list[tuple[int, float]]) -> list[dict[str, Any]]:
    found = []
    for size, ns in curve:
        found += rows(f"numa/chase/{variant}/bytes:{size}", {"ns_per_load": ns, "cycles_per_load": ns * 3,
                                                             "thp_pct": 0.0})
    return found


def write(directory: Path, name: str, benchmarks: list[dict[str, Any]],
          context: dict[str, Any] | None = None) -> results.Result:
    path = directory / name
    path.write_text(json.dumps({"context": {**CONTEXT, **(context or {})}, "benchmarks": benchmarks}))
    return results.load(path)
