"""Runs flynn_simd briefly (working sets up to 1 MiB) and checks that every figure carries its
counters, skips carry a reason, lanes match the instruction set, and a bad size is refused."""

import subprocess
import sys

from smoke_run import Failures, run_json

from flynn.names import parse

VECTOR_BYTES = {"sse2": 16, "sse4_2": 16, "auto": 16, "avx": 32, "avx2": 32, "avx512f": 64}
DTYPE_BYTES = {"f32": 4, "f64": 8}
COUNTERS = ("flops_per_second", "flops_per_cycle", "lanes")


def main(binary: str) -> int:
    failures = Failures()
    flags = ("--flynn_max_bytes=1M",)
    expected = set(subprocess.run([binary, "--benchmark_list_tests", *flags],
                                  check=True, capture_output=True, text=True).stdout.split())
    result = run_json(binary, "--benchmark_min_time=0.01", *flags)
    runs = {run["name"]: run for run in result["benchmarks"]}
    failures.check(expected == set(runs), f"listed but not run: {sorted(expected - set(runs))[:5]}")
    failures.check(float(result["context"].get("clock_hz_estimate", 0)) > 0, "context lacks clock_hz_estimate")
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
    failures.check(measured > 0, "every benchmark was skipped")
    bad = subprocess.run([binary, "--flynn_max_bytes=-3"], capture_output=True, text=True)
    failures.check(bad.returncode == 2, f"--flynn_max_bytes=-3 exits {bad.returncode}, not 2")
    failures.check(len(bad.stderr.strip().splitlines()) == 1 and "max_bytes" in bad.stderr,
                   f"--flynn_max_bytes=-3 does not give one line on stderr: {bad.stderr!r}")
    print(f"{binary}: {len(runs)} benchmarks checked, {measured} measured")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
