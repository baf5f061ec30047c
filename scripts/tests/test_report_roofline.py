"""The roofline figure and the figure workers of the report."""

import math

import pytest
from matplotlib.figure import Figure

from flynn.findings import Ceiling, RooflinePoint
from flynn.report import model, roofline

PEAK = Ceiling("avx2 f64 FMA peak", "compute", 100e9, "simd/fma_peak/avx2/f64")
NEAR_PEAK = Ceiling("avx f64 FMA peak", "compute", 95e9, "simd/fma_peak/avx/f64")
SCALAR = Ceiling("scalar f64 FMA peak", "compute", 10e9, "simd/fma_peak/scalar/f64")
L1 = Ceiling("L1", "memory", 400e9, "simd/triad/avx2/f64/bytes:4096")
DRAM = Ceiling("DRAM", "memory", 20e9, "simd/triad/avx2/f64/bytes:1073741824")
POINTS = [RooflinePoint("triad (L1)", "simd", 1 / 12, 30e9, "simd/triad/avx2/f64/bytes:4096"),
          RooflinePoint("compute 2 threads", "mimd", 5.25, 80e9, "mimd/compute/strong/threads:2")]


def _lines(figure: Figure) -> list[tuple[list[float], list[float]]]:
    [axes] = figure.axes
    return [(list(line.get_xdata()), list(line.get_ydata())) for line in axes.get_lines()
            if line.get_linestyle() == "-"]


def test_roofs_meet_as_the_empirical_roofline_toolkit_draws_them() -> None:
    figure = roofline.figure([PEAK, SCALAR, L1, DRAM], POINTS, "test")
    assert figure is not None
    [axes] = figure.axes
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    lines = _lines(figure)
    # each bandwidth rises to the highest peak: it ends at intensity peak / bandwidth
    slanted = [line for line in lines if line[1][0] != line[1][1]]
    ends = sorted(xs[1] for xs, _ in slanted)
    assert ends == pytest.approx(sorted([100e9 / 400e9, 100e9 / 20e9]))
    for xs, ys in slanted:
        assert ys[1] == pytest.approx(100e9)
        assert ys[0] / xs[0] == pytest.approx(ys[1] / xs[1])  # y = bandwidth x intensity
    # each peak is flat from where the widest bandwidth meets it
    flat = sorted((line for line in lines if line[1][0] == line[1][1]), key=lambda line: -line[1][0])
    assert [ys[0] for _, ys in flat] == [100e9, 10e9]
    assert [xs[0] for xs, _ in flat] == pytest.approx([100e9 / 400e9, 10e9 / 400e9])
    # the ridges of the highest roofs and of the lowest bandwidth (DRAM) are marked, each named by
    # its pair of roofs (an unnamed "ridge 0.25" read as the DRAM ridge a reader usually means)
    ridges = [line for line in axes.get_lines() if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in ridges] == pytest.approx([100e9 / 400e9, 100e9 / 20e9])
    notes = [text.get_text() for text in axes.texts if text.get_text().startswith("ridge")]
    assert notes == ["ridge 0.25 flop/B (L1 / avx2 f64 FMA peak)", "ridge 5 flop/B (DRAM / avx2 f64 FMA peak)"]
    # the kernels sit at their intensity and FLOP/s
    placed = sorted(tuple(collection.get_offsets()[0]) for collection in axes.collections)
    assert placed == pytest.approx(sorted((p.flops_per_byte, p.flops_per_second) for p in POINTS))
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "triad (L1): 30 GFLOP/s", "compute 2 threads: 80 GFLOP/s"]


def test_close_peaks_are_one_roof_with_the_count_in_its_label() -> None:
    figure = roofline.figure([PEAK, NEAR_PEAK, SCALAR, L1], [], "")
    assert figure is not None
    flat = [ys for _, ys in _lines(figure) if ys[0] == ys[1]]
    assert sorted(ys[0] for ys in flat) == [10e9, 100e9]
    labels = [text.get_text() for text in figure.axes[0].texts]
    assert "avx2 f64 FMA peak: 100 GFLOP/s (+1 within 12%)" in labels


def test_labels_of_close_roofs_are_kept_apart() -> None:
    assert roofline._apart([10.0, 9.99, 9.5], 0.09) == pytest.approx([10.0, 9.91, 9.5])


def test_nothing_measured_draws_nothing() -> None:
    assert roofline.figure([Ceiling("bad", "compute", math.nan, "x")], [], "") is None


def test_a_broken_figure_is_said_and_the_others_still_drawn() -> None:
    def broken() -> Figure:
        raise ValueError("no such curve")

    def good() -> Figure:
        return roofline.figure([PEAK, L1], POINTS, "good")

    drawn = model.draw_all([good, broken, good])
    assert drawn[0][0].startswith(b"\x89PNG") and drawn[2][0] == drawn[0][0]
    png, error = drawn[1]
    assert png is None and error.startswith("drawing failed: ValueError: no such curve (test_report_roofline.py:")
