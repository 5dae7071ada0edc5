"""The steps of an application (受理 → 审查 → 决定 → 办结, 补正, 不予受理, 撤回): each is the workflow
engine's transition, checked by the definition's rules; the same steps are taken in place from
the one to-do list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiwang.contexts.services import cases
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.models import Application
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.errors import NotFound


@dataclass(frozen=True)
class Step:
    revision: int | None = None
    comment: str | None = None
    reason: str | None = None


def _target(session: Session, application_id: int, code: str, step: Step) -> workflow.TransitionTarget:
    a = repo.application(session, application_id)
    case = cases.case_of(session, a) if a else None
    if a is None or case is None:
        raise NotFound("办件不存在")
    return workflow.target(session, case.id, code, step.revision)


def _fire(session: Session, actor: Actor, target: workflow.TransitionTarget, step: Step) -> Application:
    view = workflow.fire(session, actor, target, comment=step.comment or None, reason=step.reason or None)
    a = repo.application(session, int(view.subject_id))
    assert a is not None
    return a


def application_accept(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "accept", step)
    authz.check(actor, "services.application_accept", target)
    return _fire(session, actor, target, step)


def application_reject_acceptance(
    session: Session, actor: Actor, application_id: int, step: Step
) -> Application:
    target = _target(session, application_id, "reject_acceptance", step)
    authz.check(actor, "services.application_reject_acceptance", target)
    return _fire(session, actor, target, step)


def application_request_supplement(
    session: Session, actor: Actor, application_id: int, step: Step
) -> Application:
    target = _target(session, application_id, "request_supplement", step)
    authz.check(actor, "services.application_request_supplement", target)
    return _fire(session, actor, target, step)


def application_supplement(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "supplement", step)
    authz.check(actor, "services.application_supplement", target)
    return _fire(session, actor, target, step)


def application_review(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "review", step)
    authz.check(actor, "services.application_review", target)
    return _fire(session, actor, target, step)


def application_decide(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "decide", step)
    authz.check(actor, "services.application_decide", target)
    return _fire(session, actor, target, step)


def application_refuse(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "refuse", step)
    authz.check(actor, "services.application_refuse", target)
    return _fire(session, actor, target, step)


def application_complete(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "complete", step)
    authz.check(actor, "services.application_complete", target)
    return _fire(session, actor, target, step)


def application_withdraw(session: Session, actor: Actor, application_id: int, step: Step) -> Application:
    target = _target(session, application_id, "withdraw", step)
    authz.check(actor, "services.application_withdraw", target)
    return _fire(session, actor, target, step)


STEPS = {
    "accept": application_accept, "reject_acceptance": application_reject_acceptance,
    "request_supplement": application_request_supplement, "supplement": application_supplement,
    "review": application_review, "decide": application_decide, "refuse": application_refuse,
    "complete": application_complete, "withdraw": application_withdraw,
}  # fmt: skip
