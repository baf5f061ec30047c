"""What every area's readings share: medians and spreads of a run, the trust of a figure, the
context's numbers, and one constructor that computes a finding's ratio so no reading does."""

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flynn import names, results, stats
from flynn.findings import Finding, ReadingOptions, Trust, ratio
from flynn.results import Result, Run


@dataclass(frozen=True)
class Point:
    """One benchmark instance with its name parsed once."""

    name: names.BenchmarkName
    run: Run

    def param(self, key: str) -> int | None:
        value = self.name.params.get(key, "")
        return int(value) if value.isdigit() else None


def points(runs: Iterable[Run]) -> list[Point]:
    return [Point(names.parse(run.name), run) for run in runs]


def median(run: Run, key: str) -> float | None:
    spread = stats.of(run, key)
    if spread is None or not math.isfinite(spread.median):
        return None
    return spread.median


def time_median_ns(run: Run) -> float | None:
    spread = stats.spread([results.time_ns(row) for row in run.repetitions])
    return spread.median if spread else None


def cv_pct(values: Sequence[float]) -> float | None:
    """Coefficient of variation of the repetitions, in percent; None below two of them."""
    finite = [value for value in values if math.isfinite(value)]
    if len(finite) < 2:
        return None
    mean = statistics.fmean(finite)
    if mean == 0:
        return None
    return abs(statistics.stdev(finite) / mean) * 100.0


def context_int(result: Result, key: str) -> int | None:
    value = str(result.context.get(key, "")).strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def context_float(result: Result, key: str) -> float | None:
    try:
        value = float(str(result.context.get(key, "")))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def cores(result: Result) -> int | None:
    return context_int(result, "topology_cores")


def clock(result: Result) -> tuple[float | None, str]:
    """The harness's clock estimate and how it was made, for figures in cycles."""
    hz = context_float(result, "clock_hz_estimate")
    method = str(result.context.get("clock_estimate_method", "method not recorded"))
    if hz is None:
        return None, "no clock estimate in the context (clock_hz_estimate)"
    return hz, f"clock estimate {hz / 1e9:.2f} GHz ({method})"


def trust(
    runs: Sequence[Run],
    key: str | None,
    options: ReadingOptions,
    proof: str | None = None,
    failed_proof: str | None = None,
    note: str | None = None,
) -> Trust:
    """The trust of a figure read from `runs` (the worst of them counts): skipped when one has no
    data, unproven when a proof failed, unstable when the repetitions spread past the threshold."""
    for run in runs:
        if not run.repetitions:
            reason = run.skip_reason or run.error or "no repetitions"
            status = "skipped" if run.skip_reason is not None else "unknown"
            return Trust(status, proof=proof, note=_join(f"{run.name}: {reason}", note))
    worst: float | None = None
    repetitions = min((len(run.repetitions) for run in runs), default=None)
    for run in runs:
        values = run.values(key) if key else [results.time_ns(row) for row in run.repetitions]
        spread = cv_pct(values)
        if spread is not None and (worst is None or spread > worst):
            worst = spread
    if failed_proof is not None:
        return Trust("unproven", worst, repetitions, proof, _join(failed_proof, note))
    if worst is not None and worst > options.unstable_cv_pct:
        return Trust(
            "unstable", worst, repetitions, proof,
            _join(f"repetitions spread {worst:.1f}% (CV) > {options.unstable_cv_pct:g}%", note),
        )
    return Trust("ok", worst, repetitions, proof, note)


def _join(*parts: str | None) -> str | None:
    text = "; ".join(part for part in parts if part)
    return text or None


def finding(
    area: str,
    figure: str,
    label: str,
    value: float | None,
    unit: str,
    *,
    limit: float | None = None,
    limit_source: str = "",
    meaning: str = "",
    trust: Trust | None = None,
    headline: bool = False,
) -> Finding:
    if value is not None and not math.isfinite(value):
        value = None
    return Finding(
        area=area, figure=figure, label=label, value=value, unit=unit, limit=limit,
        limit_source=limit_source, ratio=ratio(value, limit), meaning=meaning,
        trust=trust if trust is not None else Trust(), headline=headline,
    )


def missing(area: str, figure: str, label: str, note: str, status: str = "skipped") -> Finding:
    """A figure the result cannot give: said, never silently left out."""
    return Finding(area=area, figure=figure, label=label, value=None, unit="",
                   trust=Trust(status, note=note))  # type: ignore[arg-type]


def skipped_reasons(runs: Iterable[Run]) -> str:
    reasons = sorted({run.skip_reason for run in runs if run.skip_reason})
    return "; ".join(reasons)


def size_text(size: float) -> str:
    """A byte count as a person writes it: 48 KiB, 1 MiB, 508 MiB, 1.5 GiB."""
    for shift, unit in ((30, "GiB"), (20, "MiB"), (10, "KiB")):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{size:.0f} B"


def si(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"
