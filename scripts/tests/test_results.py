import errno
import json
import math
from pathlib import Path

import pytest

from flynn import results
from flynn.errors import FlynnError

def _refuse(token: str) -> None:
    raise AssertionError(f"{token} is not standard JSON")


def _finite_float(token: str) -> float:
    assert math.isfinite(float(token)), token
    return float(token)


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


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 400])
def test_a_figure_that_is_not_finite_makes_its_row_an_error_with_a_note(token: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{"context": {}, "benchmarks": ['
        '{"name": "a/b/c", "run_type": "iteration", "real_time": 5, "time_unit": "ns", "ns_per_op": 5},'
        f'{{"name": "a/b/c", "run_type": "iteration", "real_time": 5, "time_unit": "ns", "ns_per_op": {token}}},'
        '{"name": "a/b/d", "run_type": "iteration", "real_time": 5, "time_unit": "ns", "ns_per_op": 7}]}'
    )
    result = results.load(path)
    bad, good = results.runs(result)
    assert bad.failed and bad.error == f"not a finite number: ns_per_op is {token}"
    assert [row["ns_per_op"] for row in bad.repetitions] == [5]
    assert (good.name, good.values("ns_per_op"), good.failed) == ("a/b/d", [7.0], False)
    assert capsys.readouterr().err == f"note: {path}: a/b/c: ns_per_op is {token}, not a finite number; left out\n"
    # The file scripts/run writes from it is standard JSON, and reads back the same.
    text = results.to_json(results.merge([result]))
    strict = json.loads(text, parse_constant=_refuse, parse_float=_finite_float)
    assert [run.error for run in results.runs(results.from_document(path, strict))] == [bad.error, None]


def test_google_benchmarks_nan_in_aggregates_is_dropped_silently(fixtures: Path, capsys) -> None:
    # A real binary writes NaN for the CV of a counter that is always 0.
    assert "NaN" in (fixtures / "ctxsw_real.json").read_text()
    result = results.load(fixtures / "ctxsw_real.json")
    assert capsys.readouterr().err == ""
    assert not any(run.failed for run in results.runs(result))
    json.loads(results.to_json(results.merge([result])), parse_constant=_refuse)


def test_a_context_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"context": {"load_avg": [1.0, NaN]}, "benchmarks": []}')
    with pytest.raises(FlynnError, match=r"context 'load_avg' holds NaN, not a finite number"):
        results.load(path)


def test_nesting_is_bounded(fixtures: Path, tmp_path: Path) -> None:
    with pytest.raises(FlynnError, match="nested more than 64 deep"):
        results.load(fixtures / "too_deep.json")
    # A bracket inside a string is not nesting.
    path = tmp_path / "brackets.json"
    path.write_text(json.dumps({"context": {"note": "[" * 1000}, "benchmarks": []}))
    assert results.load(path).context["note"] == "[" * 1000
    # Past Python's 4300-digit limit int() raises ValueError; past a double's range it is no figure.
    assert isinstance(results.parse("1" * 5000, "x.json"), results.NotFinite)


def test_writing_standard_json_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        results.write_atomic(tmp_path / "x.json", {"value": math.nan})
    assert list(tmp_path.iterdir()) == []


def test_unwritable_place_is_one_flynn_error(tmp_path: Path) -> None:
    with pytest.raises(FlynnError, match=r"--out /proc/flynn-nowhere/r.json: cannot write in /proc/flynn-nowhere"):
        results.check_writable(Path("/proc/flynn-nowhere/r.json"), "--out")
    with pytest.raises(FlynnError, match="cannot write /proc/flynn-nowhere/r.json"):
        results.write_atomic(Path("/proc/flynn-nowhere/r.json"), {})
    (tmp_path / "file").write_text("")
    with pytest.raises(FlynnError, match="is not a directory"):
        results.check_writable(tmp_path / "file" / "r.json", "--out")


def test_a_failed_write_keeps_the_measurements_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results.tempfile, "tempdir", str(tmp_path / "kept"))
    (tmp_path / "kept").mkdir()
    real_replace = results.os.replace

    def full_disk(source: str, target: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results.os, "replace", full_disk)
    document = {"context": {}, "benchmarks": [{"name": "a/b/c"}]}
    with pytest.raises(FlynnError) as raised:
        results.save(tmp_path / "r.json", document)
    monkeypatch.setattr(results.os, "replace", real_replace)
    (kept,) = (tmp_path / "kept").iterdir()
    assert str(raised.value) == (
        f"cannot write {tmp_path / 'r.json'}: No space left on device; the measurements are kept in {kept}"
    )
    assert json.loads(kept.read_text()) == document
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept"]
