"""The one to-do list (统一待办): a projection of events, one row per piece of work waiting
for a member of staff, from a case of any context or from another system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime

_OPEN = "status = 'open'"


class Task(Base):
    """待办. Its id is stable across a rebuild: derived from the case (and escalation level) for
    a case's task, chosen at creation and carried by the events for another system's task."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_open_department", "assignee_department_id", "due_at", postgresql_where=text(_OPEN),
              sqlite_where=text(_OPEN)),
        Index("ix_task_open_user", "assignee_user_id", "due_at", postgresql_where=text(_OPEN),
              sqlite_where=text(_OPEN)),
        Index("ix_task_case_id", "case_id"),
        Index("uq_task_client_external", "client_id", "external_id", unique=True),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # case | escalation | external
    source: Mapped[str] = mapped_column(String(60))  # a definition's code, or client:<client id>
    source_label: Mapped[str] = mapped_column(String(60))  # 共享申请, 办件, or the calling system's name
    case_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    client_id: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(40), default="")
    state_label: Mapped[str] = mapped_column(String(60), default="")
    assignee_user_id: Mapped[int | None] = mapped_column(Integer)
    assignee_department_id: Mapped[int | None] = mapped_column(Integer)
    assignee_roles: Mapped[str] = mapped_column(String(200), default="")  # empty: any staff of the department
    region_code: Mapped[str] = mapped_column(String(12), default="")
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    urgency_label: Mapped[str] = mapped_column(String(20), default="普通")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_provisional: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # into a year the calendar does not know
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # marked by the case's timer
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10))  # open | done | cancelled
    changes: Mapped[int] = mapped_column(Integer)  # of the event it was last set from: older ones are ignored
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
