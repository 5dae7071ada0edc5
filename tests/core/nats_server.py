"""A real `nats-server` with JetStream for tests: on a free port, with a store directory of its
own, stopped and started again on the same port and store (a restart keeps the streams).

`make test` installs Debian's nats-server (`make nats-deps`); the tests fail without it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

BINARY = shutil.which("nats-server") or "/usr/sbin/nats-server"


def run_async(coroutine: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to its end on a loop of its own, in a thread of its own: the browser
    tests' playwright keeps an event loop running in the main thread of the same worker."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine())).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NatsServer:
    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> NatsServer:
        assert Path(BINARY).exists(), "nats-server is not installed: run `make nats-deps`"
        self._proc = subprocess.Popen(
            [BINARY, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        run_async(self._until_jetstream_answers)
        return self

    async def _until_jetstream_answers(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                nc = await nats.connect(self.url, allow_reconnect=False, connect_timeout=1)
                try:
                    await nc.jetstream().account_info()
                    return
                finally:
                    await nc.close()
            except Exception:
                assert self._proc is not None and self._proc.poll() is None, "nats-server exited"
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def serve(store: Path) -> Iterator[NatsServer]:
    """The body of a fixture: a started server, stopped afterwards."""
    server = NatsServer(store).start()
    try:
        yield server
    finally:
        server.stop()


def read_stream(url: str, stream: str) -> list[Any]:
    """Every message of the stream from the first, through a JetStream consumer of the test's own
    (an ephemeral pull consumer)."""

    async def read() -> list[Any]:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            js = nc.jetstream()
            total = (await js.stream_info(stream)).state.messages
            sub = await js.pull_subscribe(
                "yiwang.>", stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
            )
            got: list[Any] = []
            while len(got) < total:
                for msg in await sub.fetch(total - len(got), timeout=5):
                    await msg.ack()
                    got.append(msg)
            return got
        finally:
            await nc.close()

    return run_async(read)
