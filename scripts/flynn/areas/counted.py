"""What the CPU's own counters (the harness's perf_event groups, where a PMU exists) say about a
figure: the proof that a DRAM chase went to DRAM and an L1 chase stayed in L1, that a vector
kernel ran vector instructions, and the IPC of a compute team. Each function returns a proof
(a sentence naming the counts) and, where the counts contradict the figure, why it fails; both
None where the row carries no such counter (no PMU: the counters are absent, never 0)."""

from flynn.areas.common import median
from flynn.results import Run

LLC_MISSES = "llc_misses_per_load"
L1D_MISSES = "l1d_read_misses_per_load"
INSTRUCTIONS = "instructions_per_element"
IPC = "ipc"
# A chase at DRAM sizes misses the last level on (nearly) every load; one served by L1 on (nearly) none.
DRAM_MIN_MISSES = 0.9
CACHE_MAX_MISSES = 0.05
# A vector kernel of L lanes runs about L times fewer instructions per element than scalar's (more,
# as the loop's own instructions are shared by L elements); at 60% of that or less the vector code
# did not run as built (for 2 lanes: 1.2x, where scalar code runs 1x).
VECTOR_MIN_SHARE = 0.6

Proof = tuple[str | None, str | None]


def dram(run: Run) -> Proof:
    misses = median(run, LLC_MISSES)
    if misses is None:
        return None, None
    proof = f"{misses:.2f} LLC misses per load"
    if misses >= DRAM_MIN_MISSES:
        return f"{proof}: every load went to DRAM", None
    return proof, (f"only {misses:.2f} LLC misses per load (< {DRAM_MIN_MISSES:g}): some loads were served by a "
                   "cache, so this is not DRAM's latency")


def level(run: Run, name: str) -> Proof:
    """A cache level's plateau: L1 takes no L1D miss, and no level up to the last takes LLC misses."""
    if name == "DRAM":
        return dram(run)
    key, what = (L1D_MISSES, "L1D") if name == "L1" and median(run, L1D_MISSES) is not None else (LLC_MISSES, "LLC")
    misses = median(run, key)
    if misses is None:
        return None, None
    proof = f"{misses:.2f} {what} misses per load"
    if misses <= CACHE_MAX_MISSES:
        return f"{proof}: served by {name}", None
    return proof, f"{misses:.2f} {what} misses per load (> {CACHE_MAX_MISSES:g}): the plateau is not {name}'s alone"


def vector(vector_run: Run, scalar_run: Run, lanes: int, isa: str) -> Proof:
    """Instructions per element, vector against scalar: the ISA confirmed at run time."""
    vector_ipe, scalar_ipe = median(vector_run, INSTRUCTIONS), median(scalar_run, INSTRUCTIONS)
    if vector_ipe is None or scalar_ipe is None or vector_ipe <= 0:
        return None, None
    fewer = scalar_ipe / vector_ipe
    proof = (f"instructions per element: scalar {scalar_ipe:.3g}, {isa} {vector_ipe:.3g}, "
             f"{fewer:.1f}x fewer for {lanes} lanes")
    # The auto-vectorised column is what GCC made of a plain loop: the count says what it did, and
    # a loop left scalar is the finding, not a failed proof.
    if isa == "auto" or fewer > VECTOR_MIN_SHARE * lanes:
        return proof, None
    return proof, f"{proof}: the vector code did not run as built"


def ipc(runs_by_threads: dict[int, Run]) -> str | None:
    """The IPC of a team at each thread count it was measured at, where counted."""
    counted = [(threads, value) for threads, run in sorted(runs_by_threads.items())
               if (value := median(run, IPC)) is not None]
    if not counted:
        return None
    return "IPC " + ", ".join(f"{value:.2f} at {threads} thread{'s' if threads > 1 else ''}" for threads, value in counted)


# The words every proof above is written with: how the card finds them in a finding's proof.
_WORDS = (" LLC misses per load", " L1D misses per load", "instructions per element: ", "IPC ")


def said(proof: str | None) -> str | None:
    """The parts of a proof that the CPU's counters gave, or None."""
    parts = [part for part in (proof or "").split("; ") if any(word in part for word in _WORDS)]
    return "; ".join(parts) or None
