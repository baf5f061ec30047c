import json
import re
import subprocess
from pathlib import Path

import pytest

import synthetic

from flynn import build, machine, perf_check, results, run

SCRIPTS = Path(__file__).resolve().parents[1]

FAKE_BINARY = """\
#!/usr/bin/python3
# Stands in for a Google Benchmark binary: lists and "runs" the benchmarks of a fixture.
import json, os, re, shutil, sys
# With several fixtures, the n-th call that runs benchmarks writes the n-th (the last one from then on).
fixtures, status, log = {fixture!r}, {status!r}, {log!r}
args = sys.argv[1:]
pattern = next((a.split("=", 1)[1] for a in args if a.startswith("--benchmark_filter=")), ".")
calls = open(log + ".calls").read().count("x") if os.path.exists(log + ".calls") else 0
fixture = fixtures[min(calls, len(fixtures) - 1)] if isinstance(fixtures, list) else fixtures
rows = json.load(open(fixture))["benchmarks"]
# Python's re for Google Benchmark's POSIX one: the same for the plain names and escapes used here.
names = [n for n in dict.fromkeys(r.get("run_name", r["name"]) for r in rows) if re.search(pattern, n)]
if "--benchmark_list_tests" in args:
    print("\\n".join(names))
    sys.exit(0)
open(log, "w").write("\\n".join(args))
open(log + ".calls", "a").write("x")
print("fake console table")
document = json.load(open(fixture))
document["benchmarks"] = [r for r in rows if r.get("run_name", r["name"]) in names]
json.dump(document, open(next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_out=")), "w"))
sys.exit(status)
"""


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setattr(build, "BIN_DIR", directory)
    monkeypatch.setattr(build, "build", lambda options=(): None)
    monkeypatch.setattr(perf_check, "cross_check", lambda binary, loops: (2300.0, 2484.0))
    return directory


def _install(bin_dir: Path, name: str, fixture: Path | list[Path], status: int = 0) -> Path:
    log = bin_dir / f"{name}.args"
    path = bin_dir / name
    shown = [str(one) for one in fixture] if isinstance(fixture, list) else str(fixture)
    path.write_text(FAKE_BINARY.format(fixture=shown, status=status, log=str(log)))
    path.chmod(0o755)
    return log


def test_zero_repetitions_is_rejected_before_building(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.main(["--repetitions", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --repetitions: must be a positive integer")
    assert err.count("\n") == 1


def test_script_rejects_zero_repetitions() -> None:
    completed = subprocess.run(
        [str(SCRIPTS / "run"), "--repetitions", "0"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[-1].startswith("error: argument --repetitions")


def test_flags() -> None:
    args, extra = run.parse_args(["--quick", "--filter", "^ctxsw/", "--", "--benchmark_min_time=1", "--x"])
    assert (args.quick, args.repetitions, args.filter) == (True, 1, "^ctxsw/")
    assert extra == ["--benchmark_min_time=1", "--x"]
    assert run.parse_args(["--quick", "--repetitions", "5"])[0].repetitions == 5
    assert run.parse_args([])[0].repetitions == run.DEFAULT_REPETITIONS


def test_flags_scripts_run_sets_itself_are_refused(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.main(["--", "--benchmark_out=x.json"]) == 2
    assert capsys.readouterr().err == "error: --benchmark_out is set by scripts/run; use --out FILE\n"
    assert run.main(["--", "--benchmark_filter=^simd/"]) == 2
    assert capsys.readouterr().err == "error: --benchmark_filter is set by scripts/run; use --filter REGEX\n"
    assert run.main(["--", "--benchmark_repetitions=9"]) == 2
    assert capsys.readouterr().err == "error: --benchmark_repetitions is set by scripts/run; use --repetitions N\n"


def test_default_out_names_host_and_utc_time() -> None:
    out = run.default_out()
    assert out.parent == run.RUNS_DIR
    assert out.name.endswith("Z.json") and "-20" in out.name


def test_full_run_merges_cross_checks_plots_and_summarises(
    bin_dir: Path, tmp_path: Path, fixtures: Path, capfd
) -> None:
    ctxsw_log = _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    simd_log = _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    out = tmp_path / "runs" / "r.json"

    status = run.main(["--quick", "--out", str(out), "--", "--benchmark_enable_random_interleaving=true"])
    captured = capfd.readouterr()
    assert status == 0, captured.err

    merged = json.loads(out.read_text())
    assert merged["context"]["flynn_binaries"] == "flynn_ctxsw,flynn_simd"
    assert merged["context"][perf_check.CONTEXT_KEY] == "2300.0"
    assert len(merged["benchmarks"]) == 284 + 2
    assert sorted(path.name for path in out.parent.iterdir()) == ["r-ctxsw.png", "r-simd.png", "r.json"]

    assert "[1/2] flynn_ctxsw: 44 benchmarks x 1 repetitions" in captured.err
    assert "[2/2] flynn_simd: 2 benchmarks x 1 repetitions" in captured.err
    assert "note: not built yet, skipped: flynn_mimd, flynn_numa" in captured.err
    assert "fake console table" in captured.err and "fake console table" not in captured.out
    assert captured.out.startswith("# flynn results: bench-vm-01")
    assert "ratio flynn/perf 1.08: agree within 15%" in captured.out
    plots = f"plots: {out.parent / 'r-ctxsw.png'} {out.parent / 'r-simd.png'}"
    assert captured.out.splitlines()[-2:] == [f"result: {out}", plots]

    args = ctxsw_log.read_text().splitlines()
    assert "--benchmark_repetitions=1" in args and "--benchmark_min_time=0.01" in args
    # --quick caps the sweeps of the areas that have one, and only theirs
    assert not any(arg.startswith("--flynn_") for arg in args)
    assert "--flynn_max_bytes=64M" in simd_log.read_text().splitlines()
    assert args[-1] == "--benchmark_enable_random_interleaving=true"


def test_filter_limits_binaries_and_skips_perf(bin_dir: Path, tmp_path: Path, fixtures: Path, capfd) -> None:
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    simd_log = _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    out = tmp_path / "r.json"
    assert run.main(["--filter", "^simd/", "--out", str(out)]) == 0
    err = capfd.readouterr().err
    assert "[1/1] flynn_simd: 2 benchmarks x 3 repetitions" in err
    assert perf_check.CONTEXT_KEY not in json.loads(out.read_text())["context"]
    assert "--benchmark_filter=^simd/" in simd_log.read_text().splitlines()


def test_filter_matching_nothing_is_bad_input(bin_dir: Path, tmp_path: Path, fixtures: Path, capfd) -> None:
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    assert run.main(["--filter", "^nothing/", "--out", str(tmp_path / "r.json")]) == 2
    assert "error: no benchmark matches --filter '^nothing/'" in capfd.readouterr().err
    assert list(tmp_path.glob("*.json")) == []


def test_failing_binary_is_a_finding_and_keeps_the_old_result(
    bin_dir: Path, tmp_path: Path, fixtures: Path, capfd
) -> None:
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json", status=3)
    out = tmp_path / "r.json"
    out.write_text('{"old": true}')
    # Even when told to replace it, a run that fails leaves the old result.
    assert run.main(["--out", str(out), "--force"]) == 1
    assert "error: flynn_simd failed with exit status 3" in capfd.readouterr().err
    assert json.loads(out.read_text()) == {"old": True}
    assert [path.name for path in tmp_path.iterdir() if path.name != "bin"] == ["r.json"]


def test_single_numa_node_note(bin_dir: Path, tmp_path: Path, capfd) -> None:
    numa = tmp_path / "numa.json"
    numa.write_text(json.dumps({
        "context": {"executable": "flynn_numa", "topology_numa_nodes": "1"},
        "benchmarks": [
            {"name": "numa/chase/local/bytes:4096", "run_type": "iteration", "real_time": 80.0,
             "time_unit": "ns", "ns_per_load": 80.0},
            {"name": "numa/chase/remote/bytes:4096", "run_type": "iteration", "error_occurred": True,
             "error_message": "skipped: 1 NUMA node"},
        ],
    }))
    _install(bin_dir, "flynn_numa", numa)
    assert run.main(["--out", str(tmp_path / "r.json")]) == 0
    captured = capfd.readouterr()
    assert captured.err.count("note: 1 NUMA node: remote-memory pairs are skipped") == 1
    assert "- numa/chase/remote/bytes:4096: 1 NUMA node" in captured.out
    assert captured.out.splitlines()[-1] == f"plots: {tmp_path / 'r-numa.png'}"


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


def test_runs_invoke_every_binary_in_turn_and_tag_their_rows(
    bin_dir: Path, tmp_path: Path, fixtures: Path, capfd
) -> None:
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_real.json")
    _install(bin_dir, "flynn_mimd", fixtures / "mimd_real.json")
    out = tmp_path / "r.json"
    assert run.main(["--runs", "2", "--filter", "^(ctxsw/pipe/|mimd/triad/)", "--out", str(out)]) == 0
    headers = [line for line in capfd.readouterr().err.splitlines() if line.startswith("[run ")]
    assert [line.split(":")[0] for line in headers] == [
        "[run 1/2] [1/2] flynn_ctxsw", "[run 1/2] [2/2] flynn_mimd",
        "[run 2/2] [1/2] flynn_ctxsw", "[run 2/2] [2/2] flynn_mimd",
    ]
    merged = results.load(out)
    assert merged.context["flynn_binaries"] == "flynn_ctxsw,flynn_mimd"
    assert (merged.context["flynn_min_time"], merged.context["flynn_sweeps"]) == (run.DEFAULT_MIN_TIME, "full")
    selected = [
        row for name in ("ctxsw_real.json", "mimd_real.json") for row in results.load(fixtures / name).benchmarks
        if re.search("^(ctxsw/pipe/|mimd/triad/)", row.get("run_name", row["name"]))
    ]
    assert selected and len(merged.benchmarks) == 2 * len(selected)
    for one in results.runs(merged):
        groups = list(one.by_invocation().values())
        assert len(groups) == (2 if one.repetitions else 0)
        if groups:
            assert [{row[results.INVOCATION_KEY] for row in group} for group in groups] == [{0}, {1}]
            assert len(groups[0]) == len(groups[1])


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
    monkeypatch.setattr(run.socket, "gethostname", lambda: synthetic.CONTEXT["host_name"])
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
    assert rerun.context[run.CHECK_OF_KEY] == "r.json"
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
    monkeypatch.setattr(run.socket, "gethostname", lambda: "box")
    assert run.main(["--against-baseline"]) == 2
    assert capsys.readouterr().err == (
        f"error: --against-baseline: no baseline for host 'box' in {tmp_path / 'none'} "
        "(make one with scripts/run --baseline)\n"
    )
    assert run.main(["--against-baseline", "--baseline"]) == 2
    assert capsys.readouterr().err == "error: --baseline and --against-baseline: choose one\n"


def test_literal_filter_matches_one_name_whole() -> None:
    assert run._literal("simd/dot/auto/f64/bytes:1048576") == "^simd/dot/auto/f64/bytes:1048576$"
    assert run._literal("a.b(c)|d[e]{f}") == "^a\\.b\\(c\\)\\|d\\[e]\\{f}$"


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
        assert checking.context[run.CHECK_OF_KEY] == "r.json"
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
