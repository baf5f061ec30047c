from pathlib import Path

from flynn import perf_check, results, summary


def _summary(fixtures: Path, name: str = "ctxsw_small.json") -> str:
    return summary.format_summary(results.load(fixtures / name))


def test_header_names_the_machine(fixtures: Path) -> None:
    text = _summary(fixtures)
    assert text.startswith("# flynn results: bench-vm-01, AMD EPYC 7B13\n")
    assert "warning: runs under a hypervisor (kvm)" in text


def test_tables_per_counter_set(fixtures: Path) -> None:
    text = _summary(fixtures)
    assert "## ctxsw" in text
    assert (
        "| benchmark | reps | ns_per_switch | involuntary_switches_per_op | voluntary_switches_per_op"
        " | spread of ns_per_switch |"
    ) in text
    assert "| benchmark | reps | ns_per_handoff | involuntary_switches_per_op |" in text
    assert "| benchmark | reps | work_units_per_second_per_thread | involuntary_switches_per_second |" in text
    assert "| ctxsw/pipe/processes/placement:same_cpu/bytes:0/real_time | 3 | 2,480 | 0 | 1 | 3.5% |" in text


def test_skipped_benchmarks_are_listed_with_their_reason(fixtures: Path) -> None:
    text = _summary(fixtures)
    assert "skipped (6):" in text
    assert "- ctxsw/futex/threads/placement:smt/bytes:0/real_time: no SMT siblings: every core has 1 PU" in text
    assert "| ctxsw/futex/threads/placement:smt" not in text


def test_real_errors_are_listed_apart(tmp_path: Path) -> None:
    document = {
        "context": {"host_name": "h"},
        "benchmarks": [
            {"name": "ctxsw/futex/threads/placement:same_cpu/bytes:0/real_time", "run_type": "iteration",
             "error_occurred": True, "error_message": "futex wait: EINVAL"},
        ],
    }
    text = summary.format_summary(results.from_document(tmp_path / "x.json", document))
    assert "errors (1):\n- ctxsw/futex/threads/placement:same_cpu/bytes:0/real_time: futex wait: EINVAL" in text
    assert "skipped" not in text


def test_runs_without_counters_show_real_time(fixtures: Path, tmp_path: Path) -> None:
    document = {
        "context": {},
        "benchmarks": [
            {"name": "mimd/sum/openmp", "run_type": "iteration", "real_time": 1.5, "time_unit": "us"},
        ],
    }
    text = summary.format_summary(results.from_document(tmp_path / "x.json", document))
    assert "| benchmark | reps | real_time_ns | spread of real_time_ns |" in text
    assert "| mimd/sum/openmp | 1 | 1,500 | - |" in text


def test_perf_cross_check_is_reported(fixtures: Path) -> None:
    result = results.load(fixtures / "ctxsw_small.json")
    result.context[perf_check.CONTEXT_KEY] = "2300.0"
    text = summary.format_summary(result)
    assert "perf bench sched pipe: 2300 ns/switch" in text
    assert "ratio flynn/perf 1.08: agree within 15%" in text


def test_text_from_the_file_is_escaped_for_the_terminal_and_markdown(tmp_path: Path) -> None:
    from flynn import textsafe

    assert textsafe.terminal("a\x1b[2Jb\r\n\u202e\x9b") == "a\\x1b[2Jb\\r\\n\\u202e\\x9b"
    assert textsafe.cell("a|b\n") == "a\\|b\\n"
    document = {
        "context": {"host_name": "evil\x1b]0;pwned\x07", "cpu_model": "cpu\nline"},
        "benchmarks": [
            {"name": "a/b/c", "run_type": "iteration", "real_time": 5.0, "time_unit": "ns", "ns_per_op": 5.0},
            {"name": "a/x/y", "run_type": "iteration", "error_occurred": True, "error_message": "bad\n| injected"},
        ],
    }
    text = summary.format_summary(results.from_document(tmp_path / "x.json", document))
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[0] == "# flynn results: evil\\x1b]0;pwned\\x07, cpu\\nline"
    assert "| a/b/c | 1 | 5 | - |" in text.splitlines()
    assert "- a/x/y: bad\\n| injected" in text.splitlines()


def test_perf_counts_never_become_the_primary_counter(tmp_path: Path) -> None:
    """A row without an ns_per_ or rate figure keeps its own first counter (mimd/schedule's
    load_imbalance), not a perf count that sorts before it."""
    row = {"name": "mimd/schedule/static/cost:random/chunk:1/threads:2/real_time", "run_type": "iteration",
           "real_time": 1.0, "time_unit": "ms", "context_switches_per_region": 8.0,
           "cpu_migrations_per_region": 0.0, "load_imbalance": 1.3, "omp_threads": 2.0}
    run = results.runs(results.from_document(tmp_path / "x.json", {"context": {}, "benchmarks": [row]}))[0]
    assert summary.primary_counter(run) == "load_imbalance"
    counts_only = {"name": "x/y/z", "run_type": "iteration", "real_time": 1.0, "time_unit": "ms", "ipc": 1.5}
    run = results.runs(results.from_document(tmp_path / "y.json", {"context": {}, "benchmarks": [counts_only]}))[0]
    assert summary.primary_counter(run) == "ipc"
