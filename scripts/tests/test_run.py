import json
import re
import subprocess
from pathlib import Path

import pytest

from flynn import build, machine, perf_check, plot, results, run
from flynn.report import roofline as roofline_figure
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


@pytest.fixture(autouse=True)
def no_stored_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report a run ends with reads the machine's stored runs: the repository's own stay out."""
    empty = tmp_path_factory.mktemp("no-history")
    monkeypatch.setattr(machine, "RUNS_DIR", empty / "runs")
    monkeypatch.setattr(machine, "BASELINES_DIR", empty / "baselines")


def _small_figure(*_args: object, **_kwargs: object):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().plot([0, 1], [0, 1])
    return figure


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setattr(build, "BIN_DIR", directory)
    monkeypatch.setattr(build, "build", lambda options=(): None)
    monkeypatch.setattr(perf_check, "cross_check", lambda binary, loops: (2300.0, 2484.0))
    # An area's real figure takes seconds and is tested where it is made (test_plot, the areas'
    # readings tests); a run's tests need the PNGs and the report written, not their drawing.
    monkeypatch.setattr(plot, "PLOTTERS", {area: _small_figure for area in plot.PLOTTERS})
    monkeypatch.setattr(roofline_figure, "figure", _small_figure)
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
    assert out.parent == machine.RUNS_DIR
    assert out.name.endswith("Z.json") and "-20" in out.name


def test_full_run_merges_cross_checks_plots_reports_and_prints_the_card(
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
    assert sorted(path.name for path in out.parent.iterdir()) == ["r-ctxsw.png", "r-report", "r-simd.png", "r.json"]
    folder = out.parent / "r-report"
    assert sorted(path.name for path in folder.iterdir()) == ["report.html", "report.md", "tables.md"]
    # The full tables go to a file, not the terminal.
    tables = (folder / "tables.md").read_text()
    assert tables.startswith("# flynn results: bench-vm-01")
    assert "ratio flynn/perf 1.08: agree within 15%" in tables
    assert "# flynn results" not in captured.out and "ratio flynn/perf" not in captured.out
    assert "<html" in (folder / "report.html").read_text() and "bench-vm-01" in (folder / "report.md").read_text()

    assert "[1/2] flynn_ctxsw: 44 benchmarks x 1 repetitions" in captured.err
    assert "[2/2] flynn_simd: 2 benchmarks x 1 repetitions" in captured.err
    assert "note: not built yet, skipped: flynn_mimd, flynn_numa" in captured.err
    assert "fake console table" in captured.err and "fake console table" not in captured.out
    lines = captured.out.splitlines()
    plots = f"plots: {out.parent / 'r-ctxsw.png'} {out.parent / 'r-simd.png'}"
    assert lines[:3] == [f"result: {out}", plots, f"tables: {folder / 'tables.md'}"]
    # Then the headline card, about 40 lines, that ends with where the report is.
    card = lines[3:]
    assert card[0].startswith("flynn card · bench-vm-01") and len(card) <= 40
    assert card[-1] == f"report: {folder / 'report.html'}  {folder / 'report.md'}"
    assert any("ns" in line and "ok" in line for line in card[2:-1]), captured.out

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
    assert "- numa/chase/remote/bytes:4096: 1 NUMA node" in (tmp_path / "r-report" / "tables.md").read_text()
    assert f"plots: {tmp_path / 'r-numa.png'}" in captured.out.splitlines()


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


def test_an_existing_report_folder_is_refused_without_force_and_replaced_with_it(
    bin_dir: Path, tmp_path: Path, fixtures: Path, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    out = tmp_path / "r.json"
    folder = tmp_path / "r-report"
    folder.mkdir()
    (folder / "report.html").write_text("old page")
    built = []
    monkeypatch.setattr(build, "build", lambda options=(): built.append(True))
    assert run.main(["--out", str(out)]) == 2
    assert capfd.readouterr().err == (
        f"error: --out {out}: would replace {folder}; pass --force to replace, or choose another --out\n"
    )
    assert not built and not out.exists() and (folder / "report.html").read_text() == "old page"
    assert run.main(["--out", str(out), "--force"]) == 0, capfd.readouterr().err
    assert "<html" in (folder / "report.html").read_text()
    assert sorted(path.name for path in folder.iterdir()) == ["report.html", "report.md", "tables.md"]


def test_a_file_or_link_in_the_way_of_the_report_folder_is_refused_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _no_build(monkeypatch)
    (tmp_path / "r-report").write_text("a file")
    assert run.main(["--out", str(tmp_path / "r.json"), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {tmp_path / 'r.json'}: {tmp_path / 'r-report'} is in the way of its report folder "
        "and is not a directory\n"
    )
    assert (tmp_path / "r-report").read_text() == "a file"
    # Nor is the report written through a link to somewhere else.
    (tmp_path / "r-report").unlink()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "r-report").symlink_to(tmp_path / "elsewhere")
    assert run.main(["--out", str(tmp_path / "r.json"), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {tmp_path / 'r.json'}: its report folder {tmp_path / 'r-report'} is a symbolic link "
        f"(to {tmp_path / 'elsewhere'}); remove it or choose another --out\n"
    )
    assert list((tmp_path / "elsewhere").iterdir()) == []


def _broken_page(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a reading broke")


def _full_disk(path: Path, content: str) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize(("target", "broken", "said"), [
    ("report", _broken_page, "RuntimeError: a reading broke"),
    ("write_text_atomic", _full_disk, "{folder}/tables.md: cannot write it: No space left on device"),
])
def test_a_report_that_fails_is_one_error_line_and_keeps_the_result_and_plots(
    target: str, broken: object, said: str, bin_dir: Path, tmp_path: Path, fixtures: Path,
    monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    from flynn.report import output

    monkeypatch.setattr(output, target, broken)
    _install(bin_dir, "flynn_simd", fixtures / "simd_tiny.json")
    out = tmp_path / "r.json"
    assert run.main(["--out", str(out)]) == 2
    captured = capfd.readouterr()
    said = said.format(folder=tmp_path / "r-report")
    assert captured.err.splitlines()[-1] == (
        f"error: the report of {out} could not be built: {said}; the result and its plots are kept"
    )
    assert captured.out.splitlines() == [f"result: {out}", f"plots: {tmp_path / 'r-simd.png'}"]
    assert len(results.load(out).benchmarks) == len(results.load(fixtures / "simd_tiny.json").benchmarks)
    assert (tmp_path / "r-simd.png").read_bytes().startswith(b"\x89PNG")


def test_help_says_where_the_report_goes_and_what_each_exit_status_means() -> None:
    completed = subprocess.run([str(SCRIPTS / "run"), "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert completed.returncode == 0, completed.stderr
    shown = completed.stdout
    assert "FILE-report/" in shown and "tables.md" in shown and "headline card" in shown
    assert "2  bad input (a flag, --out); or the report could not be built" in shown
    assert "result\n     file and its plots are kept" in shown


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


def test_a_configured_build_directory_is_built_without_configuring_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    cache = (f"CMAKE_CACHEFILE_DIR:INTERNAL={build_dir}\nCMAKE_HOME_DIRECTORY:INTERNAL={build.REPO_ROOT}\n"
             "CMAKE_BUILD_TYPE:STRING=Release\n")
    (build_dir / "CMakeCache.txt").write_text(cache)
    commands: list[list[str]] = []
    monkeypatch.setattr(build, "BUILD_DIR", build_dir)
    monkeypatch.setattr(build, "check", commands.append)
    build.build()
    assert [command[:2] for command in commands] == [["cmake", "--build"]]
    # An option the cache does not hold yet, or another build type: configured first.
    for options, text in ((["-DFLYNN_TESTS=ON"], cache), ([], cache.replace("Release", "Debug"))):
        (build_dir / "CMakeCache.txt").write_text(text)
        commands.clear()
        build.build(options)
        assert [command[:2] for command in commands] == [["cmake", "-S"], ["cmake", "--build"]]
        assert options == [] or commands[0][-1] == "-DFLYNN_TESTS=ON"
    (build_dir / "CMakeCache.txt").write_text(cache + "FLYNN_TESTS:BOOL=ON\n")
    commands.clear()
    build.build(["-DFLYNN_TESTS=ON"])
    assert [command[:2] for command in commands] == [["cmake", "--build"]]
    # A package the last configure did not find (Open MPI, installed since) is looked for again;
    # CMake's own NOTFOUND tools are not a package.
    for line, configured in (("MPI_CXX_COMPILER:FILEPATH=MPI_CXX_COMPILER-NOTFOUND\n", True),
                             ("CMAKE_DLLTOOL:FILEPATH=CMAKE_DLLTOOL-NOTFOUND\n", False)):
        (build_dir / "CMakeCache.txt").write_text(cache + line)
        commands.clear()
        build.build()
        assert [command[:2] for command in commands] == ([["cmake", "-S"]] if configured else []) + [["cmake", "--build"]]


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--mpi", "test:1"], "test:K needs K from 2"),
        (["--mpi", "no-such-hostfile"], "not 'local', 'test:K' or a hostfile that exists"),
        (["--mpi", "local", "--vm", "numa:2"], "--mpi and --vm: choose one"),
    ],
)
def test_bad_mpi_hosts_are_refused_before_building(flags: list[str], said: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    assert run.main(flags) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1


def test_mpi_without_open_mpi_is_refused(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built before checking the flags"))
    monkeypatch.setattr(run.shutil, "which", lambda name: None)
    assert run.main(["--mpi", "local"]) == 2
    assert "Open MPI is not installed" in capsys.readouterr().err


def test_flynn_mpi_runs_under_mpirun_on_two_local_ranks(bin_dir: Path, fixtures: Path, tmp_path: Path,
                                                         capfd) -> None:
    """Without --mpi, a built flynn_mpi runs on 2 local ranks started by mpirun, and its rows land
    in the merged result beside the other areas'."""
    import shutil

    if shutil.which("mpirun") is None:
        pytest.skip("mpirun is not installed (openmpi-bin): flynn_mpi cannot be started")
    log = _install(bin_dir, "flynn_mpi", fixtures / "mpi_2hosts_4ranks_real.json")
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    out = tmp_path / "runs" / "r.json"
    assert run.main(["--quick", "--out", str(out)]) == 0
    areas = results.runs_by_area(results.load(out))
    assert {"ctxsw", "mpi"} <= set(areas)
    # Both ranks ran: mpirun started the binary twice with the same flags.
    assert log.with_name(log.name + ".calls").read_text() == "xx"
    assert "--flynn_mpi_max_bytes=256K" in log.read_text()
    assert "MIMD across machines" in capfd.readouterr().out


def test_random_interleaving_reaches_every_area_but_flynn_mpi(bin_dir: Path, fixtures: Path, tmp_path: Path,
                                                              capfd) -> None:
    """Each rank would shuffle its own order (flynn_mpi refuses it): the others get the flag."""
    import shutil

    if shutil.which("mpirun") is None:
        pytest.skip("mpirun is not installed (openmpi-bin): flynn_mpi cannot be started")
    mpi_log = _install(bin_dir, "flynn_mpi", fixtures / "mpi_2hosts_4ranks_real.json")
    ctxsw_log = _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    out = tmp_path / "runs" / "r.json"
    shuffle = "--benchmark_enable_random_interleaving=true"
    assert run.main(["--quick", "--out", str(out), "--", shuffle]) == 0
    assert shuffle in ctxsw_log.read_text().splitlines()
    assert "random_interleaving" not in mpi_log.read_text()
    assert "is not passed to flynn_mpi" in capfd.readouterr().err


def test_a_filter_for_names_only_the_hosts_have_still_runs_flynn_mpi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed on 2 local ranks, flynn_mpi has no cross-host pair; on hosts it may."""
    monkeypatch.setattr(run, "AREAS", [("ctxsw", "flynn_ctxsw"), ("mpi", "flynn_mpi")])
    monkeypatch.setattr(run.Path, "is_file", lambda path: True)
    monkeypatch.setattr(run.shutil, "which", lambda name: "/usr/bin/mpirun")
    monkeypatch.setattr(run, "count", lambda path, pattern, flags, extra=(): 0)
    assert [b.area for b in run.selected("cross_host", True, [], "test:4")] == ["mpi"]
    assert run.selected("cross_host", True, [], None) == []
    assert run.selected("cross_host", True, [], "local") == []


def test_the_flags_given_to_every_binary_are_in_the_context(bin_dir: Path, fixtures: Path, tmp_path: Path) -> None:
    """A fleet's nodes and a comparison's two runs must have run with the same flags."""
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    out = tmp_path / "runs" / "r.json"
    assert run.main(["--quick", "--out", str(out), "--", "--flynn_max_bytes=64M", "--flynn_threads=1,2"]) == 0
    assert results.load(out).context["flynn_flags"] == "--flynn_max_bytes=64M --flynn_threads=1,2"
    plain = tmp_path / "runs" / "plain.json"
    assert run.main(["--quick", "--out", str(plain)]) == 0
    assert "flynn_flags" not in results.load(plain).context


def test_no_build_runs_what_is_built_without_building(bin_dir: Path, fixtures: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): pytest.fail("built under --no-build"))
    _install(bin_dir, "flynn_ctxsw", fixtures / "ctxsw_small.json")
    out = tmp_path / "runs" / "r.json"
    assert run.main(["--quick", "--no-build", "--out", str(out)]) == 0
    assert "ctxsw" in results.runs_by_area(results.load(out))
    monkeypatch.setattr(build, "BIN_DIR", tmp_path / "never-built")
    assert run.main(["--quick", "--no-build", "--out", str(tmp_path / "other.json")]) == 2
