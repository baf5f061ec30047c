"""Runs flynn_sync briefly and checks its counters, its exactness claims and its skip reasons,
and that a bad flag value is refused with exit 2 and one line."""

import sys

from smoke_run import Failures, check_counters_off, refusal, run_listed, software_counted

from flynn.names import parse

EXACT = {"fetch_add_relaxed", "fetch_add_seq_cst", "cas_loop", "mutex", "ttas_spinlock",
         "local_sum", "packed_slots", "padded_slots"}
BAD_VALUES = ("--flynn_io_delay_us=abc", "--flynn_io_delay_us=5000000", "--flynn_sync_increments=0",
              "--flynn_io_pages=1,2", "--flynn_handoff_cpus=99999",
              # A repeated CPU, and one CPU alone, which would leave the hand-off family empty.
              "--flynn_handoff_cpus=0,0", "--flynn_handoff_cpus=0",
              "--flynn_sync_increments=99999999999")


# The counters' unit per kernel: the kernel's switch and migration counts per operation.
UNITS = {"counter": "increment", "line_handoff": "handoff", "fetch": "request", "tasks": "task"}


def check_kernel_counts(name: str, kernel: str, variant: str, run: dict, counted: bool, failures: Failures) -> None:
    """The measured threads' switches and migrations, present exactly where the software events
    count, and what they prove: bound members never migrate, two CPUs handing a line back and
    forth never switch, and a blocking client sleeps at least once per request (the server's delay)."""
    switches, migrations = f"context_switches_per_{UNITS[kernel]}", f"cpu_migrations_per_{UNITS[kernel]}"
    for key in (switches, migrations):
        failures.check((key in run) == counted, f"{name}: {key} present={key in run}, software events counted={counted}")
    if not counted or switches not in run:
        return
    if kernel in ("counter", "line_handoff"):
        failures.check(run[migrations] == 0, f"{name}: {run[migrations]} migrations per {UNITS[kernel]}, threads bound")
    if kernel == "line_handoff":
        failures.check(run[switches] < 0.05, f"{name}: {run[switches]} switches per hand-off between spinning CPUs")
    if kernel == "fetch" and variant == "blocking":
        failures.check(run[switches] >= 0.95, f"{name}: {run[switches]} switches per request: a request did not block")


def main(binary: str) -> int:
    failures = Failures()
    # A short delay and few pages: the point is that every family works, not its figure.
    context, runs = run_listed(binary, failures, "--benchmark_min_time=0.01", "--flynn_sync_increments=4096",
                               "--flynn_io_delay_us=500", "--flynn_io_pages=64")
    failures.check(context.get("io_delay_us") == "500", "context lacks io_delay_us")
    counted = software_counted(context)
    kernels = set()
    for name, run in runs.items():
        parsed = parse(name)
        kernels.add((parsed.area, parsed.kernel, parsed.variant))
        if failures.not_measured(name, run):
            continue
        check_kernel_counts(name, parsed.kernel, parsed.variant, run, counted, failures)
        if parsed.kernel == "counter":
            failures.check(run.get("ns_per_increment", 0) > 0, f"{name} lacks ns_per_increment")
            failures.check(run.get("sync_threads") == int(parsed.params["threads"]), f"{name}: sync_threads")
            lost = run.get("lost_updates_pct", -1)
            if parsed.variant in EXACT:
                failures.check(lost == 0, f"{name}: a safe strategy lost {lost}% of its updates")
            else:
                failures.check(0 <= lost < 100, f"{name}: lost_updates_pct {lost}")
        elif parsed.kernel == "line_handoff":
            failures.check(run.get("ns_per_handoff", 0) > 0, f"{name} lacks ns_per_handoff")
            failures.check(parsed.params["cpu_a"] != parsed.params["cpu_b"], f"{name}: a CPU with itself")
        elif parsed.kernel == "fetch":
            failures.check(run.get("pages_per_second", 0) > 0, f"{name} lacks pages_per_second")
            failures.check(run.get("cpu_utilisation_pct", -1) >= 0, f"{name} lacks cpu_utilisation_pct")
        elif parsed.kernel == "tasks":
            failures.check(run.get("tasks_per_second", 0) > 0, f"{name} lacks tasks_per_second")
            # Only "some": on a shared machine the busy threads get what the others leave.
            failures.check(run.get("cpu_utilisation_pct", 0) > 0, f"{name} lacks cpu_utilisation_pct")
    for family in (("sync", "counter", "racy"), ("sync", "counter", "padded_slots"), ("io", "fetch", "blocking"),
                   ("io", "fetch", "epoll"), ("io", "tasks", "spin")):
        failures.check(family in kernels, f"no {'/'.join(family)} benchmark")
    io_flags = ("--flynn_sync_increments=4096", "--flynn_io_delay_us=500", "--flynn_io_pages=64")
    for benchmarks, figure in (("^sync/counter/mutex/threads:2/", "ns_per_increment"),
                               ("^sync/line_handoff/cas/cpu_a:0/cpu_b:1/", "ns_per_handoff"),
                               ("^io/fetch/(blocking/threads:2|epoll)/", "pages_per_second"),
                               ("^io/tasks/spin/threads:2/", "tasks_per_second")):
        check_counters_off(binary, failures, benchmarks, figure, *io_flags)
    for flag in BAD_VALUES:
        bad = refusal(binary, flag)
        failures.refused(bad, flag)
        failures.check(len(bad.stderr.strip().splitlines()) == 1 and flag.split("=")[0] in bad.stderr,
                       f"{flag}: not one line naming the flag: {bad.stderr!r}")
    print(f"{binary}: {len(runs)} benchmarks checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
