from pathlib import Path

import pytest

from flynn import plot, results
from flynn.areas import numa, read_all
from synthetic_readings import GiB, KiB, MiB, chase, latency, rows, skipped, write

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def by_figure(found):
    return {f.figure: f for f in found}


def test_levels_are_found_on_the_curve_within_a_factor_two_of_the_planted_sizes(tmp_path: Path) -> None:
    planted = [(32 * KiB, 1.2), (1 * MiB, 4.0), (16 * MiB, 15.0)]
    result = write(tmp_path, "planted.json", chase("normal_pages", latency(planted, 120.0)))
    found = by_figure(read_all(result))
    for name, (size, ns) in zip(("l1", "l2", "l3"), planted):
        assert found[f"level/{name}/latency"].value == pytest.approx(ns)
        assert size / 2 <= found[f"level/{name}/size"].value <= size * 2
        assert found[f"level/{name}/cycles"].value == pytest.approx(ns * 3)
    # hwloc's sizes (32 KiB, 1 MiB, 32 MiB) are within 2x of the steps: no disagreement flagged
    assert not any("disagrees" in (f.trust.note or "") for f in found.values())


def test_hwloc_508_mib_l3_against_a_step_at_4_to_8_mib(tmp_path: Path) -> None:
    """The reference VM: hwloc says 508 MiB L3, the curve jumps from 17 to 130 ns at 4-8 MiB."""
    curve = latency([(32 * KiB, 1.2), (512 * KiB, 4.1), (4 * MiB, 17.0)], 130.0)
    result = write(tmp_path, "vm.json", chase("normal_pages", curve), {"cache_l3_bytes": str(508 * MiB)})
    reading = numa.read_levels(result, numa.points(results.runs(result)))
    assert [level.name for level in reading.levels] == ["L1", "L2", "L3", "DRAM"]
    l3 = reading.levels[2]
    assert l3.ns == pytest.approx(17.0) and l3.step == (4 * MiB, 8 * MiB)
    dram = reading.levels[3]
    assert dram.first == 8 * MiB and dram.ns == pytest.approx(130.0)
    found = by_figure(read_all(result))
    size = found["level/l3/size"]
    assert 4 * MiB <= size.value <= 8 * MiB
    assert size.limit == 508 * MiB
    assert "disagrees with hwloc" in size.trust.note and "508 MiB" in size.trust.note
    assert size.headline
    # page_groups absent: DRAM falls back on normal_pages, labelled, said in the trust note
    dram_finding = found["dram/latency"]
    assert dram_finding.value == pytest.approx(130.0)
    assert "FALLBACK" in dram_finding.label and "page_groups" in dram_finding.trust.note
    # an upper bound with page walks in it is not DRAM latency: the card, which shows only the
    # status, must not say "ok"
    assert dram_finding.trust.status == "unproven"


def test_dram_latency_is_read_from_page_groups_when_present(tmp_path: Path) -> None:
    planted = [(32 * KiB, 1.2), (1 * MiB, 4.0), (16 * MiB, 15.0)]
    benchmarks = (chase("normal_pages", latency(planted, 400.0)) + chase("within_pages", latency(planted, 90.0))
                  + chase("page_groups", latency(planted, 140.0)))
    found = by_figure(read_all(write(tmp_path, "groups.json", benchmarks)))
    assert found["dram/latency"].value == pytest.approx(140.0)
    assert "FALLBACK" not in found["dram/latency"].label
    assert found["dram/normal_pages"].ratio == pytest.approx(400 / 140)
    assert found["dram/tlb_cost"].value == pytest.approx(310.0)


def test_one_node_has_no_remote_ratio_and_no_phantom_node(fixtures: Path) -> None:
    result = results.load(fixtures / "numa_real.json")
    found = read_all(result)
    assert not any(f.figure.startswith("remote/") for f in found)
    assert by_figure(found)["remote"].trust.status == "skipped"
    # the skipped remote pairs name a node 1 that does not exist: the heat maps must not draw it
    assert numa.measured_nodes(numa.points(results.runs_by_area(result)["numa"])) == [0]


def test_two_nodes_give_remote_ratios(fixtures: Path) -> None:
    found = by_figure(read_all(results.load(fixtures / "numa_2node_emulated.json")))
    latency_ratio = found["remote/chase"]
    assert latency_ratio.value is not None and latency_ratio.ratio == pytest.approx(latency_ratio.value / latency_ratio.limit)
    assert found["remote/read"].ratio is not None


def test_reference_vm_levels_and_disagreement() -> None:
    result = results.load(Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json")
    found = by_figure(read_all(result))
    assert found["level/l1/latency"].value == pytest.approx(1.19, rel=0.05)
    assert found["level/l2/latency"].value == pytest.approx(4.14, rel=0.05)
    assert 4 * MiB <= found["level/l3/size"].value <= 8 * MiB
    assert "disagrees with hwloc" in found["level/l3/size"].trust.note
    # the card shows only label, value, share and status: the step's bracket (5.66 MiB is only its
    # middle) and the disagreement must show there too, within the card's 46 characters
    assert found["level/l3/size"].label == "L3 size: steps at 4 MiB-8 MiB, hwloc 508 MiB"
    assert found["level/l1/size"].label == "L1 size: the latency steps at 32 KiB-64 KiB"
    assert all(len(found[f"level/{name}/size"].label) <= 46 for name in ("l1", "l2", "l3"))
    assert found["huge_pages/hugetlb"].trust.status == "skipped"
    assert found["loaded/streams:1"].ratio == pytest.approx(449.5 / 412.2, rel=0.01)
    # THP at 1 GiB is slower than 4 KiB pages here (423 ns vs 412 ns): no "0.97x as fast"
    thp = found["huge_pages/thp"]
    assert thp.ratio > 1 and "as fast" not in thp.meaning and "gain nothing" in thp.meaning
    assert "1.03x the time" in thp.meaning


def test_a_curve_that_never_reaches_dram_says_so(tmp_path: Path) -> None:
    curve = latency([(32 * KiB, 1.2), (1 * MiB, 4.0)], 15.0, top=8 * MiB)
    found = by_figure(read_all(write(tmp_path, "short.json", chase("normal_pages", curve),
                                     {"cache_l3_bytes": "0"})))
    assert found["level/l3/latency"].value == pytest.approx(15.0)
    assert found["level/dram/latency"].trust.status == "unknown"


def test_huge_pages_skipped_with_the_reason(tmp_path: Path) -> None:
    curve = latency([(32 * KiB, 1.2), (1 * MiB, 4.0), (16 * MiB, 15.0)], 120.0)
    benchmarks = chase("normal_pages", curve) + [skipped(f"numa/chase/hugetlb/bytes:{GiB}", "vm.nr_hugepages=0")]
    benchmarks += rows(f"numa/chase/thp/bytes:{GiB}", {"ns_per_load": 60.0, "thp_pct": 100.0})
    found = by_figure(read_all(write(tmp_path, "huge.json", benchmarks)))
    assert found["huge_pages/hugetlb"].trust.status == "skipped"
    assert "nr_hugepages" in found["huge_pages/hugetlb"].trust.note
    assert found["huge_pages/thp"].ratio == pytest.approx(0.5)
    assert "2.00x as fast as 4 KiB pages" in found["huge_pages/thp"].meaning


@pytest.mark.parametrize("fixture", ["numa_real.json", "numa_2node_emulated.json"])
def test_numa_fixtures_from_real_binaries_plot(fixtures: Path, tmp_path: Path, fixture: str) -> None:
    """numa_real.json: this 1-node VM (remote pairs skipped); numa_2node_emulated.json: flynn_numa
    inside a 2-node QEMU guest, the full matrix."""
    assert plot.main([str(fixtures / fixture), "--out", str(tmp_path)]) == 0
    data = (tmp_path / fixture.replace(".json", "-numa.png")).read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000


def test_one_node_heat_maps_are_one_by_one(fixtures: Path) -> None:
    result = results.load(fixtures / "numa_real.json")
    fig = numa.figure(result, results.runs_by_area(result)["numa"])
    heat_maps = [ax for ax in fig.get_axes() if ax.images]
    assert heat_maps and all(ax.images[0].get_array().shape == (1, 1) for ax in heat_maps)
