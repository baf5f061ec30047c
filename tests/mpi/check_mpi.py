"""Runs flynn_mpi briefly, either on 2 local ranks (`local`) or across K emulated hosts
(`hosts:K`, made by scripts/lib/test-hosts and removed afterwards), and checks what it reports:
every listed benchmark ran and none failed (a wrong payload byte is a failure), names follow the
grammar, each pair's placement matches its ranks' hosts (cross-host pairs have hosts that really
differ), the collectives ran on every rank count. Locally it also checks the refusals: arguments
that differ across ranks, and one rank alone. `rank_dies local|hosts:K` starts a run as
scripts/run --mpi does (flynn.mpi_launch), SIGKILLs rank 1 mid-run and checks the run ends within
a bound with one `error:` line naming that rank and its host, and that no process of the run is
left. Exit 77 (skipped) with the reason where the hosts cannot be made."""

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "smoke"))
from smoke_run import Failures  # noqa: E402

from flynn.mpi_launch import test_hosts_held  # noqa: E402
from flynn.names import parse  # noqa: E402

TEST_HOSTS = HERE.parents[1] / "scripts" / "lib" / "test-hosts"
SKIPPED = 77
# Every mpirun is bounded: a host that stops answering must fail the test, not hang it.
MPIRUN_TIMEOUT_S = 90
QUICK = ["--benchmark_min_time=0.005", "--flynn_mpi_max_bytes=64K", "--flynn_threads=1,2"]
ROOT_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def mpirun(launch: list[str], options: list[str], ranks: int, binary: str, *flags: str) -> subprocess.CompletedProcess:
    """mpirun with its `options`, started through `launch` (test-hosts exec, which execs it)."""
    command = ["timeout", "-k", "5", str(MPIRUN_TIMEOUT_S), *launch, "mpirun", *options, "-np", str(ranks),
               binary, *flags]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **ROOT_ENV},
                          timeout=MPIRUN_TIMEOUT_S + 30)


def check_results(failures: Failures, result: dict, listed: set[str], ranks: int, hosts: int) -> None:
    context, runs = result["context"], {run["name"]: run for run in result["benchmarks"]}
    failures.check(listed == set(runs), f"listed but not run: {sorted(listed - set(runs))[:5]}")
    failures.check(context.get("mpi_ranks") == str(ranks), f"mpi_ranks {context.get('mpi_ranks')!r}, not {ranks}")
    failures.check(context.get("mpi_hosts") == str(hosts), f"mpi_hosts {context.get('mpi_hosts')!r}, not {hosts}")
    host_of = {r: context.get(f"mpi_host_rank_{r}") for r in range(ranks)}
    failures.check(all(host_of.values()), f"a rank without its host in the context: {host_of}")
    placements, collectives, hybrid, hybrid_skipped = set(), set(), set(), set()
    cpu_shares = []
    # Whether every rank has a CPU of this machine to itself (4 test hosts on 2 CPUs do not).
    own_cpus = ranks <= len(os.sched_getaffinity(0))
    for name, run in runs.items():
        parsed = parse(name)
        if parsed.kernel == "hybrid" and failures.not_measured(name, run):
            # Only for ranks x threads the CPUs cannot hold, said as such.
            failures.check("CPU(s)" in run.get("error_message", ""), f"{name}: {run.get('error_message')!r}")
            hybrid_skipped.add((int(parsed.params["ranks"]), int(parsed.params["threads"])))
            continue
        failures.check(not run.get("error_occurred"), f"{name} failed: {run.get('error_message')!r}")
        if run.get("error_occurred"):
            continue
        p = parsed.params
        if "placement" in p:
            a, b = int(p["rank_a"]), int(p["rank_b"])
            differ = host_of[a] != host_of[b]
            placements.add(p["placement"])
            failures.check(p["placement"] == ("cross_host" if differ else "same_host"),
                           f"{name}: ranks {a} and {b} are on {host_of[a]} and {host_of[b]}")
            figure = "ns_per_message" if parsed.kernel in ("pingpong", "pair_latency") else "bytes_per_second"
            failures.check(run.get(figure, 0) > 0, f"{name} lacks {figure}")
            # The kernel's counts on rank 0, over the timed parts only, where it is one of the pair
            # and software events count: absent otherwise, never 0 for want of counting.
            counted = "software" in context.get("perf_counters", "") and 0 in (a, b)
            failures.check(("context_switches_per_message" in run) == counted,
                           f"{name}: context_switches_per_message {'missing' if counted else 'present'} "
                           f"(perf_counters {context.get('perf_counters')!r})")
            if counted and parsed.kernel == "pingpong":
                # Rank 0 sends and waits for the answer the whole round trip: at most its wall time
                # on the CPU (plus half a counter read per iteration). Open MPI polls, so with a CPU
                # to itself it is not far less; where ranks outnumber the CPUs (4 test hosts on 2),
                # the idle ranks' polling takes rank 0's CPU for most of the trip (15% seen), so
                # there only some CPU time is asked for.
                cpu, wall = run.get("task_clock_ns_per_message", 0), run["ns_per_message"]
                low = 0.2 * wall if own_cpus else 0.01 * wall
                cpu_shares.append(cpu / wall)
                failures.check(low <= cpu <= 1.5 * wall + 50,
                               f"{name}: task_clock_ns_per_message {cpu:.0f} against ns_per_message {wall:.0f}"
                               f" ({ranks} ranks on {len(os.sched_getaffinity(0))} CPU(s))")
        elif parsed.kernel == "hybrid":
            hybrid.add((int(p["ranks"]), int(p["threads"])))
            # Without OMP_PLACES no thread has a place: no threads_in_place_pct rather than a 0.
            binding = ("threads_in_place_pct" not in run if context.get("mpi_omp_places") == "unset"
                       else 0 <= run.get("threads_in_place_pct", -1) <= 100)
            failures.check(run.get("flops_per_second", 0) > 0 and run.get("omp_threads") == int(p["threads"])
                           and binding, f"{name}: flops, threads or binding")
        else:
            collectives.add((parsed.kernel, int(p["ranks"])))
            low, mean, high = (run.get(f"ns_per_op_{k}_rank", -1) for k in ("min", "mean", "max"))
            failures.check(0 < low <= mean <= high, f"{name}: min/mean/max over ranks {low}, {mean}, {high}")
    for kernel in ("allreduce", "bcast", "alltoall", "barrier"):
        failures.check((kernel, ranks) in collectives, f"no {kernel} on {ranks} ranks")
    failures.check(("cross_host" in placements) == (hosts > 1), f"placements {placements} on {hosts} hosts")
    failures.check({(1, 1), (ranks, 1), (1, 2), (ranks, 2)} <= hybrid | hybrid_skipped,
                   f"hybrid rows {sorted(hybrid | hybrid_skipped)}")
    if not own_cpus:
        # More ranks than this machine's CPUs (4 test hosts on 2): the waiting ranks poll on the
        # working ranks' CPUs, so no row fits, and each says so rather than measure time-slicing.
        failures.check(not hybrid, f"hybrid rows measured with {ranks} ranks on fewer CPUs: {sorted(hybrid)}")
    else:
        # One thread per rank fits wherever each rank has a CPU of its own (a test host each, or
        # mpirun's binding of 2 local ranks to a core each); 2 threads on a test host's one CPU do not.
        failures.check({(1, 1), (ranks, 1)} <= hybrid, f"hybrid ranks x threads run {sorted(hybrid)}")
    if hosts > 1 and own_cpus:
        failures.check({(1, 2), (ranks, 2)} <= hybrid_skipped and all(t == 1 for _, t in hybrid),
                       f"2 threads on a test host's one CPU: run {sorted(hybrid)}, skipped {sorted(hybrid_skipped)}")
    pairs = {(int(parse(n).params["rank_a"]), int(parse(n).params["rank_b"])) for n in runs if "/pair_latency/" in n}
    failures.check(pairs == {(a, b) for a in range(ranks) for b in range(a + 1, ranks)}, f"pair_latency pairs {pairs}")
    if cpu_shares:
        print(f"rank 0's CPU time per ping-pong message: {100 * min(cpu_shares):.0f}% to "
              f"{100 * max(cpu_shares):.0f}% of its wall time ({len(cpu_shares)} rows, {ranks} ranks)")


def run_and_check(failures: Failures, launch: list[str], options: list[str], ranks: int, hosts: int, binary: str,
                  *flags: str) -> None:
    listing = mpirun(launch, options, ranks, binary, "--benchmark_list_tests", *flags)
    failures.check(listing.returncode == 0, f"listing: exit {listing.returncode}: {listing.stderr[-2000:]}")
    listed = {line for line in listing.stdout.splitlines() if line}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mpi.json"
        done = mpirun(launch, options, ranks, binary, f"--benchmark_out={out}", "--benchmark_out_format=json", *flags)
        failures.check(done.returncode == 0, f"run: exit {done.returncode}: {done.stderr[-2000:]}")
        if done.returncode == 0:
            check_results(failures, json.loads(out.read_text()), listed, ranks, hosts)


def check_local(binary: str) -> int:
    failures = Failures()
    run_and_check(failures, [], [], 2, 1, binary, *QUICK)
    # A filter given to one rank only: refused before anything runs, in one line from rank 0.
    split = subprocess.run(["timeout", "-k", "5", "60", "mpirun", "-np", "2", "sh", "-c",
                            'exec "$0" --benchmark_list_tests --benchmark_filter=rank_$OMPI_COMM_WORLD_RANK', binary],
                           capture_output=True, text=True, env={**os.environ, **ROOT_ENV}, timeout=90)
    error_lines = [line for line in split.stderr.splitlines() if "error:" in line]
    failures.check(split.returncode != 0 and len(error_lines) == 1 and "different arguments" in error_lines[0]
                   and not split.stdout.strip(), f"differing filters: exit {split.returncode}, {split.stderr!r}")
    # The result file only rank 0 writes: an unwritable one is refused by every rank, before any loop.
    unwritable = mpirun([], [], 2, binary, "--benchmark_out=/nonexistent-dir/x.json", *QUICK)
    error_lines = [line for line in unwritable.stderr.splitlines() if "error:" in line]
    failures.check(unwritable.returncode == 2 and len(error_lines) == 1 and "/nonexistent-dir" in error_lines[0],
                   f"unwritable --benchmark_out: exit {unwritable.returncode}, {unwritable.stderr!r}")
    alone = subprocess.run([binary, "--benchmark_list_tests"], capture_output=True, text=True,
                           env={**os.environ, **ROOT_ENV}, timeout=60)
    failures.check(alone.returncode == 2 and "2 ranks or more" in alone.stderr, f"one rank: {alone.stderr!r}")
    print(f"{binary}: 2 local ranks checked")
    return failures.exit_code()


class HostsNotUp(Exception):
    """`test-hosts up` skipped (no namespaces here) or failed: the check's exit status, said."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def report(self) -> int:
        print(str(self), file=sys.stderr if self.status != SKIPPED else sys.stdout)
        return self.status


@contextlib.contextmanager
def hosts_up(count: int) -> Iterator[str]:
    """`count` test hosts, up for the block; their hostfile. HostsNotUp where `up` skipped or
    failed; `down` on every way out."""
    up = subprocess.run([str(TEST_HOSTS), "up", str(count)], capture_output=True, text=True, timeout=60)
    if up.returncode == SKIPPED:
        raise HostsNotUp(SKIPPED, up.stderr.strip())
    try:
        if up.returncode != 0:
            raise HostsNotUp(1, f"FAIL: test-hosts up {count}: {up.stderr}")
        yield subprocess.run([str(TEST_HOSTS), "hostfile"], capture_output=True, text=True, check=True).stdout.strip()
    finally:
        subprocess.run([str(TEST_HOSTS), "down"], timeout=60)


def check_hosts(binary: str, hosts: int) -> int:
    failures = Failures()
    try:
        with hosts_up(hosts) as hostfile:
            run_and_check(failures, [str(TEST_HOSTS), "exec"], ["--hostfile", hostfile], hosts, hosts, binary, *QUICK)
            print(f"{binary}: {hosts} test hosts checked")
    except HostsNotUp as why:
        return why.report()
    failures.check(not our_namespaces(), f"namespaces left after down: {our_namespaces()}")
    return failures.exit_code()


def our_namespaces() -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    return [name for name in listed if name.startswith("flynn-")]


def check_teardown() -> int:
    """`down` after a run that was interrupted: a process left in a host and the state gone with it."""
    up = subprocess.run([str(TEST_HOSTS), "up", "2"], capture_output=True, text=True, timeout=60)
    if up.returncode == SKIPPED:
        print(up.stderr.strip())
        return SKIPPED
    failures = Failures()
    failures.check(up.returncode == 0 and set(our_namespaces()) == {"flynn-h1", "flynn-h2", "flynn-sw"},
                   f"up 2: exit {up.returncode}, namespaces {our_namespaces()}, {up.stderr!r}")
    # What an interrupted mpirun leaves: a process on a host, started through the stand-in for ssh.
    state = Path(os.environ.get("FLYNN_TEST_HOSTS_STATE", "/tmp/flynn-test-hosts.state"))
    launcher = Path(state.read_text().strip()) / "launcher"
    orphan = subprocess.Popen([str(launcher), "flynn-h2", "exec sleep 600"], start_new_session=True)
    try:
        for _ in range(50):
            if subprocess.run(["ip", "netns", "pids", "flynn-h2"], capture_output=True, text=True).stdout.strip():
                break
            time.sleep(0.1)
        # A second `up` over the leftovers starts clean, then `down` removes everything.
        again = subprocess.run([str(TEST_HOSTS), "up", "2"], capture_output=True, text=True, timeout=60)
        failures.check(again.returncode == 0, f"up over leftovers: {again.stderr!r}")
        down = subprocess.run([str(TEST_HOSTS), "down"], capture_output=True, text=True, timeout=60)
        failures.check(down.returncode == 0, f"down: {down.stderr!r}")
        orphan.wait(timeout=10)
        failures.check(orphan.returncode is not None, "the host's process outlived down")
        failures.check(not our_namespaces(), f"namespaces left: {our_namespaces()}")
        failures.check(not state.exists(), f"{state} left")
        failures.check(launcher.parent.exists() is False, f"{launcher.parent} left")
    finally:
        if orphan.poll() is None:
            orphan.kill()
        subprocess.run([str(TEST_HOSTS), "down"], timeout=60)
    print("test-hosts: down after an interrupted run checked")
    return failures.exit_code()


# A run that lasts long past the kill: one 8-byte ping-pong, timed for a minute.
LONG_RUN = ["--benchmark_filter=^mpi/pingpong/blocking/.*/bytes:8/", "--benchmark_min_time=60"]
# How long the run may take to fail after its rank is killed (mpirun notices within seconds; the
# launcher's own wall-clock limit, far above, is what a hang would meet).
DEATH_BOUND_S = 60
RUN_LIMIT_S = 240
# What scripts/run does with an MPI run: flynn.mpi_launch.run_mpi, its FlynnError one `error:` line.
LAUNCH = """
import sys
from pathlib import Path
from flynn.errors import entry_point
from flynn.mpi_launch import run_mpi

@entry_point
def main(argv):
    run_mpi(Path(argv[1]), argv[0], Path(argv[2]), argv[4:], float(argv[3]))
    return 0

sys.exit(main(sys.argv[1:]))
"""
_PR_SET_CHILD_SUBREAPER = 36


def process_table() -> dict[int, tuple[int, str, str, int]]:
    """pid: (parent pid, name, state, start time) of every process in /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), name, fields[0], int(fields[19]))
    return table


def descendants(root: int) -> dict[int, tuple[str, int]]:
    """pid: (name, start time) of every living process under `root`."""
    table, found, todo = process_table(), {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, name, state, start) in table.items():
            if ppid == parent and pid not in found and state != "Z":
                found[pid] = (name, start)
                todo.append(pid)
    return found


def alive(pid: int, start: int) -> bool:
    entry = process_table().get(pid)
    return entry is not None and entry[3] == start and entry[2] != "Z"


def world_rank(pid: int) -> int | None:
    try:
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for variable in environment:
        if variable.startswith(b"OMPI_COMM_WORLD_RANK="):
            return int(variable.split(b"=", 1)[1])
    return None


def check_rank_dies(binary: str, where: str) -> int:
    """One rank SIGKILLed mid-run: the run fails within DEATH_BOUND_S with one error line naming
    the rank and its host, and every process it started (mpirun, orted, the ranks) is gone."""
    hosts = "local" if where == "local" else f"test:{where.split(':', 1)[1]}"
    if hosts != "local":
        probe = subprocess.run([str(TEST_HOSTS), "down"], capture_output=True, text=True, timeout=60)
        if probe.returncode == SKIPPED:
            print(probe.stderr.strip())
            return SKIPPED
    # orted daemonizes: its orphans come to this process, so the tree it watches (its own: it
    # starts nothing else) holds every process of the run.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    failures = Failures()
    seen: dict[int, tuple[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(HERE.parents[1] / "scripts")}
        run = subprocess.Popen([sys.executable, "-c", LAUNCH, hosts, binary, str(Path(tmp) / "mpi.json"),
                                str(RUN_LIMIT_S), *LONG_RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, start_new_session=True)
        try:
            victim, started = None, None
            deadline = time.monotonic() + 120  # test-hosts up, then mpirun's start on every host
            while time.monotonic() < deadline and run.poll() is None:
                seen.update(descendants(os.getpid()))
                ranks = {world_rank(pid): pid for pid, (name, _) in seen.items() if name == "flynn_mpi"}
                if {0, 1} <= set(ranks) and started is None:
                    started = time.monotonic()
                # 2 s after both ranks started: past MPI_Init, inside the ping-pong's loop.
                if started is not None and time.monotonic() - started > 2:
                    victim = ranks[1]
                    break
                time.sleep(0.1)
            if victim is None:
                out, err = run.communicate(timeout=5) if run.poll() is not None else ("", "")
                failures.check(False, f"rank 1 never ran (exit {run.poll()}): {err[-2000:]!r}")
                return failures.exit_code()
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            try:
                out, err = run.communicate(timeout=DEATH_BOUND_S)
            except subprocess.TimeoutExpired:
                failures.check(False, f"the run did not end within {DEATH_BOUND_S} s of rank 1's death")
                return failures.exit_code()
            took = time.monotonic() - killed
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
            # Reap what came to this process (the subreaper), then end whatever of the run is left.
            while True:
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
            left = {pid: name for pid, (name, start) in seen.items() if alive(pid, start)}
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        host = socket.gethostname().split(".")[0] if hosts == "local" else "flynn-h2"
        errors = [line for line in err.splitlines() if "error:" in line]
        failures.check(run.returncode != 0, f"exit {run.returncode} after rank 1 died")
        failures.check(len(errors) == 1 and "rank 1" in errors[0] and f"host {host}" in errors[0]
                       and "signal 9" in errors[0], f"not one error line naming rank 1 on {host}: {err!r}")
        failures.check(len(err.strip().splitlines()) == 1, f"more than the one error line on stderr: {err!r}")
        names = sorted({name for name, _ in seen.values()})
        failures.check({"mpirun", "flynn_mpi"} <= set(names) and ("orted" in names) == (hosts != "local"),
                       f"the run's processes seen: {names}")
        failures.check(not left, f"left running after the run ended: {left}")
        if hosts != "local":
            failures.check(not our_namespaces(), f"namespaces left: {our_namespaces()}")
        print(f"rank 1 (pid {victim}) killed on {hosts}: exit {run.returncode} {took:.1f} s later, "
              f"{len(seen)} processes of the run all gone; {errors[:1]}")
    return failures.exit_code()


def main(argv: list[str]) -> int:
    if argv[1:] == ["teardown"]:
        with test_hosts_held():
            return check_teardown()
    if len(argv) == 4 and argv[1] == "rank_dies" and (argv[2] == "local" or argv[2].startswith("hosts:")):
        # The run takes the test hosts' lock itself, as scripts/run --mpi test:K does.
        return check_rank_dies(argv[3], argv[2])
    if len(argv) != 3 or not (argv[1] == "local" or argv[1].startswith("hosts:")):
        print("usage: check_mpi.py local|hosts:K FLYNN_MPI | rank_dies local|hosts:K FLYNN_MPI | teardown",
              file=sys.stderr)
        return 2
    if argv[1] == "local":
        return check_local(argv[2])
    # One set of test hosts on the machine at a time, whoever's tests these are.
    with test_hosts_held():
        return check_hosts(argv[2], int(argv[1].split(":", 1)[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
