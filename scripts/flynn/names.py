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



# glibc's <regex.h>: what Google Benchmark's --benchmark_filter compiles with when it does not use
# std::regex (whose ECMAScript-free "extended" grammar is the same POSIX ERE).
_REG_EXTENDED, _REG_NOSUB = 1, 8
# sizeof(regex_t) is 64 on x86-64 glibc; room to spare for any other layout.
_REGEX_T_BYTES = 256


def _posix_error(pattern: str) -> str | None:
    """Why POSIX extended regcomp refuses `pattern`, or None when it compiles (or libc is not there)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        regcomp, regerror, regfree = libc.regcomp, libc.regerror, libc.regfree
    except (OSError, AttributeError):
        return None
    compiled = ctypes.create_string_buffer(_REGEX_T_BYTES)
    status = regcomp(compiled, pattern.encode(), _REG_EXTENDED | _REG_NOSUB)
    if status == 0:
        regfree(compiled)
        return None
    message = ctypes.create_string_buffer(256)
    regerror(status, compiled, message, len(message))
    return message.value.decode(errors="replace") or f"regcomp error {status}"


def compile_filter(pattern: str | None, flag: str = "--filter") -> re.Pattern[str]:
    """A benchmark filter that both Python's re (compare, history) and Google Benchmark's POSIX
    extended regex (the binaries) accept; what either refuses is bad input, said as such rather
    than as "no benchmark matches". A leading `-` is Google Benchmark's negative filter."""
    text = pattern or ""
    try:
        compiled = re.compile(text)
    except re.error as error:
        raise FlynnError(f"{flag} {pattern!r}: not a valid regular expression: {error}") from None
    posix = _posix_error(text[1:] if text.startswith("-") else text)
    if posix is not None:
        raise FlynnError(f"{flag} {pattern!r}: not a valid POSIX extended regular expression "
                         f"(Google Benchmark's --benchmark_filter): {posix}")
    return compiled
