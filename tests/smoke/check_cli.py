"""Every binary given: its benchmark names follow the one grammar (flynn.names), and an unknown
flag is refused with exit code 2 and one line on stderr instead of running the defaults."""

import subprocess
import sys

from smoke_run import Failures, list_tests

from flynn.errors import FlynnError
from flynn.names import parse


def main(binaries: list[str]) -> int:
    failures = Failures()
    for binary in binaries:
        names = list_tests(binary)
        failures.check(len(names) > 0, f"{binary} lists no benchmarks")
        failures.check(len(set(names)) == len(names), f"{binary} registers a name twice")
        for name in names:
            try:
                parse(name)
            except FlynnError as error:
                failures.check(False, str(error))
        typo = subprocess.run([binary, "--benchmark_filer=x"], capture_output=True, text=True)
        failures.check(typo.returncode == 2, f"{binary} exits {typo.returncode} on an unknown flag, not 2")
        failures.check(len(typo.stderr.strip().splitlines()) == 1 and "unrecognized" in typo.stderr,
                       f"{binary} does not name the unknown flag in one line: {typo.stderr!r}")
        print(f"{binary}: {len(names)} names checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
