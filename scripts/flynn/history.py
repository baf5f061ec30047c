"""`scripts/history [--machine ID] [--filter REGEX] [--dir DIR ...] [--out DIR]`: every stored run of
one machine in date order, a table per benchmark, one PNG per area with a panel per benchmark (median
and the min..max band of its repetitions), and a flag at every run that scripts/compare would call
slower or faster than the runs before it (up to 5, pooled, so that the drift among them is allowed
for). Exit 1 when the latest run of any benchmark is flagged slower."""

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)

from flynn import compare, machine, names, plot, results, stats, summary, textsafe  # noqa: E402
from flynn.errors import EXIT_FINDING, ArgumentParser, FlynnError, entry_point  # noqa: E402
from flynn.results import Result, Run  # noqa: E402

# More panels than this in one figure stop being readable at any size; the
# rest are listed, and --filter picks them.
MAX_PANELS_PER_AREA = 12
_COLUMNS = 3
# A step is judged against up to this many runs before it: enough to see how far runs drift apart,
# few enough that a regression a while ago does not widen the band for good.
WINDOW = 5
# More tick labels than this overlap; every k-th is kept.
_MAX_TICKS = 10


@dataclass(frozen=True)
class StoredRun:
    result: Result
    machine: str
    date: datetime
    revision: str

    @property
    def label(self) -> str:
        return f"{self.date:%Y-%m-%d %H:%M} {self.revision[:12]}"


@dataclass
class Point:
    stored: StoredRun
    run: Run
    spread: stats.Spread


@dataclass
class Series:
    name: str
    metric: str
    points: list[Point]
    # steps[i] is the comparison of points[i + 1] with the points before it (up to WINDOW).
    steps: list[compare.Comparison | str]

    def flagged(self) -> list[tuple[int, compare.Comparison]]:
        return [
            (index + 1, step) for index, step in enumerate(self.steps)
            if isinstance(step, compare.Comparison) and step.verdict in (compare.SLOWER, compare.FASTER)
        ]

    @property
    def latest_is_slower(self) -> bool:
        last = self.steps[-1] if self.steps else None
        return isinstance(last, compare.Comparison) and last.verdict == compare.SLOWER


def _date(context: dict) -> datetime | None:
    try:
        date = datetime.fromisoformat(str(context.get("date", "")))
    except ValueError:
        return None
    # A date without a zone is taken as UTC, so that it sorts among the others.
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


def collect(directories: list[Path]) -> list[StoredRun]:
    """Every result file directly in the directories, in date order, each once: a
    baseline is a copy of a run and would otherwise show as two points."""
    found: dict[str, StoredRun] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.json")):
            try:
                result = results.load(path)
            except FlynnError as error:
                print(f"note: skipped {textsafe.terminal(error)}", file=sys.stderr)
                continue
            if results.CHECK_OF_KEY in result.context:
                # Only the benchmarks a check found slower, minutes later: not a run of the suite.
                continue
            date = _date(result.context)
            if date is None:
                print(f"note: skipped {path}: no ISO date in its context", file=sys.stderr)
                continue
            context = result.context
            stored = StoredRun(result, machine.identity(context), date, str(context.get("git_revision") or "?"))
            # Not the whole context: a curated baseline may carry a note the run lacked.
            key = json.dumps([stored.machine, context.get("date"), stored.revision,
                              context.get("flynn_binaries", context.get("executable"))])
            found.setdefault(key, stored)
    return sorted(found.values(), key=lambda stored: stored.date)


def select_machine(stored: list[StoredRun], wanted: str | None, where: str) -> tuple[str, list[StoredRun]]:
    counts: dict[str, int] = {}
    for entry in stored:
        counts[entry.machine] = counts.get(entry.machine, 0) + 1
    listing = ", ".join(f"{machine_id} ({count} runs)" for machine_id, count in counts.items())
    if not counts:
        raise FlynnError(f"no stored runs in {where}")
    if wanted is None:
        if len(counts) > 1:
            raise FlynnError(f"runs of {len(counts)} machines in {where}; pick one with --machine: {listing}")
        chosen = next(iter(counts))
    else:
        matches = [machine_id for machine_id in counts if machine_id == wanted] or [
            machine_id for machine_id in counts if machine_id.startswith(wanted)
        ]
        if len(matches) != 1:
            what = "no" if not matches else "more than one"
            raise FlynnError(f"{what} machine matches --machine {wanted!r} in {where}: {listing}")
        chosen = matches[0]
    return chosen, [entry for entry in stored if entry.machine == chosen]


def build_series(stored: list[StoredRun], pattern: str | None, settings: compare.Settings,
                 gbench: ModuleType) -> list[Series]:
    selected = names.compile_filter(pattern)
    by_name: dict[str, list[tuple[StoredRun, Run]]] = {}
    for entry in stored:
        for run in results.runs(entry.result):
            # A failed run (a figure that is not a finite number, among others) is never judged.
            if run.repetitions and not run.failed and selected.search(run.name):
                by_name.setdefault(run.name, []).append((entry, run))
    series = []
    for name, occurrences in by_name.items():
        # The latest run decides the metric, so that a counter added later is the one followed.
        metric = compare.choose_metric(occurrences[-1][1])
        points = []
        for entry, run in occurrences:
            spread = stats.spread(compare.metric_values(run, metric))
            if spread is not None:
                points.append(Point(entry, run, spread))
        steps = [
            compare.compare_runs(_pooled(points[max(0, index - WINDOW) : index]), points[index].run, settings, gbench)
            for index in range(1, len(points))
        ]
        series.append(Series(name, metric, points, steps))
    return series


def _pooled(points: list[Point]) -> Run:
    """The runs before a step as one Run whose invocations stay apart, so that compare weighs
    the step against the drift among them, not only against the repetitions of the last one."""
    rows = [
        {**row, results.INVOCATION_KEY: f"{index}.{invocation}"}
        for index, point in enumerate(points)
        for invocation, group in enumerate(point.run.by_invocation().values())
        for row in group
    ]
    return Run(points[-1].run.name, rows)


def format_table(machine_id: str, stored: list[StoredRun], series: list[Series]) -> str:
    lines = [
        f"# flynn history: {machine_id}, {len(stored)} runs from {textsafe.terminal(stored[0].label)}"
        f" to {textsafe.terminal(stored[-1].label)}",
        "",
        "| benchmark | metric | runs | first median | latest median | first -> latest | steps (slower / faster) |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for entry in series:
        first, last = entry.points[0].spread.median, entry.points[-1].spread.median
        change = (last - first) / abs(first) if first else 0.0
        steps = ", ".join(
            f"{textsafe.cell(entry.points[index].stored.revision[:12])} {step.verdict} {step.change:+.1%}"
            for index, step in entry.flagged()
        )
        lines.append(
            f"| {textsafe.cell(entry.name)} | {textsafe.cell(entry.metric)}"
            f" ({compare.better(entry.metric) or compare.LOWER} is better)"
            f" | {len(entry.points)} | {summary._number(first)} | {summary._number(last)} | {change:+.1%} | {steps or '-'} |"
        )
    return "\n".join(lines) + "\n"


def _panel(axes, entry: Series) -> None:
    xs = list(range(len(entry.points)))
    medians = [point.spread.median for point in entry.points]
    axes.fill_between(xs, [p.spread.low for p in entry.points], [p.spread.high for p in entry.points],
                      color="tab:blue", alpha=0.2, linewidth=0, label="min..max of repetitions")
    axes.plot(xs, medians, marker="o", markersize=3, color="tab:blue", label="median")
    for index, step in entry.flagged():
        colour = "tab:red" if step.verdict == compare.SLOWER else "tab:green"
        axes.axvline(index - 0.5, color=colour, linestyle="--", linewidth=1)
        axes.annotate(f"{step.change:+.0%}", (index, medians[index]), textcoords="offset points",
                      xytext=(3, 6), fontsize=7, color=colour)
    every = max(1, -(-len(xs) // _MAX_TICKS))
    axes.set_xticks(xs[::every])
    axes.set_xticklabels([entry.points[i].stored.label.replace(" ", "\n", 1) for i in xs[::every]],
                         fontsize=6, rotation=30, ha="right")
    # Only the time-mode suffix goes: names.strip_gb_suffixes would also take our own threads:<t>.
    axes.set_title(re.sub(r"/(real_time|manual_time|process_time)$", "", entry.name), fontsize=7)
    axes.set_ylabel(f"{entry.metric} ({compare.better(entry.metric) or compare.LOWER} is better)", fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.margins(x=0.05)


def _area(name: str) -> str:
    try:
        return names.parse(name).area
    except FlynnError:
        return name.split("/")[0] or "other"


def write_plots(machine_id: str, series: list[Series], out_dir: Path) -> tuple[list[Path], list[str]]:
    """One PNG per area; flagged benchmarks get a panel first. Returns the files and what was left out."""
    results.check_directory(out_dir, "--out")
    areas: dict[str, list[Series]] = {}
    for entry in series:
        areas.setdefault(_area(entry.name), []).append(entry)
    written, left_out = [], []
    for area, entries in areas.items():
        ranked = sorted(entries, key=lambda entry: not entry.flagged())
        shown, rest = ranked[:MAX_PANELS_PER_AREA], ranked[MAX_PANELS_PER_AREA:]
        left_out += [entry.name for entry in rest]
        rows = -(-len(shown) // _COLUMNS)
        columns = min(_COLUMNS, len(shown))
        figure = Figure(figsize=(4.2 * columns, 3.2 * rows + 0.6), layout="constrained")
        figure.suptitle(f"{area} on {machine_id}\nmedian per run, min..max band, dashed = significant step", fontsize=8)
        for index, entry in enumerate(shown):
            _panel(figure.add_subplot(rows, columns, index + 1), entry)
        path = out_dir / f"history-{machine_id}-{area}.png"
        plot._save_atomic(figure, path)
        written.append(path)
    return written, left_out


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = ArgumentParser(prog="scripts/history", description=__doc__)
    parser.add_argument("--machine", metavar="ID", help="machine id or a unique prefix (default: the only one found)")
    parser.add_argument("--filter", metavar="REGEX", help="only benchmarks whose name matches")
    parser.add_argument(
        "--dir", metavar="DIR", type=Path, action="append", default=[],
        help="another directory of result files (repeatable); results/runs and results/baselines are always read",
    )
    parser.add_argument("--out", metavar="DIR", type=Path,
                        help="where the PNGs go (default results/runs/history)")
    parser.add_argument("--threshold", metavar="PCT", type=compare._number_in(0, 1000, low_included=True),
                        default=compare.DEFAULT_THRESHOLD * 100,
                        help=f"smallest step that is flagged, in percent (default {compare.DEFAULT_THRESHOLD * 100:g})")
    parser.add_argument("--alpha", metavar="P", type=compare._number_in(0, 1), default=compare.DEFAULT_ALPHA,
                        help=f"significance level of the U test (default {compare.DEFAULT_ALPHA:g})")
    parser.add_argument("--no-plots", action="store_true", help="print the table only")
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for directory in args.dir:
        if not directory.is_dir():
            raise FlynnError(f"--dir {directory}: not a directory")
    # Read at call time, so that tests can point them elsewhere.
    directories = [machine.RUNS_DIR, machine.BASELINES_DIR, *args.dir]
    names.compile_filter(args.filter)
    out_dir = args.out or machine.RUNS_DIR / "history"
    if not args.no_plots:
        results.check_directory(out_dir, "--out")
    gbench = compare.load_gbench()
    where = ", ".join(str(directory) for directory in directories)
    machine_id, stored = select_machine(collect(directories), args.machine, where)
    settings = compare.Settings(args.threshold / 100, args.alpha)
    series = build_series(stored, args.filter, settings, gbench)
    if not series:
        what = f" matching --filter {args.filter!r}" if args.filter else ""
        raise FlynnError(f"no benchmark{what} in the {len(stored)} runs of {machine_id}")
    print(format_table(machine_id, stored, series), end="")
    if not args.no_plots:
        written, left_out = write_plots(machine_id, series, out_dir)
        if left_out:
            print(f"note: {len(left_out)} benchmarks not drawn (at most {MAX_PANELS_PER_AREA} per area, "
                  "flagged ones first); narrow with --filter", file=sys.stderr)
        print(f"plots: {' '.join(str(path) for path in written)}")
    return EXIT_FINDING if any(entry.latest_is_slower for entry in series) else 0
