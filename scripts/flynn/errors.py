"""Bad input as one exception, and the exit-code policy every entry point shares."""

import argparse
import functools
import signal
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

EXIT_FINDING = 1
EXIT_BAD_INPUT = 2
# What a shell reports for a SIGINT-ed command, so callers see the usual code.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every finally block runs: temporary
    directories go, and a benchmark binary's process group is ended."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated()


class FlynnError(Exception):
    """Bad input: a flag, a file or a schema the user can fix. Exits 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as a FlynnError, so main() returns 2
    with one `error:` line instead of raising SystemExit mid-test."""

    def error(self, message: str) -> NoReturn:
        raise FlynnError(f"{message} (see {self.prog} --help)")


Main = Callable[[list[str]], int]


def entry_point(main: Main) -> Main:
    """Turns FlynnError into `error: <msg>` + 2, Ctrl-C into 130 and SIGTERM into 143."""

    @functools.wraps(main)
    def wrapper(argv: list[str]) -> int:
        # Python's default for SIGTERM is to die at once, skipping every finally block.
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
        try:
            return main(argv)
        except FlynnError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Terminated:
            print("terminated", file=sys.stderr)
            return EXIT_TERMINATED
        finally:
            if in_main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)

    return wrapper
