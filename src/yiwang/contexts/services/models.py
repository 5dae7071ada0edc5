"""Tables of the services context: service items (政务服务事项), applications (办件) and the
files uploaded for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow

_BIG = BigInteger().with_variant(Integer(), "sqlite")


class ServiceItem(Base):
    __tablename__ = "service_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    power_type: Mapped[str] = mapped_column(String(10))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(12))  # person | enterprise
    conditions: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    legal_days: Mapped[int] = mapped_column(Integer)
    promised_days: Mapped[int] = mapped_column(Integer)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    visits_required: Mapped[int] = mapped_column(Integer, default=0)
    any_window: Mapped[bool] = mapped_column(Boolean, default=True)
    cross_province: Mapped[bool] = mapped_column(Boolean, default=False)
    materials: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    workflow_code: Mapped[str] = mapped_column(String(60))
    license_name: Mapped[str] = mapped_column(String(60), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")  # rjieba tokens, cut at write time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Application(Base):
    """办件: one applicant's case for one item; its progress is the workflow case's."""

    __tablename__ = "service_application"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_service_application_idempotency"),
        Index("ix_service_application_applicant", "applicant_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # online | window
    applicant_user_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    applicant_name: Mapped[str] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(80))  # user:<id> or client:<id>
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    window_department_id: Mapped[int | None] = mapped_column(Integer)
    accepted_region: Mapped[str] = mapped_column(String(12))
    handling_region: Mapped[str] = mapped_column(String(12))
    handling_department_id: Mapped[int] = mapped_column(Integer, index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prefilled: Mapped[list[str]] = mapped_column(JSON, default=list)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(Text)
    bundle_id: Mapped[int | None] = mapped_column(_BIG, index=True)
    waits_for: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # item codes of the bundle to finish first
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class BundleApplication(Base):
    """一件事 / 一业一证: one application for several items, each an application of its own."""

    __tablename__ = "service_bundle_application"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_service_bundle_idempotency"),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    bundle_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # open | completed
    applicant_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UploadedFile(Base):
    """A file an applicant uploaded, checked by content and size, kept in the storage."""

    __tablename__ = "service_file"

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)
    application_id: Mapped[int | None] = mapped_column(_BIG, index=True)
    material: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ELicense(Base):
    """电子证照: issued on completion, signed with Ed25519; verified by its number (QR code)."""

    __tablename__ = "service_elicense"
    __table_args__ = (Index("ix_service_elicense_holder", "person_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    item_code: Mapped[str] = mapped_column(String(40), index=True)  # the item (or bundle:<code>) issuing it
    holder_name: Mapped[str] = mapped_column(String(100))
    holder_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    issuer_department_id: Mapped[int | None] = mapped_column(Integer)
    application_id: Mapped[int | None] = mapped_column(_BIG)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class Evaluation(Base):
    """好差评: the applicant's rating of one handled application, 5 (非常满意) … 1 (非常不满意)."""

    __tablename__ = "service_evaluation"

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    application_id: Mapped[int] = mapped_column(_BIG, unique=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10))
    rater_user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(20)
    )  # rated | rectifying | follow_up | appealed | closed | dismissed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
