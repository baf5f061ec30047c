"""Configure and build the C++ side with CMake (Release, one build directory)."""

import os
import shlex
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


def build(options: Sequence[str] = ()) -> None:
    check(["cmake", "-S", str(REPO_ROOT), "-B", str(BUILD_DIR), "-DCMAKE_BUILD_TYPE=Release", *options])
    check(["cmake", "--build", str(BUILD_DIR), "-j", str(len(os.sched_getaffinity(0)))])
