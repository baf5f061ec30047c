"""What a report shows, gathered once: per result file its findings, what is missing from it and
why, its roofline; the figures of the first result; the machine's history. The renderings (card,
markdown, HTML, JSON) only read this."""

import importlib
import os
import re
import signal
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)

from flynn import machine, results  # noqa: E402
from flynn.errors import FlynnError  # noqa: E402
from flynn.findings import Ceiling, Finding, ReadingOptions, RooflinePoint  # noqa: E402
from flynn.report import roofline as roofline_figure  # noqa: E402
from flynn.report import text  # noqa: E402
from flynn.report.sections import AREAS, BINARY_OF  # noqa: E402
from flynn.results import Result  # noqa: E402

# Figures go in the page as PNG data: smaller than SVG for plots of thousands of points, and no
# text of an untrusted result reaches the page as markup.
PNG_DPI = 72
# More panels than this make the history figure slower to draw than the whole rest of the report.
HISTORY_PANELS = 6


@dataclass
class Picture:
    """A figure drawn for the page: PNG bytes, or why there is none."""

    title: str
    png: bytes | None = None
    error: str | None = None
    # What draws it, until it is drawn (in a worker process: see draw_all).
    job: Callable[[], Figure | bytes | None] | None = field(default=None, repr=False, compare=False)


@dataclass
class Column:
    """One result file: a column of every table, in the order given."""

    path: Path
    label: str
    result: Result | None = None
    machine_id: str | None = None
    findings: list[Finding] = field(default_factory=list)
    # What keeps the file, or part of it, from being read: said on the page instead of a traceback.
    problems: list[str] = field(default_factory=list)
    # Areas with no benchmarks in this file, and why.
    missing: dict[str, str] = field(default_factory=dict)
    # Areas with benchmarks in this file, in the page's order.
    areas: list[str] = field(default_factory=list)
    ceilings: list[Ceiling] = field(default_factory=list)
    points: list[RooflinePoint] = field(default_factory=list)
    # The result's runs per area, grouped once for every figure.
    runs: dict[str, list[results.Run]] = field(default_factory=dict, repr=False)

    @property
    def context(self) -> dict[str, Any]:
        return self.result.context if self.result is not None else {}

    @property
    def unusable(self) -> bool:
        """Nothing in it can be reported: not a result, or a result without a benchmark."""
        return self.result is None or not self.result.benchmarks


@dataclass
class History:
    """The machine's stored runs (results/runs, results/baselines) and the verdict on the latest."""

    machine_id: str
    runs: list[str]
    latest: str
    # Which stored run this report's first result is, or None when it is not among them.
    this_run: int | None
    counts: dict[str, int]
    slower: list[str]
    faster: list[str]
    figures: list[Picture] = field(default_factory=list)
    note: str | None = None


_SIZE = r"\d+(?:\.\d+)? (?:B|KiB|MiB|GiB|TiB)"
_SPAN = re.compile(rf"{_SIZE}-{_SIZE}")
_AT_SIZE = re.compile(_SIZE)


def _read_as(label: str) -> tuple[tuple[str, ...], bool]:
    """The working sets a label reads its figure at (spans of a level left out) and whether it is
    a fallback."""
    return tuple(_AT_SIZE.findall(_SPAN.sub("", label))), "FALLBACK" in label


@dataclass
class Row:
    """One figure of an area across the columns: None where a result lacks it."""

    area: str
    figure: str
    findings: list[Finding | None]

    @property
    def first(self) -> Finding:
        return next(finding for finding in self.findings if finding is not None)

    def comparable(self, index: int) -> bool:
        """Whether column `index` read this figure as the first column did. A label names the
        working set a figure is read at and whether it is a fallback: DRAM latency at 64 MiB
        against 1 GiB, or a fallback against the real reading, is no ratio of two machines. A
        level's span (4 KiB-32 KiB) may differ: each machine's L1 plateau is still its L1."""
        first, other = self.findings[0], self.findings[index]
        return first is not None and other is not None and _read_as(first.label) == _read_as(other.label)

    def relative(self, index: int) -> float | None:
        """Column `index` over the first, where both read the figure the same way."""
        if index == 0 or not self.comparable(index):
            return None
        return text.relative(self.findings[index].value, self.findings[0].value)  # type: ignore[union-attr]


@dataclass
class Report:
    columns: list[Column]
    figures: dict[str, Picture] = field(default_factory=dict)
    rooflines: list[Picture] = field(default_factory=list)
    history: History | None = None
    # Said before any figure: results of different machines, builds or settings side by side.
    warnings: list[str] = field(default_factory=list)

    @property
    def first(self) -> Column:
        return self.columns[0]

    @property
    def machines(self) -> list[str]:
        return list(dict.fromkeys(column.machine_id for column in self.columns if column.machine_id))

    def areas(self) -> list[str]:
        """The page's sections: the known areas in the chapter's order, then any others found."""
        found = {finding.area for column in self.columns for finding in column.findings}
        found |= {area for column in self.columns for area in column.areas}
        return [area for area in AREAS if area in found or area != "trust"] + sorted(found - set(AREAS))

    def rows(self, area: str) -> list[Row]:
        by_key: dict[str, Row] = {}
        for index, column in enumerate(self.columns):
            for finding in column.findings:
                if finding.area != area:
                    continue
                if area in column.missing and finding.value is None:
                    # The file has no benchmark of the area: the page already says why, once.
                    continue
                row = by_key.setdefault(finding.figure, Row(area, finding.figure, [None] * len(self.columns)))
                if row.findings[index] is None:
                    row.findings[index] = finding
        return list(by_key.values())

    def headline_rows(self) -> list[Row]:
        return [row for area in self.areas() for row in self.rows(area)
                if any(finding is not None and finding.headline for finding in row.findings)]

    def is_bad_input(self) -> bool:
        """A file with nothing in it to report."""
        return any(column.unusable for column in self.columns)


def _labels(paths: Sequence[Path]) -> list[str]:
    stems = [path.name.removesuffix(".json") for path in paths]
    return [stem if stems.count(stem) == 1 else f"{index + 1}: {stem}" for index, stem in enumerate(stems)]


def _readings() -> ModuleType:
    """The areas' readings; imported late so that a report of a file that is not a result still
    says so when they cannot be imported."""
    return importlib.import_module("flynn.areas")


def _missing_reason(context: dict[str, Any], area: str) -> str:
    binary = BINARY_OF.get(area)
    ran_text = context.get("flynn_binaries") or Path(str(context.get("executable", ""))).name
    ran = [name for name in str(ran_text).split(",") if name]
    if binary is None:
        return f"no benchmarks of area {area}"
    if binary not in ran:
        listed = ", ".join(ran) if ran else "none named in its context"
        return (f"no {area} benchmarks: {binary} is not among the binaries of this result ({listed}); "
                f"the build may lack it, or the run left it out")
    return f"no {area} benchmarks, though {binary} ran: a --filter may have left them out"


def _internal(what: str, error: BaseException) -> str:
    """A reading or a figure that broke on this file: said on the page, with where it broke."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{what} failed: {type(error).__name__}: {error}{where}"


def read_column(path: Path, label: str, options: ReadingOptions, readings: ModuleType | None) -> Column:
    column = Column(path, label)
    try:
        column.result = results.load(path)
    except FlynnError as error:
        column.problems.append(str(error))
        return column
    result = column.result
    column.machine_id = machine.identity(result.context)
    if not result.benchmarks:
        column.problems.append(f"{path}: holds no benchmarks at all")
    try:
        present = results.runs_by_area(result)
    except FlynnError as error:
        column.problems.append(f"{path}: {error}")
        present = {}
    column.runs = present
    column.areas = [area for area in AREAS if area in present] + sorted(set(present) - set(AREAS))
    for area in AREAS:
        if area != "trust" and area not in present:
            column.missing[area] = _missing_reason(result.context, area)
    if not present:
        return column
    try:
        module = readings or _readings()
        column.findings = list(module.read_all(result, options))
        column.ceilings, column.points = module.roofline(result, column.findings)
    except FlynnError as error:
        column.problems.append(f"{path}: {error}")
    except Exception as error:  # noqa: BLE001  (an untrusted file must give a page, not a traceback)
        column.problems.append(_internal(f"reading {path}", error))
    return column


def _area_plotter(area: str) -> Callable[[Result, list[results.Run]], Figure] | None:
    """The area's figure beside its readings (flynn.areas.<area>.figure), else the old plot."""
    # flynn_sync writes two areas, so io's figure may sit beside sync's readings.
    for module_name, function_name in ((area, "figure"), ("sync", "io_figure") if area == "io" else (area, "figure")):
        try:
            module = importlib.import_module(f"flynn.areas.{module_name}")
        except ModuleNotFoundError as error:
            if error.name not in (f"flynn.areas.{module_name}", "flynn.areas"):
                raise
            continue
        function = getattr(module, function_name, None)
        if function is not None:
            return function
    from flynn import plot

    return plot.PLOTTERS.get(area)


# The figures to draw, set before the pool forks so that its workers inherit them unpickled.
_JOBS: list[Callable[[], Any]] = []


def png(figure: Figure) -> bytes:
    with tempfile.SpooledTemporaryFile() as buffer:
        figure.savefig(buffer, format="png", dpi=PNG_DPI)
        buffer.seek(0)
        return buffer.read()


def _draw_one(job: Callable[[], Any]) -> tuple[Any, str | None]:
    """A figure as PNG bytes (other answers as they are), or why it could not be drawn."""
    try:
        drawn = job()
        return (png(drawn) if isinstance(drawn, Figure) else drawn), None
    except Exception as error:  # noqa: BLE001  (one broken figure must not cost the page)
        return None, _internal("drawing", error)


def _draw(index: int) -> tuple[Any, str | None]:
    return _draw_one(_JOBS[index])


def _warm_up() -> None:
    """Loads the fonts and builds the mathtext parser once, before the fork, instead of once in
    every worker: a third of a small figure's time in a fresh process."""
    figure = Figure(figsize=(1, 1))
    axes = figure.add_subplot()
    axes.set_yscale("log")
    axes.plot([1, 10], [1, 100])
    axes.set_title("warm")
    png(figure)


def _worker_signals() -> None:
    """A worker inherits entry_point's SIGTERM handler, which would raise in the pool's own
    machinery when the pool ends it; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def draw_all(jobs: list[Callable[[], Any]]) -> list[tuple[Any, str | None]]:
    """Every job, on every CPU this process may use: drawing is most of a report's time. A job
    answers a Figure (returned as PNG bytes), bytes, None or any other picklable answer."""
    global _JOBS
    _JOBS = jobs
    workers = min(len(jobs), len(os.sched_getaffinity(0)))
    if workers > 1:
        _warm_up()
    try:
        if workers <= 1:
            return [_draw(index) for index in range(len(jobs))]
        pool = get_context("fork").Pool(workers, initializer=_worker_signals)
        try:
            drawn = pool.map(_draw, range(len(jobs)), chunksize=1)
            pool.close()
            return drawn
        finally:
            pool.terminate()
            pool.join()
    finally:
        _JOBS = []


def _figure_job(area: str, column: Column) -> Callable[[], Figure | None]:
    def job() -> Figure | None:
        plotter = _area_plotter(area)
        runs = column.runs.get(area, [])
        if plotter is None or column.result is None or not any(run.repetitions for run in runs):
            return None
        from flynn import plot

        return plot._titled_emulated(plotter(column.result, runs), column.result)

    return job


def _warnings(columns: list[Column]) -> list[str]:
    first = columns[0]
    found = []
    for column in columns[1:]:
        if first.result is None or column.result is None:
            continue
        for line in machine.mismatch_warnings(first.context, column.context):
            found.append(line.replace("BASE and NEW", f"{first.label} and {column.label}"))
    return found


def assemble(paths: Sequence[Path], options: ReadingOptions | None = None, readings: ModuleType | None = None,
             with_history: bool = True, with_figures: bool = True, drawn: Mapping[str, bytes] | None = None) -> Report:
    """The report of `paths`. `drawn`: area figures of the first result drawn already (scripts/run's
    plots), used as they are instead of drawn again."""
    if not paths:
        raise FlynnError("no result file given")
    options = options or ReadingOptions()
    columns = [read_column(path, label, options, readings) for path, label in zip(paths, _labels(paths))]
    report = Report(columns, warnings=_warnings(columns))
    first = report.first
    jobs: list[Callable[[], Any]] = []
    kinds: list[tuple[str, str]] = []
    # The slowest first, so that the workers finish together: the history's verdict (U tests over
    # every benchmark) and its figures, then the roofline, then the areas' figures.
    if with_history and first.result is not None:
        jobs.append(lambda: _history_drawn(first))
        kinds.append(("history", ""))
    for column in columns:
        if column.ceilings or column.points:
            jobs.append(lambda column=column: roofline_figure.figure(column.ceilings, column.points, column.label))
            kinds.append(("roofline", column.label))
    if with_figures and first.result is not None:
        for area in first.areas:
            if drawn is not None and area in drawn:
                report.figures[area] = Picture(area, drawn[area])
                continue
            jobs.append(_figure_job(area, first))
            kinds.append(("area", area))
    for (kind, title), (made, error) in zip(kinds, draw_all(jobs)):
        if kind == "history":
            if error is not None:
                report.warnings.append(f"the machine's history could not be read: {error}")
            report.history = made
        elif kind == "roofline":
            report.rooflines.append(Picture(f"roofline of {title}", made, error))
        elif made is not None or error is not None:
            report.figures[title] = Picture(title, made, error)
    return report


def _history_drawn(column: Column) -> "History | None":
    """The history with its figures drawn: one job, so that its U tests run beside other figures."""
    found = _history(column)
    if found is None:
        return None
    for picture in found.figures:
        drawn, picture.error = _draw_one(picture.job) if picture.job else (None, None)
        picture.png = drawn if isinstance(drawn, bytes) else None
        picture.job = None
    found.figures = [picture for picture in found.figures if picture.png or picture.error]
    return found


def _history(column: Column) -> History | None:
    """The latest regression verdict of this machine, as scripts/history finds it."""
    from flynn import compare, history, run

    assert column.result is not None and column.machine_id is not None
    directories = [directory for directory in (machine.RUNS_DIR, machine.BASELINES_DIR) if directory.is_dir()]
    stored = [entry for entry in history.collect(directories) if entry.machine == column.machine_id]
    if not stored:
        return None
    context = column.context
    mine = (context.get("date"), context.get("git_revision"), context.get("flynn_binaries"))
    this = next((index for index, entry in enumerate(stored)
                 if entry.result.path.resolve() == column.path.resolve()
                 or (entry.result.context.get("date"), entry.result.context.get("git_revision"),
                     entry.result.context.get("flynn_binaries")) == mine), None)
    date = history._date(context)
    if this is None and date is not None and results.CHECK_OF_KEY not in context:
        stored.append(history.StoredRun(column.result, column.machine_id, date, str(context.get("git_revision") or "?")))
        stored.sort(key=lambda entry: entry.date)
        this = next(index for index, entry in enumerate(stored) if entry.result is column.result)
    labels = [entry.label for entry in stored]
    if len(stored) < 2:
        return History(column.machine_id, labels, labels[-1], this, {}, [], [],
                       note="one stored run of this machine: nothing to judge it against yet")
    series = history.build_series(stored, None, compare.Settings(), compare.load_gbench())
    latest = stored[-1]
    counts: dict[str, int] = {}
    slower, faster, judged = [], [], []
    for entry in series:
        if not entry.steps or entry.points[-1].stored is not latest:
            continue
        step = entry.steps[-1]
        verdict = step.verdict if isinstance(step, compare.Comparison) else "not compared"
        counts[verdict] = counts.get(verdict, 0) + 1
        if isinstance(step, compare.Comparison):
            judged.append((entry, step))
            if step.verdict == compare.SLOWER:
                slower.append(f"{entry.name} {step.change:+.1%}")
            elif step.verdict == compare.FASTER:
                faster.append(f"{entry.name} {step.change:+.1%}")
    found = History(column.machine_id, labels, latest.label, this, counts, slower, faster)
    # The flagged benchmarks first, then those that moved most, so the figure shows what matters.
    judged.sort(key=lambda pair: (pair[1].verdict not in (compare.SLOWER, compare.FASTER), -abs(pair[1].change)))
    by_area: dict[str, list[Any]] = {}
    for entry, _ in judged[:HISTORY_PANELS]:
        by_area.setdefault(history._area(entry.name), []).append(entry)
    for area, drawn in by_area.items():
        found.figures.append(Picture(f"history of {area} on {column.machine_id}",
                                     job=lambda drawn=drawn: _history_png(column.machine_id or "", drawn)))
    return found


def _history_png(machine_id: str, series: list[Any]) -> bytes | None:
    """scripts/history's own figure of these series (one area), read back from the file it writes."""
    from flynn import history

    with tempfile.TemporaryDirectory(prefix="flynn-report-history-") as directory:
        written, _ = history.write_plots(machine_id, series, Path(directory))
        return written[0].read_bytes() if written else None

