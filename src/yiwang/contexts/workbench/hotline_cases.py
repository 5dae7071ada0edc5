"""12345 work orders on the workflow engine: the definition (workflows/hotline_order.yaml), the
parties of an order's case, and the order's own changes inside each transition (its status
mirror, who signed for it, the reply, the follow-up's verdict)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench.hotline_models import HotlineOrder
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.workflow_spec import Party

CODE = "workbench.hotline_order"
SUBJECT = "hotline_order"


def _on_transition(
    session: Session, actor: Actor, case: workflow.CaseView, code: str, inputs: dict[str, Any]
) -> None:
    o = repo.order(session, int(case.subject_id))
    assert o is not None
    o.status = case.state
    if code == "sign":
        o.handler_user_id = actor.id
    elif code == "return":
        o.handler_user_id = None
    elif code == "reply":
        o.reply, o.replied_at = inputs.get("comment"), utcnow()
    elif code == "satisfied":
        o.satisfaction = "satisfied"
    elif code == "unsatisfied":
        o.satisfaction, o.reopened = "unsatisfied", o.reopened + 1
    session.flush()


workflow.register(Path(__file__).parent / "workflows" / "hotline_order.yaml", _on_transition)


def open_case(
    session: Session, actor: Actor, o: HotlineOrder, centre_name: str, handler_name: str
) -> workflow.CaseView:
    parties = {
        "centre": Party(department_id=o.centre_department_id, region_code=o.region_code, name=centre_name),
        "handler": Party(department_id=o.department_id, region_code=o.region_code, name=handler_name),
    }
    if o.citizen_user_id is not None:
        parties["citizen"] = Party(user_id=o.citizen_user_id, name=o.caller_name or "")
    return workflow.start(session, actor, CODE, subject_type=SUBJECT, subject_id=o.id, title=f"12345：{o.subject}",
                          url=f"/workbench/hotline/orders/{o.id}", parties=parties, region_code=o.region_code,
                          urgency=o.urgency)  # fmt: skip


def case_of(session: Session, o: HotlineOrder) -> workflow.CaseView | None:
    return workflow.case_of(session, SUBJECT, o.id)


def cases_of(session: Session, rows: list[HotlineOrder]) -> dict[str, workflow.CaseView]:
    return workflow.cases_of(session, SUBJECT, [r.id for r in rows])
