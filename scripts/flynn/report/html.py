"""report.html: one self-contained page (jinja2, autoescaped). Figures are PNG data URIs; the page
has no script and fetches nothing, and its Content-Security-Policy forbids it to."""

import base64
from pathlib import Path
from typing import Any

import jinja2

from flynn.report import text
from flynn.report.model import Picture, Report, Row
from flynn.report.sections import ROOFLINE, section

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Everything the page may load is inline: images as data, style in the page; nothing else at all.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STATUSES = frozenset({"ok", "unstable", "unproven", "skipped", "unknown"})
# A bar past this share of its limit is drawn full: a 47x speedup over 16 lanes needs no wider bar.
_BAR_CAP = 1.0


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Every value a result file brings (names, context strings, error messages) is escaped.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _image(picture: Picture) -> dict[str, Any]:
    source = None
    if picture.png is not None:
        source = "data:image/png;base64," + base64.b64encode(picture.png).decode("ascii")
    return {"title": picture.title, "src": source, "error": picture.error}


def _cells(report: Report, row: Row) -> list[dict[str, Any]]:
    cells = []
    for index, finding in enumerate(row.findings):
        if finding is None:
            cells.append({"value": "-", "times": None})
            continue
        moved = row.relative(index)
        times = None if moved is None else text.times(moved)
        if index > 0 and row.findings[0] is not None and not row.comparable(index):
            times = text.read_differently(finding)
        cells.append({"value": text.quantity(finding.value, finding.unit), "times": times})
    return cells


def _row(report: Report, row: Row) -> dict[str, Any]:
    first = row.first
    ratio = first.ratio
    bar = None if ratio is None or ratio < 0 else min(ratio, _BAR_CAP) * 100
    status = first.trust.status if first.trust.status in _STATUSES else "unknown"
    return {
        "area": row.area,
        "section": section(row.area).title,
        "label": first.label,
        "figure": first.figure,
        "cells": _cells(report, row),
        "unit": first.unit,
        "limit": text.limit(first),
        "limit_source": first.limit_source,
        "shares": [text.percent(f.ratio) if f else "-" for f in row.findings],
        "bar": None if bar is None else f"{bar:.1f}",
        "over": ratio is not None and ratio > _BAR_CAP,
        "meaning": first.meaning,
        "status": status,
        "status_text": text.status(first.trust),
        "trust": text.trust_detail(first.trust, with_status=False),
    }


def context(report: Report) -> dict[str, Any]:
    """What the template shows, formatted; the template only lays it out."""
    columns = [{
        "index": index + 1,
        "label": column.label,
        "path": str(column.path),
        "machine": text.machine_line(column.context) if column.result is not None else None,
        "machine_id": column.machine_id,
        "run": text.run_line(column.context) if column.result is not None else None,
        "problems": column.problems,
    } for index, column in enumerate(report.columns)]
    sections = []
    for area in report.areas():
        chapter = section(area)
        picture = report.figures.get(area)
        sections.append({
            "area": area,
            "title": chapter.title,
            "idea": chapter.idea,
            "missing": [(column.label, column.missing[area]) for column in report.columns if area in column.missing],
            "figure": _image(picture) if picture else None,
            "rows": [_row(report, row) for row in report.rows(area)],
        })
    history = report.history
    first = report.first
    return {
        "csp": CSP,
        "title": f"flynn report: {first.context.get('host_name') or first.label}",
        "columns": columns,
        "several": len(report.columns) > 1,
        "machines": report.machines,
        "warnings": report.warnings,
        "headline": [_row(report, row) for row in report.headline_rows()],
        "sections": sections,
        "roofline": {"title": ROOFLINE.title, "idea": ROOFLINE.idea,
                     "figures": [_image(picture) for picture in report.rooflines],
                     "tables": [{
                         "label": column.label,
                         "ceilings": [{"label": c.label, "kind": c.kind, "source": c.source,
                                       "value": text.quantity(c.value, "flop/s" if c.kind == "compute" else "B/s")}
                                      for c in column.ceilings],
                         "points": [{"label": p.label, "source": p.source,
                                     "intensity": text.number(p.flops_per_byte),
                                     "value": text.quantity(p.flops_per_second, "flop/s")} for p in column.points],
                     } for column in report.columns if column.ceilings or column.points]},
        "history": None if history is None else {
            "machine_id": history.machine_id,
            "runs": len(history.runs),
            "first": history.runs[0] if history.runs else None,
            "latest": history.latest,
            "this_run": None if history.this_run is None else history.this_run + 1,
            "counts": sorted(history.counts.items()),
            "slower": history.slower,
            "faster": history.faster,
            "note": history.note,
            "figures": [_image(picture) for picture in history.figures],
        },
        "bad_input": report.is_bad_input(),
    }


def render(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(context(report))
