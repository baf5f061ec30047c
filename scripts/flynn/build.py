"""Configure and build the C++ side with CMake (Release, one build directory)."""

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from flynn.errors import FlynnError

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
BIN_DIR = BUILD_DIR / "bin"


def call(command: Sequence[str]) -> int:
    """Runs a command from the repo root with its output on our stderr: stdout
    is kept for the summary a caller prints at the end."""
    print(f"+ {shlex.join(command)}", file=sys.stderr, flush=True)
    try:
        return subprocess.run(command, cwd=REPO_ROOT, stdout=sys.stderr.fileno(), check=False).returncode
    except FileNotFoundError:
        raise FlynnError(f"{command[0]} not found; scripts/lib/ensure-packages installs it") from None


def check(command: Sequence[str]) -> None:
    status = call(command)
    if status != 0:
        raise FlynnError(f"`{shlex.join(command)}` failed with exit status {status}")


def _cached(build_dir: Path) -> dict[str, str]:
    """`KEY:TYPE=value` lines of build_dir's CMakeCache.txt, by key."""
    try:
        text = (build_dir / "CMakeCache.txt").read_text(errors="replace")
    except OSError:
        return {}
    entries = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if ":" in key and not line.startswith(("#", "//")):
            entries[key.split(":")[0]] = value.strip()
    return entries


def forget_moved_checkout(build_dir: Path | None = None) -> None:
    """CMake refuses a build directory whose cache was made elsewhere ("CMakeCache.txt directory
    ... is different", or a source that "does not match"), as after moving or copying a checkout.
    Its CMakeCache.txt and CMakeFiles/ only hold the old paths, so they go, and the next configure
    starts clean (the binaries are built again)."""
    build_dir = build_dir or BUILD_DIR
    cached = _cached(build_dir)
    expected = {"CMAKE_CACHEFILE_DIR": build_dir, "CMAKE_HOME_DIRECTORY": REPO_ROOT}
    moved = [(key, cached[key]) for key, path in expected.items()
             if key in cached and os.path.realpath(cached[key]) != os.path.realpath(path)]
    if not moved:
        return
    print(f"note: {build_dir}/CMakeCache.txt was made for another checkout ("
          + ", ".join(f"{key} {value}" for key, value in moved)
          + "): removing it and CMakeFiles/ to configure again", file=sys.stderr)
    try:
        (build_dir / "CMakeCache.txt").unlink(missing_ok=True)
        if (build_dir / "CMakeFiles").is_dir():
            shutil.rmtree(build_dir / "CMakeFiles")
    except OSError as error:
        raise FlynnError(f"cannot remove the stale cache in {build_dir} ({error}); "
                         f"remove {build_dir} and run scripts/run again") from None


def _configured(options: Sequence[str], build_dir: Path | None = None) -> bool:
    """Whether build_dir's cache already holds a Release configuration with every -DKEY=VALUE of
    `options`: then `cmake --build` alone builds it, and configures again by itself where a
    CMakeLists.txt changed (2.5 s of scripts/run --quick's minute saved)."""
    cached = _cached(build_dir or BUILD_DIR)
    if cached.get("CMAKE_BUILD_TYPE") != "Release":
        return False
    # A package found missing (FindMPI's MPI_CXX_COMPILER-NOTFOUND, ...) is searched for again only
    # by a configure: one installed since (libopenmpi-dev) must build its binary on the next run.
    # CMake's own tools (CMAKE_DLLTOOL on Linux) are NOTFOUND on every configure.
    if any(value.endswith("-NOTFOUND") for key, value in cached.items() if not key.startswith("CMAKE_")):
        return False
    for option in options:
        if not option.startswith("-D") or "=" not in option:
            return False
        key, _, value = option[2:].partition("=")
        if cached.get(key.split(":")[0]) != value:
            return False
    return True


def build(options: Sequence[str] = ()) -> None:
    forget_moved_checkout()
    if not _configured(options):
        check(["cmake", "-S", str(REPO_ROOT), "-B", str(BUILD_DIR), "-DCMAKE_BUILD_TYPE=Release", *options])
    check(["cmake", "--build", str(BUILD_DIR), "-j", str(len(os.sched_getaffinity(0)))])
