import json
import re
import subprocess
from pathlib import Path

import pytest

import synthetic

from flynn import build, machine, perf_check, results, run
from flynn.errors import FlynnError

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


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking --out"))


def test_an_existing_result_is_not_replaced_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _no_build(monkeypatch)
    out = tmp_path / "r.json"
    out.write_text('{"old": true}')
    assert run.main(["--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {out}: would replace {out}; pass --force to replace, or choose another --out\n"
    )
    out.unlink()
    (tmp_path / "r-ctxsw.png").write_bytes(b"png")
    assert run.main(["--out", str(out)]) == 2
    assert f"would replace {tmp_path / 'r-ctxsw.png'};" in capsys.readouterr().err
    assert (tmp_path / "r-ctxsw.png").read_bytes() == b"png"


def test_force_replaces_the_result_and_its_pngs(bin_dir: Path, tmp_path: Path, fixtures: Path, capfd) -> None:
    _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    out = tmp_path / "r.json"
    out.write_text('{"old": true}')
    (tmp_path / "r-simd.png").write_bytes(b"old png")
    assert run.main(["--out", str(out), "--force"]) == 0, capfd.readouterr().err
    assert results.load(out).benchmarks
    assert (tmp_path / "r-simd.png").read_bytes().startswith(b"\x89PNG")


def test_a_symlink_as_out_is_refused_even_with_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    _no_build(monkeypatch)
    target = tmp_path / "kept.json"
    target.write_text('{"old": true}')
    link = tmp_path / "r.json"
    link.symlink_to(target)
    assert run.main(["--out", str(link), "--force"]) == 2
    assert capsys.readouterr().err == f"error: --out {link}: is a symbolic link (to {target}); give the file itself\n"
    assert link.is_symlink() and target.read_text() == '{"old": true}'


def test_unwritable_out_is_refused_before_building(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    _no_build(monkeypatch)
    assert run.main(["--out", "/proc/flynn-nowhere/r.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out /proc/flynn-nowhere/r.json: cannot write in /proc/flynn-nowhere:")
    assert err.count("\n") == 1


def test_a_failed_write_keeps_the_measurements(
    bin_dir: Path, tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    kept_dir = tmp_path / "kept"
    kept_dir.mkdir()
    monkeypatch.setattr(results.tempfile, "tempdir", str(kept_dir))
    out = tmp_path / "r.json"

    def full_disk(path: Path, document: object) -> None:
        raise FlynnError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(results, "write_atomic", full_disk)
    assert run.main(["--out", str(out)]) == 2
    err = capfd.readouterr().err
    (kept,) = kept_dir.glob("flynn-unsaved-*.json")
    assert err.splitlines()[-1] == (
        f"error: cannot write {out}: No space left on device; the measurements are kept in {kept}"
    )
    assert len(results.load(kept).benchmarks) == len(results.load(fixtures / "simd_tiny.json").benchmarks)


@pytest.mark.parametrize("pattern", ["(", "(?:simd)", "a{1"])
def test_an_invalid_filter_is_said_so_before_building(pattern: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.main(["--filter", pattern]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --filter {pattern!r}: not a valid ") and "regular expression" in err
    assert "no benchmark matches" not in err


REFUSING_BINARY = """\
#!/bin/sh
# Refuses an unknown flag the way the flynn binaries do: a message and exit 2.
for arg in "$@"; do
  case "$arg" in --bogus*) echo "error: unrecognized flag $arg" >&2; exit 2;; esac
done
echo simd/dot/auto/f64/bytes:64
"""


def test_a_bad_flag_after_the_separator_is_bad_input_not_a_failed_binary(
    bin_dir: Path, tmp_path: Path, capfd
) -> None:
    path = bin_dir / "flynn_simd"
    path.write_text(REFUSING_BINARY)
    path.chmod(0o755)
    assert run.main(["--out", str(tmp_path / "r.json"), "--", "--bogus=1"]) == 2
    assert capfd.readouterr().err.splitlines()[-1] == (
        "error: flynn_simd refused its flags: error: unrecognized flag --bogus=1"
    )
    assert not (tmp_path / "r.json").exists()


# Lists one benchmark; when run, forks a partner that would sleep for ever, records its pid, and
# then either writes the result and exits (leaving the partner behind) or waits with it.
FORKING_BINARY = """\
#!/bin/sh
case " $* " in *" --benchmark_list_tests "*) echo simd/dot/auto/f64/bytes:64; exit 0;; esac
sleep 1000 &
echo $! > {pids}.partner
echo $$ > {pids}.binary
for arg in "$@"; do
  case "$arg" in --benchmark_out=*) cp {fixture} "${{arg#--benchmark_out=}}";; esac
done
{tail}
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie no one has reaped yet is gone too


def _install_forking(bin_dir: Path, fixture: Path, tail: str) -> Path:
    pids = bin_dir / "pids"
    path = bin_dir / "flynn_simd"
    path.write_text(FORKING_BINARY.format(pids=pids, fixture=fixture, tail=tail))
    path.chmod(0o755)
    return pids


def _end_if_alive(pid: int) -> None:
    """Cleanup for a failing test: the partner is a pid this test started."""
    if _alive(pid):
        import os, signal as signals
        os.kill(pid, signals.SIGKILL)


def test_what_a_binary_forked_does_not_outlive_it(bin_dir: Path, tmp_path: Path, fixtures: Path, capfd) -> None:
    pids = _install_forking(bin_dir, fixtures / "simd_tiny.json", "exit 0")
    assert run.main(["--out", str(tmp_path / "r.json")]) == 0, capfd.readouterr().err
    partner = int(Path(f"{pids}.partner").read_text())
    try:
        assert not _alive(partner)
    finally:
        _end_if_alive(partner)


DRIVER = """\
import sys
sys.path.insert(0, {scripts!r})
from pathlib import Path
from flynn import build, run
build.BIN_DIR = Path({bin_dir!r})
build.build = lambda options=(): None
sys.exit(run.main(["--out", {out!r}]))
"""


@pytest.mark.parametrize(("signal_name", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_to_scripts_run_alone_ends_the_binary_its_partner_and_the_scratch_directory(
    signal_name: str, status: int, bin_dir: Path, tmp_path: Path, fixtures: Path
) -> None:
    import os
    import signal as signals
    import time

    pids = _install_forking(bin_dir, fixtures / "simd_tiny.json", "wait")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # A file, not a pipe: a partner left behind would hold a pipe open, and reading it would hang.
    stderr = tmp_path / "stderr"
    driver = subprocess.Popen(
        ["/usr/bin/python3", "-c", DRIVER.format(scripts=str(SCRIPTS), bin_dir=str(bin_dir), out=str(tmp_path / "r.json"))],
        env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL, stderr=stderr.open("w"),
    )
    try:
        deadline = time.monotonic() + 30
        while not Path(f"{pids}.partner").exists() or not Path(f"{pids}.binary").exists():
            assert driver.poll() is None and time.monotonic() < deadline, stderr.read_text()
            time.sleep(0.05)
        time.sleep(0.1)
        partner, binary = (int(Path(f"{pids}.{which}").read_text()) for which in ("partner", "binary"))
        assert _alive(partner) and _alive(binary) and list(scratch.glob("flynn-run-*"))
        driver.send_signal(getattr(signals, signal_name))
        assert driver.wait(timeout=20) == status
        assert stderr.read_text().splitlines()[-1] == ("terminated" if status == 143 else "interrupted")
        deadline = time.monotonic() + 1
        while (_alive(partner) or _alive(binary)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(partner) and not _alive(binary)
        assert list(scratch.iterdir()) == []
        assert not (tmp_path / "r.json").exists()
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for which in ("partner", "binary"):
            if Path(f"{pids}.{which}").exists():
                _end_if_alive(int(Path(f"{pids}.{which}").read_text()))


def test_a_build_directory_of_a_moved_checkout_is_configured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    build_dir = tmp_path / "build"
    (build_dir / "CMakeFiles").mkdir(parents=True)
    (build_dir / "bin").mkdir()
    (build_dir / "CMakeCache.txt").write_text(
        "# This is the CMakeCache file.\n"
        "CMAKE_CACHEFILE_DIR:INTERNAL=/old/flynn/build\n"
        "CMAKE_HOME_DIRECTORY:INTERNAL=/old/flynn\n"
    )
    commands = []
    monkeypatch.setattr(build, "BUILD_DIR", build_dir)
    monkeypatch.setattr(build, "check", commands.append)
    build.build()
    assert not (build_dir / "CMakeCache.txt").exists() and not (build_dir / "CMakeFiles").exists()
    assert (build_dir / "bin").is_dir()
    assert capsys.readouterr().err == (
        f"note: {build_dir}/CMakeCache.txt was made for another checkout (CMAKE_CACHEFILE_DIR /old/flynn/build, "
        "CMAKE_HOME_DIRECTORY /old/flynn): removing it and CMakeFiles/ to configure again\n"
    )
    assert commands[0][:5] == ["cmake", "-S", str(build.REPO_ROOT), "-B", str(build_dir)]
    # The checkout's own cache stays.
    (build_dir / "CMakeCache.txt").write_text(
        f"CMAKE_CACHEFILE_DIR:INTERNAL={build_dir}\nCMAKE_HOME_DIRECTORY:INTERNAL={build.REPO_ROOT}\n"
    )
    build.build()
    assert (build_dir / "CMakeCache.txt").exists() and capsys.readouterr().err == ""
