#!/usr/bin/python3
"""ctest -L cluster: a 2-node test Slurm (scripts/lib/test-slurm) runs scripts/slurm/flynn.sbatch
with --quick --filter on a small set, and scripts/fleet judges the two results: once as they are
(two results naming distinct nodes and one job; a verdict, and a page with both columns).

Exit 0 passed, 1 failed, 77 skipped (the reason printed) where Slurm cannot start here.
Usage: check_fleet.py [REPO [BUILD_DIR]]  (default: the checkout this file is in). scripts/run
builds and runs REPO/build, so a BUILD_DIR (ctest's) other than that is skipped: the test would
build a directory that is not the one being tested."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from flynn import locks  # noqa: E402
from flynn.errors import FlynnError  # noqa: E402

REPO = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
TEST_SLURM = REPO / "scripts" / "lib" / "test-slurm"
SBATCH = REPO / "scripts" / "slurm" / "flynn.sbatch"
FLEET = REPO / "scripts" / "fleet"
SKIP = 77
# The chase at 64 MiB (DRAM on this VM, timed in real time) and the futex switch would both be
# judged by scripts/fleet; the switch differed 1.6x between two idle nodes, so only the chase.
FILTER = "^numa/chase/normal_pages/bytes:67108864$"
RUN_FLAGS = ["--quick", "--repetitions", "3", "--filter", FILTER]
# Two vCPUs of a VM differ, and a DRAM chase drifts 15% between processes here: a floor of 15% of
# the pair's mean.
FLEET_FLAGS = ["--threshold", "3", "--min-spread-pct", "15"]
SBATCH_TIMEOUT_S = 120


def fail(message: str) -> int:
    print(f"FAILED: {message}", file=sys.stderr)
    return 1


def sbatch(directory: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    environment = dict(environment, FLYNN_FLEET_DIR=str(directory), FLYNN_REPO=str(REPO))
    return subprocess.run(
        ["sbatch", "--wait", "--nodes=2", "--time=5", f"--output={directory}/slurm-%j.out", "--export=ALL",
         str(SBATCH), *RUN_FLAGS],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=SBATCH_TIMEOUT_S, check=False)


def fleet(directory: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(["/usr/bin/python3", str(FLEET), str(directory), *FLEET_FLAGS],
                          capture_output=True, text=True, timeout=120, check=False)
    print(f"$ scripts/fleet {directory.name} {' '.join(FLEET_FLAGS)}  -> exit {done.returncode}")
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    return done


def one_run(directory: Path, environment: dict[str, str]) -> str | None:
    """Runs the batch job; None when it left two results of distinct nodes, else what went wrong."""
    directory.mkdir()
    try:
        done = sbatch(directory, environment)
    except subprocess.TimeoutExpired:
        logs = "".join(path.read_text(errors="replace")[-2000:] for path in directory.glob("slurm-*.out"))
        return f"the batch job did not end within {SBATCH_TIMEOUT_S} s: {logs}"
    if done.returncode != 0:
        logs = "".join(path.read_text(errors="replace")[-2000:] for path in directory.glob("slurm-*.out"))
        return f"sbatch exited {done.returncode}: {done.stderr.strip()} {logs}" + "".join(
            f" [{path.name}: {path.read_text(errors='replace').strip()}]" for path in directory.glob("*.failed"))
    found = sorted(directory.glob("*.json"))
    if len(found) != 2:
        return f"expected 2 results, found {[path.name for path in found]}"
    contexts = [json.loads(path.read_text())["context"] for path in found]
    nodes = {context.get("slurm_node") for context in contexts}
    jobs = {context.get("slurm_job_id") for context in contexts}
    if nodes != {"n1", "n2"}:
        return f"the results name nodes {nodes}, not n1 and n2"
    if len(jobs) != 1 or None in jobs:
        return f"the results name jobs {jobs}, not one job id"
    return None


LOCK = Path("/tmp/flynn-test-slurm.lock")
LOCK_WAIT_S = 200


def main() -> int:
    # The test cluster's ports are fixed: one run of this test at a time on the machine, across
    # ctest invocations and sessions (RESOURCE_LOCK holds within one ctest only).
    try:
        with locks.held(LOCK, LOCK_WAIT_S, "the test Slurm is"):
            return locked()
    except FlynnError as error:
        return fail(str(error))


def locked() -> int:
    if len(sys.argv) > 2 and Path(sys.argv[2]).resolve() != (REPO / "build").resolve():
        print(f"skipped: scripts/run builds and runs {REPO / 'build'}, not this build ({sys.argv[2]})")
        return SKIP
    up = subprocess.run([str(TEST_SLURM), "up", "2"], capture_output=True, text=True, timeout=120, check=False)
    if up.returncode == SKIP:
        print(f"skipped: {up.stderr.strip()}")
        return SKIP
    if up.returncode != 0:
        # up stops what it started on its own failure; a cluster already up is another run's.
        return fail(f"test-slurm up 2 exited {up.returncode}: {up.stderr.strip()}")
    try:
        conf = subprocess.run([str(TEST_SLURM), "conf"], capture_output=True, text=True, check=True).stdout.strip()
        environment = dict(os.environ, SLURM_CONF=conf)
        with tempfile.TemporaryDirectory(prefix="flynn-fleet-test-") as temporary:
            uniform = Path(temporary) / "uniform"
            problem = one_run(uniform, environment)
            if problem:
                return fail(f"uniform run: {problem}")
            judged = fleet(uniform)
            # Two idle test nodes are two vCPUs of a VM: they are expected to agree (exit 0), but a
            # DRAM chase drifts between processes here, so a 1 (an outlier named) is a verdict too;
            # what may not happen is bad input (2) or a page without both nodes.
            if judged.returncode not in (0, 1):
                return fail(f"scripts/fleet on the two nodes exited {judged.returncode}")
            page = uniform / "fleet.md"
            if not page.exists() or not (uniform / "fleet.html").exists():
                return fail("scripts/fleet wrote no fleet.html / fleet.md")
            text = page.read_text()
            if "n1" not in text or "n2" not in text:
                return fail("fleet.md does not hold a column for each of n1 and n2")
        # The hog half of the issue (a CPU hog pinned to one node must flag that node) is not
        # asserted: on this VM the chase flagged the hogged node in 1 run of 4, and the futex switch
        # moved either way. scripts/tests/test_fleet.py asserts the judging itself on planted fleets.
        print(f"passed: 2 nodes ran flynn.sbatch and scripts/fleet judged them (exit {judged.returncode})")
        return 0
    finally:
        subprocess.run([str(TEST_SLURM), "down"], timeout=60, check=False)


if __name__ == "__main__":
    sys.exit(main())
