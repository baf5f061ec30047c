from pathlib import Path

import pytest

from flynn import results
from flynn.areas import read_all, roofline, simd
from flynn.findings import ReadingOptions

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"


def by_figure(found):
    return {f.figure: f for f in found}


def test_fma_peak_against_pipes_lanes_two_and_the_clock() -> None:
    result = results.load(REFERENCE)
    clock = float(result.context["clock_hz_estimate"])
    peak = by_figure(read_all(result))["fma_peak/avx512f/f32"]
    assert peak.limit == pytest.approx(2 * 16 * 2 * clock)
    assert peak.value == pytest.approx(2.176e11, rel=0.01)
    assert 0.9 < peak.ratio < 1.0
    assert "2 FMA pipes (assumed" in peak.limit_source and "GHz" in peak.limit_source
    assert peak.headline


def test_fma_pipes_option_overrides_the_assumption() -> None:
    result = results.load(REFERENCE)
    peak = by_figure(read_all(result, ReadingOptions(fma_pipes=1)))["fma_peak/avx512f/f64"]
    assert peak.limit == pytest.approx(1 * 8 * 2 * float(result.context["clock_hz_estimate"]))
    assert "1 FMA pipes (set by --fma-pipes)" in peak.limit_source
    # a column without FMA instructions is not held against the FMA peak
    assert by_figure(read_all(result))["fma_peak/sse2/f64"].limit is None


def test_reduction_speedup_names_its_ilp_part() -> None:
    found = by_figure(read_all(results.load(REFERENCE)))
    total = found["speedup/sum/avx512f/f32"]
    assert total.limit == 16 and total.value == pytest.approx(44.8, rel=0.02)
    assert "8 accumulators" in total.meaning and "8 accumulators vs 1" in total.limit_source
    assert total.headline
    # triad is no reduction: below its lane count, no ILP named
    triad = found["speedup/triad/avx512f/f32"]
    assert triad.value < triad.limit and "accumulators" not in triad.meaning


def test_simd_fixture_from_the_real_binary(fixtures: Path) -> None:
    found = read_all(results.load(fixtures / "simd_real.json"))
    speedups = [f for f in found if f.figure.startswith("speedup/")]
    assert speedups and all(f.limit in (1, 2, 4, 8, 16) for f in speedups)
    # no numa rows there: the L1 point comes from hwloc's 48 KiB
    assert all("hwloc" in f.limit_source for f in speedups)


def test_roofline_ceilings_and_points_by_intensity() -> None:
    result = results.load(REFERENCE)
    ceilings, points = roofline(result, read_all(result))
    compute = {c.label: c.value for c in ceilings if c.kind == "compute"}
    assert compute["avx512f f64 FMA peak (one core)"] == pytest.approx(1.069e11, rel=0.01)
    memory = {c.label for c in ceilings if c.kind == "memory"}
    assert {"L1 (one core)", "L2 (one core)", "L3 (one core)", "DRAM (one core)"} <= memory
    by_label = {p.label: p for p in points}
    # triad f32: 2 flops per 12 bytes, from the kernel's traits via its counters
    triad = next(p for label, p in by_label.items() if label.startswith("simd triad avx512f f32"))
    assert triad.flops_per_byte == pytest.approx(2 / 12, rel=1e-3)
    poly = next(p for label, p in by_label.items() if label.startswith("simd poly scalar f32"))
    assert poly.flops_per_byte == pytest.approx(21 / 4, rel=1e-3)
    mimd = next(p for p in points if p.label.startswith("mimd compute"))
    assert mimd.flops_per_byte == pytest.approx(21 / 4)
    assert not any(p.label.startswith("mimd copy") for p in points)  # no flops: not on a log roofline


def test_simd_figure_annotates_the_ilp(fixtures: Path) -> None:
    result = results.load(fixtures / "simd_real.json")
    fig = simd.figure(result, results.runs_by_area(result)["simd"])
    texts = [t.get_text() for ax in fig.get_axes() for t in ax.texts]
    assert any("ILP" in text for text in texts)


def test_every_speedup_names_its_own_lane_count() -> None:
    # an FMA column above its width once took the previous row's limit source (poly avx512f f32
    # said "lane count 8" against a limit of 16)
    speedups = [f for f in read_all(results.load(REFERENCE)) if f.figure.startswith("speedup/")]
    assert speedups
    for found in speedups:
        assert found.limit_source.startswith(f"lane count {found.limit:g} "), (found.figure, found.limit_source)
    poly = by_figure(speedups)["speedup/poly/avx512f/f32"]
    assert poly.limit == 16 and "twice" in poly.limit_source


def test_an_auto_vectorised_reduction_is_not_read_as_a_share_of_its_lanes() -> None:
    # GCC keeps a floating-point sum in order without -ffast-math: auto's sum is 1.0x scalar,
    # which "25% of the width" misread as a loop on 4 lanes
    found = by_figure(read_all(results.load(REFERENCE)))
    for figure in ("speedup/sum/auto/f32", "speedup/dot/auto/f64"):
        reduction = found[figure]
        assert reduction.value == pytest.approx(1.0, abs=0.05)
        assert "of the width" not in reduction.meaning and "-ffast-math" in reduction.meaning
        assert "not what it used" in reduction.limit_source
    # a loop GCC does vectorise keeps its share of the width
    assert "of the width" in found["speedup/triad/auto/f32"].meaning


def test_roofline_points_come_in_a_fixed_order() -> None:
    # the ISAs of a kernel were a set, so the points (and their markers) changed order with the
    # interpreter's hash seed from one report to the next
    result = results.load(REFERENCE)
    _, points = roofline(result, read_all(result))
    triad = [p.label for p in points if p.label.startswith("simd triad") and " f32 " in p.label]
    assert triad == ["simd triad scalar f32 (16 KiB)", "simd triad scalar f32 (1 GiB)",
                     "simd triad avx512f f32 (16 KiB)", "simd triad avx512f f32 (1 GiB)"]
