import subprocess
from pathlib import Path

import pytest

from flynn import perf_check, results

PERF_OUTPUT = """\
# Running 'sched/pipe' benchmark:
# Executed 200000 pipe operations between two processes

     Total time: 2.726 [sec]

      13.631600 usecs/op
          73358 ops/sec
"""


def test_parse_perf_output() -> None:
    assert perf_check.parse_usecs_per_op(PERF_OUTPUT) == pytest.approx(13.6316)


@pytest.mark.parametrize(
    "garbage",
    ["", "perf: command not found", "WARNING: perf not found for kernel 6.1.0\n", "13.6 msecs/op", "usecs/op"],
)
def test_parse_garbage_is_none(garbage: str) -> None:
    assert perf_check.parse_usecs_per_op(garbage) is None


def _completed(stdout: str, returncode: int = 0, stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


def test_measure_halves_a_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    monkeypatch.setattr(subprocess, "run", lambda command, **_: seen.append(command) or _completed(PERF_OUTPUT))
    assert perf_check.measure(1000) == pytest.approx(6815.8)
    assert seen[0][:2] == ["taskset", "-c"] and seen[0][-2:] == ["-l", "1000"]


@pytest.mark.parametrize(
    "outcome",
    [
        FileNotFoundError(2, "No such file", "perf"),
        _completed("", 1, "WARNING: perf not found for kernel 6.1.0-28\n"),
        _completed("something else entirely\n"),
    ],
)
def test_measure_skips_with_a_note(monkeypatch: pytest.MonkeyPatch, capsys, outcome: object) -> None:
    def fake(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    monkeypatch.setattr(subprocess, "run", fake)
    assert perf_check.measure(1000) is None
    err = capsys.readouterr().err
    assert err.startswith("note: perf cross-check skipped:") and err.count("\n") == 1


def _with_perf(fixtures: Path, value: str) -> results.Result:
    result = results.load(fixtures / "ctxsw_small.json")
    result.context[perf_check.CONTEXT_KEY] = value
    return result


def test_compare_agrees_within_tolerance(fixtures: Path) -> None:
    comparison = perf_check.compare(_with_perf(fixtures, "2300.0"))
    assert comparison is not None
    assert comparison.flynn_ns == pytest.approx(2480.0)
    assert comparison.agrees
    assert "agree within 15%" in perf_check.describe(comparison)


def test_compare_flags_disagreement(fixtures: Path) -> None:
    comparison = perf_check.compare(_with_perf(fixtures, "6815.8"))
    assert comparison is not None and not comparison.agrees
    assert "DISAGREE" in perf_check.describe(comparison)


def test_compare_needs_both_numbers(fixtures: Path) -> None:
    assert perf_check.compare(results.load(fixtures / "ctxsw_small.json")) is None
    assert perf_check.compare(_with_perf(fixtures, "n/a")) is None


def test_cross_check_alternates_and_takes_medians(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    perf_values = iter([7000.0, 9000.0, 7200.0])
    flynn_values = iter([7100.0, 7400.0, 20000.0])
    monkeypatch.setattr(perf_check, "measure", lambda loops: calls.append("perf") or next(perf_values))
    monkeypatch.setattr(perf_check, "measure_flynn", lambda binary: calls.append("flynn") or next(flynn_values))
    assert perf_check.cross_check(Path("flynn_ctxsw"), 1000) == (7200.0, 7400.0)
    assert calls == ["perf", "flynn"] * perf_check.ROUNDS


def test_cross_check_gives_up_when_perf_cannot_tell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perf_check, "measure", lambda loops: None)
    monkeypatch.setattr(perf_check, "measure_flynn", lambda binary: pytest.fail("flynn run without perf"))
    assert perf_check.cross_check(Path("flynn_ctxsw"), 1000) is None


def test_compare_prefers_the_interleaved_flynn_figure(fixtures: Path) -> None:
    result = results.load(fixtures / "ctxsw_real.json")
    context = {**result.context, perf_check.CONTEXT_KEY: "7000", perf_check.FLYNN_CONTEXT_KEY: "7350"}
    comparison = perf_check.compare(results.Result(result.path, context, result.benchmarks))
    assert comparison is not None
    assert comparison.ratio == pytest.approx(1.05)
    assert comparison.agrees
