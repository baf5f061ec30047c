"""A finding: one figure of a result read against the limit it should be compared with.

Every area's readings (`flynn.areas.<area>.readings`) return a list of these; the terminal card,
the markdown, the HTML page and `scripts/report --format json` are renderings of that one list,
so no view computes a figure of its own.
"""

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from flynn import results

# What a reader may conclude from a finding:
# ok        measured, stable, proofs passed;
# unstable  measured, but its repetitions spread more than the figure can be read to;
# unproven  measured, but a proof counter says it did not measure what it claims;
# skipped   the machine cannot run it (the reason says why), or the run left it out;
# unknown   cannot be read: a limit or an input is missing (the note says which).
TrustStatus = Literal["ok", "unstable", "unproven", "skipped", "unknown"]


@dataclass(frozen=True)
class Trust:
    status: TrustStatus = "ok"
    # Spread of the repetitions the value is the median of, as a coefficient of variation.
    cv_pct: float | None = None
    repetitions: int | None = None
    # The proof counters behind the value, in words: "vector instructions: vfmadd231pd ymm".
    proof: str | None = None
    # Why the status is not ok, or what the reader must keep in mind.
    note: str | None = None


@dataclass(frozen=True)
class Finding:
    area: str
    # A stable identifier within the area, in the benchmark-name grammar: `fma_peak/avx2/f64`.
    figure: str
    # What a person reads in a table: "FMA peak, avx2, f64".
    label: str
    value: float | None
    unit: str
    # The figure the value is read against, in the same unit, and where that limit came from
    # ("theoretical: 2 FMA pipes (assumed, --fma-pipes) x 4 lanes x 2 flops x 3.0 GHz (TSC)").
    limit: float | None = None
    limit_source: str = ""
    # value / limit, when both are known.
    ratio: float | None = None
    # One sentence: what the figure means for the reader.
    meaning: str = ""
    trust: Trust = field(default_factory=Trust)
    # Headline findings make the terminal card (about 40 lines for a whole run).
    headline: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: standard JSON only, so a non-finite number becomes null."""
        return results.finite_or_null(asdict(self))


def ratio(value: float | None, limit: float | None) -> float | None:
    if value is None or limit is None or limit == 0 or not math.isfinite(value) or not math.isfinite(limit):
        return None
    return value / limit


@dataclass(frozen=True)
class ReadingOptions:
    """What the reader of a result may set: `scripts/report --fma-pipes N`, ..."""

    # FMA pipes per core, for the theoretical FLOP/s peak; None: the assumption the simd
    # readings state (two on the x86 cores flynn has seen), named in every peak's limit_source.
    fma_pipes: int | None = None
    # Past this coefficient of variation of its repetitions a figure reads as "unstable": 5% is
    # what a quiet machine keeps even for DRAM-bound rows, a noisy VM's worst rows exceed it.
    unstable_cv_pct: float = 5.0


@dataclass(frozen=True)
class Ceiling:
    """One roof of the roofline: a measured compute peak (FLOP/s) or a bandwidth (B/s)."""

    label: str  # "avx512f f64 FMA peak", "L1 read", "DRAM triad"
    kind: Literal["compute", "memory"]
    value: float  # flop/s for compute, B/s for memory
    source: str  # the benchmark(s) it was measured by


@dataclass(frozen=True)
class RooflinePoint:
    """A kernel placed on the roofline: its arithmetic intensity and the FLOP/s it reached."""

    label: str  # "simd triad avx2 f64 (L1)", "mimd compute 2 threads"
    area: str
    flops_per_byte: float
    flops_per_second: float
    source: str  # the benchmark name it comes from
