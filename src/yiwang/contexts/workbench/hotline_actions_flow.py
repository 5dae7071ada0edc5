"""The lifecycle of a 12345 work order, each step a transition of its case on the workflow
engine (workflows/hotline_order.yaml): 派单, 签收, 退单, 延期 asked and decided, 答复, 回访.
Each action starts with the transition's own authz.check (the definition's rules)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.workbench import hotline_cases as cases
from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench.hotline_actions import HANDLER_ROLES, order_view
from yiwang.contexts.workbench.hotline_models import HotlineOrder
from yiwang.contexts.workbench.hotline_schemas import DispatchIn, OrderOut, ReasonIn, ReplyIn, StepIn
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workflow_spec import Party


def _target(session: Session, order_id: int, code: str, revision: int | None) -> workflow.TransitionTarget:
    o = repo.order(session, order_id)
    case = cases.case_of(session, o) if o is not None and o.merged_into_id is None else None
    if o is None or case is None:
        raise NotFound("工单不存在")
    return workflow.target(session, case.id, code, revision)


def _order(session: Session, order_id: int) -> HotlineOrder:
    o = repo.order(session, order_id)
    assert o is not None
    return o


def _handler(o: HotlineOrder) -> Party:
    """Back to whom worked on it: the person who signed, else the department's staff."""
    if o.handler_user_id is not None:
        return Party(user_id=o.handler_user_id, department_id=o.department_id)
    return Party(department_id=o.department_id)


def _after(session: Session, order_id: int) -> OrderOut:
    return order_view(session, _order(session, order_id))


def order_dispatch(session: Session, actor: Actor, order_id: int, data: DispatchIn) -> OrderOut:
    """派单: to the routed department, or the one the operator chose instead."""
    target = _target(session, order_id, "dispatch", data.revision)
    authz.check(actor, "workbench.order_dispatch", target)
    o = _order(session, order_id)
    if data.department_id is not None:
        if identity.department(session, data.department_id) is None:
            raise ValidationFailed(
                "承办部门不存在", [FieldError("department_id", "承办部门不存在", "unknown")]
            )
        o.department_id = data.department_id
    if o.department_id is None:
        raise ValidationFailed("请选择承办部门", [FieldError("department_id", "请选择承办部门", "missing")])
    workflow.fire(session, actor, target, comment=data.comment or None, assignee=Party(department_id=o.department_id),
                  roles=HANDLER_ROLES)  # fmt: skip
    return _after(session, order_id)


def order_sign(session: Session, actor: Actor, order_id: int, data: StepIn) -> OrderOut:
    target = _target(session, order_id, "sign", data.revision)
    authz.check(actor, "workbench.order_sign", target)
    workflow.fire(session, actor, target, comment=data.comment or None)
    return _after(session, order_id)


def order_return(session: Session, actor: Actor, order_id: int, data: ReasonIn) -> OrderOut:
    """退单: not this department's matter; back to the centre to dispatch again, with the reason."""
    target = _target(session, order_id, "return", data.revision)
    authz.check(actor, "workbench.order_return", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, order_id)


def order_request_extension(session: Session, actor: Actor, order_id: int, data: ReasonIn) -> OrderOut:
    target = _target(session, order_id, "request_extension", data.revision)
    authz.check(actor, "workbench.order_request_extension", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, order_id)


def order_approve_extension(session: Session, actor: Actor, order_id: int, data: StepIn) -> OrderOut:
    target = _target(session, order_id, "approve_extension", data.revision)
    authz.check(actor, "workbench.order_approve_extension", target)
    o = _order(session, order_id)
    workflow.fire(session, actor, target, comment=data.comment or None, assignee=_handler(o))
    return _after(session, order_id)


def order_refuse_extension(session: Session, actor: Actor, order_id: int, data: ReasonIn) -> OrderOut:
    target = _target(session, order_id, "refuse_extension", data.revision)
    authz.check(actor, "workbench.order_refuse_extension", target)
    o = _order(session, order_id)
    workflow.fire(session, actor, target, reason=data.reason, assignee=_handler(o))
    return _after(session, order_id)


def order_reply(session: Session, actor: Actor, order_id: int, data: ReplyIn) -> OrderOut:
    """答复: the department's official reply to the citizen; the centre calls back next."""
    target = _target(session, order_id, "reply", data.revision)
    authz.check(actor, "workbench.order_reply", target)
    workflow.fire(session, actor, target, comment=data.reply)
    return _after(session, order_id)


def order_satisfied(session: Session, actor: Actor, order_id: int, data: StepIn) -> OrderOut:
    target = _target(session, order_id, "satisfied", data.revision)
    authz.check(actor, "workbench.order_satisfied", target)
    workflow.fire(session, actor, target, comment=data.comment or None)
    return _after(session, order_id)


def order_unsatisfied(session: Session, actor: Actor, order_id: int, data: ReasonIn) -> OrderOut:
    """回访不满意: reopened at the department that handled it, on a new handling clock."""
    target = _target(session, order_id, "unsatisfied", data.revision)
    authz.check(actor, "workbench.order_unsatisfied", target)
    o = _order(session, order_id)
    workflow.fire(session, actor, target, reason=data.reason, assignee=_handler(o))
    return _after(session, order_id)
