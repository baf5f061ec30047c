"""flynn.mpi_launch: bad input is one FlynnError line before anything starts, and a run that
exceeds its wall-clock limit ends with every process it started gone."""

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flynn import mpi_launch
from flynn.errors import FlynnError
from flynn.mpi_launch import hostfile_options, hostfile_slots, parse_hosts, run_mpi


@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    return _executable(tmp_path / "flynn_mpi", "#!/bin/sh\nexit 0\n")


@pytest.fixture
def with_mpirun(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argument checks do not depend on Open MPI being installed: a stand-in mpirun is found."""
    monkeypatch.setattr(mpi_launch.shutil, "which", lambda name: "/usr/bin/mpirun" if name == "mpirun" else None)


def one_line(error: pytest.ExceptionInfo[FlynnError]) -> str:
    text = str(error.value)
    assert "\n" not in text and text
    return text


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_local_and_test_hosts_are_parsed() -> None:
    assert parse_hosts("local") == ("local", 2)
    assert parse_hosts("test:4") == ("test", 4)


@pytest.mark.parametrize("hosts", ["test:1", "test:0", "test:", "test:x", "test:-2", "test:65", "nowhere.hosts", ""])
def test_bad_host_specs_are_refused(hosts: str) -> None:
    with pytest.raises(FlynnError) as error:
        parse_hosts(hosts)
    assert "test:K" in one_line(error) or "2 to" in one_line(error)


def test_a_hostfile_with_one_host_is_refused(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("# the only machine\nnode1 slots=4\nnode1\n\n")
    with pytest.raises(FlynnError) as error:
        hostfile_slots(hostfile)
    assert "only node1" in one_line(error) and "2 hosts" in one_line(error)


def test_hostfile_hosts_are_distinct_and_in_order(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("b slots=2  # fast\na\nb\n")
    assert list(hostfile_slots(hostfile)) == ["b", "a"]


def test_a_hostfile_runs_a_rank_per_host_or_per_slot(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("a\nb slots=1\n")
    assert hostfile_options(hostfile) == ["--hostfile", str(hostfile), "--npernode", "1", "-np", "2"]
    # Slots: one rank per slot, host by host, so that rank 0 has a same-host partner too.
    hostfile.write_text("a slots=2\nb slots=2  # two cores each\nc\n")
    assert hostfile_options(hostfile) == ["--hostfile", str(hostfile), "--map-by", "slot", "-np", "5"]
    hostfile.write_text("a slots=2\na slots=2\nb slots=4\n")
    assert hostfile_options(hostfile)[-1] == "8"
    for bad in ("a slots=0\nb\n", "a slots=x\nb\n", "a slots=99999\nb\n"):
        hostfile.write_text(bad)
        with pytest.raises(FlynnError) as error:
            hostfile_options(hostfile)
        assert "is not a count from 1 to" in one_line(error)


def test_a_hostfile_with_a_bad_name_is_refused(tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("a\n$(reboot)\n")
    with pytest.raises(FlynnError) as error:
        hostfile_slots(hostfile)
    assert ":2:" in one_line(error)


def test_no_open_mpi_is_one_line(monkeypatch: pytest.MonkeyPatch, fake_binary: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(mpi_launch.shutil, "which", lambda name: None)
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, "local", tmp_path / "out.json", [], 60)
    assert "Open MPI" in one_line(error) and "openmpi-bin" in one_line(error)


@pytest.mark.usefixtures("with_mpirun")
@pytest.mark.parametrize("timeout_s", [0, -1, float("nan"), float("inf"), True, "60"])
def test_a_bad_time_limit_is_refused(fake_binary: Path, tmp_path: Path, timeout_s: object) -> None:
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, "local", tmp_path / "out.json", [], timeout_s)  # type: ignore[arg-type]
    assert "time limit" in one_line(error)


@pytest.mark.usefixtures("with_mpirun")
def test_a_missing_binary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FlynnError) as error:
        run_mpi(tmp_path / "flynn_mpi", "local", tmp_path / "out.json", [], 60)
    assert "not an executable" in one_line(error)


@pytest.mark.usefixtures("with_mpirun")
def test_the_result_file_is_checked(fake_binary: Path, tmp_path: Path) -> None:
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, "local", tmp_path, [], 60)
    assert "is a directory" in one_line(error)
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, "local", tmp_path / "missing" / "out.json", [], 60)
    assert "does not exist" in one_line(error)
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, "local", tmp_path / "out.json", ["--benchmark_out=/tmp/x.json"], 60)
    assert "set by the MPI run" in one_line(error)


@pytest.mark.usefixtures("with_mpirun")
def test_a_one_host_hostfile_is_refused_by_run_mpi(fake_binary: Path, tmp_path: Path) -> None:
    hostfile = tmp_path / "hosts"
    hostfile.write_text("localhost slots=2\n")
    with pytest.raises(FlynnError) as error:
        run_mpi(fake_binary, str(hostfile), tmp_path / "out.json", [], 60)
    assert "2 hosts" in one_line(error)


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="Open MPI (openmpi-bin) is not installed")
def test_a_run_past_its_limit_ends_every_rank(tmp_path: Path) -> None:
    """Two local ranks that never finish: one line after the limit, and no rank left running."""
    pids = tmp_path / "pids"
    pids.mkdir()
    binary = _executable(tmp_path / "flynn_mpi", f"#!/bin/sh\necho $$ > {pids}/$$\nexec sleep 300\n")
    start = time.monotonic()
    with pytest.raises(FlynnError) as error:
        run_mpi(binary, "local", tmp_path / "out.json", [], 3)
    assert "did not finish within 3 s" in one_line(error)
    assert time.monotonic() - start < 3 + 2 * mpi_launch._GRACE_S + 5
    started = [int(p.name) for p in pids.iterdir()]
    assert len(started) == 2, started
    for pid in started:  # the sleeps exec'ed by the ranks' shells (same pid)
        assert _gone(pid), pid


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="Open MPI (openmpi-bin) is not installed")
def test_a_failing_rank_is_one_line(tmp_path: Path) -> None:
    binary = _executable(tmp_path / "flynn_mpi", "#!/bin/sh\necho \"$0: error: something is wrong\" >&2\nexit 2\n")
    with pytest.raises(FlynnError) as error:
        run_mpi(binary, "local", tmp_path / "out.json", [], 60)
    assert "error: something is wrong" in one_line(error) and "exit" in one_line(error)
    assert not (tmp_path / "out.json").exists()


def _run_beside_a_silent_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent_script: str,
                              limit_s: float) -> tuple[FlynnError, float]:
    """run_mpi on localhost and flynn-silent, reached through `agent_script` as ssh, of ranks that
    never finish: the one-line error and the seconds it took."""
    monkeypatch.setenv("OMPI_MCA_plm_rsh_agent", str(_executable(tmp_path / "ssh", agent_script)))
    binary = _executable(tmp_path / "flynn_mpi", "#!/bin/sh\nexec sleep 300\n")
    hostfile = tmp_path / "hosts"
    hostfile.write_text("localhost\nflynn-silent\n")
    start = time.monotonic()
    with pytest.raises(FlynnError) as error:
        run_mpi(binary, str(hostfile), tmp_path / "out.json", [], limit_s)
    one_line(error)
    return error.value, time.monotonic() - start


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="Open MPI (openmpi-bin) is not installed")
def test_a_host_whose_ssh_hangs_is_ended_with_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mpirun moves each ssh it starts to a process group of its own: ending mpirun's group alone
    left a hung ssh running after the run had been ended. It is ended with mpirun's session."""
    pids = tmp_path / "pids"
    pids.mkdir()
    error, took = _run_beside_a_silent_host(tmp_path, monkeypatch, f"#!/bin/sh\necho $$ > {pids}/$$\nexec sleep 300\n", 3)
    assert "did not finish within 3 s" in str(error)
    assert took < 3 + 2 * mpi_launch._GRACE_S + 5
    started = [int(p.name) for p in pids.iterdir()]
    assert len(started) == 1, started  # one ssh, to flynn-silent; localhost is mpirun's own
    assert _gone(started[0]), f"the ssh to the silent host (pid {started[0]}) outlived the run"


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="Open MPI (openmpi-bin) is not installed")
def test_a_host_that_does_not_answer_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ssh's own words for a host that timed out, and the time-out that flynn gives ssh."""
    monkeypatch.delenv("OMPI_MCA_plm_rsh_args", raising=False)
    error, took = _run_beside_a_silent_host(
        tmp_path, monkeypatch, f'#!/bin/sh\necho "$@" > {tmp_path}/args\n'
        'echo "ssh: connect to host flynn-silent port 22: Connection timed out" >&2\nexit 255\n', 60)
    line = str(error)
    assert "a host does not answer" in line and "flynn-silent" in line, line
    assert took < 30
    args = (tmp_path / "args").read_text()
    assert f"-o ConnectTimeout={mpi_launch.SSH_CONNECT_TIMEOUT_S} -o BatchMode=yes" in args, args


# A host that takes packets and never answers, with nothing sent off this machine: in a network
# namespace of its own with no way out, an address whose neighbour entry names a MAC that no
# interface has, so the SYNs are dropped in silence (this kernel has no dummy interfaces).
SILENT_HOST = "10.213.250.2"
SILENT_NET = (f"ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.213.250.1/24 dev v0 "
              f"&& ip link set v0 up && ip link set v1 up "
              f"&& ip neigh add {SILENT_HOST} lladdr 02:00:00:00:00:02 dev v0 nud permanent")
RUN_MPI = """import sys
from pathlib import Path
from flynn import mpi_launch
from flynn.errors import FlynnError
try:
    mpi_launch.run_mpi(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), [], 60)
except FlynnError as error:
    print(error)
"""


@pytest.mark.skipif(shutil.which("mpirun") is None or shutil.which("ssh") is None or shutil.which("unshare") is None,
                    reason="needs Open MPI (openmpi-bin), ssh (openssh-client) and unshare (util-linux)")
@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own needs root")
def test_a_silent_host_fails_after_sshs_connect_timeout(tmp_path: Path) -> None:
    """Real ssh to a host that drops every packet: the run ends after ssh's ConnectTimeout (the
    kernel's own TCP timeout is about 2 minutes) with ssh's words, and no process is left."""
    binary = _executable(tmp_path / "flynn_mpi", "#!/bin/sh\nexec sleep 300\n")
    hostfile = tmp_path / "hosts"
    hostfile.write_text(f"localhost\n{SILENT_HOST}\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("OMPI_MCA_plm_rsh")}
    env["PYTHONPATH"] = str(Path(mpi_launch.__file__).resolve().parents[1])
    # flynn's own ssh arguments with a shorter time-out, to keep the test short; that flynn passes
    # its own is the test above.
    timeout = 3
    env["OMPI_MCA_plm_rsh_args"] = mpi_launch.SSH_ARGS.replace(f"={mpi_launch.SSH_CONNECT_TIMEOUT_S} ", f"={timeout} ")
    assert env["OMPI_MCA_plm_rsh_args"] != mpi_launch.SSH_ARGS
    start = time.monotonic()
    done = subprocess.run(["unshare", "-n", "sh", "-c", f'{SILENT_NET} && exec "$0" -c "$1" "$2" "$3" "$4"',
                           sys.executable, RUN_MPI, str(binary), str(hostfile), str(tmp_path / "out.json")],
                          capture_output=True, text=True, env=env, timeout=120)
    took = time.monotonic() - start
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip(f"no network namespace here: {done.stderr.strip()}")
    line = done.stdout.strip()
    assert done.returncode == 0 and "\n" not in line, (done.returncode, done.stdout, done.stderr)
    assert "a host does not answer" in line and f"connect to host {SILENT_HOST} port 22: Connection timed out" in line
    assert timeout - 1 <= took <= timeout + 15, f"ended after {took:.1f} s, ssh's ConnectTimeout is {timeout} s"
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert not [pid for pid in leftover if not _gone(int(pid))], leftover


def test_the_test_hosts_are_held_by_one_run_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mpi_launch, "TEST_HOSTS_LOCK", tmp_path / "lock")
    with mpi_launch.test_hosts_held():
        with pytest.raises(FlynnError) as error:
            with mpi_launch.test_hosts_held(wait_s=0.3):
                pass
        assert "in use by another run" in one_line(error)
    with mpi_launch.test_hosts_held(wait_s=0.3):  # released
        pass


# mpirun 4.1.4's stderr when rank 1 of a 2-host run was SIGKILLed, after rank 0's context display.
RANK_KILLED = """2026-12-01T22:22:40+00:00
Running /work/build-mpi/bin/flynn_mpi
Run on (2 X 2096.02 MHz CPU s)
mpi_host_rank_0: flynn-h1
***WARNING*** Library was built as DEBUG. Timings may be affected.
[flynn-h1:20990] [[47557,0],0] ORTE_ERROR_LOG: Out of resource in file ../../../orte/util/show_help.c at line 501
--------------------------------------------------------------------------
Primary job  terminated normally, but 1 process returned
a non-zero exit code. Per user-direction, the job has been aborted.
--------------------------------------------------------------------------
--------------------------------------------------------------------------
mpirun noticed that process rank 1 with PID 21007 on node flynn-h2 exited on signal 9 (Killed).
--------------------------------------------------------------------------
"""
RANK_EXITED = """2026-12-01T22:22:22+00:00
Running flynn_mpi
--------------------------------------------------------------------------
mpirun detected that one or more processes exited with non-zero status, thus causing
the job to be terminated. The first process to do so was:

  Process name: [[3417,1],1]
  Exit code:    3
--------------------------------------------------------------------------
"""


def test_a_rank_that_died_is_named_with_its_host() -> None:
    line = mpi_launch._failure("test:2", 137, RANK_KILLED)
    assert "\n" not in line
    assert "rank 1 (pid 21007) on host flynn-h2 died mid-run on signal 9 (Killed)" in line
    assert "exit 137" in line


def test_a_rank_that_exited_non_zero_is_named() -> None:
    line = mpi_launch._failure("local", 3, RANK_EXITED)
    assert "rank 1 exited with status 3" in line and "2026" not in line


def test_flynn_mpi_s_own_error_wins_over_the_banner() -> None:
    said = "2026-12-01T22:22:22+00:00\nflynn_mpi: error: the ranks were given different arguments\n" + RANK_EXITED
    assert mpi_launch._failure("local", 2, said).endswith("flynn_mpi: error: the ranks were given different arguments")


def test_the_context_display_is_never_the_reason() -> None:
    said = "2026-12-01T22:22:22+00:00\nRunning flynn_mpi\nmpi_ranks: 2\nsomething else broke\n"
    assert mpi_launch._failure("local", 1, said).endswith("(exit 1): something else broke")
