"""Shared by the smoke checks: run a flynn binary briefly and load its JSON."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))


def list_tests(binary: str) -> list[str]:
    out = subprocess.run([binary, "--benchmark_list_tests"], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def run_json(binary: str, *flags: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        subprocess.run([binary, f"--benchmark_out={out}", "--benchmark_out_format=json", *flags],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)


class Failures:
    """Collects every broken property, so one run reports all of them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            self.messages.append(message)

    def exit_code(self) -> int:
        for message in self.messages:
            print(f"FAIL: {message}", file=sys.stderr)
        return 1 if self.messages else 0
