"""Notifications: one interface over three channels, in-app, email (SMTP) and SMS (a gateway).

A context never notifies inline in an action: it subscribes to its own events and, in the
handler, calls `send(session, recipients, template_key, context, channels=..., link=...)`.
That writes, in the handler's transaction, one `notification` row per recipient (the message
as rendered, what the person sees in the app) and one `notification_delivery` row per
recipient and channel. The outbox's handled marks make it exactly once per event: a replayed
event finds its mark and sends nothing again.

In-app deliveries are done at once. Email and SMS deliveries wait for the `notify.deliver`
job (`core.notify_delivery`), which sends them with no transaction open and retries failures
with exponential backoff up to `YIWANG_NOTIFY_MAX_ATTEMPTS`, then marks them failed; the
administrator sees failed and retrying deliveries and may send them again (`retry`).

Templates are Chinese, owned and registered at import by the context whose event they belong
to: `template("exchange.request_approved", "共享申请已通过", "{{ resource }}……")`. Core knows
no accounts: recipients come already resolved (`identity.recipients_by_usernames`, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow
from yiwang.core.errors import Conflict, NotFound
from yiwang.settings import get_settings

_BIG = BigInteger().with_variant(Integer, "sqlite")

IN_APP, EMAIL, SMS = "in_app", "email", "sms"
CHANNELS = (IN_APP, EMAIL, SMS)
CHANNEL_ZH = {IN_APP: "站内", EMAIL: "邮件", SMS: "短信"}
STATUS_ZH = {
    "pending": "待发送", "sending": "发送中", "sent": "已送达", "failed": "发送失败", "skipped": "未发送",
}  # fmt: skip

# The conditions of the partial indexes, also written into the queries word for word: SQLite
# uses a partial index only when the query's WHERE has its condition's terms (`in_app = 1`, as
# SQLAlchemy writes a boolean for SQLite, does not match `in_app`; nor does `IN (?, ?)`).
UNREAD_SQL = "read_at IS NULL AND in_app"
OPEN_SQL = "status IN ('pending', 'sending')"
FAILED_SQL = "status = 'failed'"


class Notification(Base):
    """One message to one person, as rendered when it was sent."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_id_id", "user_id", "id"),  # my list, newest first
        # The bell on every page: a count of this index's entries for one person, nothing else.
        Index("ix_notification_unread", "user_id", postgresql_where=text(UNREAD_SQL), sqlite_where=text(UNREAD_SQL)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)  # user_account.id (identity's table: no foreign key)
    recipient_name: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sms_text: Mapped[str | None] = mapped_column(Text)  # the template's shorter SMS wording, if any
    link: Mapped[str | None] = mapped_column(String(300))
    in_app: Mapped[bool] = mapped_column(Boolean)  # shown as unread in the app until read
    event_seq: Mapped[int | None] = mapped_column(BigInteger)  # the outbox event it answers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationDelivery(Base):
    """One message on one channel: its address, state, attempts and last error."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        # The delivery job's work list and the retrying ones on the administrator's page.
        Index("ix_notification_delivery_open", "next_attempt_at", postgresql_where=text(OPEN_SQL),
              sqlite_where=text(OPEN_SQL)),
        Index("ix_notification_delivery_failed", "id", postgresql_where=text(FAILED_SQL), sqlite_where=text(FAILED_SQL)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # in_app | email | sms
    address: Mapped[str | None] = mapped_column(String(254))  # email address or mobile number
    status: Mapped[str] = mapped_column(String(10))  # pending | sending | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # in this round (an admin's retry resets)
    claims: Mapped[int] = mapped_column(Integer, default=0)  # every claim ever: the fence of an outcome
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(200))  # Message-ID, SMS gateway's id
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SendFailed(Exception):
    """A channel could not deliver. `permanent`: trying again cannot help (an address refused,
    no server configured), so the delivery fails at once instead of backing off."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


# --- recipients and templates -------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A person to notify, resolved by the identity context (`identity.recipients_by_*`)."""

    user_id: int
    name: str
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class Template:
    key: str
    title: str  # Jinja2 source (sandboxed, undefined names fail): the email subject, the list's title
    body: str
    sms: str | None  # a shorter text for SMS; the title and body when None


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_TEMPLATES: dict[str, Template] = {}


def template(key: str, title: str, body: str, sms: str | None = None) -> Template:
    """Register a message template (at import time of the context that owns the event). The
    context names are the `context` given to `send`, plus `name`, the recipient's name."""
    for source in (title, body, sms or ""):
        _env.parse(source)  # a syntax error fails at import, not at the first event
    known = _TEMPLATES.get(key)
    tpl = Template(key, title, body, sms)
    if known is not None and known != tpl:
        raise RuntimeError(f"two notification templates named {key}")
    _TEMPLATES[key] = tpl
    return tpl


def templates() -> list[Template]:
    return sorted(_TEMPLATES.values(), key=lambda t: t.key)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str | None


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    """A template's source compiled once per process (compiling is ~8 ms, rendering ~0.1 ms)."""
    return _env.from_string(source)


def render(key: str, context: dict[str, Any]) -> Rendered:
    try:
        tpl = _TEMPLATES[key]
    except KeyError:
        raise RuntimeError(f"unknown notification template {key}") from None
    try:
        title, body = (_compiled(s).render(context).strip() for s in (tpl.title, tpl.body))
        sms = _compiled(tpl.sms).render(context).strip() if tpl.sms else None
    except TemplateError as exc:
        raise RuntimeError(f"notification template {key}: {exc}") from exc
    return Rendered(" ".join(title.split())[:200], body, sms)


# --- sending --------------------------------------------------------------------------------------


def send(
    session: Session,
    recipients: Iterable[Recipient],
    template_key: str,
    context: dict[str, Any],
    *,
    channels: Sequence[str] = (IN_APP,),
    link: str | None = None,
    event_seq: int | None = None,
) -> list[Notification]:
    """Write the message for each recipient (once per person) and its deliveries, in the
    caller's transaction (a subscriber's handler: it only flushes). A channel the person has no
    address for is recorded as not sent, with why. Email and SMS go out by the delivery job."""
    from yiwang.core import notify_repository as repo

    wanted = [c for c in CHANNELS if c in channels]
    if not wanted or set(channels) - set(CHANNELS):
        raise ValueError(f"channels must be some of {CHANNELS}: {channels}")
    if link is not None and not (link.startswith("/") and not link.startswith("//")):
        raise ValueError(f"a notification links to a page of this site: {link}")
    now = utcnow()
    people = list({r.user_id: r for r in recipients}.values())
    messages = []
    for r in people:
        shown = render(template_key, {**context, "name": r.name})
        messages.append(Notification(
            user_id=r.user_id, recipient_name=r.name[:100], template=template_key, title=shown.title,
            body=shown.body, sms_text=shown.sms, link=link, in_app=IN_APP in wanted, event_seq=event_seq,
            created_at=now,
        ))  # fmt: skip
    repo.add_all(session, messages)
    repo.add_all(session, [_delivery(m.id, r, c, now) for m, r in zip(messages, people, strict=True)
                           for c in wanted])  # fmt: skip
    return messages


_NO_ADDRESS = {EMAIL: "收件人未登记电子邮箱", SMS: "收件人未登记手机号码"}


def _delivery(notification_id: int, r: Recipient, channel: str, now: datetime) -> NotificationDelivery:
    if channel == IN_APP:
        return NotificationDelivery(notification_id=notification_id, channel=channel, status="sent",
                                    attempts=0, claims=0, sent_at=now)  # fmt: skip
    address = r.email if channel == EMAIL else r.mobile
    if not address:
        return NotificationDelivery(notification_id=notification_id, channel=channel, status="skipped",
                                    attempts=0, claims=0, last_error=_NO_ADDRESS[channel])  # fmt: skip
    if channel == EMAIL and not get_settings().smtp_host:  # a laptop's demo: recorded, not a failure
        return NotificationDelivery(notification_id=notification_id, channel=channel, address=address,
                                    status="skipped", attempts=0, claims=0,
                                    last_error="本平台未开通邮件通知，未发送")  # fmt: skip
    return NotificationDelivery(notification_id=notification_id, channel=channel, address=address,
                                status="pending", attempts=0, claims=0, next_attempt_at=now)  # fmt: skip


# --- reading and marking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A message as its person sees it: the text and every channel's delivery state."""

    notification: Notification
    deliveries: list[NotificationDelivery]

    @property
    def unread(self) -> bool:
        return self.notification.in_app and self.notification.read_at is None


def messages_for(session: Session, user_id: int, before_id: int = 0, limit: int = 20) -> list[Message]:
    """A person's messages, newest first; `before_id` (an id of the previous page) pages on."""
    from yiwang.core import notify_repository as repo

    rows = repo.for_user(session, user_id, before_id, limit)
    by_message = repo.deliveries_of(session, [n.id for n in rows])
    return [Message(n, by_message.get(n.id, [])) for n in rows]


def message(session: Session, notification_id: int) -> Notification | None:
    from yiwang.core import notify_repository as repo

    return repo.notification(session, notification_id)


def unread_count(session: Session, user_id: int) -> int:
    from yiwang.core import notify_repository as repo

    return repo.unread_count(session, user_id)


def with_deliveries(session: Session, notification: Notification) -> Message:
    from yiwang.core import notify_repository as repo

    return Message(notification, repo.deliveries_of(session, [notification.id]).get(notification.id, []))


def mark_read(session: Session, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()


def mark_all_read(session: Session, user_id: int) -> int:
    from yiwang.core import notify_repository as repo

    return repo.mark_all_read(session, user_id, utcnow())


@dataclass(frozen=True)
class Trouble:
    """A delivery that failed or is being retried, for the administrator."""

    delivery: NotificationDelivery
    notification: Notification


def troubles(session: Session, before_id: int = 0, limit: int = 50) -> list[Trouble]:
    """Failed deliveries and those waiting for a retry, newest first."""
    from yiwang.core import notify_repository as repo

    return [Trouble(d, n) for d, n in repo.troubles(session, before_id, limit)]


def delivery(session: Session, delivery_id: int) -> NotificationDelivery | None:
    from yiwang.core import notify_repository as repo

    return repo.delivery(session, delivery_id)


_NOT_RETRIED = {"sending": "该消息正在发送，请稍后查看结果", "sent": "该消息已送达，无需重试",
                "skipped": "收件人未登记地址，无法重试"}  # fmt: skip


def retry(session: Session, delivery_id: int) -> NotificationDelivery:
    """Send a failed (or retrying) delivery again now, with a fresh round of attempts. One in
    flight is left alone: its worker's outcome comes first."""
    from yiwang.core import notify_repository as repo

    d = repo.delivery_for_update(session, delivery_id)
    if d is None or d.channel == IN_APP:
        raise NotFound("该发送记录不存在")
    if d.status not in ("failed", "pending"):
        raise Conflict(_NOT_RETRIED.get(d.status, "该消息无需重试"))
    if d.status == "failed":
        d.attempts = 0
    d.status, d.next_attempt_at = "pending", utcnow()
    session.flush()
    return d
