"""Which machine a result comes from, read from its context, and where that machine's baseline lives."""

import hashlib
import re
from pathlib import Path
from typing import Any

from flynn import build

BASELINES_DIR = build.REPO_ROOT / "results" / "baselines"
# Where scripts/run writes a result by default; scripts/history and the report read it back.
RUNS_DIR = build.REPO_ROOT / "results" / "runs"

# What makes two results come from the same machine. Compiler, flags, kernel and
# governor are left out on purpose: they are the changes a user compares across.
IDENTITY_KEYS = (
    "host_name",
    "cpu_model",
    "num_cpus",
    "topology_packages",
    "topology_numa_nodes",
    "topology_cores",
    "topology_pus",
)
# Same machine, different build: worth a warning, since a regression may be the build's.
BUILD_KEYS = ("compiler", "cxx_flags", "build_type", "library_build_type")
# Written by scripts/run: a quick run's 0.01 s and 64 MiB sweeps give other figures than a full one's.
RUN_KEYS = ("flynn_min_time", "flynn_sweeps")
# The flags a run passed to every binary (scripts/run's after `--`), where it passed any:
# --flynn_max_bytes=1G gives other figures than the default.
FLAGS_KEY = "flynn_flags"

_CPU_SLUG_CHARS = 40


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def identity(context: dict[str, Any]) -> str:
    """`<host>-<cpu>-<cores>c-<hash>`: readable, and the hash keeps two machines
    apart that share a host name (a fleet of `vm`s) but not their topology."""
    facts = "\n".join(f"{key}={context.get(key)}" for key in IDENTITY_KEYS)
    digest = hashlib.sha256(facts.encode()).hexdigest()[:8]
    host = _slug(str(context.get("host_name") or "")) or "host"
    cpu = _slug(str(context.get("cpu_model") or ""))[:_CPU_SLUG_CHARS].strip("_") or "cpu"
    cores = context.get("topology_cores") or context.get("num_cpus") or "?"
    return f"{host}-{cpu}-{_slug(str(cores)) or 'x'}c-{digest}"


def baseline_path(machine_id: str, directory: Path | None = None) -> Path:
    return (directory or BASELINES_DIR) / f"{machine_id}.json"


def host_baselines(host_name: str) -> list[Path]:
    """The baselines that name this host: known before a run, unlike the full identity,
    which needs the topology the run records."""
    prefix = f"{_slug(host_name) or 'host'}-"
    return sorted(path for path in BASELINES_DIR.glob("*.json") if path.name.startswith(prefix))


def _differences(keys: tuple[str, ...], base: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = []
    for key in keys:
        old, now = base.get(key), new.get(key)
        if (old, now) != (None, None) and str(old) != str(now):
            shown = ["(absent)" if value is None else repr(value) for value in (old, now)]
            found.append(f"{key} {shown[0]} vs {shown[1]}")
    return found


def mismatch_warnings(base: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per kind of difference, said before any figure is compared."""
    lines = []
    machine = _differences(IDENTITY_KEYS, base, new)
    if machine:
        lines.append(
            "warning: BASE and NEW come from different machines "
            f"({identity(base)} vs {identity(new)}): " + "; ".join(machine)
        )
    built = _differences(BUILD_KEYS, base, new)
    if built:
        lines.append("warning: BASE and NEW were built differently: " + "; ".join(built))
    ran = _differences((*RUN_KEYS, FLAGS_KEY), base, new)
    if ran:
        lines.append("warning: BASE and NEW were run differently: " + "; ".join(ran))
    return lines
