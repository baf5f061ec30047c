"""Speedup, parallel efficiency, and the serial fractions of Amdahl's and Gustafson's laws."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit


def amdahl(p: np.ndarray, serial: float) -> np.ndarray:
    """Strong scaling: a fixed problem, of which `serial` cannot be split."""
    return 1.0 / (serial + (1.0 - serial) / p)


def gustafson(p: np.ndarray, serial: float) -> np.ndarray:
    """Weak scaling: the problem grows with p; the serial part does not."""
    return p - serial * (p - 1.0)


@dataclass(frozen=True)
class Scaling:
    threads: list[int]
    speedup: list[float]  # rate at p threads / rate at 1 thread, from one result file
    efficiency: list[float]  # speedup / p
    serial_fraction: float | None  # fitted over the counts that do not oversubscribe


def analyse(threads: Sequence[int], rates: Sequence[float], law: str, cores: int | None) -> Scaling | None:
    """`law` is "strong" (Amdahl) or "weak" (Gustafson). None without a 1-thread rate."""
    by_threads = dict(zip(threads, rates))
    base = by_threads.get(1)
    if not base or base <= 0:
        return None
    ordered = sorted(by_threads)
    speedup = [by_threads[p] / base for p in ordered]
    efficiency = [s / p for s, p in zip(speedup, ordered)]
    # Past the cores the threads take turns: that is time-slicing, which neither law models.
    fit = [(p, s) for p, s in zip(ordered, speedup) if cores is None or p <= cores]
    serial = None
    if len(fit) >= 2:
        model = amdahl if law == "strong" else gustafson
        p, s = (np.array(v, dtype=float) for v in zip(*fit))
        (serial,), _ = curve_fit(model, p, s, p0=[0.05], bounds=(0.0, 1.0))
        serial = float(serial)
    return Scaling(ordered, speedup, efficiency, serial)
