"""The regression checks of `scripts/run`: --baseline stores a run as this machine's baseline,
--against-baseline compares a run with it, --against-build runs another build's binaries beside
this one's and compares them run by run; the last two rerun what is slower and count only what is
slower again. Over flynn.run (which builds, runs and writes a result) and flynn.compare: run's
main hands a checked run over to main() here, which takes the result run writes and judges it."""

import argparse
import re
import socket
import sys
from pathlib import Path

from flynn import compare, machine, results, run, textsafe
from flynn.errors import EXIT_FINDING, FlynnError
from flynn.results import CHECK_OF_KEY
from flynn.run import BASELINE_REPETITIONS, BASELINE_RUNS, Binary, BinaryFailed

# What a check writes beside --out, by suffix of its stem: the other build's result, the rerun's
# and, for --against-build, the other build's rerun.
CHECK_FILES = ("base", "rerun", "rerun-base")


def outputs(out: Path, args: argparse.Namespace) -> list[Path]:
    """The files a check may write beside --out: refused like the result without --force."""
    if args.against_baseline or args.against_build is not None:
        return [out.with_name(f"{out.stem}-{suffix}.json") for suffix in CHECK_FILES]
    return []


def check_baseline_exists(args: argparse.Namespace) -> None:
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
    wanted = run.run_settings(args)
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


def main(args: argparse.Namespace, extra: list[str]) -> int:
    """scripts/run with a check flag (parse_args has checked the flags): the run, as run.main
    makes it, then the check. Exit 1 for a binary that failed or what is slower again."""
    if args.against_baseline:
        check_baseline_exists(args)
    out = args.out or run.default_out()
    run.check_out(out, args, outputs(out, args))
    select = None
    if args.against_build is not None:
        def select(binaries: list[Binary]) -> list[Binary]:
            return also_in(binaries, args.against_build, args.filter, args.quick)
    try:
        measured = run.measure(out, args, extra, select)
    except BinaryFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FINDING
    shown = []
    if args.baseline:
        baseline = machine.baseline_path(machine.identity(measured.document["context"]))
        results.save(baseline, measured.document)
        shown.append(f"baseline: {baseline}")
    reported = run.present(measured, shown)
    if measured.other is not None:
        found = compare_builds(out, measured.result, measured.other, args, extra)
    elif args.against_baseline:
        found = against_baseline(out, measured.result, args, extra)
    else:
        found = 0
    # A slowdown found is what a check is for: it wins over a report that could not be built.
    return found or reported


def literal(name: str) -> str:
    """A benchmark name as a POSIX extended regex (Google Benchmark's filter), matched whole:
    only the characters special there are escaped (an escaped `]` or `}` is undefined)."""
    return "^" + re.sub(r"([.[\\()*+?{|^$])", r"\\\1", name) + "$"


def write_check(path: Path, loaded: list[results.Result], args: argparse.Namespace, extra: list[str],
                checks: Path) -> results.Result:
    """A result made to check another run: beside it, and marked so that scripts/history does
    not take it for a run of its own."""
    document = run.merge(loaded, args, extra)
    document["context"][CHECK_OF_KEY] = checks.name
    results.save(path, document)
    return results.from_document(path, document)


def against_baseline(out: Path, result: results.Result, args: argparse.Namespace, extra: list[str]) -> int:
    baseline = compare.load_baseline(result.context)
    return confirm(compare.compare_results(baseline, result, compare.Settings()), out, args, extra, baseline)


def compare_builds(out: Path, result: results.Result, other: list[results.Result],
                   args: argparse.Namespace, extra: list[str]) -> int:
    """The other build is BASE: a drift of the machine moved both builds' runs alike, and the
    paired comparison takes it out."""
    base = write_check(out.with_name(f"{out.stem}-base.json"), other, args, extra, out)
    print(f"other build: {base.path}")
    return confirm(compare.compare_results(base, result, compare.Settings(paired=True)), out, args, extra, None)


def confirm(first: compare.Report, out: Path, args: argparse.Namespace, extra: list[str],
            baseline: results.Result | None) -> int:
    """With hundreds of benchmarks, a few fall outside a 95% band in any run of unchanged code;
    a real regression stays slower when run again. So what `first` found slower runs again,
    BASELINE_RUNS times, against `baseline` or, without one, beside the other build again
    (args.against_build), and only what is slower twice (or cannot be measured again) counts."""
    print(compare.format_report(first, sys.stdout.isatty()), end="")
    flagged = [c.name for c in first.compared if c.verdict == compare.SLOWER]
    if not flagged:
        return 0
    pattern = "|".join(literal(name) for name in flagged)
    print(f"rerunning the {len(flagged)} benchmark(s) found slower", file=sys.stderr)
    # Never fewer runs or repetitions than a baseline: a rerun too small to reach alpha would
    # clear every benchmark it was meant to check.
    rerun = argparse.Namespace(**{
        **vars(args), "filter": pattern, "runs": max(args.runs, BASELINE_RUNS),
        "repetitions": max(args.repetitions, BASELINE_REPETITIONS),
    })
    try:
        binaries = run.selected(pattern, args.quick, extra)
        if binaries and args.against_build is not None:
            binaries = also_in(binaries, args.against_build, pattern, args.quick)
        loaded = run.run_all(binaries, rerun, extra, args.against_build) if binaries else [[]]
    except BinaryFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FINDING
    cleared: set[str] = set()
    if loaded[0]:
        again = write_check(out.with_name(f"{out.stem}-rerun.json"), loaded[0], rerun, extra, out)
        if baseline is None:
            baseline = write_check(out.with_name(f"{out.stem}-rerun-base.json"), loaded[1], rerun, extra, out)
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


def also_in(binaries: list[Binary], other: Path, pattern: str | None, quick: bool) -> list[Binary]:
    """The binaries whose namesake in `other` lists benchmarks for the same flags: a family the
    change adds, or an area flag an older build lacks, is skipped with a note, not run and failed."""
    shared, skipped = [], []
    for binary in binaries:
        theirs = other / binary.path.name
        try:
            found = theirs.is_file() and run.count(theirs, pattern, run.area_flags(binary.area, quick)) > 0
        except BinaryFailed as error:
            raise FlynnError(f"--against-build: {error}") from None
        (shared if found else skipped).append(binary)
    if skipped:
        print(f"note: nothing to run beside them in {other}, skipped: "
              f"{', '.join(binary.path.name for binary in skipped)}", file=sys.stderr)
    if not shared:
        raise FlynnError(f"--against-build {other}: none of the selected binaries is there with these benchmarks")
    return shared
