"""`scripts/test`: build with the C++ tests, run ctest, then the Python tests; every step is reported."""

import sys
from collections.abc import Callable

from flynn import build
from flynn.errors import EXIT_FINDING, ArgumentParser, FlynnError, entry_point

# The interpreter with Debian's pytest, matplotlib and scipy; a pyenv python3 on PATH has none of them.
SYSTEM_PYTHON = "/usr/bin/python3"


def _build() -> int:
    build.build(["-DFLYNN_TESTS=ON"])
    return 0


def _ctest() -> int:
    return build.call(["ctest", "--test-dir", str(build.BUILD_DIR), "--output-on-failure"])


def _pytest() -> int:
    return build.call([SYSTEM_PYTHON, "-m", "pytest", "-q", str(build.REPO_ROOT / "scripts" / "tests")])


def _outcome(step: Callable[[], int]) -> str:
    try:
        status = step()
    except FlynnError as error:
        return f"FAILED: {error}"
    return "passed" if status == 0 else f"FAILED (exit status {status})"



@entry_point
def main(argv: list[str]) -> int:
    ArgumentParser(prog="scripts/test", description=__doc__).parse_args(argv)
    outcomes = {"build": _outcome(_build)}
    # ctest needs the build; pytest does not, so it runs whatever happened before.
    outcomes["ctest"] = _outcome(_ctest) if outcomes["build"] == "passed" else "not run (build failed)"
    outcomes["pytest"] = _outcome(_pytest)
    print("\n".join(f"{step}: {outcome}" for step, outcome in outcomes.items()), file=sys.stderr)
    return 0 if all(outcome == "passed" for outcome in outcomes.values()) else EXIT_FINDING
