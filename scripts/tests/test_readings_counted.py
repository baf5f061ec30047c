"""The CPU's counters in the readings, where a PMU counted them (none does on the VMs flynn is
developed on, so real results are given the counters a PMU would add): the proof a DRAM chase went
to DRAM and an L1 chase stayed in L1, the vector ISA confirmed by instruction counts, a team's IPC,
and the card's line that shows them. Without the counters nothing is claimed."""

import copy
import json
import re
from pathlib import Path

import pytest

from flynn import results
from flynn.areas import counted, read_all
from flynn.report import card, model

REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"
BYTES = re.compile(r"bytes:(\d+)")


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def _with(document: dict, tmp_path: Path, name: str, add) -> results.Result:
    document = copy.deepcopy(document)
    for row in document["benchmarks"]:
        add(row)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    return results.load(path)


def _chase_counts(dram_misses: float):
    def add(row: dict) -> None:
        found = BYTES.search(row["name"])
        if row["name"].startswith("numa/chase/") and found:
            size = int(found.group(1))
            row["llc_misses_per_load"] = dram_misses if size >= 256 << 20 else 0.0
            row["l1d_read_misses_per_load"] = 0.0 if size <= 16 << 10 else 1.0
    return add


def by_figure(result: results.Result, area: str) -> dict:
    return {f.figure: f for f in read_all(result) if f.area == area}


def test_without_counters_nothing_is_claimed(reference, tmp_path):
    numa = by_figure(_with(reference, tmp_path, "plain", lambda row: None), "numa")
    assert counted.said(numa["dram/latency"].trust.proof) is None
    assert "LLC" not in numa["dram/latency"].meaning


def test_a_dram_chase_that_misses_the_llc_is_proven(reference, tmp_path):
    result = _with(reference, tmp_path, "pmu", _chase_counts(1.02))
    numa = by_figure(result, "numa")
    dram = numa["dram/latency"]
    # The reference predates page_groups: its DRAM figure is the normal_pages fallback (unproven
    # as DRAM latency for that reason alone), which the counts still prove went to DRAM.
    assert "1.02 LLC misses per load: every load went to DRAM" in dram.trust.proof
    assert "LLC" not in (dram.trust.note or "")
    l1 = numa["level/l1/latency"]
    assert "0.00 L1D misses per load: served by L1" in l1.trust.proof
    shown = card.render(model.assemble([result.path], with_figures=False))
    assert "counted: " in shown and "every load went to DRAM" in shown


def test_a_dram_chase_served_by_a_cache_is_unproven(reference, tmp_path):
    dram = by_figure(_with(reference, tmp_path, "cached", _chase_counts(0.4)), "numa")["dram/latency"]
    assert dram.trust.status == "unproven"
    assert dram.trust.note.startswith("only 0.40 LLC misses per load (< 0.9): some loads were served by a cache")


def _instructions(vectorised: bool):
    """4 instructions per element for scalar; a vector column runs 4 per vector of `lanes`
    elements where `vectorised`, else as many as scalar."""
    def add(row: dict) -> None:
        name = row["name"]
        if name.startswith("simd/triad/"):
            lanes = row.get("lanes", 1) if vectorised else 1
            row["instructions_per_element"] = 4.0 if "/scalar/" in name else 4.0 / lanes
    return add


def _wide(simd: dict) -> list:
    return [f for k, f in simd.items() if k.startswith("speedup/triad/") and k.split("/")[2] != "auto"]


def test_vector_instructions_confirm_the_isa(reference, tmp_path):
    wide = _wide(by_figure(_with(reference, tmp_path, "vector", _instructions(True)), "simd"))
    assert wide
    for figure in wide:
        assert "instructions per element: scalar 4" in figure.trust.proof and figure.trust.status != "unproven"


def test_a_vector_column_that_ran_scalar_code_is_unproven(reference, tmp_path):
    wide = _wide(by_figure(_with(reference, tmp_path, "scalar", _instructions(False)), "simd"))
    assert wide
    for figure in wide:
        assert figure.trust.status == "unproven" and "did not run as built" in figure.trust.note


def test_a_teams_ipc_is_named_per_thread_count(reference, tmp_path):
    def add(row: dict) -> None:
        if row["name"].startswith("mimd/compute/strong/"):
            row["ipc"] = 2.5
    mimd = by_figure(_with(reference, tmp_path, "ipc", add), "mimd")
    assert "IPC 2.50 at 1 thread, 2.50 at 2 threads" in mimd["compute/strong/speedup"].trust.proof


def test_the_latency_figure_draws_the_llc_misses_where_counted(reference, tmp_path):
    from flynn.areas import numa
    result = _with(reference, tmp_path, "drawn", _chase_counts(1.0))
    figure = numa.figure(result, results.runs(result))
    labels = [ax.get_ylabel() for ax in figure.axes]
    assert "LLC misses per load (counted by the CPU)" in labels
    plain = _with(reference, tmp_path, "undrawn", lambda row: None)
    assert "LLC misses per load (counted by the CPU)" not in [ax.get_ylabel() for ax in numa.figure(plain, results.runs(plain)).axes]
