"""Emulated machines: boot a QEMU guest with a chosen NUMA, socket and SMT layout and run flynn
binaries inside it. The guest kernel places pages per node and reports its topology exactly as on
hardware, so placement and binding behave for real; the timings are software emulation (TCG) and
mean nothing, which is why every result from here is marked `emulated` in its context."""

import base64
import glob
import gzip
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flynn.errors import FlynnError

CONTEXT_KEY = "emulated"
# Enough for the kernel, the unpacked initramfs (~40 MiB, all on node 0) and a few MiB of buffers.
DEFAULT_NODE_MIB = 256
# Software emulation boots in seconds, but a guest of 8 vCPUs on a 2-core host runs benchmarks
# 20-100x slower than hardware; past this a guest is taken for hung and killed.
DEFAULT_TIMEOUT_S = 240
# Unpacked by scripts/lib/fetch-guest-kernel; a cloud kernel already in /boot serves as well.
KERNEL_GLOBS = (str(Path(__file__).resolve().parents[2] / "build" / "vm-kernel" / "vmlinuz-*"),
                "/boot/vmlinuz-*-cloud-amd64")
QEMU = "qemu-system-x86_64"
BUSYBOX = "/bin/busybox"
_BEGIN = "==FLYNN-JSON-BEGIN"
_END = "==FLYNN-JSON-END"
_KEYS = ("numa", "cpus", "sockets", "cores", "threads", "mem")
_MAX_CPUS = 64


@dataclass(frozen=True)
class Topology:
    """What QEMU is asked for. nodes == 0: no NUMA layout, the guest sees one node."""

    spec: str
    nodes: int
    sockets: int
    cores: int  # per socket
    threads: int  # per core
    node_mib: int

    @property
    def cpus(self) -> int:
        return self.sockets * self.cores * self.threads

    @property
    def numa_nodes(self) -> int:
        return max(self.nodes, 1)

    def expected_context(self) -> dict[str, str]:
        """The hwloc counts a guest of this layout must report in a result's context."""
        return {
            "topology_numa_nodes": str(self.numa_nodes),
            "topology_packages": str(self.sockets),
            "topology_cores": str(self.sockets * self.cores),
            "topology_pus": str(self.cpus),
        }


def parse_spec(spec: str) -> Topology:
    """`numa:N[,cpus:C]` is N sockets, one NUMA node each, of C single-thread cores (C = 1 by
    default); `sockets:S,cores:C,threads:T` is one node unless `numa:N` (dividing S) is added;
    `mem:MIB` is the memory per node."""
    values: dict[str, int] = {}
    for item in spec.split(","):
        key, sep, text = item.strip().partition(":")
        if not sep or key not in _KEYS:
            raise FlynnError(f"--vm {spec!r}: {item!r} is not KEY:N with KEY one of {', '.join(_KEYS)}")
        if key in values:
            raise FlynnError(f"--vm {spec!r}: {key} given twice")
        if not text.isdigit() or int(text) < 1:
            raise FlynnError(f"--vm {spec!r}: {key} must be a positive integer, not {text!r}")
        values[key] = int(text)
    if "cpus" in values and not values.keys() & {"numa"}:
        raise FlynnError(f"--vm {spec!r}: cpus counts CPUs per NUMA node, so it needs numa:N")
    if "cpus" in values and values.keys() & {"sockets", "cores", "threads"}:
        raise FlynnError(f"--vm {spec!r}: give either cpus (per node) or sockets/cores/threads, not both")
    nodes = values.get("numa", 0)
    if values.keys() & {"sockets", "cores", "threads"}:
        sockets, cores, threads = values.get("sockets", 1), values.get("cores", 1), values.get("threads", 1)
        if nodes and sockets % nodes:
            # QEMU would split a socket's cores between nodes, which no real machine does.
            raise FlynnError(f"--vm {spec!r}: numa:{nodes} must divide sockets:{sockets}")
    elif nodes:
        sockets, cores, threads = nodes, values.get("cpus", 1), 1
    else:
        raise FlynnError(f"--vm {spec!r}: give numa:N or sockets:S (e.g. numa:2, sockets:2,cores:2,threads:2)")
    topology = Topology(spec, 0 if nodes == 1 else nodes, sockets, cores, threads,
                        values.get("mem", DEFAULT_NODE_MIB))
    if topology.cpus > _MAX_CPUS:
        raise FlynnError(f"--vm {spec!r}: {topology.cpus} CPUs; at most {_MAX_CPUS} under emulation")
    return topology


def qemu_args(topology: Topology, kernel: Path, initrd: Path, console: Path, data: Path) -> list[str]:
    """The QEMU command line: TCG (nested KVM hangs at boot on the VMs we run on), no devices but
    two serial ports, the console on the first and the results alone on the second."""
    memory = topology.node_mib * topology.numa_nodes
    args = [
        # TCG's "max" CPU says AuthenticAMD without the topology leaf AMD guests read for SMT
        # (topoext), so Linux would see every hardware thread as a core; as Intel it reads
        # leaf 0xB, which QEMU fills from -smp.
        QEMU, "-accel", "tcg", "-cpu", "max,vendor=GenuineIntel", "-m", f"{memory}M",
        "-smp", f"{topology.cpus},sockets={topology.sockets},cores={topology.cores},threads={topology.threads}",
    ]
    per_node = topology.cpus // topology.numa_nodes
    for node in range(topology.nodes):
        first = node * per_node
        args += [
            "-object", f"memory-backend-ram,id=m{node},size={topology.node_mib}M",
            "-numa", f"node,nodeid={node},cpus={first}-{first + per_node - 1},memdev=m{node}",
        ]
    return args + [
        "-kernel", str(kernel), "-initrd", str(initrd),
        # panic=-1 with -no-reboot: a guest whose /init dies exits instead of hanging.
        "-append", "console=ttyS0 panic=-1 quiet",
        "-nodefaults", "-display", "none", "-no-reboot", "-net", "none",
        "-serial", f"file:{console}", "-serial", f"file:{data}",
    ]


def find_kernel() -> Path | None:
    for pattern in KERNEL_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return Path(found[-1])
    return None


def unavailable_reason() -> str | None:
    """Why no guest can boot here, or None."""
    missing = [f"{QEMU} (package qemu-system-x86)"] if shutil.which(QEMU) is None else []
    if find_kernel() is None:
        missing.append("a guest kernel (scripts/lib/fetch-guest-kernel unpacks linux-image-cloud-amd64)")
    elif not os.access(find_kernel() or "", os.R_OK):
        missing.append(f"read access to {find_kernel()}")
    if not os.access(BUSYBOX, os.X_OK):
        missing.append(f"{BUSYBOX} (package busybox-static)")
    return "missing " + " and ".join(missing) if missing else None


def parse_ldd(text: str) -> list[Path]:
    """The files `ldd` says a binary loads, the dynamic loader included (vdso has no file)."""
    paths = []
    for line in text.splitlines():
        match = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if match:
            paths.append(Path(match.group(1)))
        elif "not found" in line:
            raise FlynnError(f"ldd: {line.strip()}")
    return paths


def shared_libraries(binary: Path) -> list[Path]:
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    if "not a dynamic executable" in done.stdout + done.stderr:
        return []  # a static binary (busybox-static) loads nothing
    if done.returncode != 0:
        raise FlynnError(f"ldd {binary}: {done.stderr.strip() or done.stdout.strip()}")
    return parse_ldd(done.stdout)


def cpio_newc(files: dict[str, bytes], devices: dict[str, tuple[int, int]] = {}) -> bytes:
    """A cpio archive in the kernel's initramfs format (newc), parent directories included.
    Paths are absolute; files are executable, devices are character devices (major, minor)."""
    entries: list[tuple[str, int, bytes, tuple[int, int]]] = []
    directories = sorted({str(parent) for path in [*files, *devices] for parent in Path(path).parents} - {"/"})
    entries += [(d, 0o040755, b"", (0, 0)) for d in directories]
    entries += [(path, 0o100755, data, (0, 0)) for path, data in sorted(files.items())]
    entries += [(path, 0o020600, b"", number) for path, number in sorted(devices.items())]
    out = bytearray()

    def add(name: str, mode: int, data: bytes, rdev: tuple[int, int], ino: int) -> None:
        encoded = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
        out.extend(b"070701" + b"".join(b"%08x" % field for field in fields) + encoded)
        out.extend(b"\0" * (-len(out) % 4) + data)
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data, rdev) in enumerate(entries, 1):
        add(name.lstrip("/"), mode, data, rdev, ino)
    add("TRAILER!!!", 0, b"", (0, 0), 0)
    return bytes(out)


@dataclass(frozen=True)
class GuestCommand:
    """One binary run inside the guest; its JSON comes back under `name`."""

    name: str
    argv: Sequence[str]


def init_script(commands: Iterable[GuestCommand], library_dirs: Iterable[str]) -> str:
    """/init for busybox: mount what hwloc and libnuma read, run each command, send each JSON
    (base64, between markers naming it and its exit status) to the second serial port, power off."""
    lines = [
        "#!/bin/busybox sh",
        "/bin/busybox --install -s",
        "mkdir -p /proc /sys /dev /tmp",
        "mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev",
        "hostname flynn-vm",
        # The guest has no network device, but benchmarks that serve themselves over TCP need lo.
        "ip link set lo up",
        f"export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/tmp LD_LIBRARY_PATH={':'.join(library_dirs)}",
        "exec >/dev/ttyS0 2>&1",
        "cd /tmp",
    ]
    for command in commands:
        out = f"/tmp/{command.name}.json"
        lines += [
            f"echo '== flynn guest: {command.name}'",
            f"{shlex.join(command.argv)} --benchmark_out={out} --benchmark_out_format=json",
            "status=$?",
            f"{{ echo '{_BEGIN} {command.name}' $status; [ -f {out} ] && base64 {out}; echo '{_END}'; }} >/dev/ttyS1",
        ]
    return "\n".join([*lines, "sync", "poweroff -f", ""])


@dataclass(frozen=True)
class GuestOutput:
    status: int
    document: str  # the JSON text; empty when the binary wrote none


def parse_data(text: str) -> dict[str, GuestOutput]:
    """The sections the guest wrote to its data port, by name."""
    outputs: dict[str, GuestOutput] = {}
    pattern = re.compile(rf"^{_BEGIN} (\S+) (-?\d+)\r?\n(.*?)^{_END}", re.M | re.S)
    for match in pattern.finditer(text):
        body = "".join(match.group(3).split())
        try:
            document = base64.b64decode(body, validate=True).decode()
        except ValueError as error:
            raise FlynnError(f"guest output for {match.group(1)} is not base64: {error}") from None
        outputs[match.group(1)] = GuestOutput(int(match.group(2)), document)
    return outputs


class GuestFailed(Exception):
    """The guest did not boot, hung, or came back without every result."""


class GuestHung(GuestFailed):
    """The guest was still running at its time limit and was killed."""


def initramfs(commands: Sequence[GuestCommand]) -> bytes:
    """busybox as /init, the binaries and every library they load, at their host paths."""
    files: dict[str, bytes] = {BUSYBOX: Path(BUSYBOX).read_bytes()}
    library_dirs: dict[str, None] = {}
    for binary in dict.fromkeys(Path(command.argv[0]) for command in commands):
        files[str(binary)] = binary.read_bytes()
        for library in shared_libraries(binary):
            # Read through symlinks (/lib -> usr/lib on Debian 12): a plain file at each listed path.
            files[str(library)] = library.read_bytes()
            library_dirs[str(library.parent)] = None
    files["/init"] = init_script(commands, library_dirs).encode()
    return gzip.compress(cpio_newc(files, {"/dev/console": (5, 1)}), compresslevel=1)


# Flags every binary gets in a guest unless its command sets them. Perf events hang an emulated
# guest's kernel: the 8-vCPU numa:4,cpus:2 guest running numa/matrix hung in 4 of 6 boots with the
# harness's counters and in none of 6 with --flynn_counters=none (soft lockups, RCU stalls, or no
# progress at all). A guest's timings are emulation anyway; what it is booted for (placement,
# binding, the topology hwloc sees) needs no counter.
GUEST_FLAGS = ("--flynn_counters=none",)


def with_guest_flags(command: GuestCommand) -> GuestCommand:
    """`command` with each of GUEST_FLAGS its arguments do not set already."""
    given = {arg.split("=")[0] for arg in command.argv[1:]}
    added = [flag for flag in GUEST_FLAGS if flag.split("=")[0] not in given]
    return GuestCommand(command.name, [*command.argv, *added])


def boot(topology: Topology, commands: Sequence[GuestCommand],
         timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, GuestOutput]:
    """Boots one guest, runs the commands in order (each with GUEST_FLAGS), returns their JSON by name."""
    reason = unavailable_reason()
    if reason is not None:
        raise GuestFailed(f"cannot boot a guest: {reason}")
    commands = [with_guest_flags(command) for command in commands]
    with tempfile.TemporaryDirectory(prefix="flynn-vm-") as scratch:
        work = Path(scratch)
        (work / "initrd.gz").write_bytes(initramfs(commands))
        console, data = work / "console.log", work / "data.log"
        # nice: the host has few cores, and emulation would otherwise starve everything else.
        command = ["nice", "-n", "19", *qemu_args(topology, find_kernel() or Path(), work / "initrd.gz",
                                                   console, data)]
        with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as qemu:
            qemu_out = _wait_for_guest(qemu, topology, console, timeout_s)
        outputs = parse_data(data.read_text(errors="replace") if data.exists() else "")
        missing = [c.name for c in commands if c.name not in outputs]
        if missing:
            raise GuestFailed(f"guest {topology.spec} (qemu exit {qemu.returncode}) returned no result for "
                              f"{', '.join(missing)}. QEMU said: {qemu_out.strip()[-500:]!r}. "
                              f"Console tail:\n{_tail(console)}")
        return outputs


# What an emulated guest's kernel prints when its vCPUs got no host time for 20 s and more: it
# will not finish in any useful time (seen in CI: soft lockups and RCU stalls, then a pass when
# booted again), so the guest is ended at the first such line rather than at the timeout.
STALL_MARKERS = ("soft lockup", "rcu_preempt detected stalls", "rcu_sched detected stalls",
                 "self-detected stall", "detected stalls on CPUs")
_POLL_S = 1.0


def _wait_for_guest(qemu: subprocess.Popen, topology: Topology, console: Path, timeout_s: float) -> str:
    """QEMU's own output once the guest powers off; GuestHung at the timeout or as soon as the
    guest's console says its kernel stalled."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return qemu.communicate(timeout=max(0.0, min(_POLL_S, deadline - time.monotonic())))[0]
        except subprocess.TimeoutExpired:
            pass
        text = console.read_text(errors="replace") if console.exists() else ""
        stalled = next((marker for marker in STALL_MARKERS if marker in text), None)
        if stalled is None and time.monotonic() < deadline:
            continue
        qemu.kill()
        qemu.communicate()
        why = (f"its kernel stalled ('{stalled}' on the console) after {timeout_s - (deadline - time.monotonic()):.0f} s"
               if stalled else f"still running after {timeout_s:.0f} s")
        raise GuestHung(f"guest {topology.spec} {why}; killed. Console tail:\n{_tail(console)}")


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no console output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def mark_emulated(context: dict[str, object], topology: Topology) -> None:
    context[CONTEXT_KEY] = f"qemu tcg {topology.spec}"


# scripts/run --vm: a short run of each area by default, to rehearse a machine we do not have;
# the figures are emulated, so a tiny minimum time is all they merit.
RUN_FILTER = "^(ctxsw/futex/threads/|simd/fma_peak/|mimd/compute/strong/|numa/matrix_latency/)"
RUN_MIN_TIME = "0.001"
# The default sweep is 4x the last-level cache the emulated CPU claims: slow under emulation.
RUN_AREA_FLAGS = {"numa": ["--flynn_max_bytes=4M"]}
# A user's filter may select far more than the default one.
RUN_TIMEOUT_S = 600


def run_commands(binaries: Sequence[tuple[str, Path]], flags: Sequence[str],
                 extra: Sequence[str]) -> list[GuestCommand]:
    """One guest command per (area, binary); the user's flags (extra) come last and win, and an
    area default is dropped when the user set the same flag."""
    commands = []
    for area, path in binaries:
        defaults = [flag for flag in RUN_AREA_FLAGS.get(area, [])
                    if not any(mine.split("=")[0] == flag.split("=")[0] for mine in extra)]
        commands.append(GuestCommand(area, [str(path), *flags, *defaults, *extra]))
    return commands
