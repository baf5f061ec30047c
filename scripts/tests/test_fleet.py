"""scripts/fleet on synthetic fleets: real results (ctxsw and simd fixtures) copied per node, with
the ctxsw times scaled to make a node slow, noisy, or uniform with its peers."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flynn import fleet

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCRIPTS = Path(__file__).resolve().parents[1]
FUTEX = "ctxsw/futex/threads/placement:same_cpu/bytes:0/real_time"
# How far each node of a uniform fleet is off: within 1%, as nodes of one model are.
JITTER = (1.0, 1.004, 0.996, 1.008, 0.993)


# The tests that read the page itself draw its figures; the verdicts' tests do not need them, and
# drawing a roofline per node took 5-9 s a test.
DRAWN = {"test_uniform_fleet_exits_0_and_writes_one_column_per_node", "test_the_command_runs"}


@pytest.fixture(autouse=True)
def figures_left_undrawn(request, monkeypatch):
    if request.node.name not in DRAWN:
        from flynn.report import model

        monkeypatch.setattr(model, "draw_all", lambda jobs: [(None, "not drawn in this test")] * len(jobs))


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}_real.json").read_text())


def _scale_row(row: dict, factor: float) -> None:
    for key in list(row):
        if key in ("real_time", "cpu_time") or key.startswith("ns_"):
            if isinstance(row[key], (int, float)) and not isinstance(row[key], bool):
                row[key] = row[key] * factor


def node_document(node: str, factor: float = 1.0, *, simd: bool = True, min_time: str = "0.01",
                  futex_repetitions: tuple[float, ...] | None = None) -> dict:
    """One node's result: the ctxsw rows with every time scaled by `factor` (and, with
    `futex_repetitions`, the futex row's repetitions each scaled further), plus the simd rows."""
    ctxsw = _fixture("ctxsw")
    document = {"context": dict(ctxsw["context"]), "benchmarks": []}
    document["context"].update(host_name=node, slurm_node=node, flynn_min_time=min_time, flynn_sweeps="quick")
    for row in ctxsw["benchmarks"]:
        row = copy.deepcopy(row)
        _scale_row(row, factor)
        if futex_repetitions and row.get("run_name") == FUTEX and row.get("run_type") == "iteration":
            _scale_row(row, futex_repetitions[row["repetition_index"] % len(futex_repetitions)])
        document["benchmarks"].append(row)
    if simd:
        document["benchmarks"] += copy.deepcopy(_fixture("simd")["benchmarks"])
    return document


def write_fleet(directory: Path, documents: dict[str, dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (directory / f"{name}.json").write_text(json.dumps(document))
    return directory


def uniform(count: int = 5) -> dict[str, dict]:
    return {f"n{index + 1}-7": node_document(f"n{index + 1}", JITTER[index]) for index in range(count)}


def run(directory: Path, *flags: str, capsys) -> tuple[int, str, str]:
    status = fleet.main([str(directory), "--out", str(directory / "out"), *flags])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def outlier_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("OUTLIER ")]


def test_uniform_fleet_exits_0_and_writes_one_column_per_node(tmp_path, capsys):
    directory = write_fleet(tmp_path / "fleet", uniform())
    status, out, err = run(directory, capsys=capsys)
    assert status == 0, out + err
    assert "the fleet is uniform" in out
    assert outlier_lines(out) == []
    page = (directory / "out" / "fleet.html").read_text()
    markdown = (directory / "out" / "fleet.md").read_text()
    assert "Fleet verdict" in page and "Fleet verdict" in markdown
    for node in ("n1", "n2", "n3", "n4", "n5"):
        assert f"{node}.json" in markdown  # one column per node, named by the node
    # The verdict comes before the report's own sections.
    assert markdown.index("## Fleet verdict") < markdown.index("## ", markdown.index("## Fleet verdict") + 3)


def test_one_slow_node_exits_1_naming_it_and_the_figure(tmp_path, capsys):
    documents = uniform()
    documents["n3-7"] = node_document("n3", 1.5)
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, err = run(directory, capsys=capsys)
    assert status == 1, out + err
    flagged = outlier_lines(out)
    assert flagged, out
    assert all(line.startswith("OUTLIER n3:") for line in flagged), out
    assert any("ctxsw/futex/threads/same_cpu" in line for line in flagged), out
    # Worst first: the deviations shown fall along the list.
    deviations = [abs(float(line.split("deviation ")[1].split()[0])) for line in flagged]
    assert deviations == sorted(deviations, reverse=True)
    assert "n3" in (directory / "out" / "fleet.md").read_text().split("## Fleet verdict")[1].split("\n## ")[0]


def test_a_node_that_is_merely_noisy_is_not_an_outlier(tmp_path, capsys):
    documents = uniform()
    # Its futex repetitions spread 0.8x to 1.5x: the median is 15% off, within its own noise.
    documents["n2-7"] = node_document("n2", 1.0, futex_repetitions=(0.8, 1.5))
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, err = run(directory, capsys=capsys)
    assert status == 0, out + err
    assert not any("futex/threads/same_cpu" in line for line in outlier_lines(out)), out
    assert any(line.startswith("noisy n2: ctxsw/futex/threads/same_cpu") for line in out.splitlines()), out


def test_the_same_spread_without_the_noise_is_flagged(tmp_path, capsys):
    """The control of the test above: 15% off with quiet repetitions is an outlier."""
    documents = uniform()
    documents["n2-7"] = node_document("n2", 1.15)
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, _ = run(directory, capsys=capsys)
    assert status == 1
    assert any(line.startswith("OUTLIER n2: ctxsw/futex/threads/same_cpu") for line in outlier_lines(out)), out


def test_a_node_missing_an_area_is_said_and_the_rest_judged(tmp_path, capsys):
    documents = uniform()
    documents["n4-7"] = node_document("n4", JITTER[3], simd=False)
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, err = run(directory, capsys=capsys)
    assert status == 1, out + err
    missing = [line for line in out.splitlines() if line.startswith("missing ")]
    assert missing and missing[0].startswith("missing n4:") and "simd/fma_peak" in missing[0], out
    assert not outlier_lines(out) and "not uniform: 0 node(s) failed, 1 lack readings" in out, out


def test_a_failed_node_alone_is_a_finding(tmp_path, capsys):
    documents = uniform(3)
    directory = write_fleet(tmp_path / "fleet", documents)
    (directory / "n4-7.failed").write_text("scripts/run exited 1")
    status, out, err = run(directory, capsys=capsys)
    assert status == 1, out + err
    assert not outlier_lines(out) and any(line.startswith("FAILED n4:") for line in out.splitlines()), out
    assert "not uniform: 1 node(s) failed" in out, out


def test_mixed_min_times_are_refused_with_what_differs(tmp_path, capsys):
    documents = uniform(3)
    documents["n3-7"] = node_document("n3", 1.0, min_time="0.5")
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, err = run(directory, capsys=capsys)
    assert status == 2
    assert err.startswith("error:") and "flynn_min_time" in err and "'0.5'" in err and "'0.01'" in err
    assert "n3" in err
    assert not (directory / "out").exists()


def test_mixed_binary_flags_are_refused_with_what_differs(tmp_path, capsys):
    documents = uniform(3)
    documents["n3-7"]["context"]["flynn_flags"] = "--flynn_max_bytes=1G"
    directory = write_fleet(tmp_path / "fleet", documents)
    status, _, err = run(directory, capsys=capsys)
    assert status == 2 and "flynn_flags" in err and "'--flynn_max_bytes=1G' in n3" in err, err


def test_two_files_of_one_node_are_folded_into_one_column(tmp_path, capsys):
    documents = uniform(3)
    documents["n2-8"] = node_document("n2", JITTER[1])
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, err = run(directory, capsys=capsys)
    assert status == 0, out + err
    assert "3 node(s) judged (n1, n2, n3)" in out
    markdown = (directory / "out" / "fleet.md").read_text()
    assert markdown.count("n2.json") == 1
    # The folded column pools both files' repetitions: 2 + 2 of the futex row.
    folded = fleet.Node("n2")
    for name in ("n2-7", "n2-8"):
        from flynn import results
        folded.results.append(results.load(directory / f"{name}.json"))
        folded.paths.append(directory / f"{name}.json")
    merged = fleet.fold(folded, tmp_path)
    from flynn import areas, results
    found = {f.figure: f for f in areas.read_all(results.load(merged))}
    assert found["futex/threads/same_cpu"].trust.repetitions == 4


def test_a_failed_node_is_reported_and_the_rest_still_judged(tmp_path, capsys):
    documents = uniform(4)
    documents["n2-7"] = node_document("n2", 1.6)
    directory = write_fleet(tmp_path / "fleet", documents)
    (directory / "n5-7.json").write_text('{"context": {}, "benchmarks": [')
    (directory / "n6-7.failed").write_text("scripts/run exited 2")
    (directory / "7.nodes").write_text("n1\nn2\nn3\nn4\nn5\nn6\nn7\n")
    status, out, err = run(directory, capsys=capsys)
    assert status == 1, out + err
    for node, said in (("n5", "unreadable"), ("n6", "exited 2"), ("n7", "left no result")):
        line = next(line for line in out.splitlines() if line.startswith(f"FAILED {node}:"))
        assert said in line
    assert outlier_lines(out) and all(line.startswith("OUTLIER n2:") for line in outlier_lines(out))


def test_two_nodes_a_slow_one_is_flagged_against_its_peer(tmp_path, capsys):
    """With two nodes the median sits midway: each is judged against the other and the noise."""
    directory = write_fleet(tmp_path / "fleet", {"n1-7": node_document("n1"), "n2-7": node_document("n2", 2.0)})
    status, out, _ = run(directory, capsys=capsys)
    assert status == 1
    assert any(line.startswith("OUTLIER n2: ctxsw/futex/threads/same_cpu") for line in outlier_lines(out)), out
    directory = write_fleet(tmp_path / "even", {"n1-7": node_document("n1"), "n2-7": node_document("n2", 1.004)})
    assert run(directory, capsys=capsys)[0] == 0


def test_baseline_node_is_the_reference(tmp_path, capsys):
    documents = uniform(3)
    documents["n3-7"] = node_document("n3", 1.5)
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, _ = run(directory, "--baseline", "n3", capsys=capsys)
    assert status == 1
    # Against the slow node, both others are off; the baseline itself is not judged.
    assert {line.split(":")[0] for line in outlier_lines(out)} == {"OUTLIER n1", "OUTLIER n2"}
    status, _, err = run(directory, "--baseline", "n9", capsys=capsys)
    assert status == 2 and "n9" in err


@pytest.mark.parametrize("setup", ["missing", "empty", "one"])
def test_bad_input_exits_2(tmp_path, capsys, setup):
    directory = tmp_path / "fleet"
    if setup != "missing":
        directory.mkdir()
    if setup == "one":
        write_fleet(directory, {"n1-7": node_document("n1")})
    status, _, err = run(directory, capsys=capsys)
    assert status == 2 and err.startswith("error:")
    assert "Traceback" not in err


def test_the_command_runs(tmp_path):
    directory = write_fleet(tmp_path / "fleet", uniform(3))
    done = subprocess.run([sys.executable, str(SCRIPTS / "fleet"), str(directory)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (directory / "fleet.html").exists() and (directory / "fleet.md").exists()


def test_a_node_whose_cpu_is_shared_is_flagged_by_the_cpu_it_held(tmp_path, capsys):
    """A CPU hog on one node's CPU leaves every CPU-time figure as it was and doubles the real time
    of the rows that run alone on it: the CPU share names the node."""
    documents = uniform(3)
    for row in documents["n3-7"]["benchmarks"]:
        if row.get("name", "").startswith("simd/") and isinstance(row.get("cpu_time"), (int, float)):
            row["real_time"] = 2 * row["cpu_time"]
    directory = write_fleet(tmp_path / "fleet", documents)
    status, out, _ = run(directory, capsys=capsys)
    assert status == 1
    flagged = outlier_lines(out)
    assert flagged and all(line.startswith("OUTLIER n3: trust/cpu_share") for line in flagged), out
    assert "[noisy]" not in flagged[0]
    # Against a healthy baseline, with two nodes, only the other one can be and is flagged.
    pair = {"n1-7": node_document("n1"), "n3-7": documents["n3-7"]}
    status, out, _ = run(write_fleet(tmp_path / "pair", pair), "--baseline", "n1", capsys=capsys)
    assert status == 1 and outlier_lines(out)[0].startswith("OUTLIER n3: trust/cpu_share"), out
