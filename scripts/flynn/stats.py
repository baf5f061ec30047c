"""Statistics over the repetitions of one run."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from flynn.results import Run


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float
    n: int

    @property
    def relative_range(self) -> float:
        """(max - min) / median: the noise a reader should allow for."""
        return (self.high - self.low) / abs(self.median) if self.median else 0.0


def spread(values: Sequence[float]) -> Spread | None:
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values), len(values))


def of(run: Run, key: str) -> Spread | None:
    return spread(run.values(key))
