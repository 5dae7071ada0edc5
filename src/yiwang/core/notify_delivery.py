"""The `notify.deliver` job: email and SMS deliveries, sent with no transaction open.

Claim. A worker claims due deliveries in a short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so concurrent workers split the work): status 'sending', attempts + 1, claims + 1
and `next_attempt_at = now + lease`, then commits. It sends with no transaction open (an SMTP
server or gateway may take seconds; no row lock or SQLite write lock is held meanwhile), and
records the outcome in a new transaction, fenced on the claim number: if the lease ran out
and another worker took the delivery, the late outcome changes nothing. A worker that dies
mid-flight leaves a 'sending' row whose lease runs out, and it is claimed again: delivery is
at least once (an email server that accepted a message but whose answer was lost gets it
twice), never silently lost.

Failures back off exponentially (`events_dispatch.backoff`: 2^n s, capped, jittered) and the
delivery fails after `YIWANG_NOTIFY_MAX_ATTEMPTS`, or at once on a permanent refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import jobs, notify_email, notify_sms
from yiwang.core import notify_repository as repo
from yiwang.core.db import transaction, utcnow
from yiwang.core.events_dispatch import backoff
from yiwang.core.notify import EMAIL, SMS, SendFailed
from yiwang.settings import get_settings

log = logging.getLogger(__name__)

BATCH = 20  # claimed per round, sent by up to POOL threads
POOL = 8


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    claims: int
    attempts: int
    channel: str
    address: str
    name: str
    title: str
    body: str
    sms_text: str | None
    link: str | None


Sender = Callable[[Outgoing], str]  # sends one delivery, returns the provider's id; raises on failure


def send(o: Outgoing) -> str:
    if o.channel == EMAIL:
        return notify_email.send(o.address, o.name, o.title, o.body, o.link)
    if o.channel == SMS:
        return notify_sms.gateway().send(o.address, notify_sms.text_of(o.title, o.body, o.sms_text))
    raise SendFailed(f"未知的发送渠道 {o.channel}", permanent=True)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)  # delivery id -> status after this run

    def count(self, delivery_id: int, status: str) -> None:
        self.outcomes[delivery_id] = status
        attr = {"sent": "sent", "pending": "retrying", "failed": "failed"}.get(status)
        if attr:
            setattr(self, attr, getattr(self, attr) + 1)


def claim(session: Session, now: datetime, limit: int = BATCH) -> tuple[list[Outgoing], DeliveryReport]:
    """Claim due deliveries under a lease (in the caller's transaction, which must commit
    before anything is sent)."""
    s = get_settings()
    report = DeliveryReport()
    out = []
    for d, n in repo.claim_due(session, now, limit):
        report.claimed += 1
        if d.attempts >= s.notify_max_attempts:  # its last attempt's worker died
            d.status, d.last_error = "failed", d.last_error or "最后一次发送未完成（发送进程中断）"
            report.count(d.id, "failed")
            continue
        d.status, d.attempts, d.claims = "sending", d.attempts + 1, d.claims + 1
        d.next_attempt_at = now + timedelta(seconds=s.notify_lease_seconds)
        out.append(Outgoing(d.id, d.claims, d.attempts, d.channel, d.address or "", n.recipient_name, n.title,
                            n.body, n.sms_text, n.link))  # fmt: skip
    session.flush()
    return out, report


def record(o: Outgoing, error: SendFailed | None, provider_id: str | None, at: datetime) -> str:
    """Write one attempt's outcome; 'superseded' when the claim was no longer this worker's."""
    values: dict[str, Any]
    if error is None:
        values = {"status": "sent", "sent_at": at, "provider_id": (provider_id or "")[:200], "last_error": None,
                  "next_attempt_at": None}  # fmt: skip
    elif error.permanent or o.attempts >= get_settings().notify_max_attempts:
        values = {"status": "failed", "last_error": error.reason, "next_attempt_at": None}
    else:
        values = {"status": "pending", "last_error": error.reason,
                  "next_attempt_at": at + timedelta(seconds=backoff(o.attempts))}  # fmt: skip
    with transaction() as session:
        mine = repo.finish(session, o.delivery_id, o.claims, values)
    return str(values["status"]) if mine else "superseded"


def deliver_due(now: datetime | None = None, limit: int = BATCH, sender: Sender = send) -> DeliveryReport:
    """One round: claim due deliveries, send them (no transaction open), record the outcomes.
    `now` lets tests move the clock; by default it is the real time."""
    with transaction() as session:
        outgoing, report = claim(session, now or utcnow(), limit)

    def one(o: Outgoing) -> tuple[int, str]:
        try:
            provider_id, error = sender(o), None
        except SendFailed as exc:
            provider_id, error = None, exc
        except Exception as exc:  # a gateway's own error: temporary
            log.exception("notification delivery %s failed", o.delivery_id)
            provider_id, error = None, SendFailed(f"发送出错（{type(exc).__name__}）：{exc}"[:500])
        try:
            return o.delivery_id, record(o, error, provider_id, now or utcnow())
        except Exception:  # the lease brings the delivery back
            log.exception("notification delivery %s: outcome not recorded", o.delivery_id)
            return o.delivery_id, "sending"

    for delivery_id, status in jobs.in_threads(one, outgoing, POOL, "notify"):
        report.count(delivery_id, status)
    return report


def deliver_all() -> int:
    """The `notify.deliver` job."""
    return jobs.in_rounds(lambda: deliver_due().claimed, BATCH)
