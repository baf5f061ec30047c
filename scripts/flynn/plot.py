"""`scripts/plot RESULT.json [--out DIR]`: one PNG per area present in a result file."""

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (the backend must be chosen first)

from flynn import results, textsafe  # noqa: E402
from flynn.areas import ctxsw, mimd, mpi, numa, simd, sync  # noqa: E402
from flynn.errors import ArgumentParser, FlynnError, entry_point  # noqa: E402
from flynn.results import Result, Run  # noqa: E402

Plotter = Callable[[Result, list[Run]], Figure]

PLOTTERS: dict[str, Plotter] = {
    "ctxsw": ctxsw.figure,
    "mimd": mimd.figure,
    "simd": simd.figure,
    "numa": numa.figure,
    # flynn_sync writes two areas: shared state (sync/) and I/O- vs CPU-bound work (io/).
    "sync": sync.figure,
    "io": sync.io_figure,
    "mpi": mpi.figure,
}

_DPI = 110


def stem(path: Path) -> str:
    return path.name.removesuffix(".json")


def _save_atomic(figure: Figure, path: Path) -> None:
    """Like results.write_atomic: a reader never sees half a PNG."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    except OSError as error:
        raise FlynnError(f"cannot write {path}: {error.strerror or error}") from None
    os.close(descriptor)
    try:
        figure.savefig(temporary, dpi=_DPI)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise FlynnError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def _titled_emulated(figure: Figure, result: Result) -> Figure:
    """Says "emulated" first in the title of a figure from a QEMU guest (scripts/run --vm), whose
    timings are software emulation, not the hardware's."""
    emulated = result.context.get("emulated")
    title = figure._suptitle  # matplotlib 3.6 (Debian 12) has no public getter
    if emulated and title is not None:
        title.set_text(f"EMULATED ({emulated}), timings mean nothing: {title.get_text()}")
    elif emulated:
        figure.suptitle(f"EMULATED ({emulated}), timings mean nothing")
    return figure


def write_plots(result: Result, out_dir: Path, drawn: dict[str, bytes] | None = None) -> list[Path]:
    """Every area's PNG beside the result; with `drawn`, each figure is also kept there as the
    report's PNG, so that scripts/run's report does not draw it again."""
    areas = results.runs_by_area(result)
    if not areas:
        raise FlynnError(f"{result.path}: no benchmarks to plot")
    results.check_directory(out_dir, "--out")
    jobs: list[tuple[Path, Callable[[], str]]] = []
    for area, runs in areas.items():
        plotter = PLOTTERS.get(area)
        if plotter is None:
            print(f"note: no plot for area {textsafe.terminal(area)!r} yet; skipped", file=sys.stderr)
            continue
        if not any(run.repetitions for run in runs):
            print(f"note: area {textsafe.terminal(area)!r} has no measured benchmark; no plot", file=sys.stderr)
            continue
        path = out_dir / f"{stem(result.path)}-{area}.png"
        jobs.append((area, path, functools.partial(_draw_and_save, plotter, result, runs, path, drawn is not None)))
    # Drawn on every CPU this process may use, as the report draws its figures: one area's figure
    # takes seconds, and scripts/run --quick has a minute in all.
    from flynn.report.model import draw_all

    written = []
    for (area, path, _), (answer, error) in zip(jobs, draw_all([job for _, _, job in jobs])):
        if error is not None:
            raise FlynnError(f"{path}: {error}")
        written.append(path)
        if drawn is not None and answer is not None:
            drawn[area] = answer
    return written


def _draw_and_save(plotter: Plotter, result: Result, runs: list[Run], path: Path, for_report: bool) -> bytes | None:
    """Draws and saves one area's figure; with `for_report`, its PNG for the report too."""
    figure = _titled_emulated(plotter(result, runs), result)
    _save_atomic(figure, path)
    if not for_report:
        return None
    from flynn.report.model import png

    return png(figure)


@entry_point
def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="scripts/plot", description=__doc__)
    parser.add_argument("result", type=Path, help="a Google Benchmark JSON file (scripts/run writes one)")
    parser.add_argument("--out", type=Path, help="directory for the PNGs (default: beside RESULT)")
    args = parser.parse_args(argv)
    out_dir = args.out or args.result.parent
    results.check_directory(out_dir, "--out")
    result = results.load(args.result)
    for path in write_plots(result, out_dir):
        print(path)
    return 0
