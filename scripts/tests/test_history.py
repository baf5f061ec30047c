import json
import shutil
import subprocess
from pathlib import Path

import pytest
import synthetic
from synthetic import SCHEDULE, SWITCH, TRIAD

from flynn import compare, history, machine, results, run

SCRIPTS = Path(__file__).resolve().parents[1]
MACHINE = machine.identity(synthetic.CONTEXT)
OTHER = {"host_name": "other-box", "cpu_model": "Other CPU"}


def _run(directory: Path, day: int, revision: str, slower: dict[str, float] | None = None,
         context: dict | None = None) -> Path:
    doc = synthetic.document(
        slower=slower or {},
        context={"date": f"2026-03-{day:02d}T12:00:00+00:00", "git_revision": revision, **(context or {})},
    )
    return synthetic.write(directory, f"run-{day:02d}.json", doc)


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """results/runs and results/baselines of a machine whose ns_per_switch got 20% slower at rev c."""
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setattr(machine, "RUNS_DIR", runs)
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    _run(runs, 1, "aaaaaaaaaaaa")
    _run(runs, 2, "bbbbbbbbbbbb", {SWITCH: 0.01})
    _run(runs, 3, "cccccccccccc", {SWITCH: 0.2})
    _run(runs, 4, "dddddddddddd", {SWITCH: 0.2})
    return runs


def _history(capsys, *argv: str | Path) -> tuple[int, str, str]:
    status = history.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_step_is_flagged_at_the_revision_that_made_it(stores: Path, tmp_path: Path, capsys) -> None:
    status, out, err = _history(capsys, "--out", tmp_path / "png")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        f"# flynn history: {MACHINE}, 4 runs from 2026-03-01 12:00 aaaaaaaaaaaa to 2026-03-04 12:00 dddddddddddd"
    )
    row = next(line for line in lines if line.startswith(f"| {SWITCH} |"))
    assert row == (
        # Against the runs before it pooled (medians 2,000 and 2,020), not against the last one alone.
        f"| {SWITCH} | ns_per_switch (lower is better) | 4 | 2,000 | 2,400 | +20.0% | cccccccccccc slower +19.4% |"
    )
    assert next(line for line in lines if line.startswith(f"| {TRIAD} |")).endswith("| +0.0% | - |")
    pngs = [tmp_path / "png" / f"history-{MACHINE}-{area}.png" for area in ("mimd", "ctxsw")]
    assert lines[-1] == f"plots: {pngs[0]} {pngs[1]}"
    assert sorted(path.name for path in (tmp_path / "png").iterdir()) == [
        f"history-{MACHINE}-ctxsw.png", f"history-{MACHINE}-mimd.png"
    ]


def test_steps_inside_the_drift_of_earlier_runs_are_not_flagged(tmp_path: Path, monkeypatch, capsys) -> None:
    runs = tmp_path / "drifting"
    runs.mkdir()
    monkeypatch.setattr(machine, "RUNS_DIR", runs)
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    for day, offset in enumerate((0.0, 0.08, -0.02, 0.07, 0.12), 1):
        _run(runs, day, f"{day}" * 12, {SWITCH: offset})
    status, out, _ = _history(capsys, "--no-plots", "--filter", "^ctxsw/")
    # Only the second run is flagged: with one run before it nothing is known of the drift.
    # After that, steps of 8-10% between runs are what these runs do with nothing changed.
    assert status == 0
    assert out.splitlines()[-1].endswith("| 5 | 2,000 | 2,240 | +12.0% | 222222222222 slower +8.0% |")


def test_a_slower_latest_run_is_a_finding(stores: Path, capsys) -> None:
    _run(stores, 5, "eeeeeeeeeeee", {TRIAD: 0.3, SWITCH: 0.2})
    status, out, _ = _history(capsys, "--no-plots")
    assert status == 1
    assert "eeeeeeeeeeee slower -30.0%" in out
    assert "plots:" not in out


def test_runs_are_kept_apart_per_machine(stores: Path, tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run(elsewhere, 9, "ffffffffffff", {SWITCH: 0.5}, OTHER)
    _run(elsewhere, 10, "ffffffffffff", {SWITCH: 0.5}, OTHER)
    status, _, err = _history(capsys, "--dir", elsewhere, "--no-plots")
    assert status == 2
    assert err.startswith("error: runs of 2 machines in ")
    assert f"pick one with --machine: {MACHINE} (4 runs), other_box-other_cpu-4c-" in err
    status, out, _ = _history(capsys, "--dir", elsewhere, "--machine", "other_box", "--no-plots")
    assert status == 0
    assert ", 2 runs from 2026-03-09" in out.splitlines()[0]
    status, out, _ = _history(capsys, "--dir", elsewhere, "--machine", MACHINE, "--no-plots")
    assert ", 4 runs from" in out.splitlines()[0]
    status, _, err = _history(capsys, "--dir", elsewhere, "--machine", "nobody", "--no-plots")
    assert status == 2 and err.startswith("error: no machine matches --machine 'nobody'")


def test_a_rerun_of_a_check_is_not_a_run(stores: Path, capsys) -> None:
    rerun = synthetic.document(slower={SWITCH: 0.5}, context={"date": "2026-03-05T12:00:00+00:00",
                                                              results.CHECK_OF_KEY: "run-04.json"})
    synthetic.write(stores, "run-04-rerun.json", rerun)
    status, out, _ = _history(capsys, "--no-plots")
    assert status == 0
    assert "4 runs from" in out.splitlines()[0]


def test_a_baseline_copy_of_a_run_counts_once(stores: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "baselines").mkdir()
    curated = json.loads((stores / "run-04.json").read_text())
    curated["context"]["flynn_baseline_note"] = "curated"
    synthetic.write(tmp_path / "baselines", f"{MACHINE}.json", curated)
    _, out, _ = _history(capsys, "--no-plots")
    assert ", 4 runs from" in out.splitlines()[0]


def test_unreadable_files_are_skipped_with_a_note(stores: Path, fixtures: Path, capsys) -> None:
    shutil.copy(fixtures / "malformed.json", stores / "broken.json")
    undated = synthetic.document(context={"date": "yesterday"})
    synthetic.write(stores, "undated.json", undated)
    status, out, err = _history(capsys, "--no-plots")
    assert status == 0
    assert f"note: skipped {stores / 'broken.json'}: invalid JSON" in err
    assert f"note: skipped {stores / 'undated.json'}: no ISO date in its context" in err


def test_filter_and_panel_cap(stores: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    status, out, _ = _history(capsys, "--filter", "^mimd/", "--out", tmp_path / "png")
    assert status == 0
    assert SWITCH not in out and TRIAD in out and SCHEDULE in out
    monkeypatch.setattr(history, "MAX_PANELS_PER_AREA", 1)
    status, _, err = _history(capsys, "--out", tmp_path / "png")
    assert status == 0
    assert "note: 1 benchmarks not drawn (at most 1 per area, flagged ones first); narrow with --filter" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--filter", "^numa/"], "error: no benchmark matching --filter '^numa/' in the 4 runs of"),
        (["--filter", "("], "error: --filter '(':"),
        (["--dir", "/nonexistent"], "error: --dir /nonexistent: not a directory"),
        (["--alpha", "0"], "error: argument --alpha: must be a number in (0, 1)"),
    ],
)
def test_bad_input(stores: Path, argv: list[str], message: str, capsys) -> None:
    status, out, err = _history(capsys, *argv, "--no-plots")
    assert (status, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_no_runs_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(machine, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    status, _, err = _history(capsys)
    assert status == 2
    assert err == f"error: no stored runs in {tmp_path / 'runs'}, {tmp_path / 'baselines'}\n"


def test_real_fixtures_make_a_history(tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(machine, "RUNS_DIR", tmp_path / "none")
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "none")
    store = tmp_path / "store"
    store.mkdir()
    for name in ("ctxsw_real.json", "mimd_real.json"):
        shutil.copy(fixtures / name, store / name)
    status, out, _ = _history(capsys, "--dir", store, "--out", tmp_path / "png")
    assert status == 0
    assert out.startswith("# flynn history: vm-oxide_virtual_turin_like_processor-2c-d44f1566, 2 runs")
    assert len(json.loads((fixtures / "mimd_real.json").read_text())["benchmarks"]) > 0
    assert len(list((tmp_path / "png").glob("*.png"))) == 2


def test_script_help() -> None:
    completed = subprocess.run(
        [str(SCRIPTS / "history"), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert "--machine ID" in completed.stdout


def test_the_curated_baseline_is_found_under_its_machine_id() -> None:
    curated = sorted((SCRIPTS.parent / "results" / "baselines").glob("*.json"))
    assert curated, "results/baselines/ holds the project's reference baseline"
    for path in curated:
        result = results.load(path)
        assert path.name == f"{machine.identity(result.context)}.json"
        assert path.stat().st_size < 400_000
        measured = [r for r in results.runs(result) if r.repetitions]
        assert measured and min(len(r.repetitions) for r in measured) >= compare.min_repetitions(compare.DEFAULT_ALPHA)
        # Several invocations, so that compare knows how far runs drift apart.
        assert min(len(r.by_invocation()) for r in measured) >= 2


def test_a_run_with_figures_that_are_not_finite_is_left_out_not_flagged(
    stores: Path, fixtures: Path, capsys
) -> None:
    bad = stores / "run-05.json"
    bad.write_text((fixtures / "nan_figures.json").read_text()
                   .replace("2026-01-05T10:00:00+00:00", "2026-03-05T12:00:00+00:00"))
    status, out, err = _history(capsys, "--no-plots")
    assert status == 0
    assert " faster " not in out and "nan" not in out.lower()
    assert f"note: {bad}: {SWITCH}: real_time is NaN, cpu_time is NaN, ns_per_switch is NaN" in err
    row = next(line for line in out.splitlines() if line.startswith(f"| {SWITCH} |"))
    assert "| 4 | 2,000 | 2,400 |" in row


def test_a_deeply_nested_file_is_skipped_with_a_note(stores: Path, fixtures: Path, capsys) -> None:
    shutil.copy(fixtures / "too_deep.json", stores / "deep.json")
    status, out, err = _history(capsys, "--no-plots")
    assert status == 0
    assert f"note: skipped {stores / 'deep.json'}: nested more than 64 deep" in err
    assert "4 runs from" in out


def test_unwritable_out_is_refused_before_the_table(stores: Path, capsys) -> None:
    status, out, err = _history(capsys, "--out", "/proc/flynn-nowhere")
    assert (status, out) == (2, "")
    assert err.startswith("error: --out /proc/flynn-nowhere: cannot write in /proc/flynn-nowhere:")


def test_names_and_revisions_are_escaped(stores: Path, capsys) -> None:
    for path in stores.glob("*.json"):
        path.write_text(path.read_text().replace(SWITCH, "ctxsw/pipe/a|b\\u001b[2J"))
    status, out, _ = _history(capsys, "--no-plots", "--filter", "^ctxsw/")
    assert "\x1b" not in out
    assert "| ctxsw/pipe/a\\|b\\x1b[2J |" in out
