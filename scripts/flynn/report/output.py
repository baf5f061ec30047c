"""Writing a report's files: each one whole or not at all, so a reader never sees half a page."""

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from flynn import results
from flynn.errors import FlynnError
from flynn.findings import ReadingOptions
from flynn.report import card, html, json_form, markdown, model
from flynn.report.model import Report

FORMATS = ("html", "md", "json")
# What scripts/report writes without --format: the page, and its tables as text.
DEFAULT_FORMATS = ("html", "md")
_FILES = {"html": "report.html", "md": "report.md", "json": "report.json"}
_RENDER = {"html": html.render, "md": markdown.render, "json": json_form.render}


def write_text_atomic(path: Path, content: str) -> None:
    """Like results.write_atomic, for text: a temp file beside the target, then os.replace."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o644)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write(report: Report, out_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    results.check_directory(out_dir, "--out")
    written = []
    for kind in formats:
        path = out_dir / _FILES[kind]
        try:
            write_text_atomic(path, _RENDER[kind](report))
        except OSError as error:
            raise FlynnError(f"{path}: cannot write it: {error.strerror}") from None
        written.append(path)
    return written


def report(paths: Sequence[Path], out_dir: Path, options: ReadingOptions | None = None,
           formats: Sequence[str] = DEFAULT_FORMATS, drawn: Mapping[str, bytes] | None = None,
           ) -> tuple[Report, list[Path], str]:
    """What scripts/report does, for a caller such as scripts/run: the report of these result
    files written into out_dir, the files written, and the card to print. `drawn`: the first
    result's area figures, drawn already (model.assemble)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FlynnError(f"--out {out_dir}: not a directory")
    gathered = model.assemble(paths, options, drawn=drawn)
    written = write(gathered, out_dir, formats)
    return gathered, written, card.render(gathered, written)
