#!/usr/bin/python3
"""ctest -L cluster: a 2-node test Slurm (scripts/lib/test-slurm) runs scripts/slurm/flynn.sbatch
with --quick --filter on a small set, and scripts/fleet judges the two results against node n1:
once as they are (two results naming distinct nodes and one job; exit 0, and a page with both
columns), and once with a CPU hog pinned to n2's CPU (exit 1, naming n2 and the CPU its
benchmarks held, trust/cpu_share).

Exit 0 passed, 1 failed, 77 skipped (the reason printed) where Slurm cannot start here.
Usage: check_fleet.py [REPO [BUILD_DIR]]  (default: the checkout this file is in). scripts/run
builds and runs REPO/build, so a BUILD_DIR (ctest's) other than that is skipped: the test would
build a directory that is not the one being tested."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from flynn import locks  # noqa: E402
from flynn.errors import FlynnError  # noqa: E402

REPO = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
TEST_SLURM = REPO / "scripts" / "lib" / "test-slurm"
SBATCH = REPO / "scripts" / "slurm" / "flynn.sbatch"
FLEET = REPO / "scripts" / "fleet"
SKIP = 77
# The FMA peaks: timed in CPU time, as every flynn figure of one thread is, they are what two
# vCPUs agree on; a hog on one node's CPU leaves them be and halves the wall-clock share of the CPU
# those rows held (trust/cpu_share), which scripts/fleet judges. (A DRAM chase drifts 15% between
# processes here, and the futex switch moved either way under the hog: neither is asserted on.)
FILTER = "^simd/fma_peak/.*/f64/"
RUN_FLAGS = ["--quick", "--repetitions", "3", "--filter", FILTER]
# Two nodes: a difference between them flags both against their median, so each run is judged
# against n1, the node left alone. Floor 10% of the pair's mean: two vCPUs of a VM differ.
BASELINE = "n1"
HOG_NODE = "n2"
FLEET_FLAGS = ["--baseline", BASELINE, "--threshold", "3", "--min-spread-pct", "10"]
# The hog outlasts the job (its build check and report included) and ends by itself.
HOG_S = 180
SBATCH_TIMEOUT_S = 120


def fail(message: str) -> int:
    print(f"FAILED: {message}", file=sys.stderr)
    return 1


# A batch job's end is polled this often: `sbatch --wait` polls at growing intervals, and spent 27 s
# of a 42 s job waiting after the job had ended.
POLL_S = 0.3
DONE_STATES = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED")


def sbatch(directory: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Submits flynn.sbatch and waits for the job to end: its exit status as returncode, as
    `sbatch --wait` gives it. subprocess.TimeoutExpired (the job cancelled) past SBATCH_TIMEOUT_S."""
    environment = dict(environment, FLYNN_FLEET_DIR=str(directory), FLYNN_REPO=str(REPO))
    command = ["sbatch", "--parsable", "--nodes=2", "--time=5", f"--output={directory}/slurm-%j.out",
               "--export=ALL", str(SBATCH), *RUN_FLAGS]
    submitted = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=60,
                               check=False)
    if submitted.returncode != 0:
        return submitted
    job = submitted.stdout.strip().split(";")[0]
    deadline = time.monotonic() + SBATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        shown = subprocess.run(["scontrol", "show", "job", job], env=environment, capture_output=True, text=True,
                               timeout=30, check=False).stdout
        state = re.search(r"JobState=(\w+)", shown)
        if state and state.group(1) in DONE_STATES:
            code = re.search(r"ExitCode=(\d+):(\d+)", shown)
            status = int(code.group(1)) if code else 1
            if state.group(1) != "COMPLETED" and status == 0:
                status = 1
            return subprocess.CompletedProcess(command, status, job, f"job {job} {state.group(1)}")
        time.sleep(POLL_S)
    subprocess.run(["scancel", job], env=environment, capture_output=True, timeout=30, check=False)
    raise subprocess.TimeoutExpired(command, SBATCH_TIMEOUT_S)


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


def node_cpu(node: str, environment: dict[str, str]) -> str | None:
    """The CPUs a job step on `node` may use (test-slurm starts each slurmd under taskset)."""
    done = subprocess.run(["srun", "-w", node, "-N1", "grep", "^Cpus_allowed_list:", "/proc/self/status"],
                          env=environment, capture_output=True, text=True, timeout=60, check=False)
    fields = done.stdout.split()
    return fields[1] if done.returncode == 0 and len(fields) == 2 else None


LOCK = Path("/tmp/flynn-test-slurm.lock")
LOCK_WAIT_S = 200


def main() -> int:
    # SIGTERM (a test runner ending it) unwinds through the `finally` that stops the cluster; a
    # SIGKILL cannot, and the next `test-slurm up` stops a cluster whose maker is gone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
            if judged.returncode != 0:
                return fail(f"scripts/fleet on the two idle nodes exited {judged.returncode}, not 0")
            page = uniform / "fleet.md"
            if not page.exists() or not (uniform / "fleet.html").exists():
                return fail("scripts/fleet wrote no fleet.html / fleet.md")
            text = page.read_text()
            if "n1" not in text or "n2" not in text:
                return fail("fleet.md does not hold a column for each of n1 and n2")

            cpu = node_cpu(HOG_NODE, environment)
            if cpu is None:
                return fail(f"could not read the CPU node {HOG_NODE}'s jobs run on")
            hog = subprocess.Popen(["timeout", str(HOG_S), "taskset", "-c", cpu, "sh", "-c", "while :; do :; done"])
            try:
                time.sleep(0.5)
                problem = one_run(Path(temporary) / "hog", environment)
            finally:
                # TERM to `timeout` (the process started), which passes it on to the hog it runs.
                hog.terminate()
                hog.wait(timeout=10)
            if problem:
                return fail(f"run with the hog: {problem}")
            judged = fleet(Path(temporary) / "hog")
            if judged.returncode != 1:
                return fail(f"scripts/fleet with a hog on {HOG_NODE}'s CPU {cpu} exited {judged.returncode}, not 1")
            flagged = [line for line in judged.stdout.splitlines() if line.startswith("OUTLIER ")]
            if not any(line.startswith(f"OUTLIER {HOG_NODE}: trust/cpu_share") for line in flagged):
                return fail(f"the hogged node {HOG_NODE} is not flagged by the CPU it held: {flagged}")
        print(f"passed: the idle fleet exit 0; a hog on CPU {cpu} flagged {HOG_NODE} (exit 1)")
        return 0
    finally:
        subprocess.run([str(TEST_SLURM), "down"], timeout=60, check=False)


if __name__ == "__main__":
    sys.exit(main())
