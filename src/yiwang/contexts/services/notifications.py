"""Who hears what about an application: the applicant at each step (in the app, by email and
SMS), the handling department of a new case and of a 补正 answered, the oversight department of
an escalation. The services' subscriber of its own case events (`core/notify`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.services import repository as repo
from yiwang.core import events, notify
from yiwang.core.notify import Recipient
from yiwang.core.workdays import SHANGHAI
from yiwang.core.workflow_events import CaseEvent

_STEP = {
    "created": "已提交，等待受理", "accepted": "已受理，正在审查", "acceptance_rejected": "不予受理",
    "supplement_requested": "需要补正材料，补正期间办理计时暂停", "supplemented": "补正材料已提交，办理计时恢复",
    "reviewed": "审查通过，等待决定", "decided": "已作出准予决定", "refused": "不予许可", "completed": "已办结",
    "withdrawn": "已撤回",
}  # fmt: skip

# the steps that ask something of the applicant or end the case also go out by SMS and email
_OUTSIDE = frozenset({"supplement_requested", "acceptance_rejected", "refused", "completed"})

notify.template(
    "services.application_step",
    "办件进度：{{ item }}{{ step }}",
    "{{ name }}，您好：\n您申请的「{{ item }}」（办件编号 {{ number }}）{{ step }}。"
    "{% if comment %}\n说明：{{ comment }}{% endif %}{% if due %}\n承诺办结期限：{{ due }}。{% endif %}",
    sms="您申请的{{ item }}（{{ number }}）{{ step }}。",
)
notify.template(
    "services.application_waiting",
    "新办件待处理：{{ item }}",
    "{{ name }}，您好：\n{{ applicant }}申请「{{ item }}」（办件编号 {{ number }}），{{ step }}。请在待办中处理。",
)
notify.template(
    "services.application_escalated",
    "超期办件：{{ item }}",
    "{{ name }}，您好：\n{{ applicant }}申请的「{{ item }}」（{{ number }}）已超过承诺时限（{{ due }}），请督办。",
)


def _department(session: Session, department_id: int | None, roles: tuple[str, ...]) -> list[Recipient]:
    found: dict[int, Recipient] = {}
    if department_id is None:
        return []
    for role in roles:
        found.update({r.user_id: r for r in identity.recipients_in_department(session, department_id, role)})
    return list(found.values())


def _on_application(session: Session, event: events.Event) -> None:
    case = CaseEvent.model_validate(event.data)
    verb = event.type.rsplit(".", 1)[1]
    a = repo.application(session, int(case.subject_id))
    item = repo.item(session, a.item_id) if a else None
    if a is None or item is None:
        return
    context = {"item": item.name, "number": a.number, "applicant": a.applicant_name, "step": _STEP.get(verb, ""),
               "comment": case.comment or "",
               "due": case.due_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日") if case.due_at else ""}  # fmt: skip
    applicant = case.parties.get("applicant")
    if (
        verb in _STEP and applicant and applicant.user_id
    ):  # every step in the app; SMS and email when it matters
        channels = (notify.IN_APP, notify.EMAIL, notify.SMS) if verb in _OUTSIDE else (notify.IN_APP,)
        notify.send(session, identity.recipients_by_ids(session, [applicant.user_id]), "services.application_step",
                    context, channels=channels, link=case.url, event_seq=event.seq)  # fmt: skip
    if verb in ("created", "supplemented"):
        dept = case.parties["department"].department_id
        notify.send(session, _department(session, dept, ("dept_staff",)), "services.application_waiting", context,
                    channels=(notify.IN_APP,), link=case.url, event_seq=event.seq)  # fmt: skip
    if verb == "escalated":
        whom: dict[int, Recipient] = {}
        for x in case.escalated_to:
            whom.update(
                {
                    r.user_id: r
                    for r in _department(session, x.assignee.department_id, tuple(x.assignee.roles))
                }
            )
        notify.send(session, list(whom.values()), "services.application_escalated", context,
                    channels=(notify.IN_APP, notify.EMAIL), link=case.url, event_seq=event.seq)  # fmt: skip


events.subscribe("services.notifications", "yiwang.services.application.*", _on_application)
