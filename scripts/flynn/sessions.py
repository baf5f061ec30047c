"""The processes of a session this run started (`start_new_session=True`), found by their session
id and ended together. A process group is not enough: a child may move to a group of its own and
keep the session (Open MPI's mpirun puts every ssh it starts in one, so that Ctrl-C spares it), and
killpg on the leader's group then leaves it running.

The session id is the leader's pid. While the leader is unreaped (waited for with WNOWAIT) that pid
cannot be reused, so every process found here is one we started or one of its descendants."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

_PROC = Path("/proc")


def _stat_fields(pid_dir: Path) -> list[str] | None:
    """/proc/PID/stat after the command's name (which may hold spaces and parentheses)."""
    try:
        text = (pid_dir / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def members(sid: int) -> list[int]:
    """The live (not zombie) processes of session `sid`."""
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry)
        # state ppid pgrp session ...
        if fields and len(fields) > 3 and fields[0] != "Z" and fields[3] == str(sid):
            found.append(int(entry.name))
    return found


def signal_all(sid: int, sig: int) -> None:
    for pid in members(sid):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def exited(process: subprocess.Popen) -> bool:
    """Whether the leader has exited, leaving it unreaped so that its pid stays ours."""
    if process.returncode is not None:
        return True
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None


def wait_unreaped(process: subprocess.Popen, timeout_s: float) -> bool:
    """Waits up to `timeout_s` for the leader to exit without reaping it; whether it did."""
    deadline = time.monotonic() + timeout_s
    while not exited(process):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def end(process: subprocess.Popen, grace_s: float, first: int = signal.SIGTERM) -> int:
    """Ends the session `process` leads: `first` to every member (SIGTERM lets mpirun end its
    remote daemons), SIGKILL to whatever is left after `grace_s`, then reaps the leader; returns
    its exit status. The leader must not have been reaped yet."""
    sid = process.pid
    if first != signal.SIGKILL:
        signal_all(sid, first)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and (members(sid) or not exited(process)):
            time.sleep(0.05)
    deadline = time.monotonic() + grace_s
    while members(sid) and time.monotonic() < deadline:
        signal_all(sid, signal.SIGKILL)
        time.sleep(0.02)
    return process.wait()
