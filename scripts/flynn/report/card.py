"""The headline card for the terminal: the machine, each headline finding with its value, its share
of the limit and whether to trust it, what is missing, and where the full report is. About 40
lines at most: the tables go to the report's files, never to the terminal."""

from pathlib import Path

from flynn.areas import counted
from flynn.report import text
from flynn.report.model import Report, Row
from flynn.report.sections import section

MAX_LINES = 40
_LABEL = 46
_VALUE = 13


def _cell(row: Row, index: int) -> str:
    finding = row.findings[index]
    if finding is None:
        return "-"
    shown = text.quantity(finding.value, finding.unit)
    if index > 0:
        moved = row.relative(index)
        if moved is not None:
            shown += f" {text.times(moved)}"
        elif row.findings[0] is not None and not row.comparable(index):
            shown += f" {text.NOT_COMPARABLE}"
    return shown


def _line(row: Row, columns: int) -> str:
    first = row.first
    label = text.printable(first.label)
    if len(label) > _LABEL:
        label = label[: _LABEL - 1] + "…"
    values = "".join(f"{_cell(row, index):<{_VALUE + (6 if index else 0)}} " for index in range(columns))
    # The share of the limit and the trust are the first result's: the one the card is about.
    return f"  {label:<{_LABEL}} {values}{text.percent(first.ratio):>7}  {text.printable(text.status(first.trust))}"


def _shares(by_area: dict[str, list[Row]], room: int) -> dict[str, int]:
    """How many rows of each area fit: one more for every area in turn, so that every area shows
    its first findings (the readings list them most telling first) before any shows its tenth."""
    shown = dict.fromkeys(by_area, 0)
    used = 0
    grew = True
    while grew:
        grew = False
        for area, area_rows in by_area.items():
            cost = 1 if shown[area] else 2  # the first row brings the area's title
            if shown[area] < len(area_rows) and used + cost <= room:
                shown[area] += 1
                used += cost
                grew = True
    return shown


def render(report: Report, paths: list[Path] | None = None) -> str:
    """`paths`: the report files written, named last."""
    columns = report.columns
    first = report.first
    head = [f"flynn card · {text.printable(text.machine_line(first.context))}" if first.result is not None
            else f"flynn card · {text.printable(first.path)}"]
    for index, column in enumerate(columns):
        tag = f"[{index + 1}] " if len(columns) > 1 else ""
        machine = ""
        if len(report.machines) > 1 and column.machine_id:
            machine = f" · machine {column.machine_id}"
        run = text.run_line(column.context) if column.result is not None else "not read"
        head.append(text.printable(f"{tag}{column.path} ({run}){machine}"))
    if len(report.machines) > 1:
        head.append(f"warning: these results come from {len(report.machines)} different machines; "
                    "each column is its own machine")
    head += [text.printable(line) for line in report.warnings[:2]]
    for column in columns:
        head += [f"error: {text.printable(problem)}" for problem in column.problems[:3]]
    tail: list[str] = []
    missing = first.missing
    if missing:
        tail.append("missing: " + "; ".join(text.printable(why) for why in list(missing.values())[:2])
                    + (f"; and {len(missing) - 2} more areas" if len(missing) > 2 else ""))
    history = report.history
    if history is not None:
        if history.counts:
            counts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(history.counts.items()))
            tail.append(f"history: latest of {len(history.runs)} runs ({history.latest}): {counts}")
            if history.slower:
                tail.append("  slower: " + text.printable(", ".join(history.slower[:3]))
                            + (f" and {len(history.slower) - 3} more" if len(history.slower) > 3 else ""))
        else:
            tail.append(f"history: {history.note or 'none'}")
    if any(not row.comparable(index) for row in report.headline_rows() if row.findings[0] is not None
           for index in range(1, len(columns)) if row.findings[index] is not None):
        tail.append(text.NOT_COMPARABLE_LEGEND)
    proved = [(row.first.label, shown) for row in report.headline_rows() if row.first is not None
              and (shown := counted.said(row.first.trust.proof))]
    if proved:
        # What the CPU's counters showed about a figure (a PMU counted them): the proof, not a claim.
        tail.append("counted: " + text.printable("; ".join(f"{label}: {shown}" for label, shown in proved[:2])))
    if paths:
        tail.append("report: " + "  ".join(str(path) for path in paths))

    rows = report.headline_rows()
    header = f"  {'':<{_LABEL}} " + "".join(
        f"{('value' if len(columns) == 1 else f'[{index + 1}]'):<{_VALUE + (6 if index else 0)}} "
        for index in range(len(columns))) + f"{'of limit':>7}  status"
    body: list[str] = []
    room = MAX_LINES - len(head) - len(tail) - 3  # the blank lines and the column header
    by_area: dict[str, list[Row]] = {}
    for row in rows:
        by_area.setdefault(row.area, []).append(row)
    shown = _shares(by_area, room - 1 if rows else room)
    for area, area_rows in by_area.items():
        if shown[area]:
            body.append(section(area).title)
            body += [_line(row, len(columns)) for row in area_rows[: shown[area]]]
    left = len(rows) - sum(shown.values())
    if left:
        body.append(f"  ... and {left} more headline findings in the report")
    if not rows:
        body.append("no headline findings: nothing in these files could be read against a limit")
    return "\n".join([*head, "", header, *body, "", *tail]) + "\n"
