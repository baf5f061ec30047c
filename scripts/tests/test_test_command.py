import pytest

from flynn import build, test_command
from flynn.errors import FlynnError


def test_pytest_runs_even_when_ctest_fails(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    calls = []
    monkeypatch.setattr(build, "build", lambda options=(): calls.append(["build", *options]))
    monkeypatch.setattr(build, "call", lambda command: calls.append(command) or (8 if command[0] == "ctest" else 0))
    assert test_command.main([]) == 1
    assert calls[0] == ["build", "-DFLYNN_TESTS=ON"]
    assert [command[0] for command in calls[1:]] == ["ctest", test_command.SYSTEM_PYTHON]
    assert capsys.readouterr().err.splitlines() == [
        "build: passed", "ctest: FAILED (exit status 8)", "pytest: passed"
    ]


def test_failed_build_still_runs_pytest(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def broken(options: object = ()) -> None:
        raise FlynnError("`cmake --build build` failed with exit status 2")

    monkeypatch.setattr(build, "build", broken)
    monkeypatch.setattr(build, "call", lambda command: 0)
    assert test_command.main([]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "build: FAILED: `cmake --build build` failed with exit status 2",
        "ctest: not run (build failed)",
        "pytest: passed",
    ]


def test_all_green_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "build", lambda options=(): None)
    monkeypatch.setattr(build, "call", lambda command: 0)
    assert test_command.main([]) == 0
