import json
import shutil
from pathlib import Path

import pytest

from flynn import plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_ctxsw_fixture_gives_one_png(fixtures: Path, tmp_path: Path, capsys) -> None:
    assert plot.main([str(fixtures / "ctxsw_small.json"), "--out", str(tmp_path)]) == 0
    png = tmp_path / "ctxsw_small-ctxsw.png"
    assert capsys.readouterr().out.splitlines() == [str(png)]
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 50_000
    assert [path.name for path in tmp_path.iterdir()] == [png.name]


def test_default_out_is_beside_the_result(fixtures: Path, tmp_path: Path) -> None:
    result = tmp_path / "host-20241125T143012Z.json"
    shutil.copy(fixtures / "ctxsw_small.json", result)
    assert plot.main([str(result)]) == 0
    assert (tmp_path / "host-20241125T143012Z-ctxsw.png").stat().st_size > 0


def test_partial_ctxsw_run_still_plots(fixtures: Path, tmp_path: Path) -> None:
    """A --filter that keeps one family leaves the other panels empty, not broken."""
    document = json.loads((fixtures / "ctxsw_small.json").read_text())
    document["benchmarks"] = [row for row in document["benchmarks"] if "/timeslice/" in row["name"]]
    result = tmp_path / "timeslice.json"
    result.write_text(json.dumps(document))
    assert plot.main([str(result)]) == 0
    assert (tmp_path / "timeslice-ctxsw.png").read_bytes().startswith(PNG_MAGIC)


def test_area_without_plotter_is_skipped_with_a_note(fixtures: Path, tmp_path: Path, capsys) -> None:
    text = (fixtures / "simd_tiny.json").read_text().replace('"simd/', '"newarea/')
    result = tmp_path / "newarea.json"
    result.write_text(text)
    out = tmp_path / "plots"
    assert plot.main([str(result), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no plot for area 'newarea'" in captured.err
    assert list(out.iterdir()) == []


def test_only_skipped_benchmarks_give_no_plot(fixtures: Path, tmp_path: Path, capsys) -> None:
    document = json.loads((fixtures / "ctxsw_small.json").read_text())
    document["benchmarks"] = [row for row in document["benchmarks"] if row.get("error_occurred")]
    result = tmp_path / "skipped.json"
    result.write_text(json.dumps(document))
    assert plot.main([str(result)]) == 0
    assert "no measured benchmark" in capsys.readouterr().err
    assert list(tmp_path.glob("*.png")) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["malformed.json"],
        ["not_benchmark.json"],
        ["no_benchmarks.json"],
        ["does_not_exist.json"],
        ["ctxsw_small.json", "--bogus"],
        [],
    ],
)
def test_bad_input_is_one_error_line(fixtures: Path, capsys, argv: list[str]) -> None:
    args = [str(fixtures / arg) if arg.endswith(".json") else arg for arg in argv]
    assert plot.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1


def test_out_must_be_a_directory(fixtures: Path, tmp_path: Path, capsys) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert plot.main([str(fixtures / "ctxsw_small.json"), "--out", str(not_a_dir)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_mimd_fixture_from_the_real_binary_gives_one_png(fixtures: Path, tmp_path: Path) -> None:
    """mimd_real.json was written by build/bin/flynn_mimd: format drift in the binary fails here."""
    assert plot.main([str(fixtures / "mimd_real.json"), "--out", str(tmp_path)]) == 0
    data = (tmp_path / "mimd_real-mimd.png").read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 50_000


def test_ctxsw_fixture_from_the_real_binary_gives_one_png(fixtures: Path, tmp_path: Path) -> None:
    """ctxsw_real.json was written by build/bin/flynn_ctxsw (skipped smt rows included)."""
    assert plot.main([str(fixtures / "ctxsw_real.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ctxsw_real-ctxsw.png").read_bytes().startswith(PNG_MAGIC)


def test_simd_fixture_from_the_real_binary_gives_one_png(fixtures: Path, tmp_path: Path) -> None:
    """simd_real.json was written by build/bin/flynn_simd (f32, sweep capped at 4 MiB)."""
    assert plot.main([str(fixtures / "simd_real.json"), "--out", str(tmp_path)]) == 0
    data = (tmp_path / "simd_real-simd.png").read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 50_000


def test_one_value_that_is_not_finite_does_not_stop_the_plot(fixtures: Path, tmp_path: Path, capsys) -> None:
    document = json.loads((fixtures / "simd_real.json").read_text())
    row = next(row for row in document["benchmarks"] if row.get("run_type") == "iteration")
    key = next(key for key in row if key.endswith("_per_second"))
    row[key] = float("nan")
    result = tmp_path / "nan.json"
    result.write_text(json.dumps(document))
    assert plot.main([str(result), "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert f"note: {result}: {row['name']}: {key} is NaN, not a finite number; left out" in captured.err
    assert (tmp_path / "nan-simd.png").read_bytes().startswith(PNG_MAGIC)


def test_deep_file_and_unwritable_out_are_one_error_line(fixtures: Path, capsys) -> None:
    assert plot.main([str(fixtures / "too_deep.json"), "--out", "/tmp"]) == 2
    assert capsys.readouterr().err.endswith("nested more than 64 deep: not a Google Benchmark result\n")
    assert plot.main([str(fixtures / "simd_tiny.json"), "--out", "/proc/flynn-nowhere"]) == 2
    assert capsys.readouterr().err.startswith("error: --out /proc/flynn-nowhere: cannot write in /proc/flynn-nowhere")
