"""Webhook delivery of subscribed changes: the delivery queue worker, signing and verifying.

Queue. A provider's change, its `change_log` row and the event `yiwang.exchange.record.changed`
commit in one transaction (actions_source) on the product's one outbox (`core/events.py`). The
exchange's subscriber of that event (`events.py`, at least once, no duplicate effect) queues one
`delivery` row per matching subscription; a process that dies at any point loses nothing: the
event or the rows are still there for the next dispatcher or worker.

Claim and lease. A worker claims due rows in a short transaction (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so concurrent workers split the work): status 'sending', attempts + 1 and
`next_attempt_at = now + lease`. In the same transaction it builds each payload from the
CURRENT source row through the grant's governed SELECT (granted fields only, masked as
granted, row scope in the WHERE clause) and audits the disclosure per person; then it
commits and POSTs with no transaction open. The outcome is written in a new transaction,
fenced on (status 'sending', attempts = n): if the lease ran out and another worker took
the row, the late result changes nothing. A worker that dies mid-flight leaves 'sending'
rows whose lease runs out, and they are claimed again. Delivery is therefore at least
once; receivers dedupe on `X-Yiwang-Delivery` and order by `X-Yiwang-Seq`. Since every
attempt carries the row as it is at send time, a late retry never resurrects old data.

A row now outside the grant's scope, a revoked or expired grant, a cancelled subscription
or a callback host no longer allowed drops the delivery (status 'dropped', with why).

Failures back off exponentially (2^n s, capped, with jitter) and go 'dead' after
`YIWANG_WEBHOOK_MAX_ATTEMPTS`; the dead letters are listed per subscription and can be
replayed. Every attempt is logged in the usage log (operation 'push').
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import field_types, shape_row
from yiwang.contexts.exchange.models import Delivery, Grant
from yiwang.contexts.exchange.policies import Plan, grant_refusal, plan_read
from yiwang.core import audit, crypto, jobs
from yiwang.core.actor import Actor
from yiwang.core.db import transaction, utcnow
from yiwang.core.workdays import local_day
from yiwang.settings import get_settings

log = logging.getLogger(__name__)

BATCH = 20  # claimed per round; sent by up to POOL threads: 2 rounds x timeout < lease
POOL = 10
SECRET_AAD = b"yiwang-webhook-secret"
Sender = Callable[[str, dict[str, str], bytes, float], tuple[int, str | None]]


# --- callback addresses ------------------------------------------------------------------


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.strip().lower() for h in get_settings().webhook_allowed_hosts.split(",") if h.strip())


def callback_error(url: str) -> tuple[str, str] | None:
    """Why a callback URL may not be used, as (message, code); None when it may.

    Only http(s) to a host on the allow-list: the server makes these calls from inside the
    government network, so an arbitrary host would let a subscriber reach internal systems
    through us (SSRF)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here
    except ValueError:
        return "回调地址格式不正确", "invalid"
    if parts.scheme not in ("http", "https"):
        return "回调地址只能使用 http 或 https", "scheme"
    if not parts.hostname:
        return "回调地址缺少主机名", "invalid"
    if parts.username or parts.password:
        return "回调地址不能包含用户名或密码", "credentials"
    if parts.hostname.lower() not in allowed_hosts():
        return f"回调主机 {parts.hostname} 不在允许列表（YIWANG_WEBHOOK_ALLOWED_HOSTS）中", "host_not_allowed"
    return None


# --- signatures (Stripe style) -----------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes | str, tolerance: int = 300, now: float | None = None
) -> bool:
    """For receivers: is `X-Yiwang-Signature` a valid HMAC of this exact body, made within
    `tolerance` seconds? The timestamp is signed too, so an old request replayed later fails."""
    raw = body.encode() if isinstance(body, str) else body
    stamp, candidates = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            stamp = value
        elif key == "v1":
            candidates.append(value)
    try:
        ts = int(stamp or "")
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    expected = sign(secret, raw, ts).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, c) for c in candidates)


def new_secret() -> tuple[str, bytes]:
    """A signing secret (shown once) and its AES-GCM ciphertext for storage."""
    secret = "whsec_" + crypto.new_token(32)
    return secret, crypto.encrypt(secret, SECRET_AAD)


# --- enqueueing and shaping --------------------------------------------------------------


def enqueue(session: Session, items: Sequence[tuple[int, int]], attempt_set: int, now: datetime) -> int:
    """Delivery-queue rows for (subscription id, change seq) pairs, due now, in the caller's transaction."""
    repo.add_all(session, [
        Delivery(subscription_id=sid, change_seq=seq, attempt_set=attempt_set, status="pending", attempts=0,
                 next_attempt_at=now)
        for sid, seq in items
    ])  # fmt: skip
    return len(items)


def governed_records(
    session: Session, resource: catalog.ResourceInfo, grant: Grant, record_ids: Sequence[int]
) -> tuple[Plan, dict[int, dict[str, Any]]] | None:
    """The grant's read plan and the source rows (by id) it lets through, fetched with the
    same governed SELECT as every read: rows out of scope are simply not returned."""
    plan = plan_read(list(resource.fields), grant, None)
    if not isinstance(plan, Plan):
        return None
    if not record_ids:
        return plan, {}
    stmt = repo.governed_rows_by_id(resource.source_table, plan.fields, field_types(resource), plan.row_scope,
                                    record_ids)  # fmt: skip
    return plan, {int(r["id"]): r for r in repo.fetch(session, stmt)}


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt: 2^n, capped, with 'equal jitter' (half
    fixed, half random) so the retries of one outage spread out yet still grow."""
    base = min(2.0**attempts, get_settings().webhook_backoff_cap)
    return base / 2 + random.uniform(0, base / 2)


# --- the worker --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    attempts: int
    subscription_id: int
    seq: int
    url: str
    secret: str
    body: bytes
    usage: dict[str, Any]


@dataclass
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    dropped: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)  # delivery id -> status after this run

    def count(self, delivery_id: int, status: str) -> None:
        self.outcomes[delivery_id] = status
        attr = {"delivered": "delivered", "pending": "retrying", "dead": "dead", "dropped": "dropped"}
        if status in attr:
            setattr(self, attr[status], getattr(self, attr[status]) + 1)


def _prepare(session: Session, d: Delivery, now: datetime) -> Outgoing | str:
    """The request to send for a claimed delivery, or why it must be dropped."""
    sub = repo.subscription(session, d.subscription_id)
    if sub is None or not sub.active:
        return "订阅已取消"
    grant = repo.grant(session, sub.grant_id)
    refusal = grant_refusal(grant, local_day(now))
    if refusal or grant is None:
        return refusal or "授权不存在"
    if callback_error(sub.callback_url):
        return "回调地址已不在允许列表中"
    change = repo.change(session, d.change_seq)
    resource = catalog.resource_for_exchange(session, grant.resource_id)
    if change is None or resource is None:
        return "变更记录或信息资源已不存在"
    got = governed_records(session, resource, grant, [change.record_id])
    if got is None or change.record_id not in got[1]:
        return "记录已不在授权的数据范围内"
    plan, rows = got
    row = rows[change.record_id]
    body = orjson.dumps({
        "id": d.id, "type": f"record.{change.op}", "subscription": sub.id, "resource": resource.code,
        "seq": change.seq, "changed_at": change.at.isoformat(), "attempt_set": d.attempt_set,
        "fields": list(plan.fields), "masked": list(plan.masked), "record": shape_row(resource, plan, row),
    })  # fmt: skip
    dept = identity.department(session, grant.consumer_department_id)
    pusher = Actor(kind="system", name=f"{dept.name if dept else '订阅方'}（订阅推送）")
    audit.record_many(
        session, pusher, "exchange.record_push",
        [(resource.source_table, row["id"], row["subject_person_id"], row["subject_enterprise_id"])],
        purpose=grant.purpose,
        detail={"resource": resource.code, "resource_name": resource.name, "fields": list(plan.fields),
                "labels": [resource.fields[f].label for f in plan.fields], "masked": list(plan.masked),
                "grant": grant.id, "subscription": sub.id,
                "delivery": d.id, "attempt": d.attempts + 1, "seq": change.seq},
    )  # fmt: skip
    usage = {
        "consumer": f"subscription:{sub.id}", "consumer_department_id": grant.consumer_department_id,
        "end_user": None, "case_id": None, "purpose": grant.purpose, "resource_id": resource.id,
        "grant_id": grant.id, "operation": "push", "fields": list(plan.fields), "keys": 0, "rows": 1,
        "request_hash": hashlib.sha256(body).hexdigest(),
    }  # fmt: skip
    return Outgoing(d.id, d.attempts + 1, sub.id, change.seq, sub.callback_url,
                    crypto.decrypt(sub.secret_enc, SECRET_AAD), body, usage)  # fmt: skip


def claim(session: Session, now: datetime, limit: int = BATCH) -> tuple[list[Outgoing], DeliveryReport]:
    """Claim due deliveries under a lease and build their requests (in the caller's transaction,
    which must commit before anything is sent)."""
    settings = get_settings()
    report = DeliveryReport()
    out: list[Outgoing] = []
    for d in repo.claim_due_deliveries(session, now, limit):
        report.claimed += 1
        if d.attempts >= settings.webhook_max_attempts:  # its last attempt's worker died
            d.status, d.last_error = "dead", d.last_error or "最后一次投递未完成（投递进程中断）"
            report.count(d.id, "dead")
            continue
        prepared = _prepare(session, d, now)
        if isinstance(prepared, str):
            d.status, d.last_error = "dropped", prepared
            report.count(d.id, "dropped")
            continue
        d.status, d.attempts = "sending", prepared.attempts
        d.next_attempt_at = now + timedelta(seconds=settings.webhook_lease_seconds)
        out.append(prepared)
    session.flush()
    return out, report


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could point anywhere, past the host allow-list: treat it as a failure."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


# no proxies from the environment (the allow-list must name the host actually called)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post(url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, str | None]:
    """POST the body; (HTTP status, error) with status 0 when no answer came."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return int(resp.status), None
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"接收方返回 HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, f"无法送达：{reason}"[:300]


def _headers(o: Outgoing) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "yiwang-webhooks/1",
        "X-Yiwang-Signature": sign(o.secret, o.body, int(time.time())),
        "X-Yiwang-Delivery": str(o.delivery_id),
        "X-Yiwang-Seq": str(o.seq),
        "X-Yiwang-Attempt": str(o.attempts),
    }


def _record(o: Outgoing, status: int, error: str | None, at: datetime, latency_ms: float) -> str:
    settings = get_settings()
    values: dict[str, Any]
    if 200 <= status < 300:
        values = {"status": "delivered", "delivered_at": at, "last_error": None}
    elif o.attempts >= settings.webhook_max_attempts:
        values = {"status": "dead", "last_error": error}
    else:
        values = {"status": "pending", "last_error": error,
                  "next_attempt_at": at + timedelta(seconds=backoff(o.attempts))}  # fmt: skip
    with transaction() as session:
        mine = repo.finish_delivery(session, o.delivery_id, o.attempts, values)
        repo.log_usage(session, [{
            **o.usage, "at": utcnow(), "status": status, "refusal": error,
            "nonce": f"push:{o.delivery_id}:{o.attempts}", "latency_ms": round(latency_ms, 3),
        }])  # fmt: skip
    return str(values["status"]) if mine else "superseded"


def deliver_due(now: datetime | None = None, limit: int = BATCH, send: Sender = post) -> DeliveryReport:
    """One round: claim due deliveries, send them (no transaction open), record the outcomes.
    `now` lets tests move the clock; by default it is the real time."""
    with transaction() as session:
        outgoing, report = claim(session, now or utcnow(), limit)
    timeout = get_settings().webhook_timeout

    def one(o: Outgoing) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            status, error = send(o.url, _headers(o), o.body, timeout)
            return o.delivery_id, _record(
                o, status, error, now or utcnow(), (time.perf_counter() - started) * 1000
            )
        except Exception:  # the lease brings the delivery back
            log.exception("webhook delivery %s failed", o.delivery_id)
            return o.delivery_id, "sending"

    for delivery_id, status in jobs.in_threads(one, outgoing, POOL, "webhook"):
        report.count(delivery_id, status)
    return report


def deliver_all() -> int:
    """The job: rounds until a round finds less than a full batch (bounded per run)."""
    return jobs.in_rounds(lambda: deliver_due().claimed, BATCH)
