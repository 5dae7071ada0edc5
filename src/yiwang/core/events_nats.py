"""Publishing the outbox to NATS JetStream: every event at least once, stored once by JetStream.

With `YIWANG_NATS_URL` set, `emit` marks every event `nats_pending`, and a relay publishes it on
the subject equal to its type as its CloudEvents JSON (the NATS binding's structured mode,
`Content-Type: application/cloudevents+json`) with `Nats-Msg-Id` = the event's id. The event
leaves the work list only after the server's ack, that is once the stream has stored it.

A serving process runs one relay in a thread of its own with its own asyncio loop (`start`, from
the app's lifespan), woken at once by every commit that wrote events and looking again every
`nats_poll_interval` for events other processes committed; `yiwang events relay` runs one in the
foreground. Any number of relays may run. Each claims a batch of due rows in a short transaction
(their `publish_after` becomes the end of the claim; SKIP LOCKED on PostgreSQL), publishes the
whole batch at once (`publish_async`, then it waits for all the acks), marks the acked events
in one UPDATE and gives the others a retry time with backoff. No transaction stays open while
it waits for NATS, and no row lock is held that the dispatcher's marks would queue behind.

Stored once, within a window. A relay that dies after the acks and before its mark leaves its
claim to run out (`CLAIM_ACK_TIMEOUTS` ack timeouts); the events are then published again with
the same `Nats-Msg-Id`, and JetStream drops a message whose id it stored within the stream's
`duplicate_window` (`nats_duplicate_window`, 2 min by default, set when the relay creates the
stream). A message stored just before NATS went away for longer than the window, with its ack
lost, is stored twice: consumers that must never act twice dedupe on the event `id`, as
CloudEvents asks of them anyway. Order in the stream follows the outbox except around retries;
the `sequence` attribute gives the outbox order.

While NATS cannot be reached the events wait in the outbox: every due batch fails at once
(`publish_attempts` + 1, `publish_after` = now + backoff, `publish_error` says why), and once the
connection and the stream are back every wait is cut short. nats-py reconnects by itself,
forever, every `nats_reconnect_wait`; the relay logs an outage once, and its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import nats
import orjson
from nats.aio.client import Client
from nats.errors import BadSubjectError, MaxPayloadError
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from yiwang.core import events_repository as repo
from yiwang.core import metrics
from yiwang.core.db import transaction, utcnow
from yiwang.core.events import Event
from yiwang.core.events_dispatch import backoff, on_committed
from yiwang.settings import Settings, get_settings

log = logging.getLogger(__name__)

SUBJECTS = "yiwang.>"
CONTENT_TYPE = "application/cloudevents+json"
CLAIM_ACK_TIMEOUTS = 3  # a claim lasts this many ack timeouts (settings keep the window above it)
_ONE_MESSAGE_ERRORS = (MaxPayloadError, BadSubjectError)  # the others of a batch can still go


def message(event: Event) -> tuple[str, bytes, dict[str, str]]:
    """An event's NATS message: subject, payload (CloudEvents JSON) and headers."""
    headers = {"Nats-Msg-Id": event.id, "Content-Type": CONTENT_TYPE}
    return event.type, orjson.dumps(event.cloudevent(outward=True)), headers


def _describe(exc: BaseException | str) -> str:
    return exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}".rstrip(": ")


class _Outage:
    """Logs the first failure of something the relay needs and its recovery, nothing between."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None
        self.last = ""

    def failed(self, exc: BaseException | str) -> None:
        self.last = _describe(exc)
        if self.since is None:
            self.since = time.monotonic()
            log.warning(
                "%s is unavailable (%s); events wait in the outbox and are retried", self.what, self.last
            )

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("%s is available again after %.0f s", self.what, time.monotonic() - self.since)
            self.since = None


@dataclass
class BatchOutcome:
    published: list[int] = field(default_factory=list)  # acked (duplicates included)
    duplicates: int = 0  # acked as already stored
    failed: dict[int, str] = field(default_factory=dict)  # seq -> why


class Relay:
    """Publishes due outbox events to JetStream until stopped (see the module's doc)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.published = 0  # events acked since start, for the CLI's summary and benchmarks
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False
        self._nats_down = _Outage("NATS JetStream")
        self._db_down = _Outage("the database")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread with an asyncio loop of its own (a serving process)."""
        self._thread = threading.Thread(target=self._run_in_thread, name="yiwang-events-nats", daemon=True)
        self._thread.start()

    def _run_in_thread(self) -> None:
        try:
            asyncio.run(self.run())
        except Exception:
            log.exception("the NATS relay stopped on an error")

    def wake(self) -> None:
        """Look for due events now (any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(wake.set)

    def stop(self, timeout: float = 10) -> None:
        """Finish the batch in flight, close the connection and end `run` (any thread)."""
        self._stopping = True
        self.wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    async def run(self) -> None:
        """Publish until `stop()`: the relay thread's body, and `yiwang events relay`'s."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        connecting = asyncio.create_task(self._connect())
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    more = await self.publish_due()
                    self._db_down.recovered()
                except Exception as exc:  # the database is away: the events are still in it
                    self._db_down.failed(exc)
                    more = False
                if not more and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.nats_poll_interval)
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
            if self._nc is not None:
                await self._nc.close()

    # --- connection and stream ----------------------------------------------------------------

    async def _connect(self) -> None:
        s = self.settings
        options: dict[str, Any] = {"reconnect_time_wait": s.nats_reconnect_wait}  # typed int, takes a float
        while self._nc is None:
            try:  # nats-py itself retries an unreachable server forever (max_reconnect_attempts=-1)
                self._nc = await nats.connect(
                    servers=[u.strip() for u in s.nats_url.split(",") if u.strip()], name="yiwang-events-relay",
                    max_reconnect_attempts=-1, error_cb=self._on_error, disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected, **options,
                )  # fmt: skip
            except Exception as exc:  # what it gives up on (a malformed URL, refused credentials)
                self._nats_down.failed(exc)
                await asyncio.sleep(max(s.nats_reconnect_wait, 1.0))
        # One batch in flight at most, so the client's own limit of unacked publishes never stalls.
        self._js = self._nc.jetstream(timeout=s.nats_ack_timeout, publish_async_max_pending=s.nats_batch)
        self.wake()

    async def _on_error(self, exc: Exception) -> None:
        # Called for the lost connection and then for every failed reconnect while the outage
        # lasts (each nats_reconnect_wait): logged once, with the end of the outage.
        self._nats_down.failed(exc)

    async def _on_disconnected(self) -> None:
        self._stream_ready = False
        if not self._stopping:
            self._nats_down.failed("disconnected")

    async def _on_reconnected(self) -> None:
        self.wake()  # the stream is checked again (a restarted server may have lost it), then publish

    async def _ready(self) -> bool:
        """Connected, and the stream is there (made if it is missing)."""
        if self._js is None or not self.connected:
            return False
        if self._stream_ready:
            return True
        try:
            await self._ensure_stream(self._js)
        except Exception as exc:
            self._nats_down.failed(exc)
            return False
        self._stream_ready = True
        self._nats_down.recovered()
        with transaction() as session:
            released = repo.release_publish_waits(session, utcnow())
        if released:
            log.info("NATS reachable: %d events waiting out a failed publish are due now", released)
        return True

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        s = self.settings
        try:
            info = await js.stream_info(s.nats_stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(
                name=s.nats_stream, subjects=[SUBJECTS], storage=StorageType.FILE,
                duplicate_window=s.nats_duplicate_window, max_age=s.nats_max_age_days * 86400,
                description="yiwang events as CloudEvents JSON, subject = event type",
            ))  # fmt: skip
            log.info("created JetStream stream %s (%s)", s.nats_stream, SUBJECTS)
            return
        config = info.config
        if abs((config.duplicate_window or 0) - s.nats_duplicate_window) > 0.001:
            log.warning("stream %s drops repeated Nats-Msg-Ids within %s s, not the configured %s s "
                        "(left as it is: the stream's configuration is the operator's)",
                        s.nats_stream, config.duplicate_window, s.nats_duplicate_window)  # fmt: skip
        if SUBJECTS not in (config.subjects or []):
            log.warning("stream %s has subjects %s, not %s: events of other types find no stream",
                        s.nats_stream, config.subjects, SUBJECTS)  # fmt: skip

    # --- one batch ----------------------------------------------------------------------------

    async def publish_due(self) -> bool:
        """Claim, publish and mark one batch of due events; True if it was full (more are due)."""
        s = self.settings
        ready = await self._ready()
        if not ready and self._nats_down.since is None:
            return False  # still connecting, nothing known to be wrong: no attempt to count yet
        now = utcnow()
        lease = timedelta(seconds=CLAIM_ACK_TIMEOUTS * s.nats_ack_timeout)
        with transaction() as session:
            claimed = repo.claim_for_publish(session, now, now + lease, s.nats_batch)
        if not claimed:
            return False
        if ready and self._js is not None:
            outcome = await self._publish(self._js, [c.event for c in claimed])
        else:
            why = f"NATS unavailable: {self._nats_down.last or 'not connected yet'}"
            outcome = BatchOutcome(failed={c.event.seq: why for c in claimed})
        self._finish(claimed, outcome)
        return len(claimed) == s.nats_batch

    async def _publish(self, js: JetStreamContext, batch: Sequence[Event]) -> BatchOutcome:
        """All of the batch in flight at once, then its acks (at most `nats_ack_timeout`)."""
        outcome = BatchOutcome()
        sent: list[tuple[int, asyncio.Future[PubAck]]] = []
        for i, event in enumerate(batch):
            subject, payload, headers = message(event)
            try:
                sent.append((event.seq, await js.publish_async(subject, payload, headers=headers)))
            except _ONE_MESSAGE_ERRORS as exc:
                outcome.failed[event.seq] = _describe(exc)
            except Exception as exc:  # the connection is going: the rest waits for its retry
                outcome.failed.update((e.seq, _describe(exc)) for e in batch[i:])
                break
        if sent:
            _done, late = await asyncio.wait([f for _, f in sent], timeout=self.settings.nats_ack_timeout)
            for future in late:
                future.cancel()
        for seq, future in sent:
            if future.cancelled():
                outcome.failed[seq] = f"no ack within {self.settings.nats_ack_timeout} s"
            elif (error := future.exception()) is not None:
                outcome.failed[seq] = _describe(error)
                if isinstance(error, NoStreamResponseError):  # the stream is gone: made again first
                    self._stream_ready = False
            else:
                outcome.published.append(seq)
                outcome.duplicates += bool(future.result().duplicate)
        return outcome

    def _finish(self, claimed: Sequence[repo.Claimed], outcome: BatchOutcome) -> None:
        now = utcnow()
        cap = self.settings.nats_retry_cap
        attempts = {c.event.seq: c.attempts + 1 for c in claimed}
        retries = [(seq, attempts[seq], now + timedelta(seconds=backoff(attempts[seq], cap)), why)
                   for seq, why in outcome.failed.items()]  # fmt: skip
        with transaction() as session:
            repo.mark_published(session, outcome.published, now)
            repo.mark_publish_failed(session, retries)
        self.published += len(outcome.published)
        metrics.EVENTS_PUBLISHED.inc(len(outcome.published))
        metrics.EVENTS_PUBLISH_DUPLICATES.inc(outcome.duplicates)
        metrics.EVENTS_PUBLISH_FAILED.inc(len(outcome.failed))
        if outcome.failed and self.connected:
            self._nats_down.failed(next(iter(outcome.failed.values())))
        elif outcome.published:
            self._nats_down.recovered()


# --- the serving process's relay ------------------------------------------------------------------

_relay: Relay | None = None


def _wake_on_commit(_seqs: Sequence[int]) -> None:
    if _relay is not None:
        _relay.wake()


def _backlog() -> float:
    with transaction() as session:
        return float(repo.publish_backlog(session))


def start() -> Relay:
    """Start this process's relay thread (the app's lifespan, when `nats_url` is set)."""
    global _relay
    if _relay is None:
        _relay = Relay()
        _relay.start()
        on_committed(_wake_on_commit)
        metrics.gauge("yiwang_events_nats_backlog", "events still to publish to NATS JetStream", _backlog)
        metrics.gauge("yiwang_events_nats_connected", "1 while the relay is connected to NATS",
                      lambda: float(_relay is not None and _relay.connected))  # fmt: skip
    return _relay


def stop() -> None:
    global _relay
    if _relay is not None:
        _relay.stop()
        _relay = None
