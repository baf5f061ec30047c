"""Runs flynn_mimd briefly and checks its figures and their proof: the thread count asked for,
every thread inside its OpenMP place, rates and overheads present; bad thread counts refused."""

import os
import subprocess
import sys

from smoke_run import Failures, check_counters_off, refusal, run_listed

from flynn.names import parse

RATE_KERNELS = {"compute", "copy", "scale", "add", "triad", "mixed"}


def main(binary: str) -> int:
    failures = Failures()
    context, runs = run_listed(binary, failures, "--benchmark_min_time=0.01", "--flynn_stream_bytes=4M")
    failures.check(context.get("omp_places") == "cores", "the harness did not set OMP_PLACES=cores")
    # One PU per core: each thread's place is one CPU, so a bound team never migrates.
    single_pu_places = context.get("topology_cores") == context.get("topology_pus")
    migrations_counted = context.get("perf_counters", "").startswith("software")
    for name, run in runs.items():
        if run.get("error_occurred"):
            failures.check(False, f"{name} failed: {run.get('error_message')!r}")
            continue
        parsed = parse(name)
        failures.check(run.get("omp_threads") == int(parsed.params["threads"]), f"{name}: wrong omp_threads")
        failures.check(run.get("threads_in_place_pct") == 100, f"{name}: threads outside their places")
        if parsed.kernel in RATE_KERNELS:
            # copy does no arithmetic: its flop rate is 0, but still reported
            failures.check(run.get("flops_per_second", 0) > 0 or parsed.kernel == "copy",
                           f"{name} lacks flops_per_second")
            if parsed.kernel != "compute":
                failures.check(run.get("bytes_per_second", 0) > 0, f"{name} lacks bytes_per_second")
        elif parsed.kernel == "schedule":
            failures.check(run.get("load_imbalance", 0) >= 1.0, f"{name}: load_imbalance below 1")
        elif parsed.kernel == "overhead":
            failures.check("overhead_us" in run and run.get("reference_us", 0) > 0, f"{name} lacks overhead_us")
            # Per construct as well, the unit of overhead_us.
            failures.check(("context_switches_per_construct" in run) == migrations_counted,
                           f"{name}: context_switches_per_construct present={'context_switches_per_construct' in run}")
        # Every team's counters, one group per member: no migration in a bound team.
        failures.check(("cpu_migrations_per_region" in run) == migrations_counted,
                       f"{name}: cpu_migrations_per_region present={'cpu_migrations_per_region' in run}, "
                       f"perf_counters {context.get('perf_counters')!r}")
        if migrations_counted and single_pu_places and "cpu_migrations_per_region" in run:
            failures.check(run["cpu_migrations_per_region"] == 0,
                           f"{name}: {run['cpu_migrations_per_region']} migrations per region in a bound team")
    for benchmarks, figure in (("^mimd/schedule/static/cost:triangular/chunk:0/threads:2/", "load_imbalance"),
                               ("^mimd/overhead/barrier/threads:2/", "overhead_us")):
        check_counters_off(binary, failures, benchmarks, figure)
    failures.refused(refusal(binary, "--flynn_threads=0"), "--flynn_threads=0")
    for bad in ("0", "-4", "many"):
        # libgomp itself warns about a bad OMP_NUM_THREADS before main; our line comes last.
        failures.refused(refusal(binary, env={"OMP_NUM_THREADS": bad}), f"OMP_NUM_THREADS={bad}")
    # More memory than the machine has: refused before registering, naming the flag to lower.
    failures.refused_naming(refusal(binary, "--flynn_stream_bytes=999G"), "--flynn_stream_bytes=999G",
                            "--flynn_stream_bytes", "free memory")
    for flag in ("--flynn_threads=1000000", "--flynn_threads=1,1"):
        failures.refused_naming(refusal(binary, flag), flag, "--flynn_threads")
    # libgomp only warns about a bad OMP_PLACES and runs without places; the binary refuses it.
    env = {k: v for k, v in os.environ.items() if k != "OMP_PROC_BIND"}
    places = subprocess.run([binary, "--benchmark_list_tests"], capture_output=True, text=True,
                            env={**env, "OMP_PLACES": "garbage"})
    failures.refused_naming(places, "OMP_PLACES=garbage", "OMP_PLACES")
    print(f"{binary}: {len(runs)} benchmarks checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
