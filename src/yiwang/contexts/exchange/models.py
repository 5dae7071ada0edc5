"""Tables of the exchange: sharing requests, grants, quota counters, usage log, changes,
subscriptions and webhook deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow

_BIG = BigInteger().with_variant(Integer, "sqlite")


class SharingRequest(Base):
    """共享申请: a consumer department asks for named fields of a resource."""

    __tablename__ = "sharing_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("data_resource.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    fields: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    row_scope: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    daily_quota: Mapped[int] = mapped_column(Integer)
    # pending | supplement | approved | refused | withdrawn: the case's state (cases.STATUS), kept
    # with the request for the lists; the deadline and its escalation are the case's
    status: Mapped[str] = mapped_column(String(12), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grant(Base):
    """授权: what a consumer may read: fields (some masked), row scope, period, daily quota."""

    __tablename__ = "data_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_request.id"), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("data_resource.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    masked_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text)
    row_scope: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    daily_quota: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GrantUsage(Base):
    """Rows served under a grant per Beijing-time day, for the daily quota, in shards: each
    shard holds a fixed slice of the quota, so concurrent calls lock different rows."""

    __tablename__ = "grant_usage"

    grant_id: Mapped[int] = mapped_column(ForeignKey("data_grant.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    used: Mapped[int] = mapped_column(Integer, default=0)


class UsageLog(Base):
    """One call on shared data: who, for whom, which case, what, and the outcome."""

    __tablename__ = "usage_log"
    __table_args__ = (UniqueConstraint("consumer", "nonce", name="uq_usage_log_consumer_nonce"),)

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    consumer: Mapped[str] = mapped_column(String(80))  # client:<id> or user:<id>
    consumer_department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    end_user: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(Text)
    resource_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grant_id: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(10))  # lookup | batch | query | verify
    fields: Mapped[list[str] | None] = mapped_column(JSON)
    keys: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int] = mapped_column(Integer)
    refusal: Mapped[str | None] = mapped_column(Text)
    request_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(default=0.0)


class ChangeLog(Base):
    """A change to a source row, in commit order per resource: what subscriptions deliver."""

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(_BIG, primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    record_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    region_code: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(Base):
    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("data_grant.id"), index=True)
    callback_url: Mapped[str] = mapped_column(String(500))
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One change to deliver to one subscription (queued by the webhook subscriber of the
    change event), with retries and dead-lettering."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "change_seq", "attempt_set", name="uq_delivery_once"),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    attempt_set: Mapped[int] = mapped_column(Integer, default=0)  # 0 first delivery, n-th replay
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
