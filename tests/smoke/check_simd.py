"""Runs flynn_simd briefly (working sets up to 1 MiB) and checks that every figure carries its
counters, skips carry a reason, lanes match the instruction set, and a bad size is refused."""

import sys

from smoke_run import Failures, refusal, run_listed

from flynn.names import parse

VECTOR_BYTES = {"sse2": 16, "sse4_2": 16, "auto": 16, "avx": 32, "avx2": 32, "avx512f": 64}
DTYPE_BYTES = {"f32": 4, "f64": 8}
COUNTERS = ("flops_per_second", "flops_per_cycle", "lanes")


def main(binary: str) -> int:
    failures = Failures()
    context, runs = run_listed(binary, failures, "--benchmark_min_time=0.01", "--flynn_max_bytes=1M")
    failures.check(float(context.get("clock_hz_estimate", 0)) > 0, "context lacks clock_hz_estimate")
    measured = 0
    for name, run in runs.items():
        parsed = parse(name)
        failures.check(parsed.area == "simd" and parsed.tokens[0] in DTYPE_BYTES, f"{name}: no dtype token")
        if run.get("error_occurred"):
            message = run.get("error_message", "")
            failures.check(message.startswith("skipped: CPU lacks "), f"{name} failed: {message!r}")
            continue
        measured += 1
        for counter in COUNTERS + (() if parsed.kernel == "fma_peak" else ("bytes_per_second",)):
            failures.check(run.get(counter, 0) > 0, f"{name} lacks {counter}")
        if parsed.kernel != "fma_peak":
            failures.check(int(parsed.params["bytes"]) <= 1 << 20, f"{name} exceeds --flynn_max_bytes")
        isa = parsed.variant
        lanes = 1 if isa == "scalar" else VECTOR_BYTES[isa] // DTYPE_BYTES[parsed.tokens[0]]
        failures.check(run.get("lanes") == lanes, f"{name}: lanes {run.get('lanes')}, expected {lanes}")
        # Without a PMU the instruction count is absent, never 0; with one, a vector FMA chain
        # retires about one instruction per `lanes` elements: the ISA confirmed at run time.
        hardware_absent = "(hardware: " in context.get("perf_counters", "")
        if hardware_absent:
            failures.check("instructions_per_element" not in run and "ipc" not in run,
                           f"{name}: instructions counted with {context.get('perf_counters')!r}")
        elif "instructions_per_element" in run and parsed.kernel == "fma_peak":
            failures.check(run["instructions_per_element"] <= 1.5 / lanes,
                           f"{name}: {run['instructions_per_element']:.3f} instructions per element, lanes {lanes}")
    failures.check(measured > 0, "every benchmark was skipped")
    bad = refusal(binary, "--flynn_max_bytes=-3")
    failures.refused(bad, "--flynn_max_bytes=-3")
    failures.check(len(bad.stderr.strip().splitlines()) == 1 and "max_bytes" in bad.stderr,
                   f"--flynn_max_bytes=-3 does not give one line naming the flag: {bad.stderr!r}")
    # More memory than the machine has: refused before registering, naming the flag to lower.
    failures.refused_naming(refusal(binary, "--flynn_max_bytes=999G"), "--flynn_max_bytes=999G",
                            "--flynn_max_bytes", "free memory")
    # Overflowing sizes are refused as too large, not wrapped (17179869185G was 1 GiB).
    for flag in ("--flynn_max_bytes=17179869185G", "--flynn_max_bytes=16777217M"):
        failures.refused_naming(refusal(binary, flag), flag, "--flynn_max_bytes", "too large")
    print(f"{binary}: {len(runs)} benchmarks checked, {measured} measured")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
