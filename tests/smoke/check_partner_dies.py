"""A process-model ping-pong killed with SIGKILL leaves no forked partner behind: each partner
must be gone (or a zombie awaiting its reaper) within a second of its parent's death."""

import ctypes
import os
import signal
import subprocess
import sys
import time

MECHANISMS = ("futex", "pipe", "eventfd", "yield")
GRACE_S = 1.0
PR_SET_CHILD_SUBREAPER = 36


def children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.update(int(child) for child in f.read().split())
    except OSError:
        pass
    return found


def identity(pid: int) -> tuple[str, str] | None:
    """(state, start time) from /proc/<pid>/stat; None once the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], fields[19]


def snapshot(pid: int) -> dict[int, str]:
    """The children of `pid` now, with their start times."""
    return {child: seen[1] for child in children(pid) if (seen := identity(child)) is not None}


def alive(pid: int, started: str) -> bool:
    now = identity(pid)
    return now is not None and now[1] == started and now[0] not in ("Z", "X")


def check(binary: str, mechanism: str) -> str | None:
    """None when the partner died with its parent, else what went wrong."""
    flags = [f"--benchmark_filter=^ctxsw/{mechanism}/processes/placement:same_cpu/bytes:0/",
             "--benchmark_min_time=60"]
    parent = subprocess.Popen([binary, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partners: dict[int, str] = {}
    try:
        # Google Benchmark runs the function several times while it sizes the iterations, each
        # run with a partner of its own: wait for one that stays (the long run), then kill.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and parent.poll() is None:
            before = snapshot(parent.pid)
            time.sleep(0.3)
            partners = {pid: started for pid, started in snapshot(parent.pid).items() if before.get(pid) == started}
            if partners:
                break
        if not partners:
            return f"{mechanism}: no lasting forked partner appeared (exit {parent.poll()})"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and any(alive(pid, started) for pid, started in partners.items()):
        time.sleep(0.02)
    left = [pid for pid, started in partners.items() if alive(pid, started)]
    for pid in left:  # our binary's own child, checked by its start time: do not leave it spinning
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.05)
    reap()
    if left:
        return f"{mechanism}: partner {left} still running {GRACE_S} s after its parent was killed"
    return None


def reap() -> None:
    """Orphans are reparented to this script (a subreaper): collect them, leave no zombies."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def main(binary: str) -> int:
    # So a killed binary's orphans come to this script, not to an init that may never reap them.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    problems = [problem for mechanism in MECHANISMS if (problem := check(binary, mechanism))]
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not problems:
        print(f"{binary}: every partner died with its parent ({', '.join(MECHANISMS)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
