"""Reads the compiled simd kernels (objdump) and fails if the scalar kernels contain packed
floating-point arithmetic, or the AVX2 / AVX-512F kernels lack packed FMA on ymm / zmm.

Usage: simd_disassembly.py <libflynn_kernels.a>
Functions are attributed to a kernel by their demangled names, and to an instruction set by the
object file they were compiled in (kernels_<isa>.cpp.o), which also holds their inlined helpers.
"""

import itertools
import re
import subprocess
import sys

OBJECT = re.compile(r"^(?:In archive .*)?(?P<object>\S+\.o):\s+file format")
FUNCTION = re.compile(r"^[0-9a-f]+ <(?P<name>.*)>:$")
# addps/mulpd/vfmadd231ps...: arithmetic on packed singles or doubles (ss/sd are scalar forms).
PACKED_ARITHMETIC = re.compile(r"\b(v?(?:add|sub|mul|div|sqrt|min|max|h?add|fn?m(?:add|sub)\d{3})p[sd])\b")
PACKED_FMA = re.compile(r"\bvfn?m(?:add|sub)\d{3}p[sd]\b")

# Kernels that do FMAs, and the names of the functions that hold their work.
FMA_KERNELS = {
    "fma_peak": ("::fma_peak(", "run_chains<"),
    "triad": ("::triad(",),
    "dot": ("::dot(",),
    "poly": ("::poly(", "poly_at<"),
}
PACKED_FMA_REGISTER = {"kernels_avx2.cpp.o": "%ymm", "kernels_avx512f.cpp.o": "%zmm"}


def functions_by_object(library: str) -> dict[str, dict[str, list[str]]]:
    text = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", library],
                          check=True, capture_output=True, text=True).stdout
    objects: dict[str, dict[str, list[str]]] = {}
    current: list[str] | None = None
    functions: dict[str, list[str]] = {}
    for line in text.splitlines():
        if match := OBJECT.match(line):
            functions = objects.setdefault(match["object"].split("/")[-1], {})
            current = None
        elif match := FUNCTION.match(line):
            current = functions.setdefault(match["name"], [])
        elif current is not None and line.strip():
            current.append(line)
    return objects


def main(library: str) -> int:
    objects = functions_by_object(library)
    failures: list[str] = []
    scalar = objects.get("kernels_scalar.cpp.o", {})
    if not any("Kernels<flynn::simd::scalar" in name for name in scalar):
        failures.append("no scalar kernels found in kernels_scalar.cpp.o")
    for name, lines in scalar.items():
        for line in lines:
            if match := PACKED_ARITHMETIC.search(line):
                failures.append(f"scalar {name} has packed arithmetic: {match.group(1)} in '{line.strip()}'")
                break
    for obj, register in PACKED_FMA_REGISTER.items():
        functions = objects.get(obj, {})
        for (kernel, markers), dtype in itertools.product(FMA_KERNELS.items(), ("float", "double")):
            lines = [line for name, body in functions.items()
                     if dtype in name and any(m in name for m in markers) for line in body]
            if not lines:
                failures.append(f"{obj}: no functions for {kernel} on {dtype}")
            elif not any(PACKED_FMA.search(line) and register in line for line in lines):
                failures.append(f"{obj}: {kernel} on {dtype} has no packed FMA on {register}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    print(f"checked {sum(len(f) for f in objects.values())} functions in {len(objects)} objects")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
