"""flynn.areas.mpi: the interconnect readings, on a result written by flynn_mpi itself (4 ranks on
2 test hosts, scripts/lib/test-hosts) and on hand-made curves."""

import copy
import json
from pathlib import Path

import pytest

from flynn import results
from flynn.areas import mpi
from flynn.findings import ReadingOptions

REAL = "mpi_2hosts_4ranks_real.json"


def read(path: Path) -> dict:
    result = results.load(path)
    return {f.figure: f for f in mpi.readings(result, results.runs_by_area(result)["mpi"], ReadingOptions())}


def test_a_real_result_gives_every_interconnect_figure(fixtures: Path) -> None:
    found = read(fixtures / REAL)
    for figure in ("latency/same_host", "latency/cross_host", "bandwidth/same_host/peak", "bandwidth/cross_host/peak",
                   "bandwidth/same_host/half_peak_size", "bandwidth/cross_host/half_peak_size", "allreduce/scaling"):
        assert figure in found and found[figure].value is not None and found[figure].value > 0, figure
    # Cross host is read against same host: the ratio the card shows.
    cross, same = found["latency/cross_host"], found["latency/same_host"]
    assert cross.limit == same.value and cross.ratio == pytest.approx(cross.value / same.value)
    assert found["bandwidth/cross_host/peak"].limit == found["bandwidth/same_host/peak"].value
    assert found["allreduce/scaling"].limit is not None and "2 to 4 ranks" in found["allreduce/scaling"].meaning


def test_the_latency_is_half_the_round_trip_of_the_8_byte_row(fixtures: Path) -> None:
    doc = json.loads((fixtures / REAL).read_text())
    row = next(r for r in doc["benchmarks"] if r["name"].startswith("mpi/pingpong/blocking/placement:cross_host/")
               and "/bytes:8/" in r["name"])
    assert read(fixtures / REAL)["latency/cross_host"].value == pytest.approx(row["ns_per_message"] / 1e3)
    # ns_per_message is one way: the iteration time over twice the round trips in it.
    assert row["ns_per_message"] == pytest.approx(row["real_time"] / (2 * row["round_trips_per_iteration"]), rel=1e-6)


def test_half_peak_size_is_the_first_size_at_half_the_peak() -> None:
    assert mpi.half_peak_size([(1, 1.0), (2, 4.0), (4, 5.1), (8, 10.0), (16, 9.0)]) == 4
    assert mpi.half_peak_size([(1, 1.0), (2, 4.0), (4, 4.9), (8, 10.0), (16, 9.0)]) == 8
    assert mpi.half_peak_size([(1, 10.0), (2, 1.0)]) == 1
    assert mpi.half_peak_size([(64, 3.0), (128, 6.0)]) == 64  # exactly half counts
    assert mpi.half_peak_size([]) is None


def test_one_host_has_no_cross_host_figures(fixtures: Path, tmp_path: Path) -> None:
    doc = json.loads((fixtures / REAL).read_text())
    doc["benchmarks"] = [r for r in doc["benchmarks"] if "cross_host" not in r["name"]]
    path = tmp_path / "one_host.json"
    path.write_text(json.dumps(doc))
    found = read(path)
    assert "latency/same_host" in found and not [f for f in found if "cross_host" in f]
    assert found["bandwidth/same_host/peak"].limit is None


def test_only_failed_rows_say_nothing_was_measured(fixtures: Path, tmp_path: Path) -> None:
    doc = json.loads((fixtures / REAL).read_text())
    for row in doc["benchmarks"]:
        row["error_occurred"] = True
        row["error_message"] = "pingpong: byte 3 of iteration 1's message from rank 0 to rank 1 is wrong"
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(copy.deepcopy(doc)))
    found = read(path)
    assert list(found) == ["none"] and found["none"].value is None


def test_the_figure_draws_both_placements_and_says_what_the_run_lacks(fixtures: Path) -> None:
    from flynn.areas import mpi as mpi_area

    result = results.load(fixtures / "mpi_2hosts_4ranks_real.json")
    figure = mpi_area.figure(result, results.runs_by_area(result)["mpi"])
    latency, bandwidth, pairs, pair_bandwidth, collectives = figure.axes[:5]
    assert sorted(line.get_label() for line in latency.get_lines()) == ["cross host", "same host (shared memory)"]
    # Every drawn size is positive: a 0-byte message cannot sit on the log axis.
    assert all(min(line.get_xdata()) >= 1 for line in latency.get_lines())
    assert any(line.get_label() == "cross host" for line in bandwidth.get_lines())
    # This run measured no pair matrix: the panel says so instead of drawing an empty grid.
    assert [text.get_text() for text in pairs.texts] == ["not in this run"]
    assert [text.get_text() for text in pair_bandwidth.texts] == ["not in this run"]
    assert "allreduce" in [line.get_label() for line in collectives.get_lines()]
    assert "2 host(s) (flynn-h1, flynn-h2)" in figure._suptitle.get_text()


def _pair_rows(ranks: list[int], template: dict) -> list[dict]:
    rows = []
    for a in ranks:
        for b in ranks:
            if a < b:
                for kernel, tail, counter, value in (
                        ("pair_latency", "blocking", "ns_per_message", 1000.0 * (1 + a + b)),
                        ("pair_bandwidth", "nonblocking/window:64", "bytes_per_second", 1e9 / (1 + a + b))):
                    row = dict(template, **{counter: value})
                    row["name"] = row["run_name"] = (f"mpi/{kernel}/{tail}/placement:cross_host/rank_a:{a}/rank_b:{b}/"
                                                     f"bytes:8/manual_time")
                    rows.append(row)
    return rows


def test_both_pair_matrices_are_drawn_over_the_ranks_the_rows_name(fixtures: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Latency and bandwidth, each a grid of the ranks named: a row naming rank 1000000000 (result
    files are untrusted) adds one rank to the grid, not a billion."""
    from flynn.areas import mpi as mpi_area

    doc = json.loads((fixtures / REAL).read_text())
    template = {k: v for k, v in doc["benchmarks"][0].items() if k not in ("ns_per_message", "bytes_per_second")}
    doc["benchmarks"] += _pair_rows([0, 1, 2, 3, 1000000000], template)
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps(doc))
    result = results.load(path)
    figure = mpi_area.figure(result, results.runs_by_area(result)["mpi"])
    pair_latency, pair_bandwidth = figure.axes[2:4]
    for ax, corner in ((pair_latency, 2.0), (pair_bandwidth, 0.5)):  # rank 0 with rank 1: 1 + 0 + 1
        (image,) = ax.get_images()
        grid = image.get_array()
        assert grid.shape == (5, 5)
        assert grid[0, 1] == pytest.approx(corner) and grid[1, 0] == pytest.approx(corner)
    assert "8 B latency (us)" in pair_latency.get_title() and "8 B bandwidth (GB/s)" in pair_bandwidth.get_title()
    # Past the bound, the panel says so rather than drawing.
    monkeypatch.setattr(mpi_area, "MAX_PAIR_RANKS", 4)
    figure = mpi_area.figure(result, results.runs_by_area(result)["mpi"])
    assert [text.get_text() for text in figure.axes[2].texts] == ["5 ranks: more than the 4 drawn"]


def _hybrid(tmp_path: Path, shapes: dict[tuple[int, int], float | str], in_place: float | None = 100.0) -> dict:
    from synthetic_readings import rows, skipped, write

    benchmarks = []
    for (ranks, threads), rate in shapes.items():
        name = f"mpi/hybrid/poly/ranks:{ranks}/threads:{threads}/manual_time"
        if isinstance(rate, str):
            benchmarks.append(skipped(name, rate))
            continue
        counters = {"flops_per_second": rate, "omp_threads": float(threads)}
        if in_place is not None:
            counters["threads_in_place_pct"] = in_place
        benchmarks += rows(name, counters)
    result = write(tmp_path, "hybrid.json", benchmarks)
    return {f.figure: f for f in mpi.readings(result, results.runs_by_area(result)["mpi"], ReadingOptions())}


def test_hybrid_scaling_is_read_like_a_mimd_team(tmp_path: Path) -> None:
    found = _hybrid(tmp_path, {(1, 1): 1e10, (2, 1): 1.9e10, (2, 2): "rank 0 on h1 may run on 1 CPU(s)"})
    speedup = found["hybrid/poly/speedup"]
    assert speedup.value == pytest.approx(1.9) and speedup.limit == 2 and speedup.trust.status == "ok"
    assert "threads_in_place_pct 100%" in speedup.trust.proof
    # A thread out of its place fails the figure, as in flynn_mimd.
    assert _hybrid(tmp_path, {(1, 1): 1e10, (2, 1): 1.9e10}, in_place=50.0)["hybrid/poly/speedup"].trust.status \
        == "unproven"
    # Past the ideal: a disturbed run, not scaling (4 test hosts on 2 CPUs read 7.47x).
    past = _hybrid(tmp_path, {(1, 1): 1e10, (4, 1): 7.47e10})["hybrid/poly/speedup"]
    assert past.trust.status == "unstable" and "7.47x on 4 ranks x 1 threads is past the ideal 4x" in past.trust.note
    # Without OpenMP places the binding is unchecked, and the note says so.
    bare = _hybrid(tmp_path, {(1, 1): 1e10, (2, 1): 1.9e10}, in_place=None)["hybrid/poly/speedup"]
    assert bare.trust.proof is None and "places unchecked" in bare.trust.note


def test_hybrid_rows_all_skipped_say_why(tmp_path: Path) -> None:
    reason = "4 ranks on h1, h2, h3, h4 (one machine) may run on 2 CPU(s) together"
    found = _hybrid(tmp_path, {(1, 1): reason, (4, 1): reason})
    assert found["hybrid/poly/speedup"].value is None and reason in found["hybrid/poly/speedup"].trust.note
