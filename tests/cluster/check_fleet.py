#!/usr/bin/python3
"""ctest -L cluster: a 2-node test Slurm (scripts/lib/test-slurm) runs scripts/slurm/flynn.sbatch
with --quick --filter on a small set, and scripts/fleet judges the two results: once as they are
(uniform, exit 0) and once with a CPU hog pinned to node n2's CPU (n2 must be flagged, exit 1).

Exit 0 passed, 1 failed, 77 skipped (the reason printed) where Slurm cannot start here.
Usage: check_fleet.py [REPO [BUILD_DIR]]  (default: the checkout this file is in). scripts/run
builds and runs REPO/build, so a BUILD_DIR (ctest's) other than that is skipped: the test would
build a directory that is not the one being tested."""

import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
TEST_SLURM = REPO / "scripts" / "lib" / "test-slurm"
SBATCH = REPO / "scripts" / "slurm" / "flynn.sbatch"
FLEET = REPO / "scripts" / "fleet"
SKIP = 77
# A hog that shares a node's only CPU halves what that node's benchmark gets of it. A figure timed
# in real time and bound by the CPU shows it: the chase at 16 MiB (past the last level here, so
# the DRAM fallback figure; real time, as every chase) doubles on the hogged node. simd's FLOP/s
# are per CPU second, so a hog leaves them be; the futex switch moved either way (2.8x *faster* on
# the hogged node once: its CPU never idles between switches) and differed 1.6x between two idle
# nodes, so it is not in the set.
FILTER = "^numa/chase/normal_pages/bytes:16777216$"
RUN_FLAGS = ["--quick", "--repetitions", "3", "--filter", FILTER]
# Two vCPUs of a VM differ, and a DRAM chase drifts 15% between processes here: a floor of 15% of
# the pair's mean keeps that at about 1 deviation, while the hog's 2x is about 4.4.
FLEET_FLAGS = ["--threshold", "3", "--min-spread-pct", "15"]
HOG_CPU = 1  # node n2 runs under taskset -c 1
HOG_NODE = "n2"
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
    with open(LOCK, "a") as lock:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return fail(f"another run held {LOCK} for {LOCK_WAIT_S} s")
                time.sleep(1)
        return locked()


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
    hog: subprocess.Popen | None = None
    try:
        conf = subprocess.run([str(TEST_SLURM), "conf"], capture_output=True, text=True, check=True).stdout.strip()
        environment = dict(os.environ, SLURM_CONF=conf)
        with tempfile.TemporaryDirectory(prefix="flynn-fleet-test-") as temporary:
            uniform = Path(temporary) / "uniform"
            problem = one_run(uniform, environment)
            if problem:
                return fail(f"uniform run: {problem}")
            judged = fleet(uniform)
            if judged.returncode != 0:
                return fail(f"scripts/fleet on the uniform fleet exited {judged.returncode}, not 0")
            if not (uniform / "fleet.html").exists() or not (uniform / "fleet.md").exists():
                return fail("scripts/fleet wrote no fleet.html / fleet.md")

            hogged = Path(temporary) / "hog"
            # Bounded, and ended right after the job: long enough to outlast a slow job's build check
            # and report (60 s once ran out before the chase did).
            hog = subprocess.Popen(["timeout", "180", "taskset", "-c", str(HOG_CPU), "sh", "-c", "while :; do :; done"])
            time.sleep(0.5)
            problem = one_run(hogged, environment)
            # TERM to `timeout` (the process started), which passes it on to the hog it runs.
            hog.terminate()
            hog.wait(timeout=10)
            hog = None
            if problem:
                return fail(f"run with the hog: {problem}")
            judged = fleet(hogged)
            if judged.returncode != 1:
                return fail(f"scripts/fleet with a hog on {HOG_NODE}'s CPU exited {judged.returncode}, not 1")
            # Two nodes: which one is odd cannot be told, so a difference flags both; the hogged
            # node must be among them.
            flagged = [line for line in judged.stdout.splitlines() if line.startswith("OUTLIER ")]
            if not any(line.startswith(f"OUTLIER {HOG_NODE}:") for line in flagged):
                return fail(f"the hogged node {HOG_NODE} is not flagged: {flagged}")
        print(f"passed: uniform fleet exit 0; the hog on CPU {HOG_CPU} flagged {HOG_NODE}")
        return 0
    finally:
        if hog is not None:
            # As above: TERM, which `timeout` passes on; SIGKILL would leave its child spinning.
            hog.terminate()
            hog.wait(timeout=10)
        subprocess.run([str(TEST_SLURM), "down"], timeout=60, check=False)


if __name__ == "__main__":
    sys.exit(main())
