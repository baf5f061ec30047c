import pytest

from flynn import names
from flynn.errors import FlynnError


def test_switch_name() -> None:
    name = names.parse("ctxsw/futex/threads/placement:same_cpu/bytes:65536/real_time")
    assert (name.area, name.kernel, name.variant) == ("ctxsw", "futex", "threads")
    assert name.tokens == ()
    assert name.params == {"placement": "same_cpu", "bytes": "65536"}


def test_alone_and_timeslice_names() -> None:
    assert names.parse("ctxsw/pipe/alone/bytes:0/real_time").params == {"bytes": "0"}
    busy = names.parse("ctxsw/timeslice/busy/threads:16/real_time")
    assert busy.params == {"threads": "16"}


def test_plain_tokens_before_params() -> None:
    name = names.parse("simd/triad/avx2/f32/bytes:4096")
    assert name.tokens == ("f32",)
    assert name.params == {"bytes": "4096"}


@pytest.mark.parametrize(
    ("suffixed", "params"),
    [
        ("simd/triad/avx2/bytes:64/real_time/threads:4", {"bytes": "64", "threads": "4"}),
        ("simd/triad/avx2/bytes:64/min_time:0.010/repeats:3", {"bytes": "64"}),
        ("simd/triad/avx2/bytes:64/iterations:100/manual_time", {"bytes": "64"}),
        ("mimd/sum/openmp/process_time/real_time", {}),
    ],
)
def test_google_benchmark_suffixes_are_stripped(suffixed: str, params: dict[str, str]) -> None:
    assert names.parse(suffixed).params == params


@pytest.mark.parametrize(
    "name",
    [
        "Ctxsw/x/y",
        "a//b",
        "a/b",
        "ctxsw/futex/threads/placement:same-cpu",
        "ctxsw/futex/threads/bytes:0/extra",
        "ctxsw/futex/threads/bytes:0/bytes:1",
        "ctxsw/futex/threads/",
        "BM_SameTimes",
    ],
)
def test_grammar_rejects(name: str) -> None:
    with pytest.raises(FlynnError, match="does not follow|repeats the parameter"):
        names.parse(name)


@pytest.mark.parametrize("name", ["ctxsw/x/y", "a/b/c/d/e:f", "numa/chase/local/bytes:4096/node:0"])
def test_grammar_accepts(name: str) -> None:
    assert names.GRAMMAR.match(name)


def test_every_fixture_name_follows_the_grammar(fixtures) -> None:
    import json

    for row in json.loads((fixtures / "ctxsw_small.json").read_text())["benchmarks"]:
        names.parse(row["run_name"])
