from pathlib import Path

import pytest

from flynn import results
from flynn.areas import ctxsw, read_all

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"


def by_figure(found, area):
    return {f.figure: f for f in found if f.area == area}


def test_ctxsw_switches_against_the_call_alone() -> None:
    found = by_figure(read_all(results.load(REFERENCE)), "ctxsw")
    thread = found["futex/threads/same_cpu"]
    assert thread.value == pytest.approx(3276, rel=0.01) and thread.limit == pytest.approx(1282, rel=0.01)
    process = found["futex/processes/same_cpu"]
    assert process.limit == thread.value and process.ratio > 1.5
    assert found["futex/threads/cross_core"].value == pytest.approx(12240, rel=0.01)
    refill = found["futex/refill_per_mib"]
    assert refill.value == pytest.approx(16150 - 3276, rel=0.01)
    slice_ = found["timeslice"]
    # EEVDF's 0.75 ms x (1 + ilog2(2 CPUs)): 1.5 ms here, 3 ms only from 8 CPUs on
    assert slice_.value == pytest.approx(4.5, rel=0.02) and slice_.limit == pytest.approx(1.5)
    assert "on 2 CPUs" in slice_.limit_source and "1.5 ms" in slice_.limit_source


def test_eevdf_base_slice_scales_with_log2_of_the_cpus_up_to_eight() -> None:
    assert [ctxsw.eevdf_base_slice_ns(n) / 1e6 for n in (1, 2, 3, 4, 8, 64)] == [0.75, 1.5, 1.5, 2.25, 3.0, 3.0]


def test_ctxsw_meanings_follow_what_the_counters_show() -> None:
    found = by_figure(read_all(results.load(REFERENCE)), "ctxsw")
    # yield on two CPUs polls: 0.0001 switches per hand-off, so no sleeping thread is woken
    polled = found["yield/threads/cross_core"]
    assert "interrupt" not in polled.meaning and "never sleeps" in polled.meaning
    assert "wake-up" not in polled.label and polled.trust.proof.startswith("switches_per_op 0.00")
    woken = found["futex/threads/cross_core"]
    assert "inter-processor interrupt" in woken.meaning and woken.trust.proof.startswith("switches_per_op 0.9")
    # 6.7 ns and 36 ns are no system call: yield and condvar with nobody waiting stay in user space
    assert "system calls" not in found["yield/alone"].meaning
    assert "system calls" not in found["condvar/alone"].meaning
    assert "system calls" in found["futex/alone"].meaning


def test_ctxsw_real_fixture(fixtures: Path) -> None:
    found = by_figure(read_all(results.load(fixtures / "ctxsw_real.json")), "ctxsw")
    assert found["futex/threads/same_cpu"].value > 0
    assert found["futex/alone"].value < found["futex/threads/same_cpu"].value


def test_sync_and_io_readings() -> None:
    found = read_all(results.load(REFERENCE))
    sync, io = by_figure(found, "sync"), by_figure(found, "io")
    atomic = sync["counter/fetch_add_relaxed/contended"]
    assert atomic.value == pytest.approx(12.03, rel=0.01) and atomic.limit == pytest.approx(5.856, rel=0.01)
    assert sync["false_sharing"].ratio == pytest.approx(0.9715 / 0.2375, rel=0.01)
    assert sync["race/lost_updates"].value == pytest.approx(45.2, rel=0.01)
    assert sync["line_handoff/min"].value == pytest.approx(291.7, rel=0.01)
    fetch, tasks = io["fetch/speedup"], io["tasks/speedup"]
    assert fetch.limit == 64 and fetch.value == pytest.approx(13410 / 449.8, rel=0.01)
    assert tasks.limit == 2 and tasks.ratio == pytest.approx(3975 / 2045 / 2, rel=0.01)


def test_sync_real_fixture(fixtures: Path) -> None:
    found = by_figure(read_all(results.load(fixtures / "sync_real.json")), "sync")
    assert found["false_sharing"].ratio > 1
    assert all(f.trust.status != "unproven" for f in found.values())


def test_the_kernels_counts_prove_or_break_what_they_count(tmp_path: Path) -> None:
    from synthetic_readings import rows, write

    chase = "numa/chase/normal_pages/bytes:4096"
    team = "mimd/compute/strong/threads:2/real_time"
    switch = "ctxsw/futex/threads/placement:same_cpu/bytes:0/real_time"
    counted = {"perf_counters": "software (hardware: no PMU, ENOENT)"}
    clean = write(tmp_path, "clean.json", rows(chase, {"ns_per_load": 1.2, "minor_faults_per_load": 0.0})
                  + rows(team, {"flops_per_second": 1e9, "cpu_migrations_per_region": 0.0})
                  + rows(switch, {"ns_per_switch": 3000.0, "switches_per_op": 1.01, "rusage_switches_per_op": 1.0}),
                  counted)
    found = {f.figure: f for f in read_all(clean)}
    proof = found["perf_counters"]
    assert proof.trust.status == "ok" and proof.value == 0
    assert "software (hardware: no PMU, ENOENT)" in proof.meaning and "2 benchmarks" in proof.meaning
    # A result of before the counted pass: the timed run's switches were perf's count.
    assert found["futex/threads/same_cpu"].trust.proof == "switches_per_op 1.01 (perf_event, the kernel's count)"
    # Today's: getrusage over the timed run, perf's count from the counted pass beside it.
    today = write(tmp_path, "today.json", rows(switch, {"ns_per_switch": 3000.0, "switches_per_op": 1.0,
                                                       "context_switches_per_switch": 0.998,
                                                       "counted_rusage_switches_per_op": 1.0}), counted)
    assert {f.figure: f for f in read_all(today)}["futex/threads/same_cpu"].trust.proof == (
        "switches_per_op 1.00 (getrusage over the timed run; perf_event 1.00 in a counted pass before it)")

    faulted = write(tmp_path, "faulted.json", rows(chase, {"ns_per_load": 1.2, "minor_faults_per_load": 0.02}),
                    counted)
    proof = {f.figure: f for f in read_all(faulted)}["perf_counters"]
    assert proof.trust.status == "unproven" and proof.value == 1
    assert "minor_faults_per_load 0.02" in proof.trust.note

    before = {f.figure: f for f in read_all(write(tmp_path, "old.json", rows(chase, {"ns_per_load": 1.2})))}
    assert before["perf_counters"].trust.status == "unknown" and before["perf_counters"].value is None
