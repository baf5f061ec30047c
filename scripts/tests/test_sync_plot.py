import json
from pathlib import Path

from flynn import plot, results
from flynn.areas import sync as sync_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_sync_fixture_from_the_real_binary_gives_two_pngs(fixtures: Path, tmp_path: Path, capsys) -> None:
    """sync_real.json was written by build/bin/flynn_sync (sync/ and io/): format drift fails here."""
    assert plot.main([str(fixtures / "sync_real.json"), "--out", str(tmp_path)]) == 0
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["sync_real-io.png", "sync_real-sync.png"]
    for name in written:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert len(data) > 50_000
    assert "no plot" not in capsys.readouterr().err


def test_the_real_fixture_has_what_the_panels_need(fixtures: Path) -> None:
    result = results.load(fixtures / "sync_real.json")
    areas = results.runs_by_area(result)
    counters = {run.name.split("/")[2]: run for run in areas["sync"] if "/counter/" in run.name}
    assert set(sync_plot.STRATEGIES) <= set(counters)
    assert all(value == 0 for run in areas["sync"] if "/counter/" in run.name and "/racy/" not in run.name
               for value in run.values("lost_updates_pct"))
    assert any("/line_handoff/" in run.name and run.values("ns_per_handoff") for run in areas["sync"])
    assert all(run.values("pages_per_second") for run in areas["io"] if "/fetch/" in run.name)
    assert all(run.values("tasks_per_second") and run.values("cpu_utilisation_pct")
               for run in areas["io"] if "/tasks/" in run.name)


def test_io_alone_and_sync_alone_still_plot(fixtures: Path, tmp_path: Path) -> None:
    """A --filter that keeps one family leaves the other panels empty, not broken."""
    document = json.loads((fixtures / "sync_real.json").read_text())
    for keep, expected in (("/line_handoff/", "sync"), ("io/tasks/", "io"), ("/racy/", "sync")):
        part = dict(document, benchmarks=[row for row in document["benchmarks"] if keep in row["name"]])
        path = tmp_path / f"part-{expected}.json"
        path.write_text(json.dumps(part))
        assert plot.main([str(path), "--out", str(tmp_path)]) == 0
        assert (tmp_path / f"part-{expected}-{expected}.png").read_bytes().startswith(PNG_MAGIC)


def test_skipped_and_failed_rows_are_footnoted_not_drawn(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "sync_real.json").read_text())
    for row in document["benchmarks"]:
        if "/threads:64/" in row["name"] or row["name"].endswith("threads:64/real_time"):
            row["error_occurred"] = True
            row["error_message"] = "skipped: not on this machine"
    path = tmp_path / "skips.json"
    path.write_text(json.dumps(document))
    result = results.load(path)
    io_runs = results.runs_by_area(result)["io"]
    figure = sync_plot.io_figure(result, io_runs)
    texts = [text.get_text() for text in figure.texts]
    assert any("not measured" in text and "threads:64" in text for text in texts)
