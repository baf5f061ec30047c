"""The ctxsw area: its readings (findings against limits) and its figure."""

from flynn.findings import Finding, ReadingOptions
from flynn.results import Result, Run


def readings(result: Result, runs: list[Run], options: ReadingOptions) -> list[Finding]:
    return []
