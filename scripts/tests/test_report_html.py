"""report.html in headless Chromium (Debian's chromium), driven over the DevTools protocol on a pipe:
it loads with no console error and no request beyond the page itself and its data: images, the
headline figures are in the page's text, and a screenshot is a real PNG."""

import base64
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flynn import machine, run
from flynn.report import html, model, output, text

CHROMIUM = Path("/usr/bin/chromium")
REFERENCE = Path(__file__).resolve().parents[2] / "results" / "reference-vm-20261125.json"
# Chromium's start, the page's load and a screenshot take a few seconds on 2 vCPUs; past this it hangs.
TIMEOUT_S = 60
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# What a self-contained page may load: itself and what it carries inline.
LOCAL_SCHEMES = ("file:", "data:", "about:")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@dataclass
class Load:
    text: str
    screenshot: bytes
    events: list[dict[str, Any]] = field(default_factory=list)

    def requests(self) -> list[str]:
        return [event["params"]["request"]["url"] for event in self.events
                if event.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (a CSP violation is one)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found


class DevTools:
    """The DevTools protocol over --remote-debugging-pipe: JSON messages ended by NUL, Chromium
    reading fd 3 and writing fd 4. Every read is bounded by one deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        to_chromium, self._commands = os.pipe()
        self._replies, from_chromium = os.pipe()
        # Above 3 and 4, so that the child's dup2 onto them never meets itself (dup2(3, 3) would
        # leave close-on-exec set).
        keep = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (to_chromium, from_chromium)]
        os.close(to_chromium)
        os.close(from_chromium)
        self.profile = tempfile.mkdtemp(prefix="flynn-chromium-")

        def wire() -> None:
            os.dup2(keep[0], 3)
            os.dup2(keep[1], 4)

        self.process = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            # fds 3 and 4 must stay open in the child, so only the close-on-exec flag closes the others.
            close_fds=False, preexec_fn=wire, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        for fd in keep:
            os.close(fd)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self.until(lambda event: event.get("id") == message["id"])
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def until(self, wanted: Any) -> dict[str, Any]:
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                event = json.loads(raw)
                if "method" in event:
                    self.events.append(event)
                if wanted(event):
                    return event
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"chromium gave no answer within {TIMEOUT_S} s")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise AssertionError("chromium closed the DevTools pipe (it exited)")
                self._buffer += chunk

    def close(self) -> None:
        try:
            os.write(self._commands, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # Its own process group (start_new_session): the renderer and GPU helpers go with it.
            os.killpg(self.process.pid, 9)
            self.process.wait()
        for fd in (self._commands, self._replies):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


def load(page: Path, width: int = 1280, height: int = 2400) -> Load:
    """Opens the page in a fresh headless Chromium and returns its text, a screenshot and every event."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (scripts/packages.txt) to check the page")
    tools = DevTools(time.monotonic() + TIMEOUT_S)
    try:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            tools.send(f"{domain}.enable", session=session)
        tools.send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        tools.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        tools.until(lambda event: event.get("method") == "Page.loadEventFired" and event.get("sessionId") == session)
        page_text = tools.send("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                               session=session)["result"]["value"]
        shot = tools.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        return Load(page_text, base64.b64decode(shot), list(tools.events))
    finally:
        tools.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, model.Report]]:
    out = tmp_path_factory.mktemp("report")
    report = model.assemble([REFERENCE])
    output.write(report, out, ["html"])
    yield out / "report.html", report


def test_page_has_no_script_and_fetches_nothing_by_its_markup(reference_report: tuple[Path, model.Report]) -> None:
    page = reference_report[0].read_text()
    assert "<script" not in page.lower()
    assert f'<meta http-equiv="Content-Security-Policy" content="{html.CSP}">'.replace("'", "&#39;") in page
    assert html.CSP == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    # every src and href is a data: image or an anchor in the page
    for attribute in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", page):
        assert attribute.startswith(("data:image/png;base64,", "#")), attribute[:80]
    assert not re.search(r"@import|url\(", page)


def test_page_loads_in_chromium_without_error_or_request(reference_report: tuple[Path, model.Report]) -> None:
    page, report = reference_report
    loaded = load(page)
    assert loaded.errors() == []
    outside = [url for url in loaded.requests() if not url.startswith(LOCAL_SCHEMES)]
    assert outside == []
    assert page.resolve().as_uri() in loaded.requests()
    # the headline figures, as the reader sees them
    headline = report.headline_rows()
    assert headline
    for row in headline:
        finding = row.first
        assert finding.label in loaded.text
        assert text.quantity(finding.value, finding.unit) in loaded.text
    assert "Oxide Virtual Turin-like Processor" in loaded.text
    width, height = png_size(loaded.screenshot)
    assert (width, height) == (1280, 2400)
    assert len(loaded.screenshot) > 50_000  # a blank page of that size compresses to a few KB


def test_the_check_sees_a_fetch_and_an_error(tmp_path: Path) -> None:
    """The checks above can fail: a page that fetches and one whose policy blocks a fetch."""
    fetching = tmp_path / "fetching.html"
    fetching.write_text('<!doctype html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    loaded = load(fetching, 400, 300)
    assert "http://127.0.0.1:9/x.png" in loaded.requests()
    blocked = tmp_path / "blocked.html"
    blocked.write_text(f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{html.CSP}">'
                       '</head><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    loaded = load(blocked, 400, 300)
    # Chromium announces the request, then its policy stops it before anything leaves.
    assert "http://127.0.0.1:9/x.png" in loaded.requests()
    assert any(event.get("method") == "Network.loadingFailed" and event["params"].get("blockedReason") == "csp"
               for event in loaded.events)
    assert any("violates the following Content Security Policy" in error for error in loaded.errors())


def test_a_page_for_bad_input_loads_too(fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setattr(machine, "BASELINES_DIR", tmp_path / "baselines")
    report = model.assemble([fixtures / "not_benchmark.json"])
    output.write(report, tmp_path, ["html"])
    loaded = load(tmp_path / "report.html", 1000, 800)
    assert loaded.errors() == []
    assert "What could not be read" in loaded.text and "not a Google Benchmark result" in loaded.text


def test_without_chromium_the_checks_skip_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.skip.Exception, match="no-chromium not found: install Debian's chromium"):
        load(tmp_path / "page.html")
