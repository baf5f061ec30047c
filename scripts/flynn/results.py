"""The result model: Google Benchmark JSON files, their runs, and merging several into one."""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flynn import names
from flynn.errors import FlynnError

SKIP_PREFIX = "skipped:"
# Which invocation of its binary a row comes from, when `scripts/run --runs K` ran each binary
# K times: repetitions within one process share its page placement, its CPU, its neighbours'
# load, so only separate invocations show how far a figure drifts between runs.
INVOCATION_KEY = "flynn_invocation"

# Numeric keys Google Benchmark (or scripts/run) writes; every other number in a row is a user counter.
_NOT_COUNTERS = frozenset(
    {
        INVOCATION_KEY,
        "family_index",
        "per_family_instance_index",
        "repetitions",
        "repetition_index",
        "threads",
        "iterations",
        "real_time",
        "cpu_time",
    }
)
_NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

Row = dict[str, Any]


@dataclass(frozen=True)
class Result:
    path: Path
    context: dict[str, Any]
    benchmarks: list[Row]


@dataclass
class Run:
    """One benchmark instance: its repetitions that produced data, or why it has none."""

    name: str
    repetitions: list[Row]
    error: str | None = None

    @property
    def skip_reason(self) -> str | None:
        if self.error is not None and self.error.startswith(SKIP_PREFIX):
            return self.error[len(SKIP_PREFIX) :].strip()
        return None

    @property
    def failed(self) -> bool:
        return self.error is not None and self.skip_reason is None

    def values(self, key: str) -> list[float]:
        return [float(row[key]) for row in self.repetitions if _is_number(row.get(key))]

    def by_invocation(self) -> dict[object, list[Row]]:
        """The repetitions grouped per invocation of the binary, in the order first seen."""
        groups: dict[object, list[Row]] = {}
        for row in self.repetitions:
            groups.setdefault(row.get(INVOCATION_KEY, 0), []).append(row)
        return groups

    def counters(self) -> list[str]:
        keys: dict[str, None] = {}
        for row in self.repetitions:
            for key, value in row.items():
                if key not in _NOT_COUNTERS and _is_number(value):
                    keys[key] = None
        return list(keys)


def _is_number(value: object) -> bool:
    # bool is an int subclass, and error_occurred must not pass for a counter.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load(path: Path) -> Result:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FlynnError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FlynnError(f"{path}: cannot read: {error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FlynnError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    return from_document(path, document)


def from_document(path: Path, document: object) -> Result:
    where = f"{path}: not a Google Benchmark result"
    if not isinstance(document, dict):
        raise FlynnError(f"{where}: the top level is not an object")
    for key, kind in (("context", dict), ("benchmarks", list)):
        if key not in document:
            raise FlynnError(f"{where}: no {key!r}")
        if not isinstance(document[key], kind):
            raise FlynnError(f"{where}: {key!r} is not a JSON {kind.__name__}")
    for index, row in enumerate(document["benchmarks"]):
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise FlynnError(f"{where}: benchmarks[{index}] has no string 'name'")
    return Result(path, document["context"], document["benchmarks"])


def runs(result: Result) -> list[Run]:
    """Repetitions grouped per run_name, in file order. Aggregate rows are left
    out: statistics are recomputed from repetitions, which also covers N=1."""
    by_name: dict[str, Run] = {}
    for row in result.benchmarks:
        if row.get("run_type", "iteration") != "iteration":
            continue
        name = row.get("run_name", row["name"])
        run = by_name.setdefault(name, Run(name, []))
        if row.get("error_occurred"):
            run.error = run.error or str(row.get("error_message", "unknown error"))
        else:
            run.repetitions.append(row)
    return list(by_name.values())


def runs_by_area(result: Result) -> dict[str, list[Run]]:
    areas: dict[str, list[Run]] = {}
    for run in runs(result):
        areas.setdefault(names.parse(run.name).area, []).append(run)
    return areas


def time_ns(row: Row, key: str = "real_time") -> float:
    unit = row.get("time_unit", "ns")
    if unit not in _NS_PER_UNIT:
        raise FlynnError(f"benchmark {row['name']!r} has an unknown time_unit {unit!r}")
    return float(row[key]) * _NS_PER_UNIT[unit]


def merge(results: list[Result]) -> dict[str, Any]:
    """One file in Google Benchmark's own schema, so its tools (compare.py) still read it.
    The machine is the same for every binary, so the first context stands for all; what only a
    later binary records (its OpenMP binding, its array sizes) is added to it."""
    if not results:
        raise FlynnError("nothing to merge")
    context = dict(results[0].context)
    for result in results[1:]:
        for key, value in result.context.items():
            context.setdefault(key, value)
    # A binary run several times (scripts/run --runs) is named once.
    context["flynn_binaries"] = ",".join(
        dict.fromkeys(Path(str(result.context.get("executable", result.path.stem))).name for result in results)
    )
    benchmarks = [row for result in results for row in result.benchmarks]
    return {"context": context, "benchmarks": benchmarks}


def tag_invocation(result: Result, invocation: int) -> None:
    for row in result.benchmarks:
        row[INVOCATION_KEY] = invocation


def write_atomic(path: Path, document: dict[str, Any]) -> None:
    """A temp file beside the target then os.replace: an interrupted run leaves
    the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            # NamedTemporaryFile creates 0600; a result file is meant to be shared.
            os.fchmod(handle.fileno(), 0o644)
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
