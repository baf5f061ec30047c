import json
from pathlib import Path

import pytest

from flynn import results
from flynn.errors import FlynnError

REFERENCE = "ctxsw/pipe/processes/placement:same_cpu/bytes:0/real_time"


def test_runs_group_repetitions_and_ignore_aggregates(fixtures: Path) -> None:
    runs = {run.name: run for run in results.runs(results.load(fixtures / "ctxsw_small.json"))}
    pipe = runs[REFERENCE]
    assert len(pipe.repetitions) == 3
    assert all(row["run_type"] == "iteration" for row in pipe.repetitions)
    assert pipe.counters() == ["involuntary_switches_per_op", "ns_per_switch", "voluntary_switches_per_op"]
    assert pipe.error is None


def test_skipped_runs_carry_their_reason_and_no_data(fixtures: Path) -> None:
    runs = results.runs(results.load(fixtures / "ctxsw_small.json"))
    smt = [run for run in runs if "placement:smt" in run.name]
    assert smt
    for run in smt:
        assert run.repetitions == []
        assert run.skip_reason == "no SMT siblings: every core has 1 PU"
        assert not run.failed


def test_real_error_is_a_failure_not_a_skip() -> None:
    document = {
        "context": {},
        "benchmarks": [
            {"name": "a/b/c", "run_type": "iteration", "error_occurred": True, "error_message": "futex: EINVAL"}
        ],
    }
    (run,) = results.runs(results.from_document(Path("x.json"), document))
    assert run.failed
    assert run.skip_reason is None


def test_merge_keeps_one_context_and_every_benchmark(fixtures: Path, tmp_path: Path) -> None:
    ctxsw = results.load(fixtures / "ctxsw_small.json")
    loaded = results.load(fixtures / "simd_tiny.json")
    # a key only the later binary records (as flynn_mimd records its OpenMP binding)
    simd = results.Result(loaded.path, {**loaded.context, "omp_places": "cores"}, loaded.benchmarks)
    out = tmp_path / "runs" / "merged.json"
    results.write_atomic(out, results.merge([ctxsw, simd]))

    merged = results.load(out)
    assert merged.benchmarks == ctxsw.benchmarks + simd.benchmarks
    assert merged.context["flynn_binaries"] == "flynn_ctxsw,flynn_simd"
    assert merged.context["date"] == ctxsw.context["date"]
    assert {key for key in merged.context} == set(ctxsw.context) | set(simd.context) | {"flynn_binaries"}
    assert merged.context["omp_places"] == "cores"
    assert sorted(path.name for path in out.parent.iterdir()) == ["merged.json"]


def test_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text('{"old": true}')
    with pytest.raises(TypeError):
        results.write_atomic(out, {"context": {}, "benchmarks": [object()]})
    assert json.loads(out.read_text()) == {"old": True}
    assert [path.name for path in tmp_path.iterdir()] == ["result.json"]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("malformed.json", "invalid JSON at line"),
        ("not_benchmark.json", "no 'benchmarks'"),
        ("does_not_exist.json", "no such file"),
    ],
)
def test_bad_files_are_flynn_errors(fixtures: Path, fixture: str, message: str) -> None:
    with pytest.raises(FlynnError, match=message):
        results.load(fixtures / fixture)


@pytest.mark.parametrize(
    "document",
    [[], {"benchmarks": []}, {"context": [], "benchmarks": []}, {"context": {}, "benchmarks": [{"x": 1}]}],
)
def test_wrong_schema(document: object) -> None:
    with pytest.raises(FlynnError, match="not a Google Benchmark result"):
        results.from_document(Path("x.json"), document)


def test_time_unit_conversion() -> None:
    assert results.time_ns({"name": "a/b/c", "real_time": 2.5, "time_unit": "us"}) == 2500.0
    with pytest.raises(FlynnError, match="time_unit"):
        results.time_ns({"name": "a/b/c", "real_time": 1, "time_unit": "fortnight"})
