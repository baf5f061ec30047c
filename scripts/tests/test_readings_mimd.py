from pathlib import Path

import pytest

from flynn import results
from flynn.areas import mimd, read_all
from synthetic_readings import rows, write

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"


def by_figure(found):
    return {f.figure: f for f in found}


def _scaling(tmp_path: Path):
    """compute: Amdahl with 10% serial on 4 cores, then 8 threads time-sliced; triad: saturates
    memory at 2 threads."""
    benchmarks = []
    for t in (1, 2, 4, 8):
        speedup = 1 / (0.1 + 0.9 / min(t, 4)) if t <= 4 else 1.0
        benchmarks += rows(f"mimd/compute/strong/threads:{t}/real_time",
                           {"flops_per_second": 1e10 * speedup, "threads_in_place_pct": 100.0})
        bandwidth = {1: 20e9, 2: 38e9, 4: 40e9, 8: 39e9}[t]
        benchmarks += rows(f"mimd/triad/strong/threads:{t}/real_time",
                           {"bytes_per_second": bandwidth, "flops_per_second": bandwidth / 12,
                            "threads_in_place_pct": 100.0})
    return write(tmp_path, "scaling.json", benchmarks)


def test_memory_bound_kernels_get_a_ceiling_not_a_serial_fraction(tmp_path: Path) -> None:
    found = by_figure(read_all(_scaling(tmp_path)))
    assert "triad/strong/serial_fraction" not in found
    ceiling = found["triad/strong/bandwidth_ceiling"]
    assert ceiling.value == pytest.approx(40e9)
    assert found["triad/strong/threads_to_ceiling"].value == 2  # 38 GB/s >= 90% of 40
    assert "no serial fraction" in ceiling.meaning


def test_compute_bound_fit_stops_at_the_core_count(tmp_path: Path) -> None:
    found = by_figure(read_all(_scaling(tmp_path)))
    # the 8-thread point (time-sliced, speedup 1) would drag the fit far from 10%
    assert found["compute/strong/serial_fraction"].value == pytest.approx(10.0, abs=0.01)
    speedup = found["compute/strong/speedup"]
    assert speedup.limit == 4 and speedup.ratio == pytest.approx(1 / (0.1 + 0.9 / 4) / 4)


@pytest.mark.parametrize("law", ["strong", "weak"])
def test_a_speedup_past_the_ideal_is_unstable_not_scaling(tmp_path: Path, law: str) -> None:
    # 2.26x on 2 threads, as a quick run once read with 1 repetition: the 1-thread run was slowed.
    benchmarks = []
    for t, rate in ((1, 1e10), (2, 2.26e10)):
        benchmarks += rows(f"mimd/compute/{law}/threads:{t}/real_time",
                           {"flops_per_second": rate, "threads_in_place_pct": 100.0})
    found = by_figure(read_all(write(tmp_path, "past.json", benchmarks)))
    for figure in (f"compute/{law}/speedup", f"compute/{law}/serial_fraction"):
        assert found[figure].trust.status == "unstable", figure
        assert "2.26x on 2 threads is past the ideal 2x" in found[figure].trust.note
    # Within 5% of the ideal it is scaling, read as such.
    benchmarks = []
    for t, rate in ((1, 1e10), (2, 2.08e10)):
        benchmarks += rows(f"mimd/compute/{law}/threads:{t}/real_time",
                           {"flops_per_second": rate, "threads_in_place_pct": 100.0})
    found = by_figure(read_all(write(tmp_path, "near.json", benchmarks)))
    assert found[f"compute/{law}/speedup"].trust.status == "ok"


def test_the_figure_labels_no_serial_fraction_on_memory_bound_work(tmp_path: Path) -> None:
    result = _scaling(tmp_path)
    fig = mimd.figure(result, results.runs_by_area(result)["mimd"])
    labels = [t.get_text() for ax in fig.get_axes() if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("compute (serial 10.0%") for label in labels)
    assert not any(label.startswith("triad (serial") for label in labels)
    # the dotted fit stops at the 4 cores
    strong = fig.get_axes()[0]
    fits = [line for line in strong.lines if line.get_linestyle() == ":"]
    assert fits and max(max(line.get_xdata()) for line in fits) == 4


def test_reference_overheads_and_schedule() -> None:
    found = by_figure(read_all(results.load(REFERENCE)))
    parallel = found["overhead/parallel_for"]
    assert parallel.value == pytest.approx(3.361, rel=0.01) and parallel.unit == "us"
    lost = found["overhead/parallel_for/lost_flops"]
    assert lost.value == pytest.approx(3.361e-6 * 3.391e10, rel=0.01)
    static = found["schedule/triangular/static"]
    assert static.ratio > 1.3 and "1.50" in static.meaning
    for kernel in ("copy", "scale", "add", "triad", "mixed"):
        assert f"{kernel}/strong/serial_fraction" not in found


def test_a_thread_out_of_place_is_unproven(tmp_path: Path) -> None:
    benchmarks = []
    for t in (1, 2):
        benchmarks += rows(f"mimd/compute/strong/threads:{t}/real_time",
                           {"flops_per_second": 1e10 * t, "threads_in_place_pct": 100.0 if t == 1 else 50.0})
    found = by_figure(read_all(write(tmp_path, "moved.json", benchmarks, {"topology_cores": "2"})))
    assert found["compute/strong/speedup"].trust.status == "unproven"


def test_weak_scaling_is_work_per_second_not_as_fast() -> None:
    found = by_figure(f for f in read_all(results.load(REFERENCE)) if f.area == "mimd")
    weak = found["compute/weak/speedup"]
    assert weak.value == pytest.approx(1.85, rel=0.01)
    assert "as fast" not in weak.meaning and "work done per second" in weak.meaning
    assert "weak-scaling efficiency" in weak.meaning
    assert "as fast" in found["compute/strong/speedup"].meaning


def test_a_rate_still_growing_at_the_last_core_count_is_no_ceiling() -> None:
    # the reference's triad: 32.2 GB/s on 1 thread, 52.8 GB/s on 2, and 2 cores: nothing shows
    # that more cores would not draw more, so "2 of 2 cores already draw 90%" said too much
    found = by_figure(f for f in read_all(results.load(REFERENCE)) if f.area == "mimd")
    best = found["triad/strong/bandwidth_ceiling"]
    assert best.value == pytest.approx(52.8e9, rel=0.01)
    assert best.label == "triad (strong) at 2 threads: no ceiling shown" and len(best.label) <= 46
    assert "cannot tell" in best.meaning and "no serial fraction" in best.meaning
    reach = found["triad/strong/threads_to_ceiling"]
    assert "already draw" not in reach.meaning and "upper bound" in reach.meaning


def test_a_rate_that_flattens_before_the_cores_run_out_is_a_ceiling(tmp_path: Path) -> None:
    found = by_figure(read_all(_scaling(tmp_path)))
    ceiling = found["triad/strong/bandwidth_ceiling"]
    assert ceiling.label == "triad (strong) bandwidth ceiling" and "past it more cores wait" in ceiling.meaning
    assert "already draw 90%" in found["triad/strong/threads_to_ceiling"].meaning
