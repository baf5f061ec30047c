import re
from pathlib import Path

from flynn import machine, results


def _context(fixtures: Path, name: str) -> dict:
    return results.load(fixtures / name).context


def test_identity_is_readable_and_stable(fixtures: Path) -> None:
    # Pinned: a changed id orphans every stored baseline.
    assert machine.identity(_context(fixtures, "ctxsw_real.json")) == "vm-oxide_virtual_turin_like_processor-2c-d44f1566"
    assert machine.identity(_context(fixtures, "ctxsw_small.json")) == "bench_vm_01-amd_epyc_7b13-2c-2a3304a6"


def test_binaries_of_one_machine_share_it(fixtures: Path) -> None:
    assert machine.identity(_context(fixtures, "ctxsw_real.json")) == machine.identity(_context(fixtures, "mimd_real.json"))


def test_build_and_date_do_not_change_the_machine(fixtures: Path) -> None:
    context = _context(fixtures, "ctxsw_real.json")
    rebuilt = {**context, "compiler": "Clang 16", "cxx_flags": "-O2", "date": "2030-01-01", "kernel_release": "7.0"}
    assert machine.identity(rebuilt) == machine.identity(context)
    assert machine.identity({**context, "topology_cores": "4"}) != machine.identity(context)


def test_identity_of_an_empty_context_is_still_a_file_name() -> None:
    assert re.fullmatch(r"host-cpu-xc-[0-9a-f]{8}", machine.identity({}))
    assert machine.identity({"host_name": "a/b", "cpu_model": "  "}).startswith("a_b-cpu-")


def test_mismatch_warnings(fixtures: Path) -> None:
    real, mimd = _context(fixtures, "ctxsw_real.json"), _context(fixtures, "mimd_real.json")
    assert machine.mismatch_warnings(real, mimd) == []
    lines = machine.mismatch_warnings(real, _context(fixtures, "ctxsw_small.json"))
    assert len(lines) == 2
    assert "cpu_model 'Oxide Virtual Turin-like Processor' vs 'AMD EPYC 7B13'" in lines[0]
    assert lines[1] == (
        "warning: BASE and NEW were built differently: build_type 'Release' vs (absent); "
        "library_build_type 'debug' vs 'release'"
    )
