"""One machine-wide lock file per shared test resource (the test hosts' names, the test Slurm's
ports): held by one run at a time, across ctest invocations, checkouts and sessions."""

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from flynn.errors import FlynnError


@contextlib.contextmanager
def held(path: Path, wait_s: float, what: str) -> Iterator[None]:
    """Holds `path` exclusively, waiting up to `wait_s` for another run to release it; FlynnError
    naming `what` when it does not."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FlynnError(f"{what} in use by another run ({path} held for over {wait_s:g} s)") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)
