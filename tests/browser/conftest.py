"""A real server (uvicorn, in a thread, on a free local port) against the test database that
tests/conftest.py prepared, and Debian's chromium driven by playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


# One server and one chromium per test process, even when another folder's conftest re-exports
# these fixtures (pytest then holds two session fixtures; playwright's sync API allows one).
_shared: dict[str, Any] = {}


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    if "base" in _shared:
        yield _shared["base"]
        return
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    _shared["base"] = f"http://127.0.0.1:{port}"
    try:
        yield _shared["base"]
    finally:
        del _shared["base"]
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if "browser" in _shared:
        yield _shared["browser"]
        return
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (Debian chromium + fonts-noto-cjk)")
    pw = sync_playwright().start()
    try:
        _shared["browser"] = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield _shared["browser"]
        _shared.pop("browser").close()
    finally:
        _shared.pop("browser", None)
        pw.stop()


@dataclass
class Watched:
    """A fresh browser tab that remembers console errors, failed requests and foreign hosts."""

    page: Any
    base: str
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        from yiwang.core.security import limiter

        limiter.reset()  # the server runs in this process: its per-ip login limit is shared
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("form.login button[type=submit]")
        assert self.page.url == self.base + "/", f"login as {username} ended on {self.page.url}"

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def assert_clean(self) -> None:
        assert not self.console_errors, self.console_errors
        assert not self.failed, self.failed
        assert not self.foreign, self.foreign


@pytest.fixture
def tab(browser: Any, live_server: str) -> Iterator[Watched]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    watched = Watched(page, live_server)
    page.on("console", lambda m: watched.console_errors.append(f"{m.text} at {m.location.get('url', '')}")
            if m.type == "error" else None)  # fmt: skip
    page.on("pageerror", lambda e: watched.console_errors.append(f"uncaught: {e}"))

    def on_failed(r: Any) -> None:
        if r.url.endswith(("/favicon.svg", "/notifications/bell")) and r.failure == "net::ERR_ABORTED":
            return  # the tab icon and the bell's count are fetched after load: the next navigation may cancel them
        watched.failed.append(f"{r.url} {r.failure}")

    page.on("requestfailed", on_failed)

    def on_request(r: Any) -> None:
        host = urlsplit(r.url).hostname
        if host and host not in LOCAL_HOSTS:
            watched.foreign.append(r.url)

    page.on("request", on_request)
    yield watched
    context.close()
