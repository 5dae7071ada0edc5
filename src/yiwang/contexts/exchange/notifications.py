"""Who hears what about a sharing request: the exchange's subscriber of its own case events,
with its Chinese templates (`core/notify`). The provider's staff hear of a request waiting for
them, the requester of the decision or a 补正, the data officers of an escalation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import repository as repo
from yiwang.core import events, notify, workflow
from yiwang.core.notify import Recipient
from yiwang.core.workdays import SHANGHAI
from yiwang.core.workflow_events import CaseEvent

DEPT_ROLES = ("dept_staff", "data_officer")

notify.template(
    "exchange.request_waiting",
    "共享申请待审批：{{ resource }}",
    "{{ name }}，您好：\n{{ consumer }}申请共享{{ resource }}（{{ fields }}）。\n用途：{{ purpose }}\n"
    "请在 {{ due }} 前审批。",
    sms="{{ consumer }}申请共享{{ resource }}，请于{{ due }}前审批。",
)
notify.template(
    "exchange.request_supplemented",
    "共享申请已补正，请继续审批：{{ resource }}",
    "{{ name }}，您好：\n{{ consumer }}已按要求补正共享申请（{{ resource }}）。\n补正说明：{{ comment }}\n"
    "审批计时已恢复，期限为 {{ due }}。",
)
notify.template(
    "exchange.request_approved",
    "共享申请已同意：{{ resource }}",
    "{{ name }}，您好：\n{{ provider }}已同意您提出的{{ resource }}共享申请，授权已生效，可以调用。"
    "{% if comment %}\n审批意见：{{ comment }}{% endif %}",
)
notify.template(
    "exchange.request_refused",
    "共享申请未获同意：{{ resource }}",
    "{{ name }}，您好：\n{{ provider }}未同意您提出的{{ resource }}共享申请。\n理由：{{ comment }}",
)
notify.template(
    "exchange.request_supplement",
    "共享申请需要补正：{{ resource }}",
    "{{ name }}，您好：\n{{ provider }}要求补正您提出的{{ resource }}共享申请：{{ comment }}\n"
    "补正期间审批计时暂停，请在申请页面提交补正。",
)
notify.template(
    "exchange.request_warned",
    "共享申请即将到期：{{ resource }}",
    "{{ name }}，您好：\n{{ consumer }}提出的{{ resource }}共享申请将于 {{ due }} 到期，请尽快审批。",
)
notify.template("exchange.request_escalated", "超期未审批的共享申请：{{ resource }}",
                "{{ name }}，您好：\n{{ consumer }}向{{ provider }}提出的{{ resource }}共享申请已超过 10 个工作日"
                "未审批（期限 {{ due }}），已提请数据管理员督办。")  # fmt: skip


def _department(
    session: Session, department_id: int | None, roles: tuple[str, ...] = DEPT_ROLES
) -> list[Recipient]:
    if department_id is None:
        return []
    found: dict[int, Recipient] = {}
    for role in roles:
        found.update({r.user_id: r for r in identity.recipients_in_department(session, department_id, role)})
    return list(found.values())


def _requester(session: Session, case: CaseEvent) -> list[Recipient]:
    person = case.parties.get("requester")
    if person and person.user_id:
        return identity.recipients_by_ids(session, [person.user_id])
    return _department(session, case.parties["consumer"].department_id)  # asked by the department's system


def _escalated_to(session: Session, case: CaseEvent) -> list[Recipient]:
    """Those the escalation reached, as the definition names them (department and roles)."""
    found: dict[int, Recipient] = {}
    for x in case.escalated_to:
        roles = tuple(x.assignee.roles) or DEPT_ROLES
        found.update({r.user_id: r for r in _department(session, x.assignee.department_id, roles)})
    return list(found.values())


def _on_request(session: Session, event: events.Event) -> None:
    case = CaseEvent.model_validate(event.data)
    verb = event.type.rsplit(".", 1)[1]
    r = repo.request(session, int(case.subject_id))
    res = catalog.resource_for_exchange(session, r.resource_id) if r else None
    if r is None or res is None:
        return
    provider, consumer = case.parties["provider"], case.parties["consumer"]
    # decided by the system in the transaction that opened it: nobody waits for a decision
    still_open = verb != "created" or workflow.case(session, case.case_id).state == "review"
    plan = {
        "created": ("exchange.request_waiting", lambda: _department(session, provider.department_id), still_open),
        "supplemented": ("exchange.request_supplemented", lambda: _department(session, provider.department_id), True),
        "approved": ("exchange.request_approved", lambda: _requester(session, case), True),
        "refused": ("exchange.request_refused", lambda: _requester(session, case), True),
        "supplement_requested": ("exchange.request_supplement", lambda: _requester(session, case), True),
        "warned": ("exchange.request_warned", lambda: _department(session, provider.department_id), True),
        "escalated": ("exchange.request_escalated", lambda: _escalated_to(session, case), True),
    }  # fmt: skip
    if verb not in plan or not plan[verb][2]:
        return
    key, whom, _ = plan[verb]
    context = {
        "resource": res.name, "consumer": consumer.name, "provider": provider.name, "purpose": r.purpose,
        "fields": "、".join(res.fields[f].label for f in r.fields if f in res.fields),
        "due": case.due_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日") if case.due_at else "—", "comment": case.comment or "",
    }  # fmt: skip
    notify.send(session, whom(), key, context, channels=(notify.IN_APP, notify.EMAIL), link=case.url,
                event_seq=event.seq)  # fmt: skip


events.subscribe("exchange.notifications", "yiwang.exchange.request.*", _on_request)
