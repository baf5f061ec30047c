"""`scripts/compare BASE.json NEW.json` (or `--against-baseline NEW.json`): per benchmark, the
change of the median of its repetitions, Google Benchmark's own Mann-Whitney U test (gbench), the
band within which separate runs of unchanged code drift (when a file holds several runs), and a
verdict: slower, faster, unchanged, or too noisy to say. Exit 1 when any benchmark is slower."""

import argparse
import math
import os
import re
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from scipy import stats as scipy_stats

from flynn import machine, names, results, stats, summary, textsafe
from flynn.errors import EXIT_FINDING, ArgumentParser, FlynnError, entry_point
from flynn.results import Result, Run

# A change smaller than this is "unchanged" even when significant: on a shared or
# virtual machine medians of the same code drift by a few percent between runs.
# 5% is also where Google Benchmark's compare.py starts to colour a change red.
DEFAULT_THRESHOLD = 0.05
# compare.py's default significance level.
DEFAULT_ALPHA = 0.05
# Past this coefficient of variation (stdev / mean of the repetitions, in either
# file) the median hides more than it tells: summary.py flags rows at the same 10%.
DEFAULT_MAX_CV = 0.10
# Where Debian's libbenchmark-tools installs Google Benchmark's tools/gbench.
GBENCH_DIR = Path("/usr/share/benchmark")

SLOWER, FASTER, UNCHANGED, NOISY = "slower", "faster", "unchanged", "too noisy"
# Worst first, for the table and its sort.
_VERDICT_RANK = {SLOWER: 0, NOISY: 1, UNCHANGED: 2, FASTER: 3}

LOWER, HIGHER = "lower", "higher"
# Which way is better, for every metric compare and history know; the first match
# wins. Rates (`*_per_second`, also `*_per_second_per_thread`) turn the sign.
BETTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"_per_second(_|$)"), HIGHER),
    (re.compile(r"^ns_per_|_(ns|us|ms)$|^(real|cpu)_time$"), LOWER),
)
# Google Benchmark's own time, in ns, when a run has no counter with a known direction.
TIME_METRIC = "real_time"


def better(metric: str) -> str | None:
    for pattern, direction in BETTER:
        if pattern.search(metric):
            return direction
    return None


def choose_metric(run: Run) -> str:
    """The primary counter summary.py picks when its direction is known, else the first
    counter whose direction is known (overhead_us beside omp_threads), else real time."""
    primary = summary.primary_counter(run)
    for key in ([primary] if primary else []) + run.counters():
        if better(key) is not None:
            return key
    return TIME_METRIC


def _row_values(rows: list[results.Row], metric: str) -> list[float]:
    if metric == TIME_METRIC:
        return [results.time_ns(row) for row in rows]
    return [float(row[metric]) for row in rows if results._is_number(row.get(metric))]


def metric_values(run: Run, metric: str) -> list[float]:
    return _row_values(run.repetitions, metric)


def metric_groups(run: Run, metric: str) -> dict[object, list[float]]:
    """The metric's values per invocation of the binary (one group unless scripts/run --runs)."""
    return {key: values for key, rows in run.by_invocation().items() if (values := _row_values(rows, metric))}


def load_gbench(directory: Path | None = None) -> ModuleType:
    """gbench.report from libbenchmark-tools: its U test is the one compare.py uses."""
    directory = directory or GBENCH_DIR
    where = directory / "gbench" / "report.py"
    if not where.is_file():
        raise FlynnError(
            f"Google Benchmark's gbench package is missing ({where} not found): "
            "install Debian's libbenchmark-tools (apt-get install libbenchmark-tools)"
        )
    if str(directory) not in sys.path:
        # Appended, not prepended: /usr/share/benchmark also holds a top-level compare.py.
        sys.path.append(str(directory))
    try:
        from gbench import report
    except ImportError as error:
        raise FlynnError(
            f"cannot import gbench from {directory}: {error} "
            "(install libbenchmark-tools and python3-scipy)"
        ) from None
    return report


def smallest_p(n_base: int, n_new: int) -> float:
    """The smallest two-sided p-value the exact U test can give for these sample sizes."""
    return 2 / math.comb(n_base + n_new, n_base)


def min_repetitions(alpha: float, against: int | None = None) -> int:
    """Repetitions per file below which no difference can be significant at alpha (4 at 0.05:
    3 vs 3 never go below p = 0.1), or, `against` so many in the other file, in this one (2
    against 9). Never below gbench's UTEST_MIN_REPETITIONS (2), under which it runs no test."""
    n = 2
    while smallest_p(against or n, n) > alpha and n < 1000:
        n += 1
    return n


def within_run_cv(groups: list[list[float]]) -> float | None:
    """The coefficient of variation of repetitions around the mean of their own run, pooled
    over runs: the plain CV for one run, and blind to the drift between runs, which
    drift_band() weighs instead."""
    freedom = sum(len(group) - 1 for group in groups)
    mean = statistics.fmean(value for group in groups for value in group) if groups else 0.0
    if freedom < 1 or not mean:
        return None
    squares = sum((value - statistics.fmean(group)) ** 2 for group in groups for value in group)
    return math.sqrt(squares / freedom) / abs(mean)


def drift_band(base: list[list[float]], new: list[list[float]], alpha: float,
               paired: bool = False) -> tuple[float, float] | None:
    """(shift, half width) on a log scale: the shift of the mean log median of NEW's runs from
    BASE's, and how far apart those means fall with probability 1 - alpha when nothing changed:
    a pooled two-sample t interval over one median per run. With one NEW run it is the
    prediction interval of a single new run around BASE's. None when neither file holds two
    runs, so that nothing is known of the drift between runs.

    `paired`: run k of NEW ran right beside run k of BASE (scripts/run --against-build), so a
    drift of the machine moves both and their difference cancels it: a paired t interval over
    the differences. None unless both hold the same two or more runs, in the same order."""
    logs = []
    for groups in (base, new):
        medians = [statistics.median(group) for group in groups]
        if not medians or min(medians) <= 0:
            return None
        logs.append([math.log(median) for median in medians])
    if paired:
        if len(logs[0]) != len(logs[1]) or len(logs[0]) < 2:
            return None
        differences = [after - before for before, after in zip(*logs)]
        count = len(differences)
        half = scipy_stats.t.ppf(1 - alpha / 2, count - 1) * statistics.stdev(differences) / math.sqrt(count)
        return statistics.fmean(differences), float(half)
    freedom = len(logs[0]) + len(logs[1]) - 2
    if freedom < 1:
        return None
    means = [statistics.fmean(side) for side in logs]
    squares = sum((value - mean) ** 2 for side, mean in zip(logs, means) for value in side)
    spread = math.sqrt(squares / freedom)
    half_width = scipy_stats.t.ppf(1 - alpha / 2, freedom) * spread * math.sqrt(1 / len(logs[0]) + 1 / len(logs[1]))
    return means[1] - means[0], float(half_width)


@dataclass(frozen=True)
class Settings:
    threshold: float = DEFAULT_THRESHOLD
    alpha: float = DEFAULT_ALPHA
    max_cv: float = DEFAULT_MAX_CV
    # Run k of NEW ran beside run k of BASE: see drift_band.
    paired: bool = False


@dataclass
class Comparison:
    name: str
    metric: str
    better: str
    base: stats.Spread
    new: stats.Spread
    base_cv: float | None
    new_cv: float | None
    # (new - base) / |base| of the medians, as measured.
    change: float
    # The same, turned so that positive is worse whichever way the metric points.
    slowdown: float
    p_value: float | None
    # gbench's UTEST_OPTIMAL_REPETITIONS (9) reached in both files.
    optimal_repetitions: bool
    # Invocations of the binary (scripts/run --runs) in BASE and NEW.
    base_runs: int
    new_runs: int
    # drift_band()'s half width: on a log scale, how far the medians of unchanged code drift
    # apart between runs at the chosen alpha; None when neither file holds two runs.
    drift: float | None
    verdict: str
    reason: str


def _band_text(half_width: float) -> str:
    """A log band is wider upwards than downwards: +34.8% is -25.8% the other way."""
    return f"+{math.expm1(half_width):.1%}/-{-math.expm1(-half_width):.1%}"


def _verdict(slowdown: float, p_value: float | None, cvs: list[float | None], n: tuple[int, int],
             drift: tuple[float, float] | None, several_runs: bool, settings: Settings) -> tuple[str, str]:
    """`drift` is drift_band()'s (shift, half width) with the shift turned so that positive is
    worse; `several_runs` says whether either file holds two invocations, so that drift is due."""
    if p_value is None or not math.isfinite(p_value) or smallest_p(*n) > settings.alpha:
        need = min_repetitions(settings.alpha)
        return NOISY, (
            f"{n[0]} vs {n[1]} repetitions: the U test cannot go below p {smallest_p(*n):.2g} "
            f"({need}+ in each reach alpha {settings.alpha:g})"
        )
    worst = max((cv for cv in cvs if cv is not None), default=0.0)
    if worst > settings.max_cv:
        return NOISY, f"CV {worst:.1%} above {settings.max_cv:.0%}"
    if abs(slowdown) <= settings.threshold:
        return UNCHANGED, f"within {settings.threshold:.0%}"
    if several_runs and drift is None:
        return NOISY, (
            f"{abs(slowdown):.1%} but the drift between runs is unknown "
            f"(a median not above 0, or runs that do not pair)"
        )
    if drift is not None:
        shift, half_width = drift
        if abs(shift) <= half_width:
            return NOISY, f"{abs(slowdown):.1%} but runs drift {_band_text(half_width)} apart"
        if (shift > 0) != (slowdown > 0):
            return NOISY, f"{abs(slowdown):.1%} but the median of the repetitions and that of the runs disagree in sign"
    if p_value >= settings.alpha:
        return NOISY, f"{abs(slowdown):.1%} but p {p_value:.2g} >= alpha {settings.alpha:g}"
    return (SLOWER if slowdown > 0 else FASTER), f"p {p_value:.2g} < alpha {settings.alpha:g}"


def compare_runs(base: Run, new: Run, settings: Settings, gbench: ModuleType) -> Comparison | str:
    """A Comparison, or why the two runs cannot be compared."""
    metric = choose_metric(base)
    old_keyed, new_keyed = metric_groups(base, metric), metric_groups(new, metric)
    # Paired runs are matched by their invocation; a run missing on one side leaves the drift unknown.
    matched = not settings.paired or list(old_keyed) == list(new_keyed)
    old_groups, new_groups = list(old_keyed.values()), list(new_keyed.values())
    old_values = [value for group in old_groups for value in group]
    new_values = [value for group in new_groups for value in group]
    if not new_values:
        return f"NEW has no {metric}"
    # The reader turns such rows into errors; a Run built elsewhere must not slip one through,
    # since every comparison with NaN is false and the verdict would fall through to "faster".
    for which, values in (("BASE", old_values), ("NEW", new_values)):
        if not all(math.isfinite(value) for value in values):
            return f"{which} has a {metric} that is not a finite number"
    old_spread, new_spread = stats.spread(old_values), stats.spread(new_values)
    assert old_spread is not None and new_spread is not None
    direction = better(metric) or LOWER
    change = gbench.calculate_change(old_spread.median, new_spread.median)
    slowdown = change if direction == LOWER else -change
    # calc_utest takes (cpu, real) timings; our metric stands in for both, so
    # both p-values are the same and the minimum-repetition rule is gbench's.
    optimal, p_value, _ = gbench.calc_utest([old_values, new_values], [old_values, new_values])
    cvs = [within_run_cv(old_groups), within_run_cv(new_groups)]
    band = drift_band(old_groups, new_groups, settings.alpha, settings.paired) if matched else None
    drift = None if band is None else (band[0] if direction == LOWER else -band[0], band[1])
    several_runs = max(len(old_groups), len(new_groups)) > 1
    verdict, reason = _verdict(
        slowdown, p_value, cvs, (len(old_values), len(new_values)), drift, several_runs, settings
    )
    return Comparison(
        base.name, metric, direction, old_spread, new_spread, cvs[0], cvs[1],
        change, slowdown, p_value, bool(optimal), len(old_groups), len(new_groups),
        None if band is None else band[1], verdict, reason,
    )


@dataclass
class Report:
    base: str
    new: str
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    compared: list[Comparison] = field(default_factory=list)
    not_compared: list[tuple[str, str]] = field(default_factory=list)
    only_in_base: list[str] = field(default_factory=list)
    only_in_new: list[str] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for comparison in self.compared if comparison.verdict == verdict)


def _why_not(run: Run, which: str) -> str | None:
    if run.skip_reason is not None:
        return f"skipped in {which}: {run.skip_reason}"
    if run.failed:
        return f"error in {which}: {run.error}"
    if not run.repetitions:
        return f"no repetitions in {which}"
    return None


def compare_results(base: Result, new: Result, settings: Settings, pattern: str | None = None,
                    gbench: ModuleType | None = None) -> Report:
    gbench = gbench or load_gbench()
    selected = names.compile_filter(pattern)
    old_runs = {run.name: run for run in results.runs(base) if selected.search(run.name)}
    new_runs = {run.name: run for run in results.runs(new) if selected.search(run.name)}
    common = [name for name in old_runs if name in new_runs]
    if not common:
        what = f"matching --filter {pattern!r} " if pattern else ""
        raise FlynnError(f"no benchmark {what}is in both {base.path} and {new.path}")
    report = Report(str(base.path), str(new.path), settings, machine.mismatch_warnings(base.context, new.context))
    report.only_in_base = [name for name in old_runs if name not in new_runs]
    report.only_in_new = [name for name in new_runs if name not in old_runs]
    for name in common:
        why = _why_not(old_runs[name], "BASE") or _why_not(new_runs[name], "NEW")
        outcome = why or compare_runs(old_runs[name], new_runs[name], settings, gbench)
        if isinstance(outcome, str):
            report.not_compared.append((name, outcome))
        else:
            report.compared.append(outcome)
    report.compared.sort(key=lambda c: (_VERDICT_RANK[c.verdict], -c.slowdown))
    return report


_COLOURS = {SLOWER: "\033[91m", FASTER: "\033[32m", NOISY: "\033[93m"}
_RESET = "\033[0m"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def format_report(report: Report, colour: bool = False) -> str:
    settings = report.settings
    safe = textsafe.cell
    lines = [f"# flynn compare: {textsafe.terminal(report.base)} -> {textsafe.terminal(report.new)}",
             *map(textsafe.terminal, report.warnings), ""]
    lines += [
        "| verdict | benchmark | metric | base median | new median | change | p | reps (runs) | CV base / new"
        " | drift | why |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in report.compared:
        verdict = f"{_COLOURS[c.verdict]}{c.verdict}{_RESET}" if colour and c.verdict in _COLOURS else c.verdict
        cv = " / ".join("-" if value is None else f"{value:.1%}" for value in (c.base_cv, c.new_cv))
        p_value = "-" if c.p_value is None else f"{c.p_value:.3f}"
        drift = "-" if c.drift is None else _band_text(c.drift)
        lines.append(
            f"| {verdict} | {safe(c.name)} | {safe(c.metric)} ({c.better} is better) | {summary._number(c.base.median)}"
            f" | {summary._number(c.new.median)} | {_percent(c.change)} | {p_value}"
            f" | {c.base.n} ({c.base_runs}) vs {c.new.n} ({c.new_runs}) | {cv} | {drift} | {safe(c.reason)} |"
        )
    for title, entries in (
        ("not compared", [f"{name}: {why}" for name, why in report.not_compared]),
        ("only in BASE", report.only_in_base),
        ("only in NEW", report.only_in_new),
    ):
        if entries:
            lines += ["", f"{title} ({len(entries)}):", *(f"- {textsafe.terminal(entry)}" for entry in entries)]
    counts = ", ".join(f"{report.count(verdict)} {verdict}" for verdict in (SLOWER, FASTER, UNCHANGED, NOISY))
    lines += [
        "",
        f"{counts} (threshold {settings.threshold:.0%}, alpha {settings.alpha:g}, "
        f"CV limit {settings.max_cv:.0%} within a run{', runs paired' if settings.paired else ''})",
    ]
    if report.compared and all(c.drift is None for c in report.compared):
        lines.append(
            "note: BASE and NEW hold one run each, so the U test sees the noise within a run but not "
            "the drift between runs; a baseline from scripts/run --baseline (several runs) allows for it"
        )
    if any(not c.optimal_repetitions for c in report.compared):
        lines.append("note: gbench recommends 9+ repetitions per file for a reliable U test")
    return "\n".join(lines) + "\n"


def to_document(report: Report) -> dict[str, Any]:
    return results.finite_or_null({
        "base": report.base,
        "new": report.new,
        "settings": asdict(report.settings),
        "warnings": report.warnings,
        "counts": {verdict: report.count(verdict) for verdict in _VERDICT_RANK},
        "benchmarks": [asdict(comparison) for comparison in report.compared],
        "not_compared": [{"name": name, "reason": why} for name, why in report.not_compared],
        "only_in_base": report.only_in_base,
        "only_in_new": report.only_in_new,
    })


def _number_in(low: float, high: float, low_included: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            value = math.nan
        if not ((low <= value if low_included else low < value) and value < high):
            bounds = f"{'[' if low_included else '('}{low:g}, {high:g})"
            raise argparse.ArgumentTypeError(f"must be a number in {bounds}, not {text!r}")
        return value

    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = ArgumentParser(prog="scripts/compare", description=__doc__)
    parser.add_argument("files", nargs="*", metavar="FILE", help="BASE.json NEW.json, or NEW.json with --against-baseline")
    parser.add_argument(
        "--against-baseline", action="store_true",
        help="compare NEW.json with this machine's baseline, results/baselines/<machine id>.json "
        "(written by scripts/run --baseline)",
    )
    parser.add_argument(
        "--threshold", metavar="PCT", type=_number_in(0, 1000, low_included=True), default=DEFAULT_THRESHOLD * 100,
        help=f"smallest change of the median that counts, in percent (default {DEFAULT_THRESHOLD * 100:g})",
    )
    parser.add_argument(
        "--alpha", metavar="P", type=_number_in(0, 1), default=DEFAULT_ALPHA,
        help=f"significance level of the U test (default {DEFAULT_ALPHA:g})",
    )
    parser.add_argument(
        "--max-cv", metavar="PCT", type=_number_in(0, 1000), default=DEFAULT_MAX_CV * 100,
        help=f"coefficient of variation above which a benchmark is too noisy, in percent (default {DEFAULT_MAX_CV * 100:g})",
    )
    parser.add_argument(
        "--paired", action="store_true",
        help="run k of NEW ran right beside run k of BASE (scripts/run --against-build writes such files): "
        "judge the drift on their differences, which a drift of the whole machine cancels",
    )
    parser.add_argument("--filter", metavar="REGEX", help="compare only benchmarks whose name matches")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the comparison as JSON")
    args = parser.parse_args(argv)
    if args.paired and args.against_baseline:
        raise FlynnError("--paired with --against-baseline: a baseline's runs did not run beside NEW's")
    wanted = 1 if args.against_baseline else 2
    if len(args.files) != wanted:
        usage = "NEW.json with --against-baseline" if args.against_baseline else "BASE.json NEW.json"
        raise FlynnError(f"expected {usage}, got {len(args.files)} file(s) (see scripts/compare --help)")
    return args


def load_baseline(context: dict[str, Any]) -> Result:
    """The baseline of the machine this context describes."""
    machine_id = machine.identity(context)
    path = machine.baseline_path(machine_id)
    if not path.is_file():
        raise FlynnError(f"no baseline for machine {machine_id}: expected {path} (make one with scripts/run --baseline)")
    return results.load(path)


def _colour(stream: Any) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


@entry_point
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    settings = Settings(args.threshold / 100, args.alpha, args.max_cv / 100, args.paired)
    if args.json is not None:
        results.check_writable(args.json, "--json")
    names.compile_filter(args.filter)
    gbench = load_gbench()
    new = results.load(Path(args.files[-1]))
    base = load_baseline(new.context) if args.against_baseline else results.load(Path(args.files[0]))
    report = compare_results(base, new, settings, args.filter, gbench)
    print(format_report(report, _colour(sys.stdout)), end="")
    if args.json is not None:
        results.write_atomic(args.json, to_document(report))
    if not report.compared:
        # Every figure skipped, failed or not a finite number: passing that gate would say nothing.
        raise FlynnError(f"no benchmark could be compared ({len(report.not_compared)} listed under 'not compared')")
    return EXIT_FINDING if report.count(SLOWER) else 0
