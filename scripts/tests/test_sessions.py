"""flynn.sessions: a session we started is ended whole, a child that left for a process group of
its own included (as mpirun's ssh does), and nothing outside it is touched."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flynn import sessions

# A leader whose child moves to a group of its own, as mpirun does with each ssh, and prints its pid.
LEAVES_THE_GROUP = """import os, sys, time
child = os.fork()
if child == 0:
    os.setpgid(0, 0)
    time.sleep(300)
    os._exit(0)
os.setpgid(child, child)  # in both, as a shell does, so that it holds before the pid is printed
print(child, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_child_in_a_group_of_its_own_is_ended_with_the_session() -> None:
    outside = subprocess.Popen(["sleep", "300"])  # not in the session: must survive
    leader = subprocess.Popen([sys.executable, "-c", LEAVES_THE_GROUP], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        child = int(leader.stdout.readline())
        assert os.getpgid(child) == child != leader.pid
        assert sorted(sessions.members(leader.pid)) == sorted([leader.pid, child])
        os.killpg(leader.pid, signal.SIGKILL)  # what ending the group alone did: the child lives on
        assert sessions.wait_unreaped(leader, 5) and _alive(child)
        start = time.monotonic()
        assert sessions.end(leader, grace_s=2.0) == -signal.SIGKILL
        assert not _alive(child) and sessions.members(leader.pid) == []
        assert time.monotonic() - start < 3
        assert outside.poll() is None
    finally:
        outside.kill()
        outside.wait()
        if leader.returncode is None:
            leader.kill()
            leader.wait()


def test_a_leader_that_ends_on_sigterm_is_reaped_with_its_status() -> None:
    leader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    time.sleep(0.2)
    assert not sessions.exited(leader)
    assert sessions.end(leader, grace_s=5.0) == -signal.SIGTERM
