"""`scripts/report RESULT.json [MORE.json ...] [--out DIR] [--format html|md|json] [--fma-pipes N]`:
every figure of each result read against its limit, one column per file in the order given with
its ratio to the first; writes report.html and report.md (or report.json) and prints the card."""

import argparse
import sys
from pathlib import Path

from flynn.errors import EXIT_BAD_INPUT, ArgumentParser, FlynnError, entry_point
from flynn.findings import ReadingOptions
from flynn.report import output
from flynn.report.text import printable

# No CPU has more FMA pipes per core than this; a larger --fma-pipes is a typo.
MAX_FMA_PIPES = 16


def _pipes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_FMA_PIPES:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_FMA_PIPES}, not {text!r}")
    return int(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = ArgumentParser(prog="scripts/report", description=__doc__)
    parser.add_argument("results", nargs="+", type=Path, metavar="RESULT.json",
                        help="result files (scripts/run writes them); the first is the one the others are held against")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where the report goes (default: beside the first result)")
    parser.add_argument("--format", choices=output.FORMATS,
                        help="write only report.html, report.md or report.json (default: report.html and report.md)")
    parser.add_argument("--fma-pipes", type=_pipes, metavar="N",
                        help="FMA pipes per core for the theoretical FLOP/s peak (default: what the simd readings assume, "
                        "named in every peak's limit source)")
    return parser.parse_args(argv)


@entry_point
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for path in args.results:
        if not path.exists():
            raise FlynnError(f"{path}: no such file")
        if path.is_dir():
            raise FlynnError(f"{path}: is a directory, not a result file")
    formats = (args.format,) if args.format else output.DEFAULT_FORMATS
    report, written, shown = output.report(args.results, args.out or args.results[0].parent,
                                           ReadingOptions(fma_pipes=args.fma_pipes), formats)
    print(shown, end="")
    # A file, or part of one, that could not be read is bad input even though the page says so.
    troubled = [column for column in report.columns if column.problems]
    for column in troubled:
        more = f" and {len(column.problems) - 1} more" if len(column.problems) > 1 else ""
        print(f"error: {printable(column.problems[0])}{more} (the report says so: {written[0]})", file=sys.stderr)
    return EXIT_BAD_INPUT if troubled else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
