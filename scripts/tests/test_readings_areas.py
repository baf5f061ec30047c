"""read_all over whole results: every area read or said missing, the trust section, speed."""

import json
import time
from pathlib import Path

import pytest

from flynn import results
from flynn.areas import READINGS, read_all

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"


def by_figure(found, area):
    return {f.figure: f for f in found if f.area == area}


def test_a_result_without_an_area_says_what_is_missing(fixtures: Path) -> None:
    found = read_all(results.load(fixtures / "sync_real.json"))
    simd = [f for f in found if f.area == "simd"]
    assert len(simd) == 1 and simd[0].trust.status == "skipped" and simd[0].value is None
    assert simd[0].trust.note == "no simd benchmarks in this result: built without flynn_simd or filtered out"
    assert {f.area for f in found} == set(READINGS)


def test_an_empty_result_still_reads(fixtures: Path) -> None:
    found = read_all(results.load(fixtures / "no_benchmarks.json"))
    assert all(f.trust.status == "skipped" for f in found if f.area != "trust")


def test_every_real_fixture_reads(fixtures: Path) -> None:
    for path in sorted(fixtures.glob("*_real.json")) + [fixtures / "numa_2node_emulated.json"]:
        found = read_all(results.load(path))
        assert not [f for f in found if f.figure == "unreadable"], path
        assert all(f.ratio is None or f.ratio == pytest.approx(f.value / f.limit) for f in found)


def test_reference_headlines_fit_the_card_and_it_is_fast() -> None:
    # CPU time, not wall time: a loaded machine (a build beside the tests) stretches the wall clock.
    start = time.process_time()
    found = read_all(results.load(REFERENCE))
    assert time.process_time() - start < 5
    headlines = [f for f in found if f.headline]
    # The card has room for about 25 findings besides the machine, the titles and the history.
    assert 20 <= len(headlines) <= 28
    # Every area the reference run measured reaches the card (it predates flynn_mpi).
    assert {f.area for f in headlines} == set(READINGS) - {"mpi"}
    # The figure each area is sized by leads it on the card.
    first = {}
    for finding in found:
        if finding.headline:
            first.setdefault(finding.area, finding.figure)
    assert first["numa"] == "dram/latency" and first["simd"].startswith("fma_peak/")
    assert first["ctxsw"] == "futex/threads/same_cpu" and first["trust"] == "failed_rows"
    assert all(json.dumps(f.as_dict()) for f in found)


def test_trust_counts_skips_and_cross_checks() -> None:
    trust = by_figure(read_all(results.load(REFERENCE)), "trust")
    assert trust["skipped_rows"].value == 40
    assert "19 x MAP_HUGETLB failed" in trust["skipped_rows"].trust.note
    assert trust["failed_rows"].value == 0
    cross = trust["perf_crosscheck"]
    assert cross.value == 8504.9 and cross.limit == 8686.3 and cross.trust.status == "ok"
    # the meaning gives the two figures in the value's unit (it once read "8.5e-06 s vs 8.69e-06 s")
    assert "(8,505 ns vs 8,686 ns)" in cross.meaning and "e-0" not in cross.meaning
    assert trust["unstable_rows"].value > 0 and trust["unstable_rows"].trust.status == "unstable"


def test_a_failed_row_is_counted(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "sync_real.json").read_text())
    document["benchmarks"][0].update(error_occurred=True, error_message="pages_on_node_pct 40 < 99")
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(document))
    trust = by_figure(read_all(results.load(path)), "trust")
    assert trust["failed_rows"].value == 1 and trust["failed_rows"].trust.status == "unproven"


def test_cpu_share_reads_the_cpu_the_lone_rows_held(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "simd_real.json").read_text())
    path = tmp_path / "quiet.json"
    path.write_text(json.dumps(document))
    quiet = by_figure(read_all(results.load(path)), "trust")["cpu_share"]
    assert quiet.value > 95 and quiet.trust.status == "ok" and quiet.unit == "%"
    # Something else held the CPU for half the wall clock: the CPU time stays, the real time doubles.
    for row in document["benchmarks"]:
        if isinstance(row.get("real_time"), (int, float)):
            row["real_time"] = 2 * row["cpu_time"]
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(document))
    shared = by_figure(read_all(results.load(path)), "trust")["cpu_share"]
    assert shared.value == pytest.approx(50.0)
    assert shared.trust.status == "unstable" and "another process" in shared.trust.note


def test_cpu_share_without_a_lone_row_says_why(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "ctxsw_real.json").read_text())
    path = tmp_path / "ctxsw.json"
    path.write_text(json.dumps(document))
    share = by_figure(read_all(results.load(path)), "trust")["cpu_share"]
    assert share.value is None and "simd/" in share.trust.note


def _counted_proof(fixture: Path, tmp_path: Path, prefix: str, counter: str, value: float, **context: str):
    """The trust section's perf_counters finding of `fixture` as if software events counted and
    every row under `prefix` carried `counter` = `value`, with `context` added."""
    document = json.loads(fixture.read_text())
    document["context"].update(perf_counters="software (hardware: no PMU, ENOENT)", **context)
    for row in document["benchmarks"]:
        if row["name"].startswith(prefix):
            row[counter] = value
    path = tmp_path / "counted.json"
    path.write_text(json.dumps(document))
    return by_figure(read_all(results.load(path)), "trust")["perf_counters"]


@pytest.mark.parametrize("pus, expected", [("2", "unproven"), ("4", "ok")])
def test_a_migration_in_a_bound_team_fails_the_proof_only_where_a_place_is_one_cpu(
        fixtures: Path, tmp_path: Path, pus: str, expected: str) -> None:
    proof = _counted_proof(fixtures / "mimd_real.json", tmp_path, "mimd/compute/", "cpu_migrations_per_region", 0.5,
                           omp_places="cores", topology_cores="2", topology_pus=pus)
    assert proof.trust.status == expected
    if expected == "ok":
        # Two PUs per core: the team's place is a core, and a move between its siblings stays in it.
        assert "migrations not checked: OMP_PLACES=cores on 4 PUs in 2 cores" in proof.trust.note
    else:
        assert "cpu_migrations_per_region 0.5" in proof.trust.note


def test_migrations_unchecked_is_said_only_where_a_row_counted_them(fixtures: Path, tmp_path: Path) -> None:
    # flynn_mpi alone: OMP_PLACES unset in its context, and no row with a team's migration count.
    document = json.loads((fixtures / "mpi_2hosts_4ranks_real.json").read_text())
    document["context"]["omp_places"] = "unset"
    path = tmp_path / "mpi.json"
    path.write_text(json.dumps(document))
    proof = by_figure(read_all(results.load(path)), "trust")["perf_counters"]
    assert proof.trust.status == "ok" and "migrations" not in (proof.trust.note or "")


@pytest.mark.parametrize("balancing, nodes, named", [("1", "2", True), ("0", "2", False), ("1", "1", False)])
def test_faults_in_a_timed_chase_fail_the_proof_and_name_numa_balancing_where_it_runs(
        fixtures: Path, tmp_path: Path, balancing: str, nodes: str, named: bool) -> None:
    proof = _counted_proof(fixtures / "numa_real.json", tmp_path, "numa/chase/", "minor_faults_per_load", 0.001,
                           numa_balancing=balancing, topology_numa_nodes=nodes)
    assert proof.trust.status == "unproven" and "minor_faults_per_load 0.001" in proof.trust.note
    assert ("kernel.numa_balancing=1 on 2 nodes" in proof.trust.note) == named
