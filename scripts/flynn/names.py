"""Benchmark names: the grammar `<area>/<kernel>/<variant>[/<token>...][/<key>:<value>...]`."""

import re
from dataclasses import dataclass, field

from flynn.errors import FlynnError

TOKEN = r"[a-z0-9_]+"
GRAMMAR = re.compile(
    rf"^(?P<area>{TOKEN})/(?P<kernel>{TOKEN})/(?P<variant>{TOKEN})"
    rf"(?P<tokens>(?:/{TOKEN})*)"
    rf"(?P<params>(?:/{TOKEN}:{TOKEN})*)$"
)

# What Google Benchmark appends after the name the harness registered. Values
# such as min_time:0.01 fall outside the grammar, so they go before matching.
_GB_SUFFIX = re.compile(
    r"/(?:real_time|manual_time|process_time"
    r"|repeats:\d+|iterations:\d+|threads:(?P<threads>\d+)"
    r"|min_time:[0-9.e+-]+s?|min_warmup_time:[0-9.e+-]+s?)$"
)


@dataclass(frozen=True)
class BenchmarkName:
    area: str
    kernel: str
    variant: str
    tokens: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)


def strip_gb_suffixes(name: str) -> tuple[str, dict[str, str]]:
    """The registered name, and `threads` when Google Benchmark's own ->Threads() added it."""
    extra: dict[str, str] = {}
    while match := _GB_SUFFIX.search(name):
        if match.group("threads") is not None:
            extra["threads"] = match.group("threads")
        name = name[: match.start()]
    return name, extra


def parse(name: str) -> BenchmarkName:
    base, extra = strip_gb_suffixes(name)
    match = GRAMMAR.match(base)
    if match is None:
        raise FlynnError(
            f"benchmark name {name!r} does not follow "
            "<area>/<kernel>/<variant>[/<token>...][/<key>:<value>...] with tokens in [a-z0-9_]"
        )
    params: dict[str, str] = {}
    for pair in match.group("params").split("/")[1:]:
        key, value = pair.split(":")
        if key in params:
            raise FlynnError(f"benchmark name {name!r} repeats the parameter {key!r}")
        params[key] = value
    params.update(extra)
    tokens = tuple(match.group("tokens").split("/")[1:])
    return BenchmarkName(match["area"], match["kernel"], match["variant"], tokens, params)

