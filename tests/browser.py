"""A real browser for the report's tests: headless Chromium driven over the DevTools protocol.

The protocol runs over a pipe (`--remote-debugging-pipe`: the browser reads commands on its fd 3
and answers on fd 4, each message JSON ended by a NUL), so no port is opened and nothing beyond
the standard library is needed to drive it.

`find_browser()` says which browser there is, or why there is none: the tests that need one
are skipped with that reason only where no browser can be had (`.ci/run` installs Debian's
`chromium` when it is missing).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> tuple[str | None, str]:
    """(the browser's path, "") or (None, why there is none)."""
    wanted = os.environ.get("COFACIL_BROWSER")
    if wanted:
        found = shutil.which(wanted)
        return (found, "") if found else (None, f"COFACIL_BROWSER={wanted} is not a program")
    for name in NAMES:
        if found := shutil.which(name):
            return found, ""
    return None, f"no headless browser here ({', '.join(NAMES)}); .ci/run installs chromium"


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless browser; `page()` opens a tab on a file."""

    def __init__(self, program: str) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="cofacil-browser-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def as_fds_3_and_4() -> None:  # in the child, before exec
            read = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        try:
            self.process = self._start(program, as_fds_3_and_4)
        except BaseException:
            for fd in (to_browser_r, self._to_browser, self._from_browser, from_browser_w):
                os.close(fd)
            self._profile.cleanup()
            raise
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _start(self, program: str, child_setup: Callable[[], None]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                program,
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--force-color-profile=srgb",
                "--font-render-hinting=none",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_setup,
            pass_fds=(3, 4),
        )

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive(timeout=60)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise BrowserError("the browser did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError("the browser quit")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        """The next event `method` of the tab `session` (one already received counts)."""
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:  # other events do not extend it
            event = self._receive(timeout=left)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)
        raise BrowserError(f"no {method} within {timeout} s")

    def page(
        self,
        path: Path,
        width: int,
        height: int = 900,
        *,
        mobile: bool = False,
        bypass_csp: bool = False,
    ) -> Page:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Log.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        if bypass_csp:  # the page's escaping alone, without its policy to fall back on
            page.send("Page.setBypassCSP", enabled=True)
        page.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        """The browser asked to quit (killed if it does not), its pipes and profile gone;
        a browser that died already is only reaped."""
        try:
            with contextlib.suppress(BrowserError, OSError):  # OSError: a broken pipe
                self.send("Browser.close")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        finally:
            for fd in (self._to_browser, self._from_browser):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._profile.cleanup()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """A JavaScript expression's value, worked out by the browser's tools (the page's own
        policy forbids scripts; this is the inspector, not the page)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])

    def full_screenshot(self) -> bytes:
        width, height = self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        return self.screenshot({"x": 0, "y": 0, "width": width, "height": height})

    def pdf(self, paper_width: float, paper_height: float) -> bytes:
        """Printed as the user's browser would print it, on paper of this size (inches)."""
        data = self.send(
            "Page.printToPDF",
            paperWidth=paper_width,
            paperHeight=paper_height,
            preferCSSPageSize=False,
            printBackground=False,
        )["data"]
        return base64.b64decode(data)

    def messages(self) -> list[dict[str, Any]]:
        """What the page said to the console or the log so far: a blocked script, a refused
        load, an error (the browser keeps them as events)."""
        kinds = ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")
        return [
            e
            for e in self.browser.events
            if e.get("sessionId") == self.session and e.get("method") in kinds
        ]
