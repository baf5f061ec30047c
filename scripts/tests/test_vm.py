import base64
import gzip
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from flynn import vm
from flynn.errors import FlynnError, entry_point


def test_numa_spec_is_one_socket_per_node_of_single_thread_cores() -> None:
    topology = vm.parse_spec("numa:4,cpus:2")
    assert (topology.nodes, topology.sockets, topology.cores, topology.threads, topology.cpus) == (4, 4, 2, 1, 8)
    assert topology.expected_context() == {
        "topology_numa_nodes": "4", "topology_packages": "4", "topology_cores": "8", "topology_pus": "8"
    }
    assert vm.parse_spec("numa:2").cpus == 2


def test_smt_spec_without_numa_is_one_node() -> None:
    topology = vm.parse_spec("sockets:2,cores:2,threads:2")
    assert topology.expected_context() == {
        "topology_numa_nodes": "1", "topology_packages": "2", "topology_cores": "4", "topology_pus": "8"
    }
    assert "-numa" not in vm.qemu_args(topology, Path("k"), Path("i"), Path("c"), Path("d"))


def test_qemu_args_give_each_node_its_cpus_and_memory() -> None:
    args = vm.qemu_args(vm.parse_spec("numa:4,cpus:2,mem:128"), Path("k"), Path("i"), Path("c"), Path("d"))
    assert args[args.index("-smp") + 1] == "8,sockets=4,cores=2,threads=1"
    assert args[args.index("-m") + 1] == "512M"
    numa = [args[i + 1] for i, arg in enumerate(args) if arg == "-numa"]
    assert numa == [f"node,nodeid={n},cpus={2 * n}-{2 * n + 1},memdev=m{n}" for n in range(4)]
    assert "memory-backend-ram,id=m3,size=128M" in args
    assert args[args.index("-accel") + 1] == "tcg"
    assert args.count("-serial") == 2


def test_numa_can_split_sockets_evenly() -> None:
    args = vm.qemu_args(vm.parse_spec("sockets:4,cores:2,numa:2"), Path("k"), Path("i"), Path("c"), Path("d"))
    assert [args[i + 1] for i, arg in enumerate(args) if arg == "-numa"] == [
        "node,nodeid=0,cpus=0-3,memdev=m0", "node,nodeid=1,cpus=4-7,memdev=m1"
    ]


@pytest.mark.parametrize("spec", [
    "", "numa", "numa:0", "numa:-1", "numa:two", "nodes:2", "numa:2,numa:2", "cpus:2", "cores:2,cpus:2,numa:2",
    "sockets:3,numa:2", "numa:2,cpus:40",
])
def test_bad_specs_exit_2(spec: str) -> None:
    with pytest.raises(FlynnError):
        vm.parse_spec(spec)
    assert entry_point(lambda argv: vm.parse_spec(argv[0]) and 0)([spec]) == 2


def test_parse_ldd_keeps_the_loader_and_drops_vdso() -> None:
    text = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibnuma.so.1 => /lib/x86_64-linux-gnu/libnuma.so.1 (0x00007f12)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f34)
"""
    assert vm.parse_ldd(text) == [Path("/lib/x86_64-linux-gnu/libnuma.so.1"), Path("/lib64/ld-linux-x86-64.so.2")]
    with pytest.raises(FlynnError, match="libgone"):
        vm.parse_ldd("\tlibgone.so.1 => not found\n")


def test_cpio_newc_is_read_back_by_cpio(tmp_path: Path) -> None:
    if shutil.which("cpio") is None:
        pytest.skip("no cpio (package cpio) to read the archive back")
    archive = vm.cpio_newc({"/init": b"#!/bin/sh\n", "/usr/lib/x/libodd.so": b"abcde"}, {"/dev/console": (5, 1)})
    listing = subprocess.run(["cpio", "-t", "-v"], input=archive, capture_output=True, check=True)
    names = [line.split()[-1] for line in listing.stdout.decode().splitlines()]
    assert set(names) >= {"init", "usr", "usr/lib", "usr/lib/x", "usr/lib/x/libodd.so", "dev/console"}
    (tmp_path / "out").mkdir()
    subprocess.run(["cpio", "-i", "-d", "--no-absolute-filenames", "usr/lib/x/libodd.so"], input=archive,
                   cwd=tmp_path / "out", capture_output=True, check=True)
    assert (tmp_path / "out/usr/lib/x/libodd.so").read_bytes() == b"abcde"


def test_init_script_sends_each_result_between_markers() -> None:
    script = vm.init_script([vm.GuestCommand("numa", ["/b/flynn_numa", "--benchmark_filter=^numa/matrix"])],
                            ["/lib/x86_64-linux-gnu"])
    assert script.startswith("#!/bin/busybox sh\n")
    assert "mount -t sysfs" in script and "LD_LIBRARY_PATH=/lib/x86_64-linux-gnu" in script
    assert "/b/flynn_numa '--benchmark_filter=^numa/matrix' --benchmark_out=/tmp/numa.json" in script
    assert script.rstrip().endswith("poweroff -f")


def test_parse_data_decodes_sections_and_ignores_noise() -> None:
    body = base64.encodebytes(b'{"context": {}}').decode()
    text = f"noise\r\n==FLYNN-JSON-BEGIN numa 0\r\n{body}==FLYNN-JSON-END\r\n==FLYNN-JSON-BEGIN mimd 3\n==FLYNN-JSON-END\n"
    outputs = vm.parse_data(text)
    assert outputs["numa"] == vm.GuestOutput(0, '{"context": {}}')
    assert outputs["mimd"] == vm.GuestOutput(3, "")


def test_initramfs_holds_binary_libraries_and_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary, library, busybox = tmp_path / "flynn_x", tmp_path / "lib" / "libx.so", tmp_path / "busybox"
    library.parent.mkdir()
    for path in (binary, library, busybox):
        path.write_bytes(path.name.encode())
    monkeypatch.setattr(vm, "BUSYBOX", str(busybox))
    monkeypatch.setattr(vm, "shared_libraries", lambda path: [library])
    archive = gzip.decompress(vm.initramfs([vm.GuestCommand("x", [str(binary)])]))
    for path in (binary, library, busybox):
        assert path.name.encode() + b"\0" in archive and str(path).lstrip("/").encode() in archive
    assert b"init\0" in archive and f"LD_LIBRARY_PATH={library.parent}".encode() in archive


def test_mark_emulated() -> None:
    context: dict[str, object] = {}
    vm.mark_emulated(context, vm.parse_spec("numa:2"))
    assert context == {"emulated": "qemu tcg numa:2"}


def test_run_commands_put_area_defaults_before_the_users_flags() -> None:
    commands = vm.run_commands([("numa", Path("/b/flynn_numa")), ("simd", Path("/b/flynn_simd"))],
                               ["--benchmark_min_time=0.001"], ["--x=1"])
    assert commands[0] == vm.GuestCommand("numa", ["/b/flynn_numa", "--benchmark_min_time=0.001",
                                                   "--flynn_max_bytes=4M", "--x=1"])
    assert commands[1].argv == ["/b/flynn_simd", "--benchmark_min_time=0.001", "--x=1"]
    mine = vm.run_commands([("numa", Path("/b/flynn_numa"))], [], ["--flynn_max_bytes=64M"])
    assert mine[0].argv == ["/b/flynn_numa", "--flynn_max_bytes=64M"]


@pytest.fixture
def guest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures: Path) -> dict:
    """scripts/run with a fake built binary and a fake guest that returns a real binary's JSON."""
    from flynn import build, machine, perf_check

    # The report scripts/run ends with reads the machine's stored runs: none of the repository's.
    monkeypatch.setattr(machine, "RUNS_DIR", tmp_path / "stored-runs")
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "stored-baselines")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "flynn_mimd"
    fake.write_text("#!/bin/sh\necho mimd/compute/strong/threads:1/real_time\n")
    fake.chmod(0o755)
    monkeypatch.setattr(build, "BIN_DIR", bin_dir)
    monkeypatch.setattr(build, "build", lambda options=(): None)
    monkeypatch.setattr(perf_check, "measure", lambda loops: pytest.fail("perf cross-check of a guest"))
    seen: dict = {}

    def boot(topology: vm.Topology, commands: list, timeout_s: float) -> dict:
        seen.update(topology=topology, commands=commands)
        return {"mimd": vm.GuestOutput(0, (fixtures / "mimd_real.json").read_text())}

    monkeypatch.setattr(vm, "boot", boot)
    return seen


def test_run_vm_marks_the_result_and_its_plot_as_emulated(guest: dict, tmp_path: Path) -> None:
    import json

    from flynn import plot, results, run

    out = tmp_path / "out" / "r.json"
    assert run.main(["--vm", "numa:4,cpus:2", "--out", str(out)]) == 0
    assert guest["topology"] == vm.parse_spec("numa:4,cpus:2")
    argv = guest["commands"][0].argv
    assert f"--benchmark_filter={vm.RUN_FILTER}" in argv and "--benchmark_repetitions=1" in argv
    assert json.loads(out.read_text())["context"]["emulated"] == "qemu tcg numa:4,cpus:2"
    figure = plot._titled_emulated(plot.PLOTTERS["mimd"](results.load(out), results.runs(results.load(out))),
                                   results.load(out))
    assert figure._suptitle.get_text().startswith("EMULATED (qemu tcg numa:4,cpus:2)")


def test_run_vm_refuses_bad_specs_and_baselines(guest: dict) -> None:
    from flynn import run

    assert run.main(["--vm", "numa:0"]) == 2
    assert run.main(["--vm", "numa:2", "--baseline"]) == 2
    assert "topology" not in guest


def test_run_vm_reports_a_failed_guest_as_a_finding(guest: dict, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from flynn import run

    monkeypatch.setattr(vm, "boot", lambda *args: (_ for _ in ()).throw(vm.GuestFailed("hung")))
    assert run.main(["--vm", "numa:2", "--out", str(tmp_path / "r.json")]) == 1


def test_a_static_binary_loads_no_libraries() -> None:
    if not Path(vm.BUSYBOX).is_file():
        pytest.skip(f"no {vm.BUSYBOX} (package busybox-static)")
    assert vm.shared_libraries(Path(vm.BUSYBOX)) == []


def test_a_guest_whose_kernel_stalls_is_ended_at_once_not_at_the_timeout(tmp_path: Path) -> None:
    console = tmp_path / "console.log"
    console.write_text("[   25.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [swapper/1:0]\n")
    topology = vm.parse_spec("numa:2")
    started = time.monotonic()
    with subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE, text=True) as stuck:
        with pytest.raises(vm.GuestHung, match="stalled \\('soft lockup' on the console\\)"):
            vm._wait_for_guest(stuck, topology, console, timeout_s=60)
        assert stuck.poll() is not None  # killed, not left running
    assert time.monotonic() - started < 10
    # A guest that powers off is waited for, whatever its console says later.
    console.write_text("booting\n")
    with subprocess.Popen(["echo", "powered off"], stdout=subprocess.PIPE, text=True) as done:
        assert vm._wait_for_guest(done, topology, console, timeout_s=30).strip() == "powered off"
    # And one that neither stalls nor ends hangs at the timeout.
    with subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE, text=True) as quiet:
        with pytest.raises(vm.GuestHung, match="still running after 2 s"):
            vm._wait_for_guest(quiet, topology, console, timeout_s=2)


def test_guest_commands_count_nothing_unless_they_ask() -> None:
    plain = vm.with_guest_flags(vm.GuestCommand("numa", ["/bin/flynn_numa", "--benchmark_min_time=0.001"]))
    assert plain.argv == ["/bin/flynn_numa", "--benchmark_min_time=0.001", "--flynn_counters=none"]
    asked = vm.with_guest_flags(vm.GuestCommand("numa", ["/bin/flynn_numa", "--flynn_counters=software"]))
    assert asked.argv == ["/bin/flynn_numa", "--flynn_counters=software"]
