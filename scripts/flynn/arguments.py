"""argparse types the commands share: each refuses a bad value with one line that names it."""

import argparse
import math


def positive_int(text: str) -> int:
    """A count: a whole number from 1 (--repetitions, --runs)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def positive_number(text: str) -> float:
    """A finite number above 0 (--threshold, --min-spread-pct)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value
