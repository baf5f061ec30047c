"""report.md: every finding of every area as a table, one value column per result file."""

from flynn import textsafe
from flynn.report import text
from flynn.report.model import Column, Report, Row
from flynn.report.sections import ROOFLINE, section

# What would let a result's text act as markup in a markdown viewer: raw HTML, links, code spans.
# textsafe.cell() then writes out control characters and keeps `|` in its cell.
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "`": "\\`"})


def cell(value: object) -> str:
    """Untrusted text in a table cell: shown as text, never as markup."""
    return textsafe.cell(str(value).replace("\\", "\\\\").translate(_MARKUP))


def _value(row: Row, index: int) -> str:
    finding = row.findings[index]
    if finding is None:
        return "-"
    shown = text.quantity(finding.value, finding.unit)
    if index > 0 and row.findings[0] is not None:
        moved = row.relative(index)
        if moved is not None:
            shown += f" ({text.times(moved)})"
        elif not row.comparable(index):
            shown += f" ({text.read_differently(finding)})"
    return cell(shown)


def _column_head(report: Report, index: int, column: Column) -> str:
    head = column.label
    if len(report.machines) > 1 and column.machine_id:
        head += f" on {column.machine_id}"
    return cell(head)


def _table(report: Report, rows: list[Row]) -> list[str]:
    columns = report.columns
    values = " | ".join(_column_head(report, index, column) for index, column in enumerate(columns))
    lines = [
        f"| figure | {values} | unit | limit | limit source | % of limit | meaning | trust |",
        "| --- | " + " | ".join("---:" for _ in columns) + " | --- | ---: | --- | ---: | --- | --- |",
    ]
    for row in rows:
        first = row.first
        shares = " / ".join(text.percent(f.ratio) if f else "-" for f in row.findings)
        lines.append(
            f"| {cell(first.label)} | " + " | ".join(_value(row, index) for index in range(len(columns)))
            + f" | {cell(first.unit)} | {cell(text.limit(first))} | {cell(first.limit_source or '-')}"
            + f" | {shares} | {cell(first.meaning or '-')} | {cell(text.trust_detail(first.trust))} |"
        )
    return lines


def render(report: Report) -> str:
    lines = ["# flynn report", ""]
    for index, column in enumerate(report.columns):
        if column.result is None:
            lines.append(f"- [{index + 1}] {cell(column.path)}: not read")
            continue
        lines.append(f"- [{index + 1}] {cell(column.path)}: {cell(text.machine_line(column.context))}; "
                     f"{cell(text.run_line(column.context))}")
    if len(report.columns) > 1:
        lines.append("")
        lines.append("Each later column also gives its ratio to the first, as (x1.05).")
    if len(report.machines) > 1:
        lines += ["", f"**Different machines:** these {len(report.columns)} results come from "
                  f"{len(report.machines)} machines ({cell(', '.join(report.machines))}); "
                  "a ratio between them compares machines, not runs."]
    for warning in report.warnings:
        lines += ["", cell(warning)]
    for column in report.columns:
        if column.problems:
            lines += ["", f"## What could not be read in {cell(column.label)}", ""]
            lines += [f"- {cell(problem)}" for problem in column.problems]
    history = report.history
    if history is not None:
        lines += ["", "## Regression history", "", _history_text(report)]
        for name in history.slower:
            lines.append(f"- slower: {cell(name)}")
        for name in history.faster:
            lines.append(f"- faster: {cell(name)}")
    for area in report.areas():
        chapter = section(area)
        lines += ["", f"## {cell(chapter.title)} ({cell(area)})", "", chapter.idea, ""]
        missing = [(column.label, column.missing[area]) for column in report.columns if area in column.missing]
        for label, why in missing:
            lines.append(f"- not in {cell(label)}: {cell(why)}")
        rows = report.rows(area)
        if rows:
            if missing:
                lines.append("")
            lines += _table(report, rows)
        elif not missing:
            lines.append("- no findings were read for this area")
    if any(column.ceilings or column.points for column in report.columns):
        lines += ["", f"## {ROOFLINE.title}", "", ROOFLINE.idea]
        for column in report.columns:
            if not (column.ceilings or column.points):
                continue
            lines += ["", f"{cell(column.label)}:", "", "| roof or point | kind | value | source |",
                      "| --- | --- | ---: | --- |"]
            for ceiling in column.ceilings:
                unit = "flop/s" if ceiling.kind == "compute" else "B/s"
                lines.append(f"| {cell(ceiling.label)} | {ceiling.kind} roof | {text.quantity(ceiling.value, unit)}"
                             f" | {cell(ceiling.source)} |")
            for point in column.points:
                lines.append(f"| {cell(point.label)} | point at {text.number(point.flops_per_byte)} flop/B"
                             f" | {text.quantity(point.flops_per_second, 'flop/s')} | {cell(point.source)} |")
    return "\n".join(lines) + "\n"


def _history_text(report: Report) -> str:
    history = report.history
    assert history is not None
    where = (f"; this result is run {history.this_run + 1}" if history.this_run is not None else "")
    head = f"Machine {cell(history.machine_id)}: {len(history.runs)} stored runs{where}."
    if not history.counts:
        return f"{head} {cell(history.note or '')}"
    counts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(history.counts.items()))
    return f"{head} Latest run ({cell(history.latest)}) against the runs before it: {counts}."
