"""The lifecycle of a city event: 立案, 派遣, 退单, 处置, 核查 (with a photo) or reopening, 合并.
Each is a transition of the event's case; the engine checks who may take it (the definition's
rules), the inputs, and writes the history, audit record and event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.cityops import cases
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.actions import event_view
from yiwang.contexts.cityops.schemas import EventOut, TransitionIn
from yiwang.core import authz, workflow
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiwang.core.workflow_spec import Party


def _case_target(
    session: Session, event_id: int, code: str, revision: int | None
) -> workflow.TransitionTarget:
    e = repo.event(session, event_id)
    c = cases.case_of(session, e) if e else None
    if e is None or c is None:
        raise NotFound("城市事件不存在")
    return workflow.target(session, c.id, code, revision)


def _after(session: Session, event_id: int) -> EventOut:
    e = repo.event(session, event_id)
    assert e is not None
    return event_view(session, e)


def event_register(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    target = _case_target(session, event_id, "register", data.revision)
    authz.check(actor, "cityops.event_register", target)
    workflow.fire(session, actor, target, comment=data.comment)
    return _after(session, event_id)


def event_reject(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    target = _case_target(session, event_id, "reject", data.revision)
    authz.check(actor, "cityops.event_reject", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, event_id)


def _department(session: Session, event_id: int, chosen: int | None) -> Party:
    e = repo.event(session, event_id)
    assert e is not None
    if chosen is None:
        cat = repo.category(session, e.category_code)
        assert cat is not None
        chosen = cases.department_for(session, repo.dispatch_rules(session), cat, e)
    if chosen is None:
        raise ValidationFailed("请选择处置部门", [FieldError("department_id", "请选择处置部门", "missing")])
    return Party(department_id=chosen)


def event_dispatch(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    """派遣 to the department chosen, or the one the dispatch rules give."""
    target = _case_target(session, event_id, "dispatch", data.revision)
    authz.check(actor, "cityops.event_dispatch", target)
    workflow.fire(
        session,
        actor,
        target,
        comment=data.comment,
        assignee=_department(session, event_id, data.department_id),
    )
    return _after(session, event_id)


def event_return(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    """退单: the department sends it back to the dispatcher with a reason."""
    target = _case_target(session, event_id, "return", data.revision)
    authz.check(actor, "cityops.event_return", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, event_id)


def _photos(session: Session, event_id: int, ids: list[int]) -> list[dict[str, object]]:
    found = repo.photos_of(session, event_id, ids)
    if len(found) != len(set(ids)):
        raise ValidationFailed(
            "照片不属于该事件", [FieldError("photo_ids", "照片不存在或不属于该事件", "unknown")]
        )
    return [{"photo_id": p.id, "content_type": p.content_type, "sha256": p.sha256} for p in found]


def event_handle(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    target = _case_target(session, event_id, "handle", data.revision)
    authz.check(actor, "cityops.event_handle", target)
    workflow.fire(
        session,
        actor,
        target,
        comment=data.comment,
        attachments=_photos(session, event_id, data.photo_ids) or None,
    )
    return _after(session, event_id)


def event_verify(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    """核查通过 with a photo of the place: the event closes, and every event merged into it too."""
    target = _case_target(session, event_id, "verify", data.revision)
    authz.check(actor, "cityops.event_verify", target)
    workflow.fire(
        session, actor, target, comment=data.comment, attachments=_photos(session, event_id, data.photo_ids)
    )
    for dup in repo.merged_into(session, event_id):
        c = cases.case_of(session, dup)
        if c is not None and c.state == "merged":
            workflow.fire(
                session,
                SYSTEM,
                workflow.target(session, c.id, "close_with"),
                comment=f"随主事件 {event_id} 结案",
            )
    return _after(session, event_id)


def event_reopen(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    """核查不通过: back to the department that handled it, with the reason."""
    target = _case_target(session, event_id, "reopen", data.revision)
    authz.check(actor, "cityops.event_reopen", target)
    e = repo.event(session, event_id)
    assert e is not None
    workflow.fire(session, actor, target, reason=data.reason, assignee=_department(session, event_id, e.department_id),
                  attachments=_photos(session, event_id, data.photo_ids) or None)  # fmt: skip
    return _after(session, event_id)


def event_merge(session: Session, actor: Actor, event_id: int, data: TransitionIn) -> EventOut:
    """合并: a duplicate waits for the event it was merged into and closes with it."""
    target = _case_target(session, event_id, "merge", data.revision)
    authz.check(actor, "cityops.event_merge", target)
    e, primary = repo.event(session, event_id), repo.event(session, data.merge_into or 0)
    if primary is None or e is None or primary.id == e.id:
        raise ValidationFailed("请选择要合并到的事件", [FieldError("merge_into", "事件不存在", "unknown")])
    if primary.closed_at is not None or primary.merged_into_id is not None:
        raise Conflict("要合并到的事件已结案或已被合并")
    if primary.category_code != e.category_code:
        raise ValidationFailed(
            "只能合并同一分类的事件", [FieldError("merge_into", "分类不同，不能合并", "category")]
        )
    workflow.fire(
        session,
        actor,
        target,
        comment=data.comment or f"与事件 {primary.id} 重复，合并",
        data={"merge_into": primary.id},
    )
    return _after(session, event_id)
