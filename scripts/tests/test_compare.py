import json
import math
import statistics
import subprocess
from pathlib import Path

import pytest
import synthetic
from scipy import stats as scipy_stats
from synthetic import SCHEDULE, SMT, SWITCH, TRIAD

from flynn import compare, machine, results

SCRIPTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return synthetic.write(tmp_path, "base.json", synthetic.document())


def _compare(capsys, *argv: str | Path) -> tuple[int, str, str]:
    status = compare.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _verdicts(out_json: Path) -> dict[str, str]:
    return {row["name"]: row["verdict"] for row in json.loads(out_json.read_text())["benchmarks"]}


def test_20pct_slower_with_low_noise_is_flagged(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "triad_20pct_slower.json", synthetic.document(slower={TRIAD: 0.2}))
    status, out, err = _compare(capsys, base, new, "--json", tmp_path / "c.json")
    assert (status, err) == (1, "")
    assert _verdicts(tmp_path / "c.json") == {TRIAD: "slower", SWITCH: "unchanged", SCHEDULE: "unchanged"}
    table = [line for line in out.splitlines() if line.startswith("| ")]
    # Worst first, and the rate's own change shown as measured.
    assert table[2].startswith(f"| slower | {TRIAD} | bytes_per_second (higher is better) | 20G | 16G | -20.0% |")
    assert "1 slower, 0 faster, 2 unchanged, 0 too noisy (threshold 5%, alpha 0.05, CV limit 10% within a run)" in out


def test_every_benchmark_20pct_slower(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "all_20pct_slower.json", synthetic.document(slower=0.2))
    status, out, _ = _compare(capsys, base, new, "--json", tmp_path / "c.json")
    assert status == 1
    assert set(_verdicts(tmp_path / "c.json").values()) == {"slower"}
    data = json.loads((tmp_path / "c.json").read_text())
    by_name = {row["name"]: row for row in data["benchmarks"]}
    assert by_name[SWITCH]["change"] == pytest.approx(0.2)
    assert by_name[SCHEDULE]["metric"] == "real_time"
    assert by_name[SCHEDULE]["p_value"] < 0.05


def test_noise_alone_is_not_flagged(tmp_path: Path, capsys) -> None:
    noisy_base = synthetic.write(tmp_path, "noisy_base.json", synthetic.document(noise=synthetic.HIGH_NOISE))
    noisy = synthetic.write(
        tmp_path, "noise_only_unchanged.json", synthetic.document(noise=synthetic.HIGH_NOISE_AGAIN)
    )
    status, out, _ = _compare(capsys, noisy_base, noisy, "--json", tmp_path / "c.json")
    assert status == 0
    assert set(_verdicts(tmp_path / "c.json").values()) == {"too noisy"}
    assert "CV 2" in out and "above 10%" in out


def test_a_big_change_inside_big_noise_is_too_noisy_not_slower(tmp_path: Path, capsys) -> None:
    noisy_base = synthetic.write(tmp_path, "noisy_base.json", synthetic.document(noise=synthetic.HIGH_NOISE))
    new = synthetic.write(
        tmp_path, "noisy_20pct_slower.json", synthetic.document(slower=0.2, noise=synthetic.HIGH_NOISE_AGAIN)
    )
    assert _compare(capsys, noisy_base, new)[0] == 0


def test_noise_flag_is_a_setting(tmp_path: Path, capsys) -> None:
    noisy_base = synthetic.write(tmp_path, "noisy_base.json", synthetic.document(noise=synthetic.HIGH_NOISE))
    new = synthetic.write(tmp_path, "x.json", synthetic.document(slower=0.2, noise=synthetic.HIGH_NOISE_AGAIN))
    status, out, _ = _compare(capsys, noisy_base, new, "--max-cv", "50")
    # Past the CV limit, the U test decides: 5 noisy repetitions cannot tell 20% apart.
    assert status == 0
    assert "but p" in out


def test_faster_is_not_a_regression(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "all_20pct_faster.json", synthetic.document(slower=-0.2))
    status, out, _ = _compare(capsys, base, new, "--json", tmp_path / "c.json")
    assert status == 0
    assert set(_verdicts(tmp_path / "c.json").values()) == {"faster"}
    assert "0 slower, 3 faster" in out


def test_rate_counters_turn_the_sign(base: Path, tmp_path: Path, capsys) -> None:
    # More bytes per second is faster, fewer is slower; for ns_per_switch it is the other way round.
    more = synthetic.write(tmp_path, "triad_rate_up_faster.json", synthetic.document(slower={TRIAD: -0.2, SWITCH: 0.2}))
    status, _, _ = _compare(capsys, base, more, "--json", tmp_path / "c.json")
    data = {row["name"]: row for row in json.loads((tmp_path / "c.json").read_text())["benchmarks"]}
    assert status == 1
    assert (data[TRIAD]["verdict"], data[TRIAD]["better"]) == ("faster", "higher")
    assert data[TRIAD]["change"] == pytest.approx(0.2)
    assert data[TRIAD]["slowdown"] == pytest.approx(-0.2)
    assert (data[SWITCH]["verdict"], data[SWITCH]["better"]) == ("slower", "lower")
    assert data[SWITCH]["slowdown"] == pytest.approx(0.2)


def test_direction_table() -> None:
    assert compare.better("bytes_per_second") == compare.HIGHER
    assert compare.better("work_units_per_second_per_thread") == compare.HIGHER
    assert compare.better("flops_per_second") == compare.HIGHER
    for lower in ("ns_per_switch", "ns_per_load", "overhead_us", "mean_time_slice_ns", "real_time"):
        assert compare.better(lower) == compare.LOWER
    for unknown in ("omp_threads", "load_imbalance", "threads_in_place_pct", "switches_per_op"):
        assert compare.better(unknown) is None


def test_metric_of_real_benchmarks(fixtures: Path) -> None:
    chosen = {}
    for name in ("mimd_real.json", "ctxsw_real.json"):
        for run in results.runs(results.load(fixtures / name)):
            if run.repetitions:
                chosen.setdefault(run.name.split("/")[1], compare.choose_metric(run))
    assert chosen["triad"] == "bytes_per_second"
    assert chosen["compute"] == "flops_per_second"
    # summary.py's primary counter here is omp_threads, which has no direction.
    assert chosen["overhead"] == "overhead_us"
    assert chosen["schedule"] == "real_time"
    assert chosen["pipe"] == "ns_per_switch"
    assert chosen["timeslice"] == "work_units_per_second_per_thread"


def test_drift_between_runs_is_not_a_regression(tmp_path: Path, capsys) -> None:
    # A 9% slower median is flagged against one quiet run, but not against three quiet runs
    # that were 12% apart among themselves with nothing changed.
    new = synthetic.write(tmp_path, "all_9pct_slower.json", synthetic.document(slower=0.09))
    one_run = synthetic.write(tmp_path, "one_run.json", synthetic.document())
    assert _compare(capsys, one_run, new)[0] == 1
    drifting = synthetic.write(tmp_path, "three_runs.json", synthetic.document(runs=synthetic.DRIFTING_RUNS))
    status, out, _ = _compare(capsys, drifting, new, "--json", tmp_path / "c.json")
    assert status == 0
    assert set(_verdicts(tmp_path / "c.json").values()) == {"too noisy"}
    assert "9.0% but runs drift +34.8%/-25.8% apart" in out
    assert f"| 15 (3) vs 5 (1) | 0.4% / 0.4% | +34.8%/-25.8% |" in out
    assert "note: BASE and NEW hold one run each" not in out


def test_a_change_beyond_the_drift_between_runs_is_flagged(tmp_path: Path, capsys) -> None:
    drifting = synthetic.document(runs=synthetic.DRIFTING_RUNS)
    base = synthetic.write(tmp_path, "three_runs.json", drifting)
    # Three NEW runs narrow the band: the means of three runs drift less than one run does.
    within = synthetic.write(tmp_path, "w.json", synthetic.document(slower=0.1, runs=synthetic.DRIFTING_RUNS))
    beyond = synthetic.write(tmp_path, "b.json", synthetic.document(slower=0.5, runs=synthetic.DRIFTING_RUNS))
    status, out, _ = _compare(capsys, base, within)
    assert status == 0 and "10.0% but runs drift +13.9%/-12.2% apart" in out
    status, out, _ = _compare(capsys, base, beyond, "--json", tmp_path / "c.json")
    assert status == 1
    assert set(_verdicts(tmp_path / "c.json").values()) == {"slower"}


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_drift_band_is_a_pooled_t_test_on_run_medians(shift: float) -> None:
    base = [[100.0, 101.0], [106.0, 107.0, 105.0], [97.0]]
    new = [[v * (1 + shift) for v in group] for group in ([103.0], [99.0, 100.0])]
    found = compare.drift_band(base, new, 0.05)
    assert found is not None
    logs = [[math.log(statistics.median(group)) for group in side] for side in (base, new)]
    assert found[0] == pytest.approx(statistics.fmean(logs[1]) - statistics.fmean(logs[0]))
    p_value = scipy_stats.ttest_ind(logs[1], logs[0], equal_var=True).pvalue
    assert (abs(found[0]) > found[1]) == (p_value < 0.05)
    squares = sum((v - statistics.fmean(side)) ** 2 for side in logs for v in side)
    pooled_sd = math.sqrt(squares / (3 + 2 - 2))
    assert found[1] == pytest.approx(scipy_stats.t.ppf(0.975, 3) * pooled_sd * math.sqrt(1 / 3 + 1 / 2))


def test_paired_runs_cancel_a_drift_that_moves_both(tmp_path: Path, capsys) -> None:
    # BASE and NEW ran in turns; the machine drifted by the same 12% under both, NEW is 9% slower.
    base = synthetic.write(tmp_path, "a.json", synthetic.document(runs=synthetic.DRIFTING_RUNS))
    new = synthetic.write(tmp_path, "b.json", synthetic.document(slower=0.09, runs=synthetic.DRIFTING_RUNS))
    status, out, _ = _compare(capsys, base, new)
    assert status == 0 and "runs drift" in out
    status, out, _ = _compare(capsys, base, new, "--paired", "--json", tmp_path / "c.json")
    assert status == 1
    assert set(_verdicts(tmp_path / "c.json").values()) == {"slower"}
    assert "CV limit 10% within a run, runs paired)" in out


def test_paired_band_is_a_paired_t_interval() -> None:
    base = [[100.0], [110.0], [95.0], [104.0]]
    ratios = [1.10, 1.08, 1.12, 1.09]
    new = [[group[0] * ratio] for group, ratio in zip(base, ratios)]
    found = compare.drift_band(base, new, 0.05, paired=True)
    differences = [math.log(ratio) for ratio in ratios]
    half = scipy_stats.t.ppf(0.975, 3) * statistics.stdev(differences) / 2
    assert found == pytest.approx((statistics.fmean(differences), half))
    # Unequal numbers of runs cannot be paired, and pairing is not quietly dropped.
    assert compare.drift_band(base, new[:3], 0.05, paired=True) is None


def test_paired_runs_that_do_not_match_leave_the_drift_unknown(tmp_path: Path, capsys) -> None:
    base = synthetic.write(tmp_path, "a.json", synthetic.document(runs=synthetic.DRIFTING_RUNS))
    doc = synthetic.document(slower=0.09, runs=synthetic.DRIFTING_RUNS)
    doc["benchmarks"] = [row for row in doc["benchmarks"] if row.get(results.INVOCATION_KEY) != 1]
    new = synthetic.write(tmp_path, "b.json", doc)
    status, out, _ = _compare(capsys, base, new, "--paired")
    assert status == 0
    assert out.count("the drift between runs is unknown (a median not above 0, or runs that do not pair)") == 3


def test_one_new_run_gets_the_prediction_interval_of_the_base_runs() -> None:
    base = [[100.0], [104.0], [97.0], [101.0]]
    logs = [math.log(group[0]) for group in base]
    found = compare.drift_band(base, [[110.0, 111.0]], 0.05)
    assert found is not None
    expected = scipy_stats.t.ppf(0.975, 3) * statistics.stdev(logs) * math.sqrt(1 + 1 / 4)
    assert found == pytest.approx((math.log(110.5) - statistics.fmean(logs), expected))


def test_a_verdict_needs_the_drift_when_runs_were_kept_apart() -> None:
    settings = compare.Settings()
    quiet = [0.01, 0.01]
    # A median at or below 0 leaves the drift unknown: no verdict on the U test alone.
    verdict, reason = compare._verdict(0.2, 0.001, quiet, (9, 9), None, True, settings)
    assert (verdict, reason) == (
        "too noisy", "20.0% but the drift between runs is unknown (a median not above 0, or runs that do not pair)"
    )
    assert compare._verdict(0.2, 0.001, quiet, (9, 9), None, False, settings)[0] == "slower"
    # Beyond the band, but the runs say faster where the pooled repetitions say slower.
    verdict, reason = compare._verdict(0.2, 0.001, quiet, (9, 3), (-0.3, 0.1), True, settings)
    assert verdict == "too noisy" and reason.endswith("disagree in sign")
    assert compare._verdict(0.2, 0.001, quiet, (9, 3), (0.3, 0.1), True, settings)[0] == "slower"


def test_no_drift_band_without_two_runs_in_either_file() -> None:
    assert compare.drift_band([[1.0, 2.0, 3.0]], [[1.0, 2.0]], 0.05) is None
    assert compare.drift_band([[1.0], [2.0]], [[1.0]], 0.05) is not None
    assert compare.drift_band([[1.0], [0.0]], [[1.0]], 0.05) is None


def test_within_run_cv_ignores_the_drift_between_runs() -> None:
    one = [98.0, 100.0, 102.0]
    assert compare.within_run_cv([one]) == pytest.approx(statistics.stdev(one) / statistics.fmean(one))
    apart = [one, [v * 1.5 for v in one]]
    pooled = [value for group in apart for value in group]
    assert statistics.stdev(pooled) / statistics.fmean(pooled) > 0.2
    assert compare.within_run_cv(apart) < 0.03
    assert compare.within_run_cv([[1.0], [2.0]]) is None


def test_one_run_each_is_noted(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "later.json", synthetic.document())
    _, out, _ = _compare(capsys, base, new)
    assert "note: BASE and NEW hold one run each, so the U test sees the noise within a run" in out


def test_small_change_is_unchanged_even_when_significant(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "all_2pct_slower.json", synthetic.document(slower=0.02))
    status, out, _ = _compare(capsys, base, new)
    assert status == 0
    assert "0 slower, 0 faster, 3 unchanged" in out
    assert _compare(capsys, base, new, "--threshold", "1")[0] == 1


def test_too_few_repetitions_is_too_noisy(tmp_path: Path, capsys) -> None:
    three = (-0.001, 0.0, 0.001)
    base = synthetic.write(tmp_path, "base3.json", synthetic.document(noise=three))
    new = synthetic.write(tmp_path, "three_reps_20pct_slower.json", synthetic.document(slower=0.2, noise=three))
    status, out, _ = _compare(capsys, base, new)
    assert status == 0
    assert "3 vs 3 repetitions: the U test cannot go below p 0.1 (4+ in each reach alpha 0.05)" in out
    assert compare.min_repetitions(0.05) == 4
    assert compare.min_repetitions(0.01) == 5


def test_mismatched_machines_are_warned_about_at_the_top(base: Path, tmp_path: Path, capsys) -> None:
    other = synthetic.document(context={"cpu_model": "Other CPU", "num_cpus": 8, "cxx_flags": "-O2"})
    new = synthetic.write(tmp_path, "other_machine.json", other)
    status, out, _ = _compare(capsys, base, new)
    lines = out.splitlines()
    assert status == 0
    assert lines[1].startswith("warning: BASE and NEW come from different machines (ci_box-test_cpu_9000-4c-")
    assert "cpu_model 'Test CPU 9000' vs 'Other CPU'; num_cpus 4 vs 8" in lines[1]
    assert lines[2] == "warning: BASE and NEW were built differently: cxx_flags '-O3 -DNDEBUG' vs '-O2'"


def test_same_machine_no_warning(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "later.json", synthetic.document(context={"date": "2026-02-01T00:00:00+00:00"}))
    _, out, _ = _compare(capsys, base, new)
    assert "warning:" not in out


def test_skipped_errored_and_one_sided_benchmarks_are_listed(base: Path, tmp_path: Path, capsys) -> None:
    doc = synthetic.document(skipped=(SWITCH,))
    doc["benchmarks"] = [row for row in doc["benchmarks"] if row["run_name"] != SCHEDULE]
    doc["benchmarks"].append({"name": "mimd/new/strong/threads:1/real_time", "run_type": "iteration",
                              "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ns"})
    new = synthetic.write(tmp_path, "changed_set.json", doc)
    status, out, _ = _compare(capsys, base, new)
    assert status == 0
    assert "not compared (2):" in out
    assert f"- {SWITCH}: skipped in NEW: no SMT siblings: every core has 1 PU" in out
    assert f"- {SMT}: skipped in BASE: no SMT siblings: every core has 1 PU" in out
    assert f"only in BASE (1):\n- {SCHEDULE}" in out
    assert "only in NEW (1):\n- mimd/new/strong/threads:1/real_time" in out


def test_filter(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "all_20pct_slower.json", synthetic.document(slower=0.2))
    status, out, _ = _compare(capsys, base, new, "--filter", "^ctxsw/")
    assert status == 1 and SWITCH in out and TRIAD not in out
    status, _, err = _compare(capsys, base, new, "--filter", "^numa/")
    assert status == 2
    assert err == f"error: no benchmark matching --filter '^numa/' is in both {base} and {new}\n"
    assert _compare(capsys, base, new, "--filter", "(")[0] == 2


def test_json_holds_the_table(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "triad_20pct_slower.json", synthetic.document(slower={TRIAD: 0.2}))
    out_json = tmp_path / "out" / "compare.json"
    _compare(capsys, base, new, "--json", out_json)
    data = json.loads(out_json.read_text())
    assert data["counts"] == {"slower": 1, "too noisy": 0, "unchanged": 2, "faster": 0}
    assert data["settings"] == {"threshold": 0.05, "alpha": 0.05, "max_cv": 0.1, "paired": False}
    assert data["benchmarks"][0]["name"] == TRIAD
    assert data["benchmarks"][0]["base"]["median"] == pytest.approx(20e9)
    assert data["not_compared"] == [{"name": SMT, "reason": "skipped in BASE: no SMT siblings: every core has 1 PU"}]
    assert [path.name for path in out_json.parent.iterdir()] == ["compare.json"]


def test_colour_only_on_a_terminal(base: Path, tmp_path: Path, capsys) -> None:
    new = synthetic.write(tmp_path, "triad_20pct_slower.json", synthetic.document(slower={TRIAD: 0.2}))
    _, out, _ = _compare(capsys, base, new)
    assert "\033[" not in out
    report = compare.compare_results(results.load(base), results.load(new), compare.Settings())
    assert "| \033[91mslower\033[0m |" in compare.format_report(report, colour=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.json", "{base}"], "error: missing.json: no such file\n"),
        (["{fixtures}/malformed.json", "{base}"], "error: {fixtures}/malformed.json: invalid JSON at line"),
        (["{fixtures}/not_benchmark.json", "{base}"], "error: {fixtures}/not_benchmark.json: not a Google Benchmark result: no 'benchmarks'\n"),
        (["{fixtures}/no_benchmarks.json", "{base}"], "error: no benchmark is in both"),
        (["{fixtures}/mimd_real.json", "{fixtures}/ctxsw_real.json"], "error: no benchmark is in both"),
        (["{base}"], "error: expected BASE.json NEW.json, got 1 file(s)"),
        (["{base}", "{base}", "--alpha", "2"], "error: argument --alpha: must be a number in (0, 1), not '2'"),
        (["{base}", "{base}", "--threshold", "x"], "error: argument --threshold: must be a number"),
        (["{base}", "{base}", "--bogus"], "error: unrecognized arguments: --bogus"),
        (["--against-baseline", "{base}", "{base}"], "error: expected NEW.json with --against-baseline, got 2"),
        (["--against-baseline", "--paired", "{base}"], "error: --paired with --against-baseline: a baseline's runs"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    argv: list[str], message: str, base: Path, fixtures: Path, capsys
) -> None:
    status, out, err = _compare(capsys, *(arg.format(base=base, fixtures=fixtures) for arg in argv))
    assert status == 2
    assert out == ""
    assert err.startswith(message.format(base=base, fixtures=fixtures))
    assert err.count("\n") == 1 and "Traceback" not in err


def test_against_baseline_without_one_names_the_path(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    status, _, err = _compare(capsys, "--against-baseline", base)
    expected = tmp_path / "baselines" / f"{machine.identity(synthetic.CONTEXT)}.json"
    assert status == 2
    assert err == (
        f"error: no baseline for machine {machine.identity(synthetic.CONTEXT)}: expected {expected}"
        " (make one with scripts/run --baseline)\n"
    )


def test_against_baseline_finds_this_machines_baseline(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    results.write_atomic(machine.baseline_path(machine.identity(synthetic.CONTEXT)), synthetic.document())
    later = synthetic.document(slower={SWITCH: 0.2}, context={"date": "2026-02-01T00:00:00+00:00"})
    new = synthetic.write(tmp_path, "switch_20pct_slower.json", later)
    status, out, _ = _compare(capsys, "--against-baseline", new)
    assert status == 1
    assert out.startswith(f"# flynn compare: {tmp_path / 'baselines'}/ci_box-test_cpu_9000-4c-")


def test_missing_gbench_names_the_package(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(compare, "GBENCH_DIR", tmp_path / "nothing")
    status, _, err = _compare(capsys, base, base)
    assert status == 2
    assert err.startswith(f"error: Google Benchmark's gbench package is missing ({tmp_path}/nothing/gbench/report.py")
    assert "install Debian's libbenchmark-tools" in err


def test_real_result_against_itself_is_clean(fixtures: Path, capsys) -> None:
    status, out, _ = _compare(capsys, fixtures / "mimd_real.json", fixtures / "mimd_real.json")
    assert status == 0
    assert "0 slower, 0 faster" in out
    # 2 repetitions per benchmark: gbench runs the U test, but it cannot reach 0.05.
    assert "2 vs 2 repetitions: the U test cannot go below p 0.33" in out


def test_script_runs_under_debian_python(base: Path, tmp_path: Path) -> None:
    new = synthetic.write(tmp_path, "triad_20pct_slower.json", synthetic.document(slower={TRIAD: 0.2}))
    completed = subprocess.run(
        [str(SCRIPTS / "compare"), str(base), str(new)], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 1, completed.stderr
    assert f"| slower | {TRIAD} |" in completed.stdout


def test_help_names_the_defaults() -> None:
    completed = subprocess.run(
        [str(SCRIPTS / "compare"), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert "(default 5)" in completed.stdout and "--against-baseline" in completed.stdout


def test_runs_with_other_settings_are_warned_about(base: Path, tmp_path: Path, capsys) -> None:
    quick = synthetic.write(tmp_path, "quick.json", synthetic.document(
        context={"flynn_min_time": "0.01", "flynn_sweeps": "quick"}))
    full = synthetic.write(tmp_path, "full.json", synthetic.document(
        context={"flynn_min_time": "0.05", "flynn_sweeps": "full"}))
    _, out, _ = _compare(capsys, quick, full)
    assert out.splitlines()[1] == (
        "warning: BASE and NEW were run differently: flynn_min_time '0.01' vs '0.05'; flynn_sweeps 'quick' vs 'full'"
    )
    _, out, _ = _compare(capsys, quick, quick)
    assert "warning:" not in out


@pytest.fixture
def base_of_three_runs(tmp_path: Path) -> Path:
    return synthetic.write(tmp_path, "base3.json", synthetic.document(runs=(-0.005, 0.0, 0.005)))


def _strict(path: Path) -> object:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in {path} is not standard JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "1e400"])
def test_figures_that_are_not_finite_are_never_graded(
    token: str, base_of_three_runs: Path, fixtures: Path, tmp_path: Path, capsys
) -> None:
    new = tmp_path / "new.json"
    new.write_text((fixtures / "nan_figures.json").read_text().replace("NaN", token))
    status, out, err = _compare(capsys, base_of_three_runs, new, "--json", tmp_path / "c.json")
    # Not "3 faster" (NaN) nor "3 slower" (inf): nothing could be compared, which is no pass.
    assert status == 2
    assert "0 slower, 0 faster, 0 unchanged, 0 too noisy" in out
    assert f"- {TRIAD}: error in NEW: not a finite number: real_time is {token}, cpu_time is {token}, " \
           f"bytes_per_second is {token}" in out
    assert err.splitlines()[-1] == "error: no benchmark could be compared (4 listed under 'not compared')"
    assert f"note: {new}: {TRIAD}: real_time is {token}, cpu_time is {token}, bytes_per_second is {token} " \
           "in 5 repetitions, not a finite number; left out" in err.splitlines()
    assert _strict(tmp_path / "c.json")["counts"]["faster"] == 0


def test_one_bad_repetition_leaves_its_benchmark_out_and_the_rest_compared(
    base: Path, tmp_path: Path, capsys
) -> None:
    document = synthetic.document()
    next(row for row in document["benchmarks"] if row["name"] == SWITCH)["ns_per_switch"] = math.nan
    new = synthetic.write(tmp_path, "switch_nan.json", document)
    status, out, err = _compare(capsys, base, new, "--json", tmp_path / "c.json")
    assert status == 0
    assert _verdicts(tmp_path / "c.json") == {TRIAD: "unchanged", SCHEDULE: "unchanged"}
    assert f"- {SWITCH}: error in NEW: not a finite number: ns_per_switch is NaN" in out
    assert err == f"note: {new}: {SWITCH}: ns_per_switch is NaN, not a finite number; left out\n"


def test_a_nan_that_reaches_the_verdict_is_not_a_verdict() -> None:
    base = results.Run(SWITCH, [{"name": SWITCH, "ns_per_switch": 100.0 + i} for i in range(5)])
    new = results.Run(SWITCH, [{"name": SWITCH, "ns_per_switch": math.nan} for _ in range(5)])
    assert compare.compare_runs(base, new, compare.Settings(), compare.load_gbench()) == (
        "NEW has a ns_per_switch that is not a finite number"
    )
    verdict, _ = compare._verdict(-0.5, math.nan, [0.01, 0.01], (9, 9), None, False, compare.Settings())
    assert verdict == compare.NOISY


def test_json_is_standard_json(tmp_path: Path) -> None:
    report = compare.Report("a", "b", compare.Settings())
    report.warnings.append("w")
    path = tmp_path / "c.json"
    document = compare.to_document(report)
    document["counts"]["odd"] = math.inf
    results.write_atomic(path, results.finite_or_null(document))
    assert _strict(path)["counts"]["odd"] is None


def test_deep_file_unwritable_json_and_invalid_filter_are_bad_input(
    base: Path, fixtures: Path, tmp_path: Path, capsys
) -> None:
    status, out, err = _compare(capsys, base, fixtures / "too_deep.json")
    assert (status, out) == (2, "")
    assert err == f"error: {fixtures / 'too_deep.json'}: nested more than 64 deep: not a Google Benchmark result\n"
    status, _, err = _compare(capsys, base, base, "--json", "/proc/flynn-nowhere/c.json")
    assert status == 2 and err.startswith("error: --json /proc/flynn-nowhere/c.json: cannot write in /proc/")
    status, _, err = _compare(capsys, base, base, "--filter", "(")
    assert status == 2 and err.startswith("error: --filter '(': not a valid regular expression")


def test_names_are_escaped_in_the_table(tmp_path: Path, capsys) -> None:
    name = "mimd/triad/x|y\x1b[31m\nz"
    documents = []
    for which in ("a", "b"):
        document = synthetic.document()
        for row in document["benchmarks"]:
            if row["name"] == TRIAD or row.get("run_name") == TRIAD:
                row["name"] = row["run_name"] = name
        documents.append(synthetic.write(tmp_path, f"{which}.json", document))
    status, out, _ = _compare(capsys, *documents)
    assert status == 0
    assert "\x1b" not in out
    (row,) = [line for line in out.splitlines() if "mimd/triad/" in line]
    assert "| mimd/triad/x\\|y\\x1b[31m\\nz |" in row
    assert row.replace("\\|", "").count("|") == 12
