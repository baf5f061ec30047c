"""Shared by the smoke checks: run a flynn binary briefly and load its JSON."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))


def list_tests(binary: str, *flags: str) -> list[str]:
    out = subprocess.run([binary, "--benchmark_list_tests", *flags], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def run_json(binary: str, *flags: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        subprocess.run([binary, f"--benchmark_out={out}", "--benchmark_out_format=json", *flags],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


def refusal(binary: str, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The binary run with flags it must refuse (listing only, so nothing is measured)."""
    return subprocess.run([binary, "--benchmark_list_tests", *flags], capture_output=True, text=True,
                          env=None if env is None else {**os.environ, **env})


def run_listed(binary: str, failures: "Failures", *flags: str) -> tuple[dict, dict[str, dict]]:
    """Runs the binary (min time and flags given) and checks every listed benchmark reported.
    Returns the context and the runs by name."""
    listed = set(list_tests(binary, *(f for f in flags if f.startswith("--flynn_"))))
    result = run_json(binary, *flags)
    runs = {run["name"]: run for run in result["benchmarks"]}
    failures.check(listed == set(runs), f"listed but not run: {sorted(listed - set(runs))[:5]}")
    return result["context"], runs


# The events of harness/perf_counters, as they name their counters (`<event>_per_<op>`).
PERF_EVENTS = ("context_switches", "cpu_migrations", "minor_faults", "major_faults", "task_clock_ns",
               "cpu_cycles", "instructions", "branch_misses", "l1d_read_misses", "llc_misses", "dtlb_misses")
_TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def is_perf_count(key: str) -> bool:
    """A counter the kernel or the CPU counted (harness/perf_counters), not the benchmark's own."""
    return key.startswith(tuple(f"{event}_per_" for event in PERF_EVENTS)) or key in ("ipc", "hardware_counted_pct")


def software_counted(context: dict) -> bool:
    """Whether the kernel's events (switches, migrations, faults, task clock) counted in this run."""
    return context.get("perf_counters", "").startswith("software")


def wall_ns(run: dict) -> float:
    """The run's whole timed wall-clock time, all iterations, in ns."""
    return float(run["real_time"]) * _TIME_UNIT_NS[run["time_unit"]] * run["iterations"]


def check_counters_off(binary: str, failures: "Failures", benchmarks: str, figure: str, *flags: str) -> None:
    """--flynn_counters=none over the benchmarks `benchmarks` matches: the context says so, no
    perf count is in the JSON, and every run still reports its own `figure`."""
    result = run_json(binary, f"--benchmark_filter={benchmarks}", "--benchmark_min_time=0.01",
                      "--flynn_counters=none", *flags)
    summary = result["context"].get("perf_counters")
    failures.check(summary == "none (--flynn_counters=none)", f"--flynn_counters=none: context perf_counters {summary!r}")
    measured = [run for run in result["benchmarks"] if not run.get("error_occurred")]
    failures.check(bool(measured), f"--flynn_counters=none: nothing measured for {benchmarks}")
    for run in measured:
        counted = [key for key in run if is_perf_count(key)]
        failures.check(not counted, f"--flynn_counters=none: {run['name']} carries {counted}")
        failures.check(figure in run, f"--flynn_counters=none: {run['name']} lacks {figure}")


class Failures:
    """Collects every broken property, so one run reports all of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            self.messages.append(message)

    def not_measured(self, name: str, run: dict) -> bool:
        """True for a run without figures; it must be a skip that gives its reason."""
        if not run.get("error_occurred"):
            return False
        message = run.get("error_message", "")
        self.check(message.startswith("skipped: ") and len(message) > len("skipped: "), f"{name} failed: {message!r}")
        return True

    def refused(self, done: subprocess.CompletedProcess, what: str) -> None:
        """Exit 2 and one error line last on stderr (a runtime may warn before main starts)."""
        lines = done.stderr.strip().splitlines()
        self.check(done.returncode == 2 and bool(lines) and "error" in lines[-1] and not done.stdout,
                   f"{what}: exit {done.returncode}, stderr {done.stderr!r}")

    def refused_naming(self, done: subprocess.CompletedProcess, what: str, *words: str) -> None:
        """refused(), with every word (the flag to change, the reason) in the last line."""
        self.refused(done, what)
        last = (done.stderr.strip().splitlines() or [""])[-1]
        missing = [word for word in words if word not in last]
        self.check(not missing, f"{what}: the error line lacks {missing}: {last!r}")

    def exit_code(self) -> int:
        for message in self.messages:
            print(f"FAIL: {message}", file=sys.stderr)
        return 1 if self.messages else 0
