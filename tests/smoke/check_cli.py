"""Every binary given: its benchmark names follow the one grammar (flynn.names), and an unknown
flag is refused with exit code 2 and one line on stderr instead of running the defaults, as is
Google Benchmark input that would measure nothing. A --benchmark_out file is replaced only by a
run that wrote all of it: a killed run, a listing or a failed write leaves the earlier one.
flynn_mpi is started as scripts/run lists it, by mpirun on 2 local ranks, and Open MPI's banner
after a refusal (rank 0's error line is flynn_mpi's own) is left out."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smoke_run import Failures, list_tests, refusal, run_json

from flynn.errors import FlynnError
from flynn.mpi_launch import local_command
from flynn.names import parse


# Each exits 0 in Google Benchmark 1.7.1 alone, measuring nothing (or aborts, or prints usage).
BAD_BENCHMARK_FLAGS = (
    ("--benchmark_filter=^no/such/benchmark$", "--benchmark_filter"),
    ("--benchmark_filter=(", "--benchmark_filter"),
    ("--benchmark_repetitions=0", "--benchmark_repetitions"),
    ("--benchmark_repetitions=-3", "--benchmark_repetitions"),
    ("--benchmark_format=xml", "--benchmark_format"),
    ("--benchmark_out_format=xml", "--benchmark_out_format"),
    ("--benchmark_out=/nonexistent/dir/out.json", "--benchmark_out"),
    ("--benchmark_out=/", "--benchmark_out"),
)
OLD = '{"old": "an earlier result"}\n'
# One quick benchmark, and one that runs for ever (a forked ping-pong) to be killed.
QUICK = "--benchmark_filter=^ctxsw/futex/threads/placement:same_cpu/bytes:0/"
LONG = "--benchmark_filter=^ctxsw/futex/processes/placement:same_cpu/bytes:0/"


def available_bytes() -> int:
    """MemAvailable, as harness/free_memory reads it (without the cgroup cap, which only lowers it)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def launched(binary: str) -> tuple[list[str], dict[str, str] | None]:
    """The command that starts `binary` and its environment: flynn_mpi needs mpirun (2 ranks)."""
    if os.path.basename(binary) == "flynn_mpi":
        return local_command(Path(binary))
    return [binary], None


def without_mpirun_banner(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """`done` with mpirun's own report of a rank's non-zero exit (from its first dashed line on) cut
    from stderr: what is left is what flynn_mpi said."""
    lines = done.stderr.splitlines(keepends=True)
    cut = next((i for i, line in enumerate(lines) if len(line.strip()) > 20 and set(line.strip()) == {"-"}), len(lines))
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout, "".join(lines[:cut]))


def cli(binary: str, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command, launch_env = launched(binary)
    if env:
        launch_env = {**(launch_env or os.environ), **env}
    return without_mpirun_banner(subprocess.run([*command, *flags], capture_output=True, text=True, env=launch_env,
                                                timeout=120))


def listed(binary: str) -> list[str]:
    if os.path.basename(binary) != "flynn_mpi":
        return list_tests(binary)
    done = cli(binary, "--benchmark_list_tests")
    if done.returncode != 0:
        raise RuntimeError(f"{binary} --benchmark_list_tests on 2 ranks: exit {done.returncode}: {done.stderr!r}")
    return [line for line in done.stdout.splitlines() if line]


def refused_flags(binary: str, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if os.path.basename(binary) != "flynn_mpi":
        assert not env, "the environment is only passed to flynn_mpi's mpirun"
        return refusal(binary, *flags)
    return cli(binary, "--benchmark_list_tests", *flags, env=env)


def check_output_file(binary: str, failures: Failures) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, "out.json")

        def leftovers() -> list[str]:
            return sorted(p.name for p in Path(tmp).iterdir() if p.name.startswith("."))

        # Killed mid-run: the earlier file stays whole and no temporary file is left.
        target.write_text(OLD)
        run = subprocess.Popen([binary, LONG, "--benchmark_min_time=60", f"--benchmark_out={target}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        run.send_signal(signal.SIGTERM)
        run.wait()
        failures.check(target.read_text() == OLD, f"SIGTERM mid-run changed the earlier --benchmark_out file: "
                                                  f"{target.read_text()[:80]!r}")
        failures.check(leftovers() == [], f"SIGTERM mid-run left {leftovers()}")
        # A listing writes no result, so it keeps the earlier one.
        subprocess.run([binary, QUICK, "--benchmark_list_tests", f"--benchmark_out={target}"],
                       check=True, capture_output=True)
        failures.check(target.read_text() == OLD, "--benchmark_list_tests emptied the earlier --benchmark_out file")
        # A run that fails to write is an error naming the flag.
        full = subprocess.run([binary, QUICK, "--benchmark_min_time=0.001", "--benchmark_out=/dev/full"],
                              capture_output=True, text=True)
        last = (full.stderr.strip().splitlines() or [""])[-1]
        failures.check(full.returncode == 2 and "error" in last and "--benchmark_out" in last,
                       f"--benchmark_out=/dev/full: exit {full.returncode}, last line {last!r}")
        # A good run replaces the file through a symlink (the link kept) and leaves nothing beside it.
        link = Path(tmp, "link.json")
        link.symlink_to(target)
        subprocess.run([binary, QUICK, "--benchmark_min_time=0.001", f"--benchmark_out={link}"],
                       check=True, stdout=subprocess.DEVNULL)
        names = [b["name"] for b in json.loads(target.read_text())["benchmarks"]]
        failures.check(len(names) == 1 and link.is_symlink(), f"a run through a symlink: {names}, link kept: "
                                                              f"{link.is_symlink()}")
        failures.check(leftovers() == [], f"a good run left {leftovers()}")


EVENTS = ("context_switches", "cpu_migrations", "minor_faults", "major_faults", "task_clock_ns",
          "cpu_cycles", "instructions", "branch_misses", "l1d_read_misses", "llc_misses", "dtlb_misses")


def check_counters_flag(binary: str, failures: Failures, refusals: bool = True) -> None:
    """--flynn_counters=list says for every event whether it counts here and why not; a bad value
    is one error line and exit 2 (with `refusals`)."""
    counters = cli(binary, "--flynn_counters=list")
    lines = counters.stdout.splitlines()
    failures.check(counters.returncode == 0, f"{binary} --flynn_counters=list: exit {counters.returncode}")
    failures.check(bool(lines) and lines[0].startswith("perf_counters: "),
                   f"{binary} --flynn_counters=list does not start with the summary: {lines[:1]}")
    for event in EVENTS:
        row = [line for line in lines if line.split()[:1] == [event]]
        failures.check(len(row) == 1 and ("counted" in row[0] or "absent: " in row[0]),
                       f"{binary} --flynn_counters=list: no verdict for {event}: {row}")
    failures.check(any(line.startswith("libpfm4 PMUs: ") for line in lines),
                   f"{binary} --flynn_counters=list names no libpfm4 PMU: {lines[-3:]}")
    for bad in ("--flynn_counters=bogus", "--flynn_counters=cpu_cycles,cpu_cycles", "--flynn_counters=",
                "--flynn_counters=llc_misses=NO_SUCH_EVENT",
                "--flynn_counters=bogus=perf::PERF_COUNT_HW_CPU_CYCLES")[: None if refusals else 0]:
        done = refused_flags(binary, bad)
        failures.refused(done, f"{binary} {bad}")
        failures.check(len(done.stderr.strip().splitlines()) == 1 and "--flynn_counters" in done.stderr,
                       f"{binary} {bad}: not one line naming the flag: {done.stderr!r}")


def check_counters_off(binary: str, failures: Failures) -> None:
    """--flynn_counters=none: no counter of the kernel's in the JSON, the proof from getrusage."""
    one = "--benchmark_filter=^ctxsw/pipe/threads/placement:same_cpu/bytes:0/"
    for flag, counted in (("--flynn_counters=none", False), ("--flynn_counters=context_switches", True)):
        result = run_json(binary, one, "--benchmark_min_time=0.01", flag)
        summary = result["context"].get("perf_counters", "")
        runs = result["benchmarks"]
        failures.check(len(runs) == 1, f"{flag}: {len(runs)} runs")
        if counted and not summary.startswith("context_switches"):
            continue  # not countable here; the summary says why, checked by check_ctxsw
        failures.check(summary == ("context_switches" if counted else "none (--flynn_counters=none)"),
                       f"{flag}: context perf_counters {summary!r}")
        for run in runs:
            failures.check(("context_switches_per_switch" in run) == counted,
                           f"{flag}: context_switches_per_switch present={'context_switches_per_switch' in run}")
            failures.check("minor_faults_per_switch" not in run, f"{flag}: an event not asked for was counted")
            failures.check(0.7 <= run.get("switches_per_op", 0) <= 1.5, f"{flag}: no switch proof")


def main(binaries: list[str]) -> int:
    failures = Failures()
    for binary in binaries:
        names = listed(binary)
        failures.check(len(names) > 0, f"{binary} lists no benchmarks")
        failures.check(len(set(names)) == len(names), f"{binary} registers a name twice")
        for name in names:
            try:
                parse(name)
            except FlynnError as error:
                failures.check(False, str(error))
        # flynn_mpi shares the other binaries' main, and each of its runs starts mpirun (2 s): one
        # refusal of each kind shows the path through mpirun, the others' runs check the rest.
        mpi = os.path.basename(binary) == "flynn_mpi"
        for typo in ("--benchmark_filer=x", "--flynn_no_such_flag=1")[: 1 if mpi else None]:
            done = refused_flags(binary, typo)
            failures.refused(done, f"{binary} {typo}")
            failures.check(len(done.stderr.strip().splitlines()) == 1 and "unrecognized" in done.stderr,
                           f"{binary} does not name the unknown flag {typo} in one line: {done.stderr!r}")
        for flag, named in BAD_BENCHMARK_FLAGS[: 1 if mpi else None]:
            done = refused_flags(binary, flag)
            failures.refused(done, f"{binary} {flag}")
            last = (done.stderr.strip().splitlines() or [""])[-1]
            failures.check(named in last, f"{binary} {flag}: the error does not name {named}: {last!r}")
        if mpi:
            # Each rank would shuffle its own order: refused before any loop, bare and in the
            # environment alike; and a result file only rank 0 would find unwritable.
            dangling = Path(tempfile.mkdtemp(prefix="flynn-cli-")) / "dangling.json"
            dangling.symlink_to(dangling.parent / "missing")
            for flags, env, named in (
                (["--benchmark_enable_random_interleaving"], {}, "would shuffle its own order"),
                ([], {"BENCHMARK_ENABLE_RANDOM_INTERLEAVING": "true"}, "would shuffle its own order"),
                ([f"--benchmark_out={dangling}"], {}, "is a symlink to a missing file"),
                # 2 local ranks x 2 x 64 messages of 1 GiB (256 GiB): more than this machine holds.
                *([(["--flynn_mpi_max_bytes=1G"], {}, "lower --flynn_mpi_max_bytes")] if available_bytes() < 256 << 30
                  else []),
            ):
                done = refused_flags(binary, *flags, env=env)
                failures.refused(done, f"{binary} {flags} {env}")
                last = (done.stderr.strip().splitlines() or [""])[-1]
                failures.check(named in last, f"{binary} {flags} {env}: {last!r}")
            shutil.rmtree(dangling.parent)
            failures.check(refused_flags(binary, "--benchmark_enable_random_interleaving=false").returncode == 0,
                           f"{binary}: --benchmark_enable_random_interleaving=false refused")
        if os.path.basename(binary) == "flynn_ctxsw":
            check_output_file(binary, failures)
        check_counters_flag(binary, failures, refusals=not mpi)
        if os.path.basename(binary) == "flynn_ctxsw":
            check_counters_off(binary, failures)
        print(f"{binary}: {len(names)} names checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
