"""The mpi area's readings for the card's interconnect section: the small-message latency and the
peak window bandwidth of each placement (same host, cross host), the message size that reaches
half the peak (n_1/2, Hockney's figure for where a link stops being latency-bound), the
cross-host/same-host ratios (as each cross-host finding's ratio against its same-host limit) and
how an 8-byte allreduce grows with the rank count."""

import math

from flynn.areas.common import Point, finding, median, missing, points, trust
from flynn.findings import Finding, ReadingOptions
from flynn.results import Result, Run

AREA = "mpi"
# The small message: OSU's 8-byte row, one double, what a reduction of a scalar sends.
SMALL_BYTES = 8
PLACEMENTS = ("same_host", "cross_host")


def _of(pts: list[Point], kernel: str, placement: str) -> list[Point]:
    return [p for p in pts if p.name.kernel == kernel and p.name.params.get("placement") == placement
            and p.run.repetitions]


def _latency(pts: list[Point], placement: str) -> tuple[float | None, Point | None]:
    for p in _of(pts, "pingpong", placement):
        if p.param("bytes") == SMALL_BYTES:
            return median(p.run, "ns_per_message"), p
    return None, None


def _bandwidth_curve(pts: list[Point], placement: str) -> list[tuple[int, float, Point]]:
    curve = []
    for p in _of(pts, "bandwidth", placement):
        size, rate = p.param("bytes"), median(p.run, "bytes_per_second")
        if size is not None and rate is not None and rate > 0:
            curve.append((size, rate, p))
    return sorted(curve, key=lambda item: item[0])


def half_peak_size(curve: list[tuple[int, float]]) -> int | None:
    """The smallest message size whose bandwidth reaches half the peak of `curve` (size, rate)."""
    if not curve:
        return None
    peak = max(rate for _, rate in curve)
    return min(size for size, rate in curve if rate >= peak / 2)


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    pts = points(runs)
    found: list[Finding] = []
    hosts = result.context.get("mpi_hosts", "?")
    same_latency, same_peak = None, None
    for placement in PLACEMENTS:
        where = placement.replace("_", " ")
        value, point = _latency(pts, placement)
        if point is not None:
            cross = placement == "cross_host"
            found.append(finding(
                AREA, f"latency/{placement}", f"{SMALL_BYTES}-byte latency, {where}", value / 1e3 if value else None, "us",
                limit=same_latency / 1e3 if cross and same_latency else None,
                limit_source="the same-host pair's latency" if cross and same_latency else "",
                meaning=(f"an {SMALL_BYTES}-byte message from rank {point.param('rank_a')} to rank {point.param('rank_b')} "
                         f"({where}) takes {value / 1e3:.3g} us one way (half a ping-pong round trip)") if value else "",
                trust=trust([point.run], "ns_per_message", options), headline=True,
            ))
            if not cross:
                same_latency = value
        curve = _bandwidth_curve(pts, placement)
        if curve:
            peak_size, peak, peak_point = max(curve, key=lambda item: item[1])
            cross = placement == "cross_host"
            found.append(finding(
                AREA, f"bandwidth/{placement}/peak", f"peak bandwidth, {where}", peak / 1e9, "GB/s",
                limit=same_peak / 1e9 if cross and same_peak else None,
                limit_source="the same-host pair's peak" if cross and same_peak else "",
                meaning=(f"a window of {peak_point.param('window')} messages of {peak_size} B reaches "
                         f"{peak / 1e9:.3g} GB/s {where}"),
                trust=trust([peak_point.run], "bytes_per_second", options), headline=True,
            ))
            half = half_peak_size([(size, rate) for size, rate, _ in curve])
            found.append(finding(
                AREA, f"bandwidth/{placement}/half_peak_size", f"message size reaching half the peak, {where}",
                float(half) if half is not None else None, "B",
                limit_source=f"half of {peak / 1e9:.3g} GB/s (n_1/2)",
                meaning=(f"from {half} B per message a window gets half the peak {where}: smaller messages "
                         "are bound by latency, not by the link") if half is not None else "",
                trust=trust([p.run for _, _, p in curve], "bytes_per_second", options),
            ))
            if not cross:
                same_peak = peak
    found += _allreduce_scaling(pts, options)
    if not found:
        found.append(missing(AREA, "none", "mpi: nothing measured", f"no mpi row with figures ({hosts} hosts)"))
    return found


def _allreduce_scaling(pts: list[Point], options: ReadingOptions) -> list[Finding]:
    small = [(p.param("ranks") or 0, v, p) for p in pts
             if p.name.kernel == "allreduce" and p.param("bytes") == SMALL_BYTES and p.run.repetitions
             and (v := median(p.run, "ns_per_op")) is not None]
    if len(small) < 2:
        return []
    small.sort(key=lambda item: item[0])
    (few, few_ns, few_point), (many, many_ns, many_point) = small[0], small[-1]
    return [finding(
        AREA, "allreduce/scaling", f"{SMALL_BYTES}-byte allreduce on {many} ranks", many_ns / 1e3, "us",
        limit=few_ns / 1e3, limit_source=f"the same allreduce on {few} ranks",
        meaning=(f"from {few} to {many} ranks an {SMALL_BYTES}-byte allreduce goes from {few_ns / 1e3:.3g} us to "
                 f"{many_ns / 1e3:.3g} us (a tree's log2 would be {_log2_ratio(few, many):.2g}x)"),
        trust=trust([few_point.run, many_point.run], "ns_per_op", options), headline=True,
    )]


def _log2_ratio(few: int, many: int) -> float:
    return math.log2(many) / math.log2(few) if few > 1 else float(many)
