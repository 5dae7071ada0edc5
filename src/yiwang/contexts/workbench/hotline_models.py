"""Tables of the 12345 hotline: work orders (工单), the three-level category tree, the routing
rules (category x region -> department kind) and the archive of past cases with their
official replies (similar cases shown to the operator)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime


class HotlineCategory(Base):
    """One leaf of the complaint taxonomy (一级 / 二级 / 三级分类)."""

    __tablename__ = "hotline_category"
    __table_args__ = (UniqueConstraint("level1", "level2", "level3", name="uq_hotline_category_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level1: Mapped[str] = mapped_column(String(30), index=True)
    level2: Mapped[str] = mapped_column(String(30))
    level3: Mapped[str] = mapped_column(String(30))


class HotlineRoute(Base):
    """A routing rule: orders of `category` ("一级" or "一级/二级", "*" for any) in `region_code`
    ("" for any region) go to the region's department of `department_kind`. The most specific
    rule wins; the "*" rule is the fallback."""

    __tablename__ = "hotline_route"
    __table_args__ = (UniqueConstraint("category", "region_code", name="uq_hotline_route"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(70))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    department_kind: Mapped[str] = mapped_column(String(40))


class HotlineOrder(Base):
    """工单: one call or message to 12345, as accepted by the hotline centre. Its lifecycle is a
    case of the workflow engine (workflows/hotline_order.yaml); `status` mirrors the case's state
    for lists and statistics. A message merged into an open order has no case of its own."""

    __tablename__ = "hotline_order"
    __table_args__ = (
        Index("ix_hotline_order_region_received", "region_code", "received_at"),
        Index("ix_hotline_order_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # phone | web | app
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    citizen_user_id: Mapped[int | None] = mapped_column(Integer)
    caller_name: Mapped[str | None] = mapped_column(String(50))
    contact: Mapped[str | None] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    suggested_category: Mapped[str | None] = mapped_column(String(30))
    suggested_confidence: Mapped[float | None] = mapped_column(Float)
    level1: Mapped[str] = mapped_column(String(30), default="")
    level2: Mapped[str] = mapped_column(String(30), default="")
    level3: Mapped[str] = mapped_column(String(30), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    centre_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    handler_user_id: Mapped[int | None] = mapped_column(Integer)  # who signed for it last
    status: Mapped[str] = mapped_column(String(20), index=True)
    city_problem: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_order.id"), index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    satisfaction: Mapped[str | None] = mapped_column(String(12))  # satisfied | unsatisfied
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[str] = mapped_column(Text, default="")  # words of subject and location, cut at write time
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HotlinePastCase(Base):
    """A past message with the government's official reply (the demo archive)."""

    __tablename__ = "hotline_past_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    terms: Mapped[str] = mapped_column(Text, default="")
