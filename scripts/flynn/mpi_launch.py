"""Runs flynn_mpi under Open MPI's mpirun: on 2 local ranks (shared memory), across the hosts of a
hostfile (one rank per host), or across K emulated test hosts (`test:K`, made by
scripts/lib/test-hosts for the run and removed after it). The run has a wall-clock limit, and
Open MPI's processes are gone when it returns, whether it finished, failed or ran out of time.
Bad input (no Open MPI, one host, a host that does not answer) is a FlynnError with one line."""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from flynn import locks, sessions
from flynn.errors import FlynnError

TEST_HOSTS = Path(__file__).resolve().parents[1] / "lib" / "test-hosts"
# test-hosts' exit status for "cannot make namespaces here" (ctest's skip code).
_TEST_HOSTS_UNAVAILABLE = 77
_MAX_TEST_HOSTS = 64
# A hostfile's slots per host: more than any node's cores today, fewer than a typo's.
_MAX_SLOTS = 1024
# How long mpirun gets to end its daemons and ranks after SIGTERM before they are killed.
_GRACE_S = 5.0
_INSTALL_HINT = "Debian: apt-get install openmpi-bin libopenmpi-dev"
# ssh to a hostfile's hosts gives up on one that does not answer after this, where its own
# default is the kernel's TCP connect timeout (about 2 minutes), and never asks for a password
# (nobody is there to type it): Open MPI's plm_rsh_args, unless the caller set their own.
SSH_CONNECT_TIMEOUT_S = 10
SSH_ARGS = f"-o ConnectTimeout={SSH_CONNECT_TIMEOUT_S} -o BatchMode=yes"


# The test hosts' names are the machine's (flynn-h1, ...), so one set exists at a time: every run
# that makes them holds this lock from `up` to `down` (other checkouts' tests included).
TEST_HOSTS_LOCK = Path(os.environ.get("FLYNN_TEST_HOSTS_LOCK", "/tmp/flynn-test-hosts.lock"))


def test_hosts_held(wait_s: float = 600.0) -> contextlib.AbstractContextManager[None]:
    """Holds the test hosts' lock, waiting up to `wait_s` for another run to release it."""
    return locks.held(TEST_HOSTS_LOCK, wait_s, "the test hosts are")


def _mpirun() -> str:
    found = shutil.which("mpirun")
    if found is None:
        raise FlynnError(f"--mpi needs Open MPI, and mpirun is not on PATH ({_INSTALL_HINT})")
    return found


def local_command(binary: Path) -> tuple[list[str], dict[str, str]]:
    """The command and environment that start `binary` on 2 local ranks, as `hosts="local"` does:
    for listing its benchmarks (which do not depend on the hosts) before a run."""
    env = {**os.environ}
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return [_mpirun(), "--oversubscribe", "-np", "2", str(binary)], env


def hostfile_slots(path: Path) -> dict[str, int | None]:
    """The distinct hosts a hostfile names, in order, with their `slots=N` (None where not given;
    Open MPI's format: `host [slots=N] ...`, `#` comments, a host's lines adding up). Raises
    FlynnError for a file that cannot be read, a bad name or count, or fewer than 2 hosts."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise FlynnError(f"cannot read the hostfile {path}: {getattr(error, 'strerror', None) or error}") from None
    hosts: dict[str, int | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if not re.fullmatch(r"[A-Za-z0-9._:\-\[\]]+", words[0]):
            raise FlynnError(f"{path}:{number}: {words[0]!r} is not a host name")
        slots = next((word.split("=", 1)[1] for word in words[1:] if word.startswith("slots=")), None)
        if slots is not None and not (slots.isdigit() and 1 <= int(slots) <= _MAX_SLOTS):
            raise FlynnError(f"{path}:{number}: slots={slots} is not a count from 1 to {_MAX_SLOTS}")
        before = hosts.get(words[0])
        hosts[words[0]] = before if slots is None else (before or 0) + int(slots)
    if len(hosts) < 2:
        named = f"only {next(iter(hosts))}" if hosts else "no host"
        raise FlynnError(f"the hostfile {path} names {named}; --mpi HOSTFILE needs 2 hosts or more "
                         "(for one machine, run on 2 local ranks)")
    return hosts


def hostfile_options(path: Path) -> list[str]:
    """mpirun's options for a hostfile: one rank per host, or where the file gives slots, one rank
    per slot, filled host by host (Open MPI's --map-by slot). With 2 ranks or more on a host, rank
    0 has a same-host and a cross-host partner, and the card reads cross host against same host."""
    slots = hostfile_slots(path)
    if all(count in (None, 1) for count in slots.values()):
        return ["--hostfile", str(path), "--npernode", "1", "-np", str(len(slots))]
    ranks = sum(count or 1 for count in slots.values())
    return ["--hostfile", str(path), "--map-by", "slot", "-np", str(ranks)]


def parse_hosts(hosts: str) -> tuple[str, int | Path]:
    """("local", 2), ("test", K) or ("hostfile", path), or FlynnError for anything else."""
    if hosts == "local":
        return "local", 2
    if hosts.startswith("test:"):
        count = hosts[len("test:"):]
        if not count.isdigit() or not 2 <= int(count) <= _MAX_TEST_HOSTS:
            raise FlynnError(f"--mpi {hosts}: test:K needs K from 2 to {_MAX_TEST_HOSTS} test hosts")
        return "test", int(count)
    path = Path(hosts)
    if not path.is_file():
        raise FlynnError(f"--mpi {hosts}: not 'local', 'test:K' or a hostfile that exists")
    return "hostfile", path


def _check_arguments(binary: Path, out_json: Path, extra: list[str], timeout_s: float) -> None:
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise FlynnError(f"{binary} is not an executable flynn_mpi (build it with Open MPI installed)")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not math.isfinite(timeout_s) \
            or timeout_s <= 0:
        raise FlynnError(f"the MPI run's time limit must be a positive number of seconds, not {timeout_s!r}")
    if out_json.is_dir():
        raise FlynnError(f"{out_json} is a directory, not a result file")
    if not out_json.parent.is_dir():
        raise FlynnError(f"the directory of {out_json} does not exist")
    for flag in extra:
        if not isinstance(flag, str):
            raise FlynnError(f"flynn_mpi's flags must be text, not {flag!r}")
        if flag.startswith("--benchmark_out="):
            raise FlynnError(f"{flag}: the result file is {out_json}, set by the MPI run")


# mpirun's words for a rank that a signal ended (its banner puts them between dashed lines):
# "mpirun noticed that process rank 1 with PID 2107 on node flynn-h2 exited on signal 9 (Killed)."
_RANK_SIGNALLED = re.compile(r"process rank (?P<rank>\d+) with PID (?P<pid>\d+) on node (?P<host>\S+) "
                             r"exited on signal (?P<signal>\d+)(?: \((?P<name>[^)]*)\))?")
# And for one that exited non-zero: "Process name: [[47557,1],1]" then "Exit code: 2".
_RANK_NAME = re.compile(r"Process name:\s*\[\[\d+,\d+\],(?P<rank>\d+)\]")
_EXIT_CODE = re.compile(r"Exit code:\s*(?P<code>\d+)")
# Google Benchmark's display of the context, which rank 0 prints on stderr before any failure.
_CONTEXT_LINE = re.compile(r"^(?:[a-z0-9_]+: |\d{4}-\d\d-\d\dT|Running |Run on |Load Average|CPU Caches|  L\d |"
                           r"\*\*\*WARNING\*\*\*)")


# ssh's own words where it could not start mpirun's daemon on a host (before mpirun's banner).
_SSH_SAID = re.compile(r"^(?:ssh: .+|\S+: Permission denied.*|Host key verification failed\..*)$", re.M)


def _error_line(stderr: str) -> str:
    """The line of mpirun's or flynn_mpi's output that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not set(line.strip()) <= {"-"}]
    for line in lines:
        if "error:" in line:
            return line
    said = [line for line in lines if not _CONTEXT_LINE.match(line)]
    return said[0] if said else "no message"


def _failure(hosts: str, returncode: int, stderr: str) -> str:
    """One line for a run that failed: the rank that died (and its host) where mpirun names one,
    else the first error line of flynn_mpi or mpirun."""
    if match := _RANK_SIGNALLED.search(stderr):
        pid = f" (pid {match['pid']})" if match["pid"] != "0" else ""
        name = f" ({match['name']})" if match["name"] else ""
        return (f"flynn_mpi on {hosts}: rank {match['rank']}{pid} on host {match['host']} died mid-run on "
                f"signal {match['signal']}{name}; the other ranks were ended (mpirun exit {returncode})")
    if said := _SSH_SAID.search(stderr):
        line = said[0].strip()
        silent = any(words in line for words in ("timed out", "No route to host", "Network is unreachable"))
        what = "a host does not answer" if silent else "a host refused or could not be reached by ssh"
        return f"flynn_mpi on {hosts}: {what} (mpirun could not start on every host): {line}"
    line = _error_line(stderr)
    if "error:" not in line and (rank := _RANK_NAME.search(stderr)) and (code := _EXIT_CODE.search(stderr)):
        return (f"flynn_mpi on {hosts}: rank {rank['rank']} exited with status {code['code']} before the others "
                f"finished; the other ranks were ended (mpirun exit {returncode})")
    if "flynn_mpi" not in line and ("ssh" in line or "ORTE" in line or "daemon" in line):
        return f"flynn_mpi on {hosts}: a host does not answer (mpirun could not start on every host): {line}"
    return f"flynn_mpi on {hosts} failed (exit {returncode}): {line}"


def run_mpi(binary: Path, hosts: str, out_json: Path, extra: list[str], timeout_s: float) -> Path:
    """Runs `binary` (flynn_mpi) with `extra` flags on the ranks `hosts` names, writing its JSON to
    `out_json`; returns `out_json`. Raises FlynnError with one line for bad input, a failed run or
    one that exceeded `timeout_s`."""
    binary, out_json = Path(binary), Path(out_json)
    mode, what = parse_hosts(hosts)
    mpirun = _mpirun()
    _check_arguments(binary, out_json, list(extra), timeout_s)
    env = {**os.environ}
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    flags = [f"--benchmark_out={out_json}", "--benchmark_out_format=json", *extra]
    if mode == "local":
        # 2 ranks even on a 1-CPU machine.
        options = ["--oversubscribe", "-np", "2"]
    elif mode == "hostfile":
        options = hostfile_options(what)  # type: ignore[arg-type]
        env.setdefault("OMPI_MCA_plm_rsh_args", SSH_ARGS)
    else:
        with test_hosts_held(wait_s=min(600.0, timeout_s)):
            return _run_on_test_hosts(int(what), mpirun, binary, out_json, flags, env, timeout_s)  # type: ignore[arg-type]
    return _run(hosts, [], options, mpirun, binary, out_json, flags, env, timeout_s)


def _run_on_test_hosts(count: int, mpirun: str, binary: Path, out_json: Path, flags: list[str], env: dict[str, str],
                       timeout_s: float) -> Path:
    hosts = f"test:{count}"
    up = subprocess.run([str(TEST_HOSTS), "up", str(count)], capture_output=True, text=True, timeout=120)
    if up.returncode != 0:
        reason = _error_line(up.stderr).removeprefix("test-hosts: ")
        raise FlynnError(f"--mpi test:{count}: cannot make the test hosts: {reason}")
    try:
        hostfile = subprocess.run([str(TEST_HOSTS), "hostfile"], capture_output=True, text=True).stdout.strip()
        options = ["--hostfile", hostfile, "--npernode", "1", "-np", str(count)]
        return _run(hosts, [str(TEST_HOSTS), "exec"], options, mpirun, binary, out_json, flags, env, timeout_s)
    finally:
        subprocess.run([str(TEST_HOSTS), "down"], capture_output=True, timeout=120)


def _run(hosts: str, launch: list[str], options: list[str], mpirun: str, binary: Path, out_json: Path,
         flags: list[str], env: dict[str, str], timeout_s: float) -> Path:
    # mpirun's stderr goes to a file, not a pipe: mpirun is then waited for without being reaped,
    # so that its session (ssh included, which it moves to a group of its own) is ended by an id
    # that is still ours.
    with tempfile.TemporaryFile(mode="w+") as stderr_file:
        process = subprocess.Popen([*launch, mpirun, *options, str(binary), *flags], stdout=subprocess.DEVNULL,
                                   stderr=stderr_file, text=True, env=env, start_new_session=True)
        try:
            finished = sessions.wait_unreaped(process, timeout_s)
        except BaseException:
            sessions.end(process, _GRACE_S)
            raise
        # A rank or an ssh left behind by a failed mpirun has no reason to stay either.
        returncode = sessions.end(process, _GRACE_S)
        if not finished:
            raise FlynnError(f"flynn_mpi did not finish within {timeout_s:g} s on {hosts} (a host that does not "
                             "answer, or a rank that stopped); its processes were ended")
        stderr_file.seek(0)
        stderr = stderr_file.read()
    if returncode != 0:
        raise FlynnError(_failure(hosts, returncode, stderr))
    if not out_json.is_file():
        # Rank 0 writes the result, and mpirun puts it on the hostfile's first host.
        where = ("; rank 0 writes it, on the hostfile's first host: list this machine first, or give a "
                 "directory every host shares" if not launch and "--hostfile" in options else "")
        raise FlynnError(f"flynn_mpi on {hosts} exited 0 but wrote no {out_json}{where}")
    return out_json
