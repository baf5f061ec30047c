"""Every binary given: its benchmark names follow the one grammar (flynn.names), and an unknown
flag is refused with exit code 2 and one line on stderr instead of running the defaults."""

import sys

from smoke_run import Failures, list_tests, refusal

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
        for typo in ("--benchmark_filer=x", "--flynn_no_such_flag=1"):
            done = refusal(binary, typo)
            failures.refused(done, f"{binary} {typo}")
            failures.check(len(done.stderr.strip().splitlines()) == 1 and "unrecognized" in done.stderr,
                           f"{binary} does not name the unknown flag {typo} in one line: {done.stderr!r}")
        print(f"{binary}: {len(names)} names checked")
    return failures.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
