"""`scripts/run`: build, run every built area binary, merge their results into one file,
cross-check against perf, then write the plots and the report beside it and print the
headline card.

The regression checks (--baseline, --against-baseline, --against-build) are flynn.checks,
which takes the result this module writes and judges it."""

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flynn import (
    arguments, build, compare, machine, mpi_launch, names, perf_check, plot, results, sessions, summary, textsafe,
    vm,
)
from flynn.errors import EXIT_BAD_INPUT, EXIT_FINDING, ArgumentParser, FlynnError, entry_point

# One binary per area; scripts/run runs those that are built, in this order.
AREAS = [
    ("ctxsw", "flynn_ctxsw"), ("simd", "flynn_simd"), ("mimd", "flynn_mimd"), ("numa", "flynn_numa"),
    ("sync", "flynn_sync"),  # writes the sync/ and io/ areas
    ("mpi", "flynn_mpi"),  # started by mpirun (flynn.mpi_launch), on --mpi HOSTS or 2 local ranks
]
# An MPI run that passes this is a host that stopped answering or a rank that hangs: ended, not waited for.
MPI_TIMEOUT_S = {True: 180.0, False: 1200.0}
DEFAULT_REPETITIONS = 3
# Google Benchmark's own 0.5 s per benchmark makes a full run of every area (about 900
# benchmarks) take most of an hour on 2 cores, and 0.1 s took 8.7 minutes there; 0.05 s still
# gives thousands of us-scale hand-offs and at least one pass over a 1 GiB working set.
DEFAULT_MIN_TIME = "0.05"
# --quick: enough to see every family work end to end in under a minute, not to compare.
QUICK_MIN_TIME = "0.01"
# --quick also ends the working-set sweeps at 64 MiB (past any L3 of today, so the DRAM end still
# shows): building and first-touching gigabyte buffers would take longer than all the rest.
QUICK_AREA_FLAGS = {
    "simd": ["--flynn_max_bytes=64M"],
    "numa": ["--flynn_max_bytes=64M"],
    "mimd": ["--flynn_stream_bytes=64M"],
    # Messages up to 256 KiB: past the eager limit of every Open MPI transport, in 4 s on 2 ranks.
    "mpi": ["--flynn_mpi_max_bytes=256K"],
}
# A baseline is compared with many later runs, so it is measured in several invocations of every
# binary: how far they drift apart is the band compare.drift_band() allows a later run (DRAM-bound
# figures moved 8-19% between two invocations on the reference VM with nothing changed). 3 x 3
# repetitions also let the U test reach p < 0.05 against a run of 3 (3 vs 3 never goes below p = 0.1).
BASELINE_RUNS = 3
BASELINE_REPETITIONS = 3
# As --help names it: fixed at import, so that a test pointing RUNS_DIR elsewhere still gets help.
_RUNS_SHOWN = (machine.RUNS_DIR.relative_to(build.REPO_ROOT) if machine.RUNS_DIR.is_relative_to(build.REPO_ROOT)
               else machine.RUNS_DIR)
# Google Benchmark flags that scripts/run sets itself, and its own flag to use instead.
OWN_FLAGS = {
    "--benchmark_out": "--out FILE",
    "--benchmark_filter": "--filter REGEX",
    "--benchmark_repetitions": "--repetitions N",
}


# How long a benchmark binary's process group has, after SIGTERM, before SIGKILL.
_GRACE_S = 2.0


class BinaryFailed(Exception):
    """A benchmark binary crashed or wrote no usable result: a finding, exit 1."""


@dataclass(frozen=True)
class Binary:
    area: str
    path: Path
    count: int


_OUTPUT_HELP = """\
Beside the result FILE.json it writes the plots FILE-<area>.png and the folder FILE-report/
with report.html (every figure read against its limit), report.md (the same as text) and
tables.md (every benchmark's row); the terminal gets the headline card, about 40 lines,
with the report's path."""
_EPILOG = """\
Flags after `--` go to every benchmark binary unchanged,
e.g. -- --benchmark_enable_random_interleaving=true

exit status:
  0  done
  1  a benchmark binary failed, or a check found benchmarks slower twice
  2  bad input (a flag, --out); or the report could not be built: then the result
     file and its plots are kept, one `error:` line says what failed, and a check
     still runs (what it finds slower still exits 1)"""


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = ArgumentParser(
        prog="scripts/run",
        description=__doc__.split("\n\n", 1)[0] + "\n\n" + _OUTPUT_HELP,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help=f"min_time {QUICK_MIN_TIME} s, working sets up to 64 MiB, 1 repetition")
    parser.add_argument(
        "--filter", metavar="REGEX", help="Google Benchmark's --benchmark_filter, e.g. '^ctxsw/pipe/'"
    )
    parser.add_argument(
        "--repetitions", metavar="N", type=arguments.positive_int,
        help=f"repetitions per benchmark (default {DEFAULT_REPETITIONS}; 1 with --quick, "
        f"but {BASELINE_REPETITIONS} with --baseline, --against-baseline or --against-build)",
    )
    parser.add_argument(
        "--runs", metavar="K", type=arguments.positive_int,
        help="invoke every binary K times, one after the other, and keep each invocation's repetitions "
        f"apart so that scripts/compare sees the drift between runs (default 1, {BASELINE_RUNS} with --baseline "
        "or --against-build)",
    )
    parser.add_argument(
        "--out", metavar="FILE", type=Path,
        help=f"result file (default {_RUNS_SHOWN}/<host>-<UTC time>.json); an existing "
        "one, or PNGs or a report folder of that name beside it, are refused without --force, and a "
        "symbolic link always is (give the file it points to)",
    )
    parser.add_argument(
        "--no-build", action="store_true",
        help="run the binaries already in build/bin without configuring or building first (several "
        "processes sharing one checkout, as the nodes of scripts/slurm/flynn.sbatch do, would race on "
        "one build directory)",
    )
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out file, its PNGs, its report folder's files and its check files")
    parser.add_argument(
        "--baseline", action="store_true",
        help="also store the result as this machine's baseline, results/baselines/<machine id>.json, "
        f"for scripts/compare --against-baseline (default {BASELINE_RUNS} runs of {BASELINE_REPETITIONS} repetitions)",
    )
    parser.add_argument(
        "--against-baseline", action="store_true",
        help="then compare the result with this machine's baseline (scripts/compare --against-baseline), "
        f"rerun the benchmarks found slower ({BASELINE_RUNS} runs), and exit 1 only for those slower again",
    )
    parser.add_argument(
        "--against-build", metavar="BIN_DIR", type=Path,
        help="the binaries of another build (say of the revision before a change): run each in turn with "
        f"this build's, --runs times (default {BASELINE_RUNS}), compare them run by run (scripts/compare "
        "--paired), rerun what is slower, both builds in turn, and exit 1 for what is slower again",
    )
    parser.add_argument(
        "--mpi", metavar="HOSTS",
        help="run flynn_mpi across these hosts: a hostfile (one rank per host), or test:K for K test "
        "hosts in network namespaces made for the run (scripts/lib/test-hosts; root). Default: 2 local "
        "ranks, where shared memory is the transport, when flynn_mpi is built and mpirun is installed",
    )
    parser.add_argument(
        "--vm", metavar="SPEC",
        help="run inside a QEMU guest of this topology (numa:2, numa:4,cpus:2, sockets:2,cores:2,threads:2) "
        "to rehearse a machine you do not have; timings are emulated and marked so "
        f"(default filter {vm.RUN_FILTER}, min_time {vm.RUN_MIN_TIME} s, 1 repetition)",
    )
    args = parser.parse_args(own)
    checks = [flag for flag, given in (("--baseline", args.baseline), ("--against-baseline", args.against_baseline),
                                       ("--against-build", args.against_build is not None), ("--vm", args.vm is not None))
              if given]
    if len(checks) > 1:
        raise FlynnError(f"{' and '.join(checks)}: choose one")
    if args.against_build is not None and not args.against_build.is_dir():
        raise FlynnError(f"--against-build {args.against_build}: not a directory")
    if args.mpi is not None:
        if args.vm is not None:
            raise FlynnError("--mpi and --vm: choose one (the guest has no MPI)")
        mpi_launch.parse_hosts(args.mpi)
        if shutil.which("mpirun") is None:
            raise FlynnError(f"--mpi {args.mpi}: Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)")
    if args.vm is not None:
        args.vm = vm.parse_spec(args.vm)
        if args.runs not in (None, 1):
            raise FlynnError("--runs with --vm: the guest boots once and runs every binary once")
        args.filter = vm.RUN_FILTER if args.filter is None else args.filter
    if args.filter is not None:
        names.compile_filter(args.filter)
    for flag in extra:
        for prefix, ours in OWN_FLAGS.items():
            if flag.startswith(prefix):
                raise FlynnError(f"{flag.split('=')[0]} is set by scripts/run; use {ours}")
    # The last --benchmark_min_time wins in the binary, and the context must say which.
    given = [flag.split("=", 1)[1] for flag in extra if flag.startswith("--benchmark_min_time=")]
    args.min_time = given[-1] if given else vm.RUN_MIN_TIME if args.vm else QUICK_MIN_TIME if args.quick else DEFAULT_MIN_TIME
    if args.repetitions is None:
        # A quick baseline (the curated one in results/baselines/), and a run checked against one,
        # still need their repetitions.
        checked = args.baseline or args.against_baseline or args.against_build is not None
        args.repetitions = BASELINE_REPETITIONS if checked else 1 if args.quick or args.vm else DEFAULT_REPETITIONS
    if args.runs is None:
        args.runs = BASELINE_RUNS if args.baseline or args.against_build else 1
    if args.against_build is not None and args.runs < BASELINE_RUNS:
        raise FlynnError(
            f"--against-build needs --runs {BASELINE_RUNS} or more: the pairs of runs are what it compares, "
            "and 2 pairs leave the t interval 1 degree of freedom"
        )
    if args.baseline and args.runs < 2:
        raise FlynnError("--baseline needs --runs 2 or more: one run cannot show how far runs drift apart")
    needed = compare.min_repetitions(compare.DEFAULT_ALPHA)
    if (args.baseline or args.against_build) and args.runs * args.repetitions < needed:
        flag = "--baseline" if args.baseline else "--against-build"
        raise FlynnError(
            f"{flag} needs {needed} or more repetitions over all runs: with {args.runs} x {args.repetitions} "
            f"the U test cannot reach alpha {compare.DEFAULT_ALPHA:g}"
        )
    return args, extra


def run_settings(args: argparse.Namespace) -> dict[str, str]:
    """What Google Benchmark does not record, yet changes the figures: compare warns when they differ."""
    return dict(zip(machine.RUN_KEYS, (args.min_time, "quick" if args.quick else "full")))


def default_out() -> Path:
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname().split(".")[0]) or "host"
    return machine.RUNS_DIR / f"{host}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"


def _filter_flags(pattern: str | None) -> list[str]:
    return [] if pattern is None else [f"--benchmark_filter={pattern}"]


def area_flags(area: str, quick: bool) -> list[str]:
    return QUICK_AREA_FLAGS.get(area, []) if quick else []


# Random interleaving shuffles each process's run order on its own: flynn_mpi refuses it (its
# ranks would enter different benchmarks), so the other areas run interleaved and flynn_mpi in
# its one order, with a note.
_SHUFFLE = "--benchmark_enable_random_interleaving"


def mpi_extra(extra: list[str]) -> list[str]:
    """The user's flags as flynn_mpi gets them: without random interleaving."""
    return [flag for flag in extra if flag != _SHUFFLE and not flag.startswith(_SHUFFLE + "=")]


def count(path: Path, pattern: str | None, flags: list[str], extra: list[str] = ()) -> int:
    """How many benchmarks the binary lists for these flags. The user's flags after `--` go too,
    so that one the binaries refuse is bad input before anything runs."""
    mpi = path.name == "flynn_mpi"
    launch, env = mpi_launch.local_command(path) if mpi else ([str(path)], None)
    command = [*launch, "--benchmark_list_tests", *_filter_flags(pattern), *flags, *(mpi_extra(extra) if mpi else extra)]
    # A session of its own, ended whole if the listing hangs: mpirun's ranks with it.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=120)
    except BaseException as error:
        sessions.end(process, _GRACE_S)
        if isinstance(error, subprocess.TimeoutExpired):
            raise BinaryFailed(f"`{shlex.join(command)}` did not list its benchmarks within 120 s") from None
        raise
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if completed.returncode == EXIT_BAD_INPUT and pattern is not None and "matches no benchmark" in completed.stderr:
        # The harness refuses a filter that matches none of its benchmarks; for the listing that is
        # a binary the run leaves out, not bad input (a --filter of one area matches in one binary).
        return 0
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        said = textsafe.terminal(lines[-1] if lines else "no output")
        if completed.returncode == EXIT_BAD_INPUT:
            raise FlynnError(f"{path.name} refused its flags: {said}")
        raise BinaryFailed(f"`{shlex.join(command)}` exited {completed.returncode}: {said}")
    return sum(1 for line in completed.stdout.splitlines() if line.strip())


def selected(pattern: str | None, quick: bool, extra: list[str] = (), mpi: str | None = None) -> list[Binary]:
    """The built binaries that list a benchmark for this filter. flynn_mpi needs mpirun: without
    it (and without --mpi, which refuses that earlier) it is left out with a note."""
    built, missing = [], []
    for area, name in AREAS:
        path = build.BIN_DIR / name
        if area == "mpi" and path.is_file() and shutil.which("mpirun") is None:
            print("note: flynn_mpi is built but mpirun is not installed; skipped", file=sys.stderr)
            continue
        if area == "mpi" and mpi is not None and not path.is_file():
            raise FlynnError(f"--mpi {mpi}: flynn_mpi is not built (Open MPI's libopenmpi-dev was not found "
                             "when the build was configured)")
        (built if path.is_file() else missing).append((area, path))
    if missing:
        print(f"note: not built yet, skipped: {', '.join(path.name for _, path in missing)}", file=sys.stderr)
    chosen = [Binary(area, path, count(path, pattern, area_flags(area, quick), extra)) for area, path in built]
    # flynn_mpi is listed on 2 local ranks, but some of its names exist only on the hosts
    # (placement:cross_host, rank_b:3, ranks:4): there a filter it lists nothing for still runs
    # it, and the hosts' flynn_mpi says (count 0: as the hosts list them).
    on_hosts = mpi is not None and mpi != "local" and pattern is not None
    chosen = [binary for binary in chosen if binary.count > 0 or (binary.area == "mpi" and on_hosts)]
    if any(binary.area == "mpi" for binary in chosen) and mpi_extra(extra) != list(extra):
        print(f"note: {_SHUFFLE} is not passed to flynn_mpi: every rank would shuffle its own order and their "
              "loops would not meet; it runs its benchmarks in one order", file=sys.stderr)
    return chosen


def _run_mpi(binary: Binary, out: Path, flags: list[str], header: str, args: argparse.Namespace) -> results.Result:
    hosts = args.mpi or "local"
    print(f"{header} on {hosts} (mpirun)", file=sys.stderr, flush=True)
    started = time.monotonic()
    mpi_launch.run_mpi(binary.path, hosts, out, flags, MPI_TIMEOUT_S[bool(args.quick)])
    print(f"{binary.path.name}: finished in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    try:
        return results.load(out)
    except FlynnError as error:
        raise BinaryFailed(f"{binary.path.name} wrote no usable result: {error}") from None


def _run_binary(binary: Binary, out: Path, flags: list[str], extra: list[str], header: str) -> results.Result:
    print(header, file=sys.stderr, flush=True)
    # The user's flags come last so that they win over our defaults.
    command = [str(binary.path), *flags, f"--benchmark_out={out}", "--benchmark_out_format=json", *extra]
    # The binary's console table is progress, so it goes to stderr with ours.
    started = time.monotonic()
    status = run_in_group(command, stdout=sys.stderr.fileno())
    print(f"{binary.path.name}: finished in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    if status == EXIT_BAD_INPUT:
        raise FlynnError(f"{binary.path.name} refused its flags (exit status {status}; its message is above)")
    if status != 0:
        raise BinaryFailed(f"{binary.path.name} failed with exit status {status}")
    try:
        return results.load(out)
    except FlynnError as error:
        raise BinaryFailed(f"{binary.path.name} wrote no usable result: {error}") from None


def run_in_group(command: list[str], **options: object) -> int:
    """Runs a command in a process group of its own and, however this ends (the command's own
    exit, Ctrl-C, SIGTERM, an exception), ends that whole group: a process a benchmark forked (a
    ping-pong partner) must not outlive it, spin, or hold our stderr open for ever."""
    # A session of its own, not only a group: without a controlling terminal, `stty tostop` cannot
    # stop it for writing its table to ours, and Ctrl-C reaches us alone, who then end it.
    process = subprocess.Popen(command, start_new_session=True, **options)
    try:
        # Wait without reaping: while the leader is a zombie its pid, the session's id, stays
        # ours, so ending the session can only reach processes we started.
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    except BaseException:
        sessions.end(process, _GRACE_S, signal.SIGTERM)
        raise
    return sessions.end(process, _GRACE_S, signal.SIGKILL)  # what it left behind has no reason to stay


def run_all(binaries: list[Binary], args: argparse.Namespace, extra: list[str],
             other: Path | None = None) -> list[list[results.Result]]:
    """The results of this build's binaries, then, with `other` (a bin directory of another
    build), those of its binaries of the same names, each run right beside this build's."""
    flags = [
        *_filter_flags(args.filter),
        f"--benchmark_repetitions={args.repetitions}",
        f"--benchmark_min_time={args.min_time}",
    ]
    if args.vm is not None:
        return [_run_in_guest(binaries, args.vm, flags, extra)]
    builds = [None] if other is None else [None, other]
    loaded: list[list[results.Result]] = [[] for _ in builds]
    # The per-binary files are only inputs to the merge; the directory goes
    # away on any exit, Ctrl-C included.
    with tempfile.TemporaryDirectory(prefix="flynn-run-") as scratch:
        # Invocation after invocation rather than binary after binary, so that a slow
        # drift of the machine spreads over every run instead of landing on one.
        for invocation in range(args.runs):
            for index, binary in enumerate(binaries, 1):
                # Two builds take turns to go first, so that neither always follows the other.
                for side in range(len(builds)) if invocation % 2 == 0 else reversed(range(len(builds))):
                    build_dir = builds[side]
                    chosen = binary if build_dir is None else replace(binary, path=build_dir / binary.path.name)
                    which = f"[run {invocation + 1}/{args.runs}] " if args.runs > 1 else ""
                    shown = chosen.path if other else binary.path.name
                    listed = f"{binary.count} benchmarks" if binary.count else "the benchmarks the hosts list"
                    header = f"{which}[{index}/{len(binaries)}] {shown}: {listed} x {args.repetitions} repetitions"
                    binary_flags = [*flags, *area_flags(binary.area, args.quick)]
                    out = Path(scratch) / f"{binary.path.name}-{invocation}-{side}.json"
                    if binary.area == "mpi":
                        try:
                            result = _run_mpi(chosen, out, [*binary_flags, *mpi_extra(extra)], header, args)
                        except FlynnError as error:
                            if binary.count or "matches no benchmark" not in str(error):
                                raise
                            if len(binaries) == 1:
                                raise FlynnError(f"no benchmark matches --filter {args.filter!r}, flynn_mpi's on "
                                                 f"{args.mpi} included") from None
                            print(f"note: --filter {args.filter!r} matches no benchmark of flynn_mpi on {args.mpi} "
                                  "either; left out", file=sys.stderr)
                            continue
                    else:
                        result = _run_binary(chosen, out, binary_flags, extra, header)
                    if args.runs > 1:
                        results.tag_invocation(result, invocation)
                    loaded[side].append(result)
    return loaded


def _run_in_guest(binaries: list[Binary], topology: vm.Topology, flags: list[str],
                  extra: list[str]) -> list[results.Result]:
    print(f"booting a QEMU guest ({topology.spec}, software emulation) for "
          f"{', '.join(b.path.name for b in binaries)}", file=sys.stderr, flush=True)
    commands = vm.run_commands([(b.area, b.path) for b in binaries], flags, extra)
    try:
        outputs = vm.boot(topology, commands, vm.RUN_TIMEOUT_S)
    except vm.GuestFailed as error:
        raise BinaryFailed(str(error)) from None
    loaded = []
    with tempfile.TemporaryDirectory(prefix="flynn-run-") as scratch:
        for binary in binaries:
            output = outputs[binary.area]
            if output.status != 0:
                raise BinaryFailed(f"{binary.path.name} failed in the guest with exit status {output.status}")
            path = Path(scratch) / f"{binary.path.name}.json"
            path.write_text(output.document)
            try:
                loaded.append(results.load(path))
            except FlynnError as error:
                raise BinaryFailed(f"{binary.path.name} wrote no usable result in the guest: {error}") from None
    return loaded


def _cross_check(out: Path, document: dict[str, Any], binaries: list[Binary], quick: bool) -> None:
    ctxsw = [binary.path for binary in binaries if binary.area == "ctxsw"]
    if not ctxsw or perf_check.reference(results.from_document(out, document)) is None:
        return
    found = perf_check.cross_check(ctxsw[0], perf_check.QUICK_LOOPS if quick else perf_check.LOOPS)
    if found is not None:
        document["context"][perf_check.CONTEXT_KEY] = f"{found[0]:.1f}"
        document["context"][perf_check.FLYNN_CONTEXT_KEY] = f"{found[1]:.1f}"
        results.save(out, document)


def merge(loaded: list[results.Result], args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    document = results.merge(loaded)
    document["context"].update(run_settings(args))
    # scripts/fleet: the filter (a fleet's nodes must share it), and the Slurm node and job
    # (scripts/slurm/flynn.sbatch) that name a node's result.
    if args.filter is not None:
        document["context"]["flynn_filter"] = args.filter
    if extra:
        document["context"][machine.FLAGS_KEY] = shlex.join(extra)
    for key, variable in (("slurm_node", "SLURMD_NODENAME"), ("slurm_job_id", "SLURM_JOB_ID")):
        if os.environ.get(variable):
            document["context"][key] = os.environ[variable]
    return document




def report_dir(out: Path) -> Path:
    """Where the report of the result `out` goes: a folder of its own, so that every run keeps its report."""
    return out.with_name(f"{plot.stem(out)}-report")


def outputs(out: Path) -> list[Path]:
    """Every file and folder a run writes beside --out: its PNGs and its report folder."""
    return [*(out.with_name(f"{plot.stem(out)}-{area}.png") for area in plot.PLOTTERS), report_dir(out)]


def check_out(out: Path, args: argparse.Namespace, also: list[Path] = ()) -> None:
    """Before building or running anything: --out can be written, and nothing there (nor `also`,
    a check's files) is replaced unless --force says so. A symbolic link is refused even then:
    replacing the link with a file or writing through it to somewhere else would both surprise someone."""
    if out.is_symlink():
        raise FlynnError(f"--out {out}: is a symbolic link (to {os.readlink(out)}); give the file itself")
    results.check_writable(out, "--out")
    folder = report_dir(out)
    if folder.is_symlink():
        raise FlynnError(f"--out {out}: its report folder {folder} is a symbolic link (to {os.readlink(folder)}); "
                         "remove it or choose another --out")
    if folder.exists() and not folder.is_dir():
        raise FlynnError(f"--out {out}: {folder} is in the way of its report folder and is not a directory")
    if folder.is_dir():
        results.check_directory(folder, "--out", shown=out)
    if args.force:
        return
    existing = [path for path in [out, *outputs(out), *also] if path.exists() or path.is_symlink()]
    if existing:
        raise FlynnError(f"--out {out}: would replace {', '.join(str(path) for path in existing)}; "
                         "pass --force to replace, or choose another --out")


@dataclass
class Measured:
    """A run written to its result file: what the plots, the report and the checks start from."""

    out: Path
    document: dict[str, Any]
    result: results.Result
    # With --against-build, the other build's results, one per binary.
    other: list[results.Result] | None = None


def measure(out: Path, args: argparse.Namespace, extra: list[str],
            select: Callable[[list[Binary]], list[Binary]] | None = None) -> Measured:
    """Builds, runs the binaries (those `select` keeps) and writes the result to `out`.
    Raises BinaryFailed for a binary that fails, before anything is written."""
    if args.no_build:
        if not build.BIN_DIR.is_dir():
            raise FlynnError(f"--no-build: {build.BIN_DIR} does not exist; build first (scripts/run without --no-build)")
    else:
        build.build()
    binaries = selected(args.filter, args.quick, extra, args.mpi)
    if not binaries:
        raise FlynnError(
            "no benchmark matches" + (f" --filter {args.filter!r}" if args.filter else "")
            + f" in the binaries under {build.BIN_DIR}"
        )
    if args.vm is not None:
        # A guest boots one process per binary: it has no mpirun to start ranks.
        binaries = [binary for binary in binaries if binary.area != "mpi"]
    if select is not None:
        binaries = select(binaries)
    loaded, *other = run_all(binaries, args, extra, args.against_build)
    document = merge(loaded, args, extra)
    if args.vm is not None:
        vm.mark_emulated(document["context"], args.vm)
    # Written before the cross-check, so a hang or Ctrl-C there keeps the data.
    results.save(out, document)
    if args.vm is None:  # perf on this host says nothing about an emulated guest
        _cross_check(out, document, binaries, args.quick)
    numa = [result for binary, result in zip(binaries, loaded) if binary.area == "numa"]
    if numa and numa[0].context.get("topology_numa_nodes") == "1":
        print("note: 1 NUMA node: remote-memory pairs are skipped", file=sys.stderr)
    return Measured(out, document, results.from_document(out, document), other[0] if other else None)


def write_report(result: results.Result, drawn: dict[str, bytes] | None = None) -> str:
    """The report of the result file beside it, with every benchmark's row in tables.md; the card."""
    # Imported here, not at the top: --help or a refused flag needs none of the report's matplotlib
    # and jinja2.
    from flynn.report import output

    folder = report_dir(result.path)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise FlynnError(f"{folder}: cannot create it: {error.strerror or error}") from None
    tables = folder / "tables.md"
    try:
        output.write_text_atomic(tables, summary.format_summary(result))
    except OSError as error:
        raise FlynnError(f"{tables}: cannot write it: {error.strerror or error}") from None
    return output.report([result.path], folder, drawn=drawn)[2]


def present(measured: Measured, lines: list[str] = ()) -> int:
    """The plots and the report of a written result, and what the terminal shows of them: the
    paths, then the card. 2 when the report cannot be built; the result and plots stay."""
    out = measured.out
    # Each area's figure is drawn once, for its PNG and for the report.
    drawn: dict[str, bytes] = {}
    plots = plot.write_plots(measured.result, out.parent, drawn)
    print(f"result: {out}")
    for line in lines:
        print(line)
    print(f"plots: {' '.join(str(path) for path in plots) or 'none'}")
    sys.stdout.flush()
    try:
        card = write_report(measured.result, drawn)
    except FlynnError as error:
        failed = str(error)
    except Exception as error:  # noqa: BLE001  (a broken reading must not cost the run its exit message)
        failed = f"{type(error).__name__}: {error}"
    else:
        print(f"tables: {report_dir(out) / 'tables.md'}")
        print(card, end="")
        return 0
    print(f"error: the report of {out} could not be built: {textsafe.terminal(failed)}; "
          "the result and its plots are kept", file=sys.stderr)
    return EXIT_BAD_INPUT


@entry_point
def main(argv: list[str]) -> int:
    args, extra = parse_args(argv)
    if args.baseline or args.against_baseline or args.against_build is not None:
        # flynn.checks sits over this module (it runs binaries through it), so it is imported
        # here, where a checked run is handed over to it, and never at the top.
        from flynn import checks

        return checks.main(args, extra)
    out = args.out or default_out()
    check_out(out, args)
    try:
        measured = measure(out, args, extra)
    except BinaryFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FINDING
    return present(measured)
