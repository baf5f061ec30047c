"""The areas of a result, one module each as on the C++ side: its readings (a pure function from
the result to findings against limits) and its figure (which draws what the readings return).

`read_all` reads every area and the trust section; `roofline` gathers the measured ceilings and
the kernels' points from the same result. The card, the markdown, the HTML and
`scripts/report --format json` are renderings of what these return.
"""

import dataclasses
import re
from collections.abc import Callable

from flynn import results
from flynn.areas import ctxsw, mimd, mpi, numa, simd, sync, trust
from flynn.areas.common import missing
from flynn.errors import FlynnError
from flynn.findings import Ceiling, Finding, ReadingOptions, RooflinePoint
from flynn.results import Result, Run

Reading = Callable[[Result, list[Run], ReadingOptions], list[Finding]]

READINGS: dict[str, Reading] = {
    "simd": simd.readings,
    "numa": numa.readings,
    "mimd": mimd.readings,
    "ctxsw": ctxsw.readings,
    "sync": sync.readings,
    "io": sync.io_readings,
    "mpi": mpi.readings,
    # Over every row of the result, not one area's.
    "trust": trust.readings,
}

# Which binary writes each area, for the note when an area is missing.
BINARIES = {
    "simd": "flynn_simd", "numa": "flynn_numa", "mimd": "flynn_mimd", "ctxsw": "flynn_ctxsw",
    "sync": "flynn_sync", "io": "flynn_sync", "mpi": "flynn_mpi",
}


# The terminal card holds about 25 findings, so each area offers its readings' headline
# candidates and only these reach it, in this order (most telling first): the figure a performance
# engineer sizes a machine by, then what a student wants to see of the chapter's idea. The rest
# stay in the report's tables.
CARD: dict[str, tuple[str, ...]] = {
    "ctxsw": (r"^futex/threads/same_cpu$", r"^futex/processes/same_cpu$", r"^timeslice$"),
    "simd": (r"^fma_peak/", r"^speedup/triad/", r"^speedup/sum/"),
    "numa": (r"^dram/latency$", r"^level/l1/latency$", r"^level/l2/latency$", r"^level/l3/latency$",
             r"^level/[a-z0-9]+/size$", r"^bandwidth/read$", r"^dram/tlb_cost$", r"^remote/"),
    "mimd": (r"^compute/strong/speedup$", r"^triad/strong/bandwidth_ceiling$"),
    "sync": (r"^counter/fetch_add_relaxed/contended$", r"^false_sharing$", r"^race/lost_updates$"),
    "io": (r"^fetch/speedup$", r"^tasks/speedup$"),
    "mpi": (r"^latency/cross_host$", r"^latency/same_host$", r"^bandwidth/cross_host/peak$",
            r"^bandwidth/same_host/peak$", r"^allreduce/scaling$"),
    "trust": (r"^failed_rows$", r"^unstable_rows$", r"^cpu_share$", r"^perf_crosscheck$", r"^skipped_rows$"),
}


def _rank(finding: Finding) -> int | None:
    for index, pattern in enumerate(CARD.get(finding.area, ())):
        if re.search(pattern, finding.figure):
            return index
    return None


def for_the_card(found: list[Finding]) -> list[Finding]:
    """Headline only what CARD names, and put an area's headlines first in CARD's order; the
    other findings keep the readings' order after them."""
    ranked: list[tuple[int, int, int, Finding]] = []
    area_order: dict[str, int] = {}
    for position, finding in enumerate(found):
        area_index = area_order.setdefault(finding.area, len(area_order))
        rank = _rank(finding) if finding.headline else None
        if finding.headline and rank is None:
            finding = dataclasses.replace(finding, headline=False)
        ranked.append((area_index, rank if rank is not None else len(CARD.get(finding.area, ())), position, finding))
    return [finding for *_, finding in sorted(ranked, key=lambda item: item[:3])]


def _absent(area: str) -> Finding:
    return missing(
        area, "absent", f"{area}: not in this result",
        f"no {area} benchmarks in this result: built without {BINARIES.get(area, 'its binary')} or filtered out",
    )


def _failed(area: str, error: Exception) -> Finding:
    # A result file is untrusted input: a row the readings cannot make sense of becomes a finding
    # that says so, and the other areas are still read.
    return missing(area, "unreadable", f"{area}: could not be read",
                   f"the {area} rows could not be read: {error}", "unknown")


def read_all(result: Result, options: ReadingOptions = ReadingOptions()) -> list[Finding]:
    """Every area's findings in READINGS order, then the trust section. An area the result lacks
    gives one finding that says what is missing, never an exception."""
    by_area = results.runs_by_area(result)
    found: list[Finding] = []
    for area, reading in READINGS.items():
        if area == "trust":
            runs = [run for area_runs in by_area.values() for run in area_runs]
        else:
            runs = by_area.get(area, [])
            if not runs:
                found.append(_absent(area))
                continue
        try:
            found += reading(result, runs, options)
        except (FlynnError, ArithmeticError, LookupError, TypeError, ValueError) as error:
            found.append(_failed(area, error))
    return for_the_card(found)


def roofline(result: Result, findings: list[Finding] | None = None) -> tuple[list[Ceiling], list[RooflinePoint]]:
    """The measured roofs (compute peaks per ISA and type, bandwidths per memory level) and the
    simd and mimd kernels placed by their arithmetic intensity. `findings` is accepted so a
    caller that has read the result already passes them; the roofline reads the rows itself."""
    by_area = results.runs_by_area(result)
    ceilings: list[Ceiling] = []
    points: list[RooflinePoint] = []
    for module, area in ((simd, "simd"), (numa, "numa"), (mimd, "mimd")):
        runs = by_area.get(area, [])
        if not runs:
            continue
        roof = getattr(module, "roofline", None)
        if roof is None:
            continue
        more_ceilings, more_points = roof(result, runs)
        ceilings += more_ceilings
        points += more_points
    return ceilings, points
