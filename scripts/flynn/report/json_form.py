"""report.json: the findings as data for tests and other tools, in standard JSON (no NaN)."""

import json
from dataclasses import asdict
from typing import Any

from flynn import results
from flynn.report import text
from flynn.report.model import Report

FORMAT_VERSION = 1


def document(report: Report) -> dict[str, Any]:
    history = report.history
    return {
        "flynn_report": FORMAT_VERSION,
        "machines": report.machines,
        "warnings": report.warnings,
        "results": [{
            "path": str(column.path),
            "label": column.label,
            "machine_id": column.machine_id,
            "machine": text.machine_line(column.context) if column.result is not None else None,
            "problems": column.problems,
            "missing": column.missing,
            "findings": [finding.as_dict() for finding in column.findings],
            "roofline": results.finite_or_null({"ceilings": [asdict(c) for c in column.ceilings],
                                 "points": [asdict(p) for p in column.points]}),
        } for column in report.columns],
        "history": None if history is None else {
            "machine_id": history.machine_id,
            "runs": history.runs,
            "latest": history.latest,
            "this_run": history.this_run,
            "counts": history.counts,
            "slower": history.slower,
            "faster": history.faster,
            "note": history.note,
        },
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, allow_nan=False) + "\n"
