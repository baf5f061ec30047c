"""`scripts/run`: build, run every built area binary, merge their results into one
file, cross-check against perf, plot, and print a summary."""

import argparse
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flynn import build, compare, machine, names, perf_check, plot, results, summary, textsafe, vm
from flynn.errors import EXIT_BAD_INPUT, EXIT_FINDING, ArgumentParser, FlynnError, entry_point

# One binary per area; scripts/run runs those that are built, in this order.
AREAS = [
    ("ctxsw", "flynn_ctxsw"), ("simd", "flynn_simd"), ("mimd", "flynn_mimd"), ("numa", "flynn_numa"),
    ("sync", "flynn_sync"),  # writes the sync/ and io/ areas
]
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
}
# A baseline is compared with many later runs, so it is measured in several invocations of every
# binary: how far they drift apart is the band compare.drift_band() allows a later run (DRAM-bound
# figures moved 8-19% between two invocations on the reference VM with nothing changed). 3 x 3
# repetitions also let the U test reach p < 0.05 against a run of 3 (3 vs 3 never goes below p = 0.1).
BASELINE_RUNS = 3
BASELINE_REPETITIONS = 3
RUNS_DIR = build.REPO_ROOT / "results" / "runs"
# In the context of a --against-baseline rerun or of the other build's result of --against-build:
# the file name of the run it was made to check. scripts/history leaves such files out.
CHECK_OF_KEY = "flynn_check_of"
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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = ArgumentParser(
        prog="scripts/run",
        description=__doc__,
        epilog="Flags after `--` go to every benchmark binary unchanged, "
        "e.g. -- --benchmark_enable_random_interleaving=true",
    )
    parser.add_argument("--quick", action="store_true", help=f"min_time {QUICK_MIN_TIME} s, working sets up to 64 MiB, 1 repetition")
    parser.add_argument(
        "--filter", metavar="REGEX", help="Google Benchmark's --benchmark_filter, e.g. '^ctxsw/pipe/'"
    )
    parser.add_argument(
        "--repetitions", metavar="N", type=_positive,
        help=f"repetitions per benchmark (default {DEFAULT_REPETITIONS}; 1 with --quick, "
        f"but {BASELINE_REPETITIONS} with --baseline, --against-baseline or --against-build)",
    )
    parser.add_argument(
        "--runs", metavar="K", type=_positive,
        help="invoke every binary K times, one after the other, and keep each invocation's repetitions "
        f"apart so that scripts/compare sees the drift between runs (default 1, {BASELINE_RUNS} with --baseline "
        "or --against-build)",
    )
    parser.add_argument(
        "--out", metavar="FILE", type=Path,
        help=f"result file (default {RUNS_DIR.relative_to(build.REPO_ROOT)}/<host>-<UTC time>.json); an existing "
        "one, or PNGs of that name beside it, are refused without --force, and a symbolic link always is "
        "(give the file it points to)",
    )
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out file, its PNGs and its check files")
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
    if args.against_baseline:
        _check_baseline_exists(args)
    return args, extra


def _run_settings(args: argparse.Namespace) -> dict[str, str]:
    """What Google Benchmark does not record, yet changes the figures: compare warns when they differ."""
    return dict(zip(machine.RUN_KEYS, (args.min_time, "quick" if args.quick else "full")))


def _check_baseline_exists(args: argparse.Namespace) -> None:
    """Before minutes of running: this host has a baseline measured the way this run will be, and
    this run has repetitions enough for the U test against it."""
    needed = compare.min_repetitions(compare.DEFAULT_ALPHA, against=BASELINE_RUNS * BASELINE_REPETITIONS)
    if args.runs * args.repetitions < needed:
        raise FlynnError(
            f"--against-baseline needs {needed} or more repetitions over all runs: with {args.runs} x "
            f"{args.repetitions} the U test against a baseline of {BASELINE_RUNS} x {BASELINE_REPETITIONS} "
            f"cannot reach alpha {compare.DEFAULT_ALPHA:g}"
        )
    host = socket.gethostname()
    found = machine.host_baselines(host)
    if not found:
        raise FlynnError(
            f"--against-baseline: no baseline for host {host!r} in {machine.BASELINES_DIR} "
            "(make one with scripts/run --baseline)"
        )
    wanted = _run_settings(args)
    seen = []
    for path in found:
        context = results.load(path).context
        if all(str(context.get(key)) == value for key, value in wanted.items()):
            return
        seen.append(", ".join(f"{key} {context.get(key)!r}" for key in wanted))
    raise FlynnError(
        f"--against-baseline: this run would have {', '.join(f'{k} {v!r}' for k, v in wanted.items())}, "
        f"but the baseline of host {host!r} has {'; '.join(seen)} (pass the same --quick or min_time)"
    )


def default_out() -> Path:
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname().split(".")[0]) or "host"
    return RUNS_DIR / f"{host}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"


def _filter_flags(pattern: str | None) -> list[str]:
    return [] if pattern is None else [f"--benchmark_filter={pattern}"]


def _area_flags(area: str, quick: bool) -> list[str]:
    return QUICK_AREA_FLAGS.get(area, []) if quick else []


def _count(path: Path, pattern: str | None, area_flags: list[str], extra: list[str] = ()) -> int:
    """How many benchmarks the binary lists for these flags. The user's flags after `--` go too,
    so that one the binaries refuse is bad input before anything runs."""
    command = [str(path), "--benchmark_list_tests", *_filter_flags(pattern), *area_flags, *extra]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        said = textsafe.terminal(lines[-1] if lines else "no output")
        if completed.returncode == EXIT_BAD_INPUT:
            raise FlynnError(f"{path.name} refused its flags: {said}")
        raise BinaryFailed(f"`{shlex.join(command)}` exited {completed.returncode}: {said}")
    return sum(1 for line in completed.stdout.splitlines() if line.strip())


def _selected(pattern: str | None, quick: bool, extra: list[str] = ()) -> list[Binary]:
    built, missing = [], []
    for area, name in AREAS:
        path = build.BIN_DIR / name
        (built if path.is_file() else missing).append((area, path))
    if missing:
        print(f"note: not built yet, skipped: {', '.join(path.name for _, path in missing)}", file=sys.stderr)
    chosen = [Binary(area, path, _count(path, pattern, _area_flags(area, quick), extra)) for area, path in built]
    return [binary for binary in chosen if binary.count > 0]


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
        # Wait without reaping: while the leader is a zombie its pid, the group's id, stays ours,
        # so the killpg below can only reach processes we started.
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    except BaseException:
        _end_group(process, signal.SIGTERM)
        raise
    _end_group(process, signal.SIGKILL)  # what it left behind has no reason to stay
    return process.wait()


def _end_group(process: subprocess.Popen, first: int) -> None:
    try:
        os.killpg(process.pid, first)
    except (ProcessLookupError, PermissionError):
        pass
    if first != signal.SIGKILL:
        deadline = time.monotonic() + _GRACE_S
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                break
            time.sleep(0.02)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()


def _run_all(binaries: list[Binary], args: argparse.Namespace, extra: list[str],
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
                    header = (
                        f"{which}[{index}/{len(binaries)}] {shown}: {binary.count} benchmarks x {args.repetitions} repetitions"
                    )
                    binary_flags = [*flags, *_area_flags(binary.area, args.quick)]
                    out = Path(scratch) / f"{binary.path.name}-{invocation}-{side}.json"
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


def _merge(loaded: list[results.Result], args: argparse.Namespace) -> dict[str, Any]:
    document = results.merge(loaded)
    document["context"].update(_run_settings(args))
    return document


def _literal(name: str) -> str:
    """A benchmark name as a POSIX extended regex (Google Benchmark's filter), matched whole:
    only the characters special there are escaped (an escaped `]` or `}` is undefined)."""
    return "^" + re.sub(r"([.[\\()*+?{|^$])", r"\\\1", name) + "$"


def _write_check(path: Path, loaded: list[results.Result], args: argparse.Namespace, checks: Path) -> results.Result:
    """A result made to check another run: beside it, and marked so that scripts/history does
    not take it for a run of its own."""
    document = _merge(loaded, args)
    document["context"][CHECK_OF_KEY] = checks.name
    results.save(path, document)
    return results.from_document(path, document)


def _check_against_baseline(out: Path, result: results.Result, args: argparse.Namespace,
                            extra: list[str]) -> int:
    baseline = compare.load_baseline(result.context)
    return _confirm(compare.compare_results(baseline, result, compare.Settings()), out, args, extra, baseline)


def _compare_builds(out: Path, result: results.Result, other: list[results.Result],
                    args: argparse.Namespace, extra: list[str]) -> int:
    """The other build is BASE: a drift of the machine moved both builds' runs alike, and the
    paired comparison takes it out."""
    base = _write_check(out.with_name(f"{out.stem}-base.json"), other, args, out)
    print(f"other build: {base.path}")
    return _confirm(compare.compare_results(base, result, compare.Settings(paired=True)), out, args, extra, None)


def _confirm(first: compare.Report, out: Path, args: argparse.Namespace, extra: list[str],
             baseline: results.Result | None) -> int:
    """With hundreds of benchmarks, a few fall outside a 95% band in any run of unchanged code;
    a real regression stays slower when run again. So what `first` found slower runs again,
    BASELINE_RUNS times, against `baseline` or, without one, beside the other build again
    (args.against_build), and only what is slower twice (or cannot be measured again) counts."""
    print(compare.format_report(first, sys.stdout.isatty()), end="")
    flagged = [c.name for c in first.compared if c.verdict == compare.SLOWER]
    if not flagged:
        return 0
    pattern = "|".join(_literal(name) for name in flagged)
    print(f"rerunning the {len(flagged)} benchmark(s) found slower", file=sys.stderr)
    # Never fewer runs or repetitions than a baseline: a rerun too small to reach alpha would
    # clear every benchmark it was meant to check.
    rerun = argparse.Namespace(**{
        **vars(args), "filter": pattern, "runs": max(args.runs, BASELINE_RUNS),
        "repetitions": max(args.repetitions, BASELINE_REPETITIONS),
    })
    try:
        binaries = _selected(pattern, args.quick, extra)
        if binaries and args.against_build is not None:
            binaries = _also_in(binaries, args.against_build, pattern, args.quick)
        loaded = _run_all(binaries, rerun, extra, args.against_build) if binaries else [[]]
    except BinaryFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FINDING
    cleared: set[str] = set()
    if loaded[0]:
        again = _write_check(out.with_name(f"{out.stem}-rerun.json"), loaded[0], rerun, out)
        if baseline is None:
            baseline = _write_check(out.with_name(f"{out.stem}-rerun-base.json"), loaded[1], rerun, out)
        settings = compare.Settings(paired=args.against_build is not None)
        second = compare.compare_results(baseline, again, settings, pattern)
        print(compare.format_report(second, sys.stdout.isatty()), end="")
        print(f"rerun: {again.path}")
        cleared = {c.name for c in second.compared if c.verdict != compare.SLOWER}
    # A benchmark the rerun could not measure again is not cleared.
    confirmed = [name for name in flagged if name not in cleared]
    print(f"slower in both runs (or not measured again): {len(confirmed)} of {len(flagged)} flagged"
          + "".join(f"\n- {textsafe.terminal(name)}" for name in confirmed))
    return EXIT_FINDING if confirmed else 0


def _also_in(binaries: list[Binary], other: Path, pattern: str | None, quick: bool) -> list[Binary]:
    """The binaries whose namesake in `other` lists benchmarks for the same flags: a family the
    change adds, or an area flag an older build lacks, is skipped with a note, not run and failed."""
    shared, skipped = [], []
    for binary in binaries:
        theirs = other / binary.path.name
        try:
            found = theirs.is_file() and _count(theirs, pattern, _area_flags(binary.area, quick)) > 0
        except BinaryFailed as error:
            raise FlynnError(f"--against-build: {error}") from None
        (shared if found else skipped).append(binary)
    if skipped:
        print(f"note: nothing to run beside them in {other}, skipped: "
              f"{', '.join(binary.path.name for binary in skipped)}", file=sys.stderr)
    if not shared:
        raise FlynnError(f"--against-build {other}: none of the selected binaries is there with these benchmarks")
    return shared


def outputs(out: Path, args: argparse.Namespace) -> list[Path]:
    """Every file this run may write beside --out: its PNGs and the files of the checks."""
    beside = [out.with_name(f"{plot.stem(out)}-{area}.png") for area in plot.PLOTTERS]
    if args.against_baseline or args.against_build is not None:
        beside += [out.with_name(f"{out.stem}-{suffix}.json") for suffix in ("base", "rerun", "rerun-base")]
    return beside


def check_out(out: Path, args: argparse.Namespace) -> None:
    """Before building or running anything: --out can be written, and nothing there is replaced
    unless --force says so. A symbolic link is refused even then: replacing the link with a file
    or writing through it to somewhere else would both surprise someone."""
    if out.is_symlink():
        raise FlynnError(f"--out {out}: is a symbolic link (to {os.readlink(out)}); give the file itself")
    results.check_writable(out, "--out")
    if args.force:
        return
    existing = [path for path in [out, *outputs(out, args)] if path.exists() or path.is_symlink()]
    if existing:
        raise FlynnError(f"--out {out}: would replace {', '.join(str(path) for path in existing)}; "
                         "pass --force to replace, or choose another --out")


@entry_point
def main(argv: list[str]) -> int:
    args, extra = parse_args(argv)
    out = args.out or default_out()
    check_out(out, args)
    build.build()
    try:
        binaries = _selected(args.filter, args.quick, extra)
        if not binaries:
            raise FlynnError(
                "no benchmark matches" + (f" --filter {args.filter!r}" if args.filter else "")
                + f" in the binaries under {build.BIN_DIR}"
            )
        if args.against_build is not None:
            binaries = _also_in(binaries, args.against_build, args.filter, args.quick)
        loaded, *other = _run_all(binaries, args, extra, args.against_build)
    except BinaryFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FINDING

    document = _merge(loaded, args)
    if args.vm is not None:
        vm.mark_emulated(document["context"], args.vm)
    # Written before the cross-check, so a hang or Ctrl-C there keeps the data.
    results.save(out, document)
    if args.vm is None:  # perf on this host says nothing about an emulated guest
        _cross_check(out, document, binaries, args.quick)
    baseline = None
    if args.baseline:
        baseline = machine.baseline_path(machine.identity(document["context"]))
        results.save(baseline, document)
    numa = [result for binary, result in zip(binaries, loaded) if binary.area == "numa"]
    if numa and numa[0].context.get("topology_numa_nodes") == "1":
        print("note: 1 NUMA node: remote-memory pairs are skipped", file=sys.stderr)

    result = results.from_document(out, document)
    plots = plot.write_plots(result, out.parent)
    print(summary.format_summary(result))
    print(f"result: {out}")
    if baseline is not None:
        print(f"baseline: {baseline}")
    print(f"plots: {' '.join(str(path) for path in plots) or 'none'}")
    if other:
        return _compare_builds(out, result, other[0], args, extra)
    return _check_against_baseline(out, result, args, extra) if args.against_baseline else 0
