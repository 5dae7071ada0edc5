"""An event not handled within its category's SLA (working hours) is marked overdue and escalated
by the engine's timers: street first, then the district, then the city."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from tests.contexts.cityops.helpers import point_in
from yiwang.contexts.cityops import actions
from yiwang.contexts.cityops.schemas import EventIn
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.db import transaction
from yiwang.core.workflow_timers import run_timers

WORKER = Actor(
    kind="user", id=None, name="测试网格员", roles=frozenset({"grid_worker"}), region_code="330102001"
)


def test_an_overdue_event_escalates_street_then_district_then_city() -> None:
    lon, lat = point_in("330102001G02")
    with transaction() as s:
        e = actions.event_report(
            s, WORKER, EventIn(category_code="20103", lon=lon, lat=lat, description="渣土堆积")
        )
    assert e.status == "dispatched" and e.due_at is not None
    with transaction() as s:
        case = workflow.case(s, e.case_id)
    # 20103 积存垃圾渣土: 8 working hours; a working day has 7 office hours, so due the next working day
    assert case.due_at > case.created_at + timedelta(hours=7)
    run_timers(now=case.due_at + timedelta(minutes=1))
    with transaction() as s:
        assert workflow.case(s, e.case_id).escalation_level == 1
    run_timers(now=case.due_at + timedelta(days=14))
    with transaction() as s:
        assert workflow.case(s, e.case_id).escalation_level == 3
        rows = s.execute(text("SELECT data FROM event_outbox WHERE type = 'yiwang.cityops.event.escalated' "
                              "AND subject = :s ORDER BY id"), {"s": f"event/{e.id}"}).scalars().all()  # fmt: skip
        depts = dict(s.execute(text("SELECT id, code FROM department")).all())
    data = [json.loads(r) if isinstance(r, str) else r for r in rows]
    levels = [[depts[x["assignee"]["department_id"]] for x in d["escalated_to"]] for d in data]
    assert levels[0] == ["330102-urban_management"]
    assert levels[-1] == ["330102-urban_management", "330102-government_service", "330100-government_service"]
