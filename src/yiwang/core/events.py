"""Events: one outbox of CloudEvents 1.0 for the whole product.

A context tells the others what happened with `emit(session, type, subject, data)`: the event
is a row of `event_outbox`, written in the caller's transaction, so it exists exactly when the
change does. After the commit the dispatcher (`core.events_dispatch`) hands it to the
in-process subscribers that contexts registered with `subscribe`; each subscriber remembers
the events it handled (`event_handled`), so delivering one again (a sweep after a crash, an
operator's replay) has no second effect. With `YIWANG_NATS_URL` set, every event is also
published to NATS JetStream (`core.events_nats`) and marked published only after the
server's acknowledgement.

Every type is declared with `define(type, summary, DataModel)`: `emit` refuses an undeclared
type or data that does not fit its model, and docs/events.md lists them all.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow
from yiwang.settings import get_settings

SPECVERSION = "1.0"
SOURCE_PREFIX = "/yiwang/"
_PENDING_KEY = "yiwang.events"  # session.info: outbox ids written in the current transaction
_COMMITTED_KEY = "yiwang.events.committed"  # ... and committed, to dispatch once it has ended

_BIG = BigInteger().with_variant(Integer, "sqlite")
_TO_DISPATCH = "dispatch_pending"
_TO_PUBLISH = "nats_pending"


class OutboxEvent(Base):
    """One event, as CloudEvents attributes plus its delivery state."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        # Work lists, each holding only the rows still to do: the sweep never scans the log.
        Index("ix_event_outbox_to_dispatch", "id", postgresql_where=text(_TO_DISPATCH),
              sqlite_where=text(_TO_DISPATCH)),
        Index("ix_event_outbox_to_publish", "id", postgresql_where=text(_TO_PUBLISH),
              sqlite_where=text(_TO_PUBLISH)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)  # the outbox order (CloudEvents `sequence`)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(120), index=True)
    source: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(160))
    time: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    dispatch_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatch_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispatch_error: Mapped[str | None] = mapped_column(Text)
    nats_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    publish_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventHandled(Base):
    """A subscriber handled an event: written in the subscriber's own transaction, so a
    replayed event finds it and has no second effect."""

    __tablename__ = "event_handled"

    consumer: Mapped[str] = mapped_column(String(80), primary_key=True)
    event_seq: Mapped[int] = mapped_column(_BIG, primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Event:
    """An event as subscribers see it."""

    seq: int
    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]

    def cloudevent(self, outward: bool = False) -> dict[str, Any]:
        """The CloudEvents 1.0 JSON form (structured mode), `sequence` extension included.
        `outward`: as it leaves the process (NATS), without its type's private fields."""
        data = (
            withheld(self.data, _TYPES[self.type].private) if outward and self.type in _TYPES else self.data
        )
        return {
            "specversion": SPECVERSION, "id": self.id, "source": self.source, "type": self.type,
            "subject": self.subject, "time": self.time.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json", "sequence": str(self.seq), "data": data,
        }  # fmt: skip

    @classmethod
    def of(cls, row: OutboxEvent) -> Event:
        return cls(row.id, row.event_id, row.type, row.source, row.subject, row.time, row.data)


# --- types ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventType:
    name: str
    summary: str  # Chinese: what happened
    data: type[BaseModel]
    private: tuple[str, ...] = ()  # fields that stay in the process (`a.b`, `a.*.b`): not to NATS


_TYPES: dict[str, EventType] = {}


def define(type_: str, summary: str, data: type[BaseModel], private: tuple[str, ...] = ()) -> str:
    """Declare an event type `yiwang.<context>.<entity>.<verb>` and the schema of its data.
    `private` names the fields (free text, names of people, account ids) that in-process
    subscribers get but that never leave the process: other systems read the rest over NATS."""
    parts = type_.split(".")
    if len(parts) != 4 or parts[0] != "yiwang" or not all(parts):
        raise ValueError(f"event type must be yiwang.<context>.<entity>.<verb>: {type_}")
    known = _TYPES.get(type_)
    if known is not None and known.data is not data:
        raise RuntimeError(f"event type {type_} declared twice")
    _TYPES[type_] = EventType(type_, summary, data, private)
    return type_


def withheld(data: Any, paths: tuple[str, ...]) -> Any:
    """A copy of `data` without the fields `paths` name (`*` for every key of a mapping)."""
    if not paths or not isinstance(data, dict):
        return data
    here = {p.split(".", 1)[0] for p in paths if "." not in p}
    deeper: dict[str, list[str]] = {}
    for p in paths:
        if "." in p:
            head, rest = p.split(".", 1)
            deeper.setdefault(head, []).append(rest)
    out = {}
    for key, value in data.items():
        if key in here:
            continue
        inner = tuple(deeper.get(key, []) + deeper.get("*", []))
        out[key] = withheld(value, inner) if inner else value
    return out


def types() -> list[EventType]:
    return sorted(_TYPES.values(), key=lambda t: t.name)


def type_of(type_: str) -> EventType:
    try:
        return _TYPES[type_]
    except KeyError:
        raise RuntimeError(f"undeclared event type {type_}") from None


# --- emitting ---------------------------------------------------------------------------------


def emit(session: Session, type_: str, subject: str, data: BaseModel | dict[str, Any]) -> Event:
    """Add an event to the outbox in the caller's transaction; it is delivered after commit."""
    declared = type_of(type_)
    model = data if isinstance(data, declared.data) else declared.data.model_validate(data)
    row = OutboxEvent(
        event_id=str(uuid.uuid4()), type=type_, source=SOURCE_PREFIX + type_.split(".")[1], subject=subject,
        time=utcnow(), data=model.model_dump(mode="json"), dispatch_pending=True,
        nats_pending=bool(get_settings().nats_url),
    )  # fmt: skip
    from yiwang.core import events_repository as repo

    repo.add(session, row)
    session.info.setdefault(_PENDING_KEY, []).append(row.id)
    return Event.of(row)


def take_committed(session: Session) -> list[int]:
    """The outbox ids the session's transaction wrote (the dispatcher calls it after commit)."""
    return session.info.pop(_PENDING_KEY, None) or []


def forget_uncommitted(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# --- subscribers ------------------------------------------------------------------------------

Handler = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str  # the consumer's name in event_handled: never rename one that has run
    patterns: tuple[str, ...]  # fnmatch patterns of event types, e.g. "yiwang.exchange.request.*"
    handler: Handler
    only: Callable[[str], bool] | None = None  # a finer choice among the types the patterns match

    def wants(self, type_: str) -> bool:
        if not any(fnmatch.fnmatchcase(type_, p) for p in self.patterns):
            return False
        return self.only is None or self.only(type_)


_SUBSCRIBERS: dict[str, Subscriber] = {}
_complete = False  # every context's subscribers are registered in this process


def declare_complete() -> None:
    """The entry point loaded every context (`yiwang.contexts.load`): events may be marked
    dispatched here, every subscriber that wants them having had them."""
    global _complete
    _complete = True


def complete() -> bool:
    return _complete


def subscribe(
    name: str, patterns: str | tuple[str, ...], handler: Handler, only: Callable[[str], bool] | None = None
) -> Subscriber:
    """Register an in-process subscriber (at import time of the context that owns it). The
    handler runs in a transaction of its own, once per event: it must only flush. `only`
    narrows the types the patterns match (it is asked at dispatch, when every type is declared)."""
    sub = Subscriber(name, (patterns,) if isinstance(patterns, str) else tuple(patterns), handler, only)
    known = _SUBSCRIBERS.get(name)
    if known is not None and known.handler is not handler:
        raise RuntimeError(f"two subscribers named {name}")
    _SUBSCRIBERS[name] = sub
    return sub


def unsubscribe(name: str) -> None:
    _SUBSCRIBERS.pop(name, None)


def subscribers() -> list[Subscriber]:
    return list(_SUBSCRIBERS.values())


def subscribers_of(type_: str) -> list[Subscriber]:
    return [s for s in _SUBSCRIBERS.values() if s.wants(type_)]


# --- after commit -----------------------------------------------------------------------------


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    committed = take_committed(session)
    if committed:
        session.info.setdefault(_COMMITTED_KEY, []).extend(committed)


@sa_event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    # Dispatch once the transaction has ended and its connection is back in the pool: an
    # inline dispatch opens sessions of its own, and holding two connections per committing
    # thread exhausts the pool under concurrent commits.
    if transaction.parent is None and transaction.nested is False:
        seqs = session.info.pop(_COMMITTED_KEY, None)
        if seqs:
            from yiwang.core import events_dispatch

            events_dispatch.committed(seqs)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    forget_uncommitted(session)
