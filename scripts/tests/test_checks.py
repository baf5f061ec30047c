"""scripts/run's regression checks (flynn.checks): --baseline, --against-baseline and
--against-build with their reruns, run through fake benchmark binaries as in test_run."""

import json
from pathlib import Path

import pytest

import synthetic
from test_run import _install, bin_dir, no_stored_history  # noqa: F401  (fixtures)

from flynn import build, checks, machine, results, run


def test_baseline_defaults_to_several_runs_and_enough_repetitions(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    args = run.parse_args(["--baseline"])[0]
    assert (args.runs, args.repetitions) == (run.BASELINE_RUNS, run.BASELINE_REPETITIONS)
    assert run.parse_args(["--baseline", "--repetitions", "9"])[0].repetitions == 9
    assert run.parse_args(["--quick", "--baseline"])[0].repetitions == run.BASELINE_REPETITIONS
    assert (run.parse_args([])[0].runs, run.parse_args(["--quick"])[0].repetitions) == (1, 1)
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.main(["--quick", "--baseline", "--repetitions", "1"]) == 2
    assert capsys.readouterr().err == (
        "error: --baseline needs 4 or more repetitions over all runs: with 3 x 1 the U test cannot reach alpha 0.05\n"
    )
    assert run.main(["--baseline", "--runs", "1"]) == 2
    assert capsys.readouterr().err == (
        "error: --baseline needs --runs 2 or more: one run cannot show how far runs drift apart\n"
    )
    assert run.main(["--vm", "numa:2", "--runs", "2"]) == 2
    assert "--runs with --vm" in capsys.readouterr().err


def test_baseline_is_stored_per_machine(
    bin_dir: Path, tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    log = _install(bin_dir, "flynn_mimd", fixtures / "mimd_real.json")
    out = tmp_path / "runs" / "r.json"
    assert run.main(["--baseline", "--out", str(out)]) == 0
    expected = tmp_path / "baselines" / "vm-oxide_virtual_turin_like_processor-2c-d44f1566.json"
    assert json.loads(expected.read_text()) == json.loads(out.read_text())
    assert f"baseline: {expected}" in capfd.readouterr().out.splitlines()
    assert "--benchmark_repetitions=3" in log.read_text().splitlines()


@pytest.fixture
def baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A quiet baseline of three runs for the synthetic machine, which scripts/run takes for this host."""
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    monkeypatch.setattr(checks.socket, "gethostname", lambda: synthetic.CONTEXT["host_name"])
    path = machine.baseline_path(machine.identity(synthetic.CONTEXT))
    path.parent.mkdir()
    run_settings = {"flynn_min_time": run.DEFAULT_MIN_TIME, "flynn_sweeps": "full"}
    return synthetic.write(path.parent, path.name, synthetic.document(runs=(-0.005, 0.0, 0.005), context=run_settings))


def test_against_baseline_reruns_what_is_slower_and_counts_only_what_is_slower_again(
    baseline: Path, bin_dir: Path, tmp_path: Path, capfd
) -> None:
    both = {synthetic.TRIAD: 0.2, synthetic.SWITCH: 0.2}
    first = synthetic.write(tmp_path, "two_slower.json", synthetic.document(slower=both))
    again = synthetic.write(tmp_path, "triad_slower.json", synthetic.document(slower={synthetic.TRIAD: 0.2}))
    log = _install(bin_dir, "flynn_mimd", [first, again])
    out = tmp_path / "r.json"
    assert run.main(["--against-baseline", "--out", str(out)]) == 1
    printed = capfd.readouterr().out
    assert f"| slower | {synthetic.TRIAD} |" in printed and f"| slower | {synthetic.SWITCH} |" in printed
    assert printed.endswith(f"slower in both runs (or not measured again): 1 of 2 flagged\n- {synthetic.TRIAD}\n")
    assert "warning:" not in printed
    # One run, then the flagged benchmarks alone, in BASELINE_RUNS more invocations.
    assert Path(f"{log}.calls").read_text() == "x" * (1 + run.BASELINE_RUNS)
    assert f"--benchmark_filter=^{synthetic.SWITCH}$|^{synthetic.TRIAD}$" in log.read_text().splitlines()
    rerun = results.load(tmp_path / "r-rerun.json")
    assert {row["run_name"] for row in rerun.benchmarks} == {synthetic.TRIAD, synthetic.SWITCH}
    assert rerun.context[results.CHECK_OF_KEY] == "r.json"
    assert f"rerun: {tmp_path / 'r-rerun.json'}" in printed


def test_against_baseline_clears_a_passing_slowdown(baseline: Path, bin_dir: Path, tmp_path: Path, capfd) -> None:
    slower = synthetic.write(tmp_path, "triad_slower.json", synthetic.document(slower={synthetic.TRIAD: 0.2}))
    same = synthetic.write(tmp_path, "same.json", synthetic.document())
    log = _install(bin_dir, "flynn_mimd", [slower, same])
    assert run.main(["--against-baseline", "--repetitions", "2", "--out", str(tmp_path / "r.json")]) == 0
    assert capfd.readouterr().out.endswith("slower in both runs (or not measured again): 0 of 1 flagged\n")
    # 2 repetitions reach alpha against the baseline's 9; the rerun still takes a baseline's 3 x 3.
    assert f"--benchmark_repetitions={run.BASELINE_REPETITIONS}" in log.read_text().splitlines()
    assert Path(f"{log}.calls").read_text() == "x" * (1 + run.BASELINE_RUNS)


def test_against_baseline_counts_what_the_rerun_cannot_measure(
    baseline: Path, bin_dir: Path, tmp_path: Path, capfd
) -> None:
    slower = synthetic.write(tmp_path, "triad_slower.json", synthetic.document(slower={synthetic.TRIAD: 0.2}))
    gone = synthetic.write(tmp_path, "triad_skipped.json", synthetic.document(skipped=(synthetic.TRIAD,)))
    _install(bin_dir, "flynn_mimd", [slower, gone])
    assert run.main(["--against-baseline", "--out", str(tmp_path / "r.json")]) == 1
    printed = capfd.readouterr().out
    assert f"- {synthetic.TRIAD}: skipped in NEW" in printed
    assert printed.endswith(f"slower in both runs (or not measured again): 1 of 1 flagged\n- {synthetic.TRIAD}\n")


def test_against_baseline_needs_a_baseline_run_the_same_way(
    baseline: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.parse_args(["--against-baseline"])[0].repetitions == run.BASELINE_REPETITIONS
    assert run.main(["--against-baseline", "--quick"]) == 2
    assert capsys.readouterr().err == (
        "error: --against-baseline: this run would have flynn_min_time '0.01', flynn_sweeps 'quick', but the "
        "baseline of host 'ci-box' has flynn_min_time '0.05', flynn_sweeps 'full' (pass the same --quick or min_time)\n"
    )
    assert run.main(["--against-baseline", "--repetitions", "1"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: --against-baseline needs 2 or more repetitions over all runs: with 1 x 1 the U test"
    )
    assert run.parse_args(["--against-baseline", "--", "--benchmark_min_time=0.05"])[0].min_time == "0.05"
    assert run.main(["--against-baseline", "--", "--benchmark_min_time=0.2"]) == 2
    assert "flynn_min_time '0.2'" in capsys.readouterr().err


def test_against_baseline_stops_before_running_without_a_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "none")
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    monkeypatch.setattr(checks.socket, "gethostname", lambda: "box")
    assert run.main(["--against-baseline"]) == 2
    assert capsys.readouterr().err == (
        f"error: --against-baseline: no baseline for host 'box' in {tmp_path / 'none'} "
        "(make one with scripts/run --baseline)\n"
    )
    assert run.main(["--against-baseline", "--baseline"]) == 2
    assert capsys.readouterr().err == "error: --baseline and --against-baseline: choose one\n"


def test_literal_filter_matches_one_name_whole() -> None:
    assert checks.literal("simd/dot/auto/f64/bytes:1048576") == "^simd/dot/auto/f64/bytes:1048576$"
    assert checks.literal("a.b(c)|d[e]{f}") == "^a\\.b\\(c\\)\\|d\\[e]\\{f}$"


def test_against_build_runs_both_builds_in_turn_and_compares_them_run_by_run(
    bin_dir: Path, tmp_path: Path, fixtures: Path, capfd
) -> None:
    other = tmp_path / "old-bin"
    other.mkdir()
    # The machine drifts by 12% across the three runs, alike for both builds; this one is 9% slower.
    ours, theirs = [], []
    for invocation, shift in enumerate(synthetic.DRIFTING_RUNS):
        ours.append(synthetic.write(tmp_path, f"new-{invocation}.json", synthetic.document(slower=0.09 + shift)))
        theirs.append(synthetic.write(tmp_path, f"old-{invocation}.json", synthetic.document(slower=shift)))
    new_log = _install(bin_dir, "flynn_mimd", ours)
    old_log = _install(other, "flynn_mimd", theirs)
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_real.json")
    # The other build has this binary, but none of its benchmarks (an area added since).
    _install(other, "flynn_ctxsw", fixtures / "no_benchmarks.json")
    out = tmp_path / "r.json"
    assert run.main(["--against-build", str(other), "--out", str(out)]) == 1
    captured = capfd.readouterr()
    assert f"note: nothing to run beside them in {other}, skipped: flynn_ctxsw" in captured.err
    assert "3 slower, 0 faster, 0 unchanged, 0 too noisy" in captured.out
    assert "runs paired)" in captured.out
    assert f"other build: {tmp_path / 'r-base.json'}" in captured.out.splitlines()
    # What is slower runs again, both builds in turn: slower again, so it counts.
    lines = captured.out.splitlines()
    assert "slower in both runs (or not measured again): 3 of 3 flagged" in lines
    assert all(f"- {name}" in lines for name in synthetic.BENCHMARKS)
    for log in (new_log, old_log):
        assert Path(f"{log}.calls").read_text() == "x" * 2 * run.BASELINE_RUNS
    for name in ("r-base.json", "r-rerun.json", "r-rerun-base.json"):
        checking = results.load(tmp_path / name)
        assert checking.context[results.CHECK_OF_KEY] == "r.json"
        assert [len(one.by_invocation()) for one in results.runs(checking) if one.repetitions] == [3, 3, 3]


def test_against_build_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    args = run.parse_args(["--quick", "--against-build", str(tmp_path)])[0]
    assert (args.runs, args.repetitions) == (run.BASELINE_RUNS, run.BASELINE_REPETITIONS)
    assert run.main(["--against-build", str(tmp_path), "--runs", "3", "--repetitions", "1"]) == 2
    assert capsys.readouterr().err.startswith("error: --against-build needs 4 or more repetitions over all runs")
    assert run.main(["--against-build", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"error: --against-build {tmp_path / 'nowhere'}: not a directory\n"
    assert run.main(["--against-build", str(tmp_path), "--runs", "2"]) == 2
    assert "--against-build needs --runs 3 or more" in capsys.readouterr().err
    assert run.main(["--against-build", str(tmp_path), "--baseline"]) == 2
    assert capsys.readouterr().err == "error: --baseline and --against-build: choose one\n"




def test_a_report_that_fails_does_not_stop_the_check_and_what_is_slower_again_still_exits_1(
    baseline: Path, bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    from flynn.report import output

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a reading broke")

    monkeypatch.setattr(output, "report", broken)
    slower = synthetic.write(tmp_path, "triad_slower.json", synthetic.document(slower={synthetic.TRIAD: 0.2}))
    _install(bin_dir, "flynn_mimd", slower)
    out = tmp_path / "r.json"
    assert run.main(["--against-baseline", "--out", str(out)]) == 1
    captured = capfd.readouterr()
    assert f"error: the report of {out} could not be built: RuntimeError: a reading broke" in captured.err
    assert captured.out.endswith(f"slower in both runs (or not measured again): 1 of 1 flagged\n- {synthetic.TRIAD}\n")
    assert results.load(out).benchmarks and (tmp_path / "r-rerun.json").is_file()


def test_check_files_are_refused_without_force_before_building(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking --out"))
    (tmp_path / "r-rerun.json").write_text('{"old": true}')
    out = tmp_path / "r.json"
    assert run.main(["--against-baseline", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {out}: would replace {tmp_path / 'r-rerun.json'}; pass --force to replace, or choose another --out\n"
    )
    # A plain run writes no check files, so the same file is not in its way.
    assert checks.outputs(out, run.parse_args(["--out", str(out)])[0]) == []
