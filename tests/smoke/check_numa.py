"""Runs flynn_numa briefly and checks that every figure carries its counters or a skip reason,
that local memory was verified on its node, and that bad flags stop the run before it starts."""

import re
import subprocess
import sys

from smoke_run import Failures, check_counters_off, run_json

from flynn.names import parse

MAX_BYTES = 4 << 20
# The counters each kernel must report when it ran.
COUNTERS = {
    "chase": ("ns_per_load", "cycles_per_load", "bytes"),
    "loaded_chase": ("ns_per_load", "cycles_per_load", "stream_bytes_per_second"),
    "matrix_latency": ("ns_per_load", "cycles_per_load", "pages_on_node_pct"),
    "matrix_bandwidth": ("bytes_per_second", "pages_on_node_pct", "threads"),
}
# The chase variants on normal pages, which must stay normal (no THP) to mean what they say, and
# every variant the sweep must list.
NORMAL_PAGE_VARIANTS = ("normal_pages", "within_pages", "page_groups")
CHASE_VARIANTS = {"thp", "hugetlb", *NORMAL_PAGE_VARIANTS}
BAD_FLAGS = ("--flynn_nodes=7", "--flynn_max_bytes=0", "--flynn_max_bytes=12Q", "--flynn_max_bytes=999999G")


def check_console_units(binary: str, failures: Failures) -> None:
    """The console (the default --benchmark_format) prints each counter in its unit: ns_per_load
    in ns, never with Google Benchmark's seconds suffix glued to an inverted rate's number."""
    one = "--benchmark_filter=^numa/chase/(page_groups|normal_pages)/bytes:4096$"
    out = subprocess.run([binary, f"--flynn_max_bytes={MAX_BYTES}", one, "--benchmark_min_time=0.01"],
                         check=True, capture_output=True, text=True).stdout
    rows = [line for line in out.splitlines() if line.startswith("numa/chase/")]
    failures.check(len(rows) == 2, f"console: {len(rows)} rows for {one}, expected 2:\n{out}")
    for row in rows:
        failures.check(re.search(r" ns_per_load=[0-9.]+ ns( |$)", row) is not None, f"console: no ns_per_load in ns: {row!r}")
        failures.check(re.search(r" bytes=4 KiB( |$)", row) is not None, f"console: bytes not in KiB: {row!r}")
        glued = re.findall(r"\w+=[-+0-9.e]+[kMGTPE]?s\b", row)
        failures.check(not glued, f"console: a unit glued to the number, as Google Benchmark's default prints: {glued}")


def main(binary: str) -> int:
    failures = Failures()
    size_flag = f"--flynn_max_bytes={MAX_BYTES}"
    listed = subprocess.run([binary, size_flag, "--benchmark_list_tests"], check=True, capture_output=True, text=True)
    expected = set(listed.stdout.split())
    result = run_json(binary, "--benchmark_min_time=0.01", size_flag)
    runs = {run["name"]: run for run in result["benchmarks"]}
    failures.check(expected == set(runs), f"listed but not run: {sorted(expected - set(runs))[:5]}")
    one_node = result["context"].get("topology_numa_nodes") == "1"
    # The kernel counts page faults where the context says the software events count.
    faults_counted = result["context"].get("perf_counters", "").startswith("software")
    sweep_max = 0
    for name, run in runs.items():
        parsed = parse(name)
        if run.get("error_occurred"):
            message = run.get("error_message", "")
            failures.check(message.startswith("skipped: ") and len(message) > len("skipped: "),
                           f"{name} failed: {message!r}")
            if parsed.kernel.startswith("matrix") and one_node:
                remote = parsed.params["cpu_node"] != parsed.params["mem_node"]
                failures.check(remote and message == "skipped: 1 NUMA node", f"{name}: {message!r}")
            continue
        for counter in COUNTERS[parsed.kernel]:
            failures.check(run.get(counter, 0) > 0, f"{name} lacks {counter}")
        if parsed.kernel.startswith("matrix") and parsed.params["cpu_node"] == parsed.params["mem_node"]:
            failures.check(run["pages_on_node_pct"] == 100, f"{name}: {run['pages_on_node_pct']}% of pages on node")
        if parsed.variant in NORMAL_PAGE_VARIANTS:
            failures.check(run.get("thp_pct") == 0, f"{name}: normal pages became huge ({run.get('thp_pct')}%)")
        if parsed.kernel == "chase":
            sweep_max = max(sweep_max, int(parsed.params["bytes"]))
        if parsed.kernel == "matrix_bandwidth":
            # Per byte moved, by every member's own group: first touch was the placement's, and
            # each member is bound to one CPU.
            for key in ("minor_faults_per_byte", "cpu_migrations_per_byte"):
                failures.check((key in run) == faults_counted,
                               f"{name}: {key} present={key in run}, perf_counters "
                               f"{result['context'].get('perf_counters')!r}")
                if faults_counted and key in run:
                    failures.check(run[key] == 0, f"{name}: {key} {run[key]} inside the timed loop")
        if parsed.kernel in ("chase", "loaded_chase", "matrix_latency"):
            # First touch happens when the buffer is placed: no page fault inside the timed loop.
            failures.check(("minor_faults_per_load" in run) == faults_counted,
                           f"{name}: minor_faults_per_load present={'minor_faults_per_load' in run}, "
                           f"perf_counters {result['context'].get('perf_counters')!r}")
            if faults_counted:
                failures.check(run["minor_faults_per_load"] == 0 and run["major_faults_per_load"] == 0,
                               f"{name}: {run['minor_faults_per_load']} minor, {run['major_faults_per_load']} "
                               "major page faults per load inside the timed loop")
            if "llc_misses_per_load" in run and parsed.kernel == "chase" and int(parsed.params["bytes"]) <= 4096:
                failures.check(run["llc_misses_per_load"] < 0.05, f"{name}: L1-sized chase misses the LLC")
    chased = {parse(name).variant for name in runs if parse(name).kernel == "chase"}
    failures.check(chased == CHASE_VARIANTS, f"chase variants {sorted(chased)}, expected {sorted(CHASE_VARIANTS)}")
    failures.check(sweep_max == MAX_BYTES, f"the sweep ends at {sweep_max} bytes, not --flynn_max_bytes={MAX_BYTES}")
    check_console_units(binary, failures)
    for benchmarks, figure in (("^numa/matrix_latency/chase/cpu_node:0/mem_node:0$", "ns_per_load"),
                               ("^numa/matrix_bandwidth/read/cpu_node:0/mem_node:0/", "bytes_per_second")):
        check_counters_off(binary, failures, benchmarks, figure, size_flag)
    for flag in BAD_FLAGS:
        bad = subprocess.run([binary, flag, "--benchmark_list_tests"], capture_output=True, text=True)
        failures.check(bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and not bad.stdout,
                       f"{flag}: exit {bad.returncode}, stderr {bad.stderr!r}, expected 2 and one line")
    print(f"{binary}: {len(runs)} benchmarks checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
