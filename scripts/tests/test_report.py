"""scripts/report: the card, the markdown, the JSON form and bad input, on stand-in findings (so that
the renderings are tested apart from the readings) and on the real fixtures and reference result."""

import json
import math
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from flynn import machine, run
from flynn.findings import Ceiling, Finding, RooflinePoint, Trust
from flynn.report import card, json_form, markdown, model, text
from flynn.report.__main__ import main

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"
REAL_FIXTURES = ("simd_real", "ctxsw_real", "mimd_real", "numa_real", "sync_real", "numa_2node_emulated")
PLANTED = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def no_stored_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository's own results/runs and results/baselines stay out of a test unless it asks."""
    empty = tmp_path_factory.mktemp("no-history")
    monkeypatch.setattr(machine, "RUNS_DIR", empty / "runs")
    monkeypatch.setattr(machine, "BASELINES_DIR", empty / "baselines")


def _finding(figure: str, value: float | None, *, area: str = "simd", label: str | None = None, unit: str = "flop/s",
             limit: float | None = None, headline: bool = True, trust: Trust | None = None) -> Finding:
    ratio = value / limit if value is not None and limit else None
    return Finding(area=area, figure=figure, label=label or figure, value=value, unit=unit, limit=limit,
                   limit_source="stand-in limit", ratio=ratio, meaning=f"meaning of {figure}",
                   trust=trust or Trust(), headline=headline)


def stand_in(findings: list[Finding], ceilings: list[Ceiling] | None = None,
             points: list[RooflinePoint] | None = None) -> SimpleNamespace:
    """flynn.areas' contract, answering the same findings for every result."""
    return SimpleNamespace(read_all=lambda result, options: list(findings),
                           roofline=lambda result, found: (list(ceilings or []), list(points or [])))


STAND_IN = [
    _finding("fma_peak/avx2/f64", 53.7e9, label="FMA peak, avx2, f64", limit=56.0e9),
    _finding("speedup/avx2/triad", 7.2, label="triad avx2 over scalar", unit="x", limit=8.0,
             trust=Trust("unstable", cv_pct=12.5, repetitions=3, note="a noisy VM")),
    _finding("lanes/avx2", 8.0, label="not a headline", unit="lanes", headline=False),
    _finding("latency/dram", 139.0, area="numa", label="DRAM latency (page_groups)", unit="ns"),
]


def _report(paths: list[Path], findings: list[Finding] = STAND_IN, **kwargs) -> model.Report:
    return model.assemble(paths, readings=stand_in(findings, **kwargs), with_figures=False)


def test_card_shows_headlines_with_value_share_and_status(fixtures: Path) -> None:
    report = _report([fixtures / "simd_tiny.json"])
    shown = card.render(report, [Path("/out/report.html")])
    lines = shown.splitlines()
    assert len(lines) <= card.MAX_LINES
    fma = next(line for line in lines if "FMA peak, avx2, f64" in line)
    assert "53.7 Gflop/s" in fma and "96%" in fma and fma.rstrip().endswith("ok")
    triad = next(line for line in lines if "triad avx2 over scalar" in line)
    assert "7.20 x" in triad and "90%" in triad and "unstable (CV 12%)" in triad
    assert "not a headline" not in shown
    assert "AMD EPYC 7B13" in lines[0] and "2 cores" in lines[0] and "kvm" in lines[0]
    assert lines[-1] == "report: /out/report.html"


def test_card_stays_within_forty_lines_and_says_what_it_left_out(fixtures: Path) -> None:
    many = [_finding(f"peak/{index}", float(index + 1), limit=100.0) for index in range(120)]
    shown = card.render(_report([fixtures / "simd_tiny.json"], many), [Path("report.html")]).splitlines()
    assert len(shown) <= card.MAX_LINES
    left = next(line for line in shown if "more headline findings in the report" in line)
    listed = sum(1 for line in shown if re.match(r"  peak/\d+ ", line))
    assert int(re.search(r"and (\d+) more", left).group(1)) == 120 - listed
    assert shown[-1] == "report: report.html"


def test_card_and_markdown_take_no_control_characters(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "simd_tiny.json").read_text())
    document["context"]["host_name"] = "vm\x1b[2J\x1b]0;owned\x07"
    path = tmp_path / "ansi.json"
    path.write_text(json.dumps(document))
    report = _report([path], [_finding("x", 1.0, label="label\x1b[31m red\nnext line")])
    for shown in (card.render(report), markdown.render(report)):
        assert "\x1b" not in shown and "\x07" not in shown
    assert "vm\\x1b[2J" in card.render(report)
    assert "vm\\x1b\\[2J" in markdown.render(report)
    assert "label\\x1b\\[31m red\\nnext line" in markdown.render(report)


def test_markdown_has_a_row_per_finding_with_limit_source_ratio_meaning_and_trust(fixtures: Path) -> None:
    shown = markdown.render(_report([fixtures / "simd_tiny.json"]))
    row = next(line for line in shown.splitlines() if line.startswith("| triad avx2 over scalar |"))
    cells = [cell.strip() for cell in row.strip("|").split(" | ")]
    assert cells == ["triad avx2 over scalar", "7.20 x", "x", "8 x", "stand-in limit", "90%",
                     "meaning of speedup/avx2/triad", "unstable (CV 12%); 3 reps; a noisy VM"]
    # every finding, headline or not, in its area's section
    assert "| not a headline |" in shown
    simd, numa = shown.index("(simd)"), shown.index("(numa)")
    assert simd < shown.index("| FMA peak, avx2, f64 |") < numa < shown.index("| DRAM latency (page_groups) |")
    # the chapter's idea opens the section
    assert "SIMD instruction applies the same operation" in shown


def test_columns_in_the_order_given_with_the_ratio_to_the_first(fixtures: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.json"
    shutil.copy(fixtures / "simd_tiny.json", second)
    answers = {str(fixtures / "simd_tiny.json"): [_finding("peak", 100e9, limit=200e9)],
               str(second): [_finding("peak", 150e9, limit=200e9)]}
    readings = SimpleNamespace(read_all=lambda result, options: answers[str(result.path)],
                               roofline=lambda result, found: ([], []))
    report = model.assemble([fixtures / "simd_tiny.json", second], readings=readings, with_figures=False)
    assert [column.label for column in report.columns] == ["simd_tiny", "second"]
    row = next(line for line in markdown.render(report).splitlines() if line.startswith("| peak |"))
    assert "| 100 Gflop/s | 150 Gflop/s (x1.50) |" in row and "| 50% / 75% |" in row
    assert "x1.50" in card.render(report)
    # the same machine: no warning about machines
    assert report.machines == [machine.identity(report.first.context)]
    assert "different machines" not in markdown.render(report)


def test_no_ratio_between_figures_read_at_other_working_sets_or_as_a_fallback(fixtures: Path, tmp_path: Path) -> None:
    # a quick run reads DRAM latency at 64 MiB, a full one at 1 GiB: 222 ns against 412 ns is the
    # working set, not the machine, and once showed as "x0.54"
    second = tmp_path / "second.json"
    shutil.copy(fixtures / "simd_tiny.json", second)

    def dram(size: str, value: float, fallback: bool = True) -> Finding:
        how = f"FALLBACK: normal_pages chase, {size}" if fallback else f"page_groups chase, {size}"
        return _finding("dram/latency", value, area="numa", unit="ns", label=f"DRAM latency ({how})")

    def level(span: str, value: float) -> Finding:
        return _finding("level/l1/latency", value, area="numa", unit="ns", label=f"L1 load latency (normal_pages chase, {span})")

    answers = {str(fixtures / "simd_tiny.json"): [dram("1 GiB", 412.0), level("4 KiB-32 KiB", 1.2),
                                                  _finding("peak", 100e9)],
               str(second): [dram("64 MiB", 222.0), level("4 KiB-64 KiB", 1.5), _finding("peak", 150e9)]}
    readings = SimpleNamespace(read_all=lambda result, options: answers[str(result.path)],
                               roofline=lambda result, found: ([], []))
    report = model.assemble([fixtures / "simd_tiny.json", second], readings=readings, with_figures=False)
    table = markdown.render(report)
    dram_row = next(line for line in table.splitlines() if line.startswith("| DRAM latency"))
    assert "x0.54" not in dram_row and "no ratio, read as: DRAM latency (FALLBACK: normal_pages chase, 64 MiB)" in dram_row
    # a level's span may differ between machines: each one's L1 plateau is still its L1
    assert "x1.25" in next(line for line in table.splitlines() if line.startswith("| L1 load latency"))
    shown = card.render(report)
    assert "x0.54" not in shown and "222 ns (≠)" in shown and text.NOT_COMPARABLE_LEGEND in shown
    assert "x1.50" in shown
    # a fallback against the real reading at the same size is no ratio either
    answers[str(second)] = [dram("1 GiB", 140.0, fallback=False)]
    report = model.assemble([fixtures / "simd_tiny.json", second], readings=readings, with_figures=False)
    assert report.rows("numa")[0].relative(1) is None


def test_results_of_two_machines_are_labelled_as_such(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "simd_tiny.json").read_text())
    document["context"]["host_name"] = "other-host"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document))
    report = _report([fixtures / "simd_tiny.json", other])
    assert len(report.machines) == 2
    shown = markdown.render(report)
    assert "**Different machines:**" in shown
    assert f"simd_tiny on {report.machines[0]}" in shown and f"other on {report.machines[1]}" in shown
    assert any("different machines" in line for line in report.warnings)
    assert "2 different machines" in card.render(report)
    from flynn.report import html

    page = html.render(report)
    assert "<strong>Different machines.</strong>" in page
    assert page.count(f"(machine {report.machines[1]})") == 1


def test_json_form_is_standard_json_with_every_field(fixtures: Path) -> None:
    findings = [*STAND_IN, _finding("nan", math.nan, limit=math.inf)]
    ceilings = [Ceiling("L1 read", "memory", 400e9, "simd/sum"), Ceiling("peak", "compute", math.nan, "x")]
    shown = json_form.render(_report([fixtures / "simd_tiny.json"], findings, ceilings=ceilings))

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON")

    document = json.loads(shown, parse_constant=refuse)
    [column] = document["results"]
    assert len(column["findings"]) == len(findings)
    fma = column["findings"][0]
    for key in ("area", "figure", "value", "unit", "limit", "limit_source", "ratio", "meaning", "trust"):
        assert key in fma
    assert fma["value"] == 53.7e9 and fma["ratio"] == pytest.approx(53.7 / 56)
    assert column["findings"][-1]["value"] is None and column["findings"][-1]["limit"] is None
    assert column["roofline"]["ceilings"][1]["value"] is None
    assert column["missing"]["mimd"].startswith("no mimd benchmarks: flynn_mimd is not among")


def test_text_formats() -> None:
    assert text.quantity(218.4e9, "flop/s") == "218 Gflop/s"
    assert text.quantity(25.31e9, "B/s") == "25.3 GB/s"
    assert text.quantity(48 * 1024, "B") == "48 KiB"
    assert text.quantity(8504.9, "ns") == "8,505 ns"
    assert text.quantity(40.0, "rows") == "40 rows"
    assert text.quantity(0.0421, "us") == "0.0421 us"
    assert text.quantity(None, "ns") == "-"
    assert text.percent(0.973) == "97%" and text.percent(0.011) == "1.1%" and text.percent(None) == "-"
    assert text.times(1.5) == "x1.50"


# Bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "says"), [
    ("not_benchmark.json", "not a Google Benchmark result: no 'benchmarks'"),
    ("malformed.json", "invalid JSON"),
    ("no_benchmarks.json", "holds no benchmarks at all"),
])
def test_a_file_that_is_no_result_gives_a_page_that_says_so(fixtures: Path, tmp_path: Path, capsys,
                                                             name: str, says: str) -> None:
    source = tmp_path / name
    shutil.copy(fixtures / name, source)
    assert main([str(source)]) == 2
    captured = capsys.readouterr()
    [error] = captured.err.splitlines()
    assert error.startswith("error: ") and says in error and str(tmp_path / "report.html") in error
    assert "Traceback" not in captured.err + captured.out
    page = (tmp_path / "report.html").read_text()
    assert "What could not be read" in page and says.replace("'", "&#39;") in page
    assert says in (tmp_path / "report.md").read_text()


def test_an_area_the_build_lacks_is_named_with_its_binary(fixtures: Path, tmp_path: Path, capsys) -> None:
    assert main([str(fixtures / "simd_real.json"), "--out", str(tmp_path)]) == 0
    shown = (tmp_path / "report.md").read_text()
    for area, binary in (("mimd", "flynn_mimd"), ("ctxsw", "flynn_ctxsw"), ("io", "flynn_sync")):
        assert f"no {area} benchmarks: {binary} is not among the binaries of this result (flynn_simd)" in shown
    # said once, not again as a table of empty findings
    mimd = shown[shown.index("(mimd)"):]
    mimd = mimd[: mimd.index("\n## ")]
    assert mimd.count("flynn_mimd") == 1 and "| figure |" not in mimd
    page = (tmp_path / "report.html").read_text()
    assert "flynn_mimd is not among the binaries" in page
    assert "missing: no ctxsw benchmarks: flynn_ctxsw" in capsys.readouterr().out


def test_an_area_filtered_out_of_a_run_is_told_apart_from_one_not_built(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "sync_real.json").read_text())
    document["benchmarks"] = [row for row in document["benchmarks"] if not row["name"].startswith("io/")]
    path = tmp_path / "no_io.json"
    path.write_text(json.dumps(document))
    report = _report([path])
    assert report.first.missing["io"] == "no io benchmarks, though flynn_sync ran: a --filter may have left them out"
    assert "sync" not in report.first.missing


def test_planted_markup_in_names_and_context_is_escaped(fixtures: Path, tmp_path: Path) -> None:
    document = json.loads((fixtures / "simd_tiny.json").read_text())
    document["context"]["host_name"] = PLANTED
    document["context"]["cpu_model"] = f"cpu {PLANTED}"
    document["benchmarks"][0]["name"] = f"simd/{PLANTED}"
    document["benchmarks"][0]["run_name"] = f"simd/{PLANTED}"
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(document))
    assert main([str(path), "--out", str(tmp_path)]) == 2  # the name breaks the grammar: bad input
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, machine line, the name's problem
    notes = (tmp_path / "report.md").read_text()
    assert "<script" not in notes.lower() and "&lt;script&gt;" in notes


def test_planted_markup_in_a_finding_is_escaped_everywhere(fixtures: Path, tmp_path: Path) -> None:
    planted = [_finding("x", 1.0, label=PLANTED, unit=f"u{PLANTED}", limit=2.0,
                        trust=Trust("skipped", note=f"[link](javascript:alert(1)) | {PLANTED}"))]
    report = _report([fixtures / "simd_tiny.json"], planted,
                     ceilings=[Ceiling(PLANTED, "memory", 1e9, PLANTED)], points=[RooflinePoint(PLANTED, "simd", 1, 1, PLANTED)])
    from flynn.report import html

    page = html.render(report)
    assert "<script" not in page.lower() and "&lt;script&gt;" in page
    notes = markdown.render(report)
    assert "<script" not in notes.lower() and not re.search(r"(?<!\\)\]\(", notes)
    assert "\\[link\\](javascript:alert(1)) \\| &lt;script&gt;" in notes


@pytest.mark.parametrize("argv", [
    [], ["--format", "pdf", "x.json"], ["--fma-pipes", "0", "x.json"], ["--fma-pipes", "two", "x.json"],
    ["--no-such-flag", "x.json"], ["does-not-exist.json"],
])
def test_bad_flags_exit_2_with_one_line(argv: list[str], capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("error: ") and captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_bad_input(fixtures: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main([str(fixtures / "simd_tiny.json"), "--out", str(target)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_files_are_replaced_whole(fixtures: Path, tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("old")
    assert main([str(fixtures / "simd_tiny.json"), "--out", str(tmp_path), "--format", "md"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.md"]
    assert (tmp_path / "report.md").read_text().startswith("# flynn report")
    assert (tmp_path / "report.md").stat().st_mode & 0o777 == 0o644


# Real results ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", REAL_FIXTURES)
def test_real_fixture_reports_without_a_broken_reading(fixtures: Path, tmp_path: Path, capsys, name: str) -> None:
    assert main([str(fixtures / f"{name}.json"), "--out", str(tmp_path), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) <= card.MAX_LINES
    document = json.loads((tmp_path / "report.json").read_text())
    [column] = document["results"]
    assert column["problems"] == []
    area = name.split("_")[0]
    assert any(finding["area"] == area and finding["value"] is not None for finding in column["findings"])
    assert area not in column["missing"]


def test_reference_result_card_and_tables(tmp_path: Path, capsys) -> None:
    assert main([str(REFERENCE), "--out", str(tmp_path)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert 10 <= len(shown) <= card.MAX_LINES
    assert "Oxide Virtual Turin-like Processor" in shown[0]
    assert shown[-1] == f"report: {tmp_path / 'report.html'}  {tmp_path / 'report.md'}"
    report = model.assemble([REFERENCE], with_figures=False, with_history=False)
    headline = [row.first for row in report.headline_rows()]
    assert headline, "the reference result has headline findings"
    page, notes = (tmp_path / "report.html").read_text(), (tmp_path / "report.md").read_text()
    for finding in headline:
        value = text.quantity(finding.value, finding.unit)
        assert value in notes
        if any(finding.label[:30] in line for line in shown):
            assert any(value in line for line in shown)
    assert page.count('<img src="data:image/png;base64,') >= 6
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_history_of_the_machine_gives_the_latest_verdict(fixtures: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    document = json.loads((fixtures / "ctxsw_small.json").read_text())
    for day in (1, 2, 3):
        document["context"]["date"] = f"2024-11-0{day}T10:00:00+00:00"
        (runs / f"run{day}.json").write_text(json.dumps(document))
    newest = runs / "run3.json"
    slower = json.loads(newest.read_text())
    for row in slower["benchmarks"]:
        for key in list(row):
            if key.startswith("ns_per_") or key in ("real_time", "cpu_time"):
                row[key] = row[key] * 2
    slower["context"]["date"] = "2024-11-04T10:00:00+00:00"
    latest = runs / "run4.json"
    latest.write_text(json.dumps(slower))
    machine.RUNS_DIR = runs  # the autouse fixture restores it
    report = model.assemble([latest], readings=stand_in(STAND_IN), with_figures=False)
    history = report.history
    assert history is not None and len(history.runs) == 4 and history.this_run == 3
    assert history.counts.get("slower", 0) > 0 and history.slower
    assert history.figures and history.figures[0].png.startswith(b"\x89PNG")
    shown = markdown.render(report)
    assert "## Regression history" in shown and f"- slower: {history.slower[0]}" in shown
    assert "history: latest of 4 runs" in card.render(report)


def test_readings_that_break_on_a_file_give_a_page_and_exit_2(fixtures: Path, tmp_path: Path, capsys,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(result, options):
        raise KeyError("flops_per_second")

    monkeypatch.setattr(model, "_readings", lambda: SimpleNamespace(read_all=broken, roofline=None))
    assert main([str(fixtures / "simd_tiny.json"), "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    [error] = captured.err.splitlines()
    assert error.startswith(f"error: reading {fixtures / 'simd_tiny.json'} failed: KeyError: 'flops_per_second'")
    assert "Traceback" not in captured.err
    assert "KeyError: &#39;flops_per_second&#39;" in (tmp_path / "report.html").read_text()


def test_no_history_without_stored_runs(fixtures: Path) -> None:
    assert _report([fixtures / "simd_tiny.json"]).history is None


def test_fma_pipes_reaches_the_readings(fixtures: Path, tmp_path: Path) -> None:
    limits = {}
    for pipes in ("1", "4"):
        out = tmp_path / pipes
        assert main([str(fixtures / "simd_real.json"), "--out", str(out), "--format", "json", "--fma-pipes", pipes]) == 0
        [column] = json.loads((out / "report.json").read_text())["results"]
        limits[pipes] = {f["figure"]: f["limit"] for f in column["findings"]
                         if f["figure"].startswith("fma_peak/") and f["limit"] is not None}
    assert limits["1"] and limits["1"].keys() == limits["4"].keys()
    for figure, limit in limits["1"].items():
        assert limits["4"][figure] == pytest.approx(4 * limit)
