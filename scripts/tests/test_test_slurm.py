"""scripts/lib/test-slurm: a test cluster whose maker died without `down` (a test killed at its
time-out) is stopped by the next `up`; one whose maker still runs is refused, not touched."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flynn import locks

TEST_SLURM = Path(__file__).resolve().parents[1] / "lib" / "test-slurm"
# The lock tests/cluster/check_fleet.py holds: one test cluster on the machine at a time.
LOCK = Path("/tmp/flynn-test-slurm.lock")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="slurmd runs jobs as their user and needs root"),
    pytest.mark.skipif(any(shutil.which(tool) is None for tool in ("slurmctld", "slurmd", "munged")),
                       reason="slurm-wlm and munge are not installed"),
]


def _pids(directory: str) -> list[int]:
    return [int(line.split()[0]) for line in Path(directory, "pids").read_text().splitlines()]


def _running(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()
            and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]


def _up(state: Path, maker: list[str]) -> subprocess.CompletedProcess:
    """`test-slurm up 1` started by `maker` (a process that may outlive it or not)."""
    return subprocess.run([*maker, str(TEST_SLURM), "up", "1"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FLYNN_TEST_SLURM_STATE": str(state)})


def test_a_cluster_whose_maker_is_gone_is_stopped_by_the_next_up(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "FLYNN_TEST_SLURM_STATE": str(state)}
    with locks.held(LOCK, 200, "the test Slurm is"):
        try:
            # Made by a shell that exits at once, as a test SIGKILLed before its `down`.
            first = _up(state, ["sh", "-c", '"$@"', "sh"])
            if first.returncode == 77:
                pytest.skip(first.stderr.strip())
            assert first.returncode == 0, first.stderr
            old = state.read_text().strip()
            old_daemons = _pids(old)
            assert _running(old_daemons) == old_daemons
            second = _up(state, ["sh", "-c", '"$@"', "sh"])
            assert second.returncode == 0, second.stderr
            assert "outlived the process that made it; stopping it" in second.stderr
            assert not _running(old_daemons) and not Path(old).exists()
            # One whose maker still runs (this test, written in as its owner) is refused, not touched.
            current = state.read_text().strip()
            started = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19]
            Path(current, "owner").write_text(f"{os.getpid()} {started}\n")
            refused = _up(state, [])
            assert refused.returncode == 2 and "already up" in refused.stderr, refused.stderr
            assert _running(_pids(current)) == _pids(current)
        finally:
            subprocess.run([str(TEST_SLURM), "down"], capture_output=True, timeout=120, env=env)
