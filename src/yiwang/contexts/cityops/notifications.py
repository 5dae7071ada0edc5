"""Who hears what about a city event: the vehicle owner of an illegal-parking report (SMS and
in the app, with the three nearest car parks with free spaces), the department an event is
dispatched to (an urgent one by SMS too), those an overdue event is escalated to. The
context's subscriber of its own case events, with its Chinese templates (`core/notify`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops import scenarios
from yiwang.contexts.cityops.catalogue import ILLEGAL_PARKING
from yiwang.core import events, notify
from yiwang.core.notify import Recipient
from yiwang.core.workdays import SHANGHAI
from yiwang.core.workflow_events import CaseEvent

notify.template(
    "cityops.owner_move_car",
    "挪车提醒：{{ plate }}",
    "{{ name }}，您好：\n您的车辆 {{ plate }} 停放在{{ address }}，影响通行，请于 {{ minutes }} 分钟内驶离，"
    "逾期将由交警依法处理。\n附近有空位的停车场：\n{% for p in parks %}{{ loop.index }}. {{ p.name }}（{{ p.address }}），"
    "约 {{ p.distance_m }} 米，空位 {{ p.free_spaces }} 个\n{% endfor %}",
    sms="您的车辆{{ plate }}停放在{{ address }}影响通行，请于{{ minutes }}分钟内驶离，逾期将由交警依法处理。"
    "附近有空位的停车场：{% for p in parks %}{{ p.name }}（约{{ p.distance_m }}米，空位{{ p.free_spaces }}）"
    "{% if not loop.last %}；{% endif %}{% endfor %}。",
)
notify.template(
    "cityops.event_dispatched",
    "{% if urgent %}【紧急】{% endif %}城市事件待处置：{{ title }}",
    "{{ name }}，您好：\n城管指挥中心派遣给本部门一件城市事件：{{ title }}（{{ address }}）。\n请在 {{ due }} 前处置完毕。",
    sms="{% if urgent %}【紧急】{% endif %}城市事件待处置：{{ title }}，请于{{ due }}前处置。",
)
notify.template(
    "cityops.event_escalated",
    "城市事件超时未处置：{{ title }}",
    "{{ name }}，您好：\n城市事件「{{ title }}」已超过处置时限（{{ due }}），已提请督办。",
)


def _department(session: Session, department_id: int | None) -> list[Recipient]:
    return identity.recipients_in_department(session, department_id) if department_id else []


def _owner_notice(session: Session, case: CaseEvent, event: events.Event) -> None:
    e = repo.event(session, int(case.subject_id))
    if e is None or e.category_code != ILLEGAL_PARKING or not e.plate:
        return
    v = repo.vehicle(session, e.plate)
    if v is None:
        return
    parks = scenarios.nearest_parks(repo.car_parks(session), e.lon, e.lat)
    notify.send(session, identity.recipients_by_ids(session, [v.owner_user_id]), "cityops.owner_move_car",
                {"plate": e.plate, "address": e.address or "路边", "minutes": scenarios.MOVE_WITHIN_MINUTES,
                 "parks": [p.__dict__ for p in parks]},
                channels=(notify.IN_APP, notify.SMS), event_seq=event.seq)  # fmt: skip


def _on_event(session: Session, event: events.Event) -> None:
    case = CaseEvent.model_validate(event.data)
    verb = event.type.rsplit(".", 1)[1]
    if verb == "created":
        _owner_notice(session, case, event)
        return
    e = repo.event(session, int(case.subject_id))
    if e is None:
        return
    due = case.due_at.astimezone(SHANGHAI).strftime("%m月%d日 %H:%M") if case.due_at else "—"
    context = {
        "title": case.title,
        "address": e.address or "—",
        "due": due,
        "urgent": case.urgency == "urgent",
    }
    if verb in ("dispatched", "reopened") and case.assignee is not None:
        channels = (notify.IN_APP, notify.SMS) if case.urgency == "urgent" else (notify.IN_APP,)
        notify.send(session, _department(session, case.assignee.department_id), "cityops.event_dispatched", context,
                    channels=channels, link=case.url, event_seq=event.seq)  # fmt: skip
    elif verb == "escalated":
        whom: dict[int, Recipient] = {}
        for x in case.escalated_to:
            whom.update({r.user_id: r for r in _department(session, x.assignee.department_id)})
        notify.send(session, list(whom.values()), "cityops.event_escalated", context, link=case.url,
                    event_seq=event.seq)  # fmt: skip


events.subscribe("cityops.notifications", "yiwang.cityops.event.*", _on_event)
