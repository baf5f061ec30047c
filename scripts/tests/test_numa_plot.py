from pathlib import Path

import pytest

from flynn import numa_plot, plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plateaus_are_read_inside_each_level_and_past_the_last() -> None:
    levels = [("L1d", 32 << 10), ("L2", 1 << 20), ("L3", 32 << 20)]
    curve = [(4 << 10, 1.0), (16 << 10, 1.2), (64 << 10, 4.0), (256 << 10, 4.4), (2 << 20, 9.0),
             (8 << 20, 11.0), (64 << 20, 50.0), (128 << 20, 90.0), (256 << 20, 100.0)]
    found = numa_plot.plateaus(curve, levels)
    assert found["L1d"] == pytest.approx(1.1)  # 4 and 16 KiB: within half of L1d
    assert found["L2"] == pytest.approx(4.2)  # 64 and 256 KiB: past L1d, within half of L2
    assert found["L3"] == pytest.approx(10.0)  # 2 and 8 MiB
    assert found["DRAM"] == pytest.approx(95.0)  # at least 4x L3: 128 and 256 MiB
    assert "DRAM" not in numa_plot.plateaus(curve[:6], levels)


def test_cache_levels_come_from_the_context() -> None:
    context = {"cache_l1d_bytes": "49152", "cache_l2_bytes": "1048576", "cache_l3_bytes": "0"}
    assert numa_plot.cache_levels(context) == [("L1d", 49152), ("L2", 1048576)]


@pytest.mark.parametrize("fixture", ["numa_real.json", "numa_2node_emulated.json"])
def test_numa_fixtures_from_real_binaries_plot(fixtures: Path, tmp_path: Path, fixture: str) -> None:
    """numa_real.json: this 1-node VM (remote pairs skipped); numa_2node_emulated.json: flynn_numa
    inside a 2-node QEMU guest, the full matrix."""
    assert plot.main([str(fixtures / fixture), "--out", str(tmp_path)]) == 0
    data = (tmp_path / fixture.replace(".json", "-numa.png")).read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000
