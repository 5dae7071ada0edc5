"""Tables of the workflow engine: versioned definitions, cases, their history, due-time rows
and supervisions (督办)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime

_BIG = BigInteger().with_variant(Integer, "sqlite")
_OPEN = "closed_at IS NULL"


class WorkflowDefinition(Base):
    """One version of a definition file, as it was when the first case used it."""

    __tablename__ = "workflow_definition"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_workflow_definition_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowCase(Base):
    """A case (办件 / 工单 / 事件 / 申请) moving through its definition's states."""

    __tablename__ = "workflow_case"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", name="uq_workflow_case_subject"),
        Index("ix_workflow_case_open_code", "code", postgresql_where=text(_OPEN), sqlite_where=text(_OPEN)),
    )

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("workflow_definition.id"))
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(20))
    parties: Mapped[dict[str, Any]] = mapped_column(JSON)
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # clock -> duration, the case's own
    state: Mapped[str] = mapped_column(String(40))
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer)  # transitions taken: a form shown at n is stale at n+1
    changes: Mapped[int] = mapped_column(Integer)  # every change, transitions, timers and 督办 alike
    assignee_user_id: Mapped[int | None] = mapped_column(Integer)
    assignee_department_id: Mapped[int | None] = mapped_column(Integer)
    assignee_roles: Mapped[str] = mapped_column(String(200), default="")
    clock: Mapped[str | None] = mapped_column(String(40))  # the running (or paused) clock's name
    clock_unit: Mapped[str | None] = mapped_column(String(16))
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # natural seconds the clock stood still
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkflowStep(Base):
    """The history of a case: every transition, deadline event and 督办, in order."""

    __tablename__ = "workflow_step"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_workflow_step_case_seq"),)

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_case.id"))
    seq: Mapped[int] = mapped_column(Integer)  # the case's `changes` after this step
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # start | transition | warning | overdue | escalation | supervision
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any] | None] = mapped_column(JSON)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WorkflowTimer(Base):
    """A due-time row: a warning, the overdue mark or an escalation, for the case's current
    state. Deleted when it fires or the case moves on, so the table holds only what is due."""

    __tablename__ = "workflow_timer"

    id: Mapped[int] = mapped_column(_BIG, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # warning | overdue | escalation
    level: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WorkflowSupervision(Base):
    """督办: a leader follows a case with a note and a date by which it must move."""

    __tablename__ = "workflow_supervision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_case.id"), index=True)
    supervisor_user_id: Mapped[int] = mapped_column(Integer, index=True)
    supervisor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
