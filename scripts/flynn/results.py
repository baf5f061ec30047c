"""The result model: Google Benchmark JSON files, their runs, and merging several into one."""

import json
import math
import os
import re
import sys
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
# In the context of a --against-baseline rerun or of the other build's result of --against-build:
# the file name of the run it was made to check. scripts/history leaves such files out.
CHECK_OF_KEY = "flynn_check_of"

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


# A Google Benchmark file nests 4 deep (top, benchmarks, row, a list in a row); past this a file
# is not one, and Python's decoder would recurse until RecursionError.
MAX_DEPTH = 64
# A JSON string (skipped whole, so that a bracket inside a name does not count) or a bracket.
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# Past 308 digits an integer is beyond a double, and float() of it raises.
_MAX_INT_DIGITS = 308


class NotFinite(str):
    """A number that is no figure, as the file spells it: NaN, Infinity, or one too big for a
    double (1e400). Google Benchmark writes NaN for the CV of a counter that is always 0."""


def _float(token: str) -> float | NotFinite:
    value = float(token)
    return value if math.isfinite(value) else NotFinite(token)


def _int(token: str) -> int | NotFinite:
    return NotFinite(token) if len(token.lstrip("-")) > _MAX_INT_DIGITS else int(token)


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in "]}":
            depth -= 1
    return False


def parse(text: str, where: str) -> object:
    """JSON from an untrusted file: nesting bounded by MAX_DEPTH, and every number that is not a
    finite double (NaN, Infinity, 1e400) kept as a NotFinite, so that it is never taken for a figure."""
    if _too_deep(text):
        raise FlynnError(f"{where}: nested more than {MAX_DEPTH} deep: not a Google Benchmark result")
    try:
        return json.loads(text, parse_constant=NotFinite, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as error:
        raise FlynnError(f"{where}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except (RecursionError, ValueError) as error:
        raise FlynnError(f"{where}: invalid JSON: {error}") from None


def load(path: Path) -> Result:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FlynnError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FlynnError(f"{path}: cannot read: {error}") from None
    return from_document(path, parse(text, str(path)))


def _not_finite(value: object) -> NotFinite | None:
    """The first non-finite number in a value (depth bounded by parse)."""
    if isinstance(value, NotFinite):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return NotFinite(repr(value))
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        found = _not_finite(child)
        if found is not None:
            return found
    return None


def _name(row: Row, key: str) -> str | None:
    value = row.get(key)
    return value if isinstance(value, str) and not isinstance(value, NotFinite) else None


def _refuse_not_finite(path: Path, document: dict[str, Any]) -> None:
    """A repetition with a non-finite number becomes an error row of the same name, so that it is
    never judged, plotted or averaged, and the merged file stays standard JSON. Aggregates (which
    flynn recomputes) lose the number silently; the context must hold none."""
    for key, value in document["context"].items():
        found = _not_finite(value)
        if found is not None:
            raise FlynnError(f"{path}: context {key!r} holds {found}, not a finite number")
    notes: dict[tuple[str | None, str], int] = {}
    for row in document["benchmarks"]:
        bad = {key: found for key, value in row.items() if (found := _not_finite(value)) is not None}
        if not bad:
            continue
        for key in bad:
            row[key] = None
        if row.get("run_type", "iteration") != "iteration" or row.get("error_occurred"):
            continue
        what = ", ".join(f"{key} is {found}" for key, found in bad.items())
        row["error_occurred"] = True
        row["error_message"] = f"not a finite number: {what}"
        noted = (_name(row, "name"), what)
        notes[noted] = notes.get(noted, 0) + 1
    # One note per benchmark, not per repetition.
    for (name, what), count in notes.items():
        times = f" in {count} repetitions" if count > 1 else ""
        print(f"note: {path}: {name}: {what}{times}, not a finite number; left out", file=sys.stderr)


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
        if not isinstance(row, dict) or _name(row, "name") is None:
            raise FlynnError(f"{where}: benchmarks[{index}] has no string 'name'")
    _refuse_not_finite(path, document)
    return Result(path, document["context"], document["benchmarks"])


def runs(result: Result) -> list[Run]:
    """Repetitions grouped per run_name, in file order. Aggregate rows are left
    out: statistics are recomputed from repetitions, which also covers N=1."""
    by_name: dict[str, Run] = {}
    for row in result.benchmarks:
        if row.get("run_type", "iteration") != "iteration":
            continue
        name = _name(row, "run_name") or row["name"]
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
    if not _is_number(row.get(key)):
        raise FlynnError(f"benchmark {row['name']!r} has no number for {key!r}")
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


def check_writable(path: Path, what: str) -> None:
    """Before minutes of work, not after: `path` (a file) can be created or replaced."""
    if path.is_dir():
        raise FlynnError(f"{what} {path}: is a directory")
    check_directory(path.parent, what, shown=path)


def check_directory(directory: Path, what: str, shown: Path | None = None) -> None:
    """`directory` exists or can be made, and a file can be created in it."""
    shown = shown or directory
    if directory.exists() and not directory.is_dir():
        raise FlynnError(f"{what} {shown}: {directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory, prefix=".flynn-probe-"):
            pass
    except OSError as error:
        raise FlynnError(f"{what} {shown}: cannot write in {directory}: {error.strerror or error}") from None


def finite_or_null(data: Any) -> Any:
    """JSON has no NaN or Infinity: in what flynn derives from a result (a comparison, a finding),
    a number that is not finite is null, said so rather than written as a bare NaN token."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: finite_or_null(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_or_null(value) for value in data]
    return data


def to_json(document: object) -> str:
    """Standard JSON only: a non-finite float is a bug upstream, and raises here."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def write_atomic(path: Path, document: object) -> None:
    """A temp file beside the target then os.replace: an interrupted run leaves
    the old file or the new one, never half of one."""
    # Serialised first: a document that cannot be written leaves nothing behind.
    text = to_json(document)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        )
    except OSError as error:
        raise FlynnError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with handle:
            # NamedTemporaryFile creates 0600; a result file is meant to be shared.
            os.fchmod(handle.fileno(), 0o644)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException as error:
        Path(handle.name).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise FlynnError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def save(path: Path, document: dict[str, Any]) -> None:
    """write_atomic for measurements: when the write fails (a full disk), they are kept in a
    temporary file, named in the error, rather than lost with minutes of running."""
    try:
        write_atomic(path, document)
    except FlynnError as error:
        raise FlynnError(f"{error}; {_keep(to_json(document))}") from None


def _keep(text: str) -> str:
    failure = ""
    for directory in (None, Path.cwd()):
        try:
            descriptor, kept = tempfile.mkstemp(prefix="flynn-unsaved-", suffix=".json", dir=directory)
        except OSError as error:
            failure = error.strerror or str(error)
            continue
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            failure = error.strerror or str(error)
            Path(kept).unlink(missing_ok=True)
            continue
        return f"the measurements are kept in {kept}"
    return f"the measurements could not be kept anywhere either ({failure})"
