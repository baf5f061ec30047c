"""Bad input as one exception, and the exit-code policy every entry point shares."""

import argparse
import functools
import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_FINDING = 1
EXIT_BAD_INPUT = 2
# What a shell reports for a SIGINT-ed command, so callers see the usual code.
EXIT_INTERRUPTED = 130


class FlynnError(Exception):
    """Bad input: a flag, a file or a schema the user can fix. Exits 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as a FlynnError, so main() returns 2
    with one `error:` line instead of raising SystemExit mid-test."""

    def error(self, message: str) -> NoReturn:
        raise FlynnError(f"{message} (see {self.prog} --help)")


Main = Callable[[list[str]], int]


def entry_point(main: Main) -> Main:
    """Turns FlynnError into `error: <msg>` + 2 and Ctrl-C into 130."""

    @functools.wraps(main)
    def wrapper(argv: list[str]) -> int:
        try:
            return main(argv)
        except FlynnError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED

    return wrapper
