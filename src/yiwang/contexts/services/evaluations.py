"""好差评 on the workflow engine: a bad rating's rectification case (workflows/rectification.yaml),
its parties, and the evaluation's status kept with the case's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.models import Application, Evaluation, ServiceItem
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.workflow_spec import Party

CODE = "services.rectification"
SUBJECT = "service_evaluation"
RATINGS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
STATUS = {"rectifying": "rectifying", "appealed": "appealed", "follow_up": "follow_up", "closed": "closed",
          "dismissed": "dismissed"}  # fmt: skip


def _on_transition(
    session: Session, actor: Actor, case: workflow.CaseView, code: str, inputs: dict[str, Any]
) -> None:
    e = repo.evaluation(session, int(case.subject_id))
    assert e is not None
    e.status = STATUS[case.state]
    session.flush()


workflow.register(Path(__file__).parent / "workflows" / "rectification.yaml", _on_transition)


def open_rectification(
    session: Session, actor: Actor, e: Evaluation, a: Application, item: ServiceItem
) -> None:
    dept = identity.department(session, a.handling_department_id)
    region = dept.region_code if dept else a.handling_region
    oversight = identity.department_by_code(session, f"{region}-government_service")
    parties = {
        "department": Party(department_id=a.handling_department_id, region_code=region, name=dept.name if dept else ""),
        "oversight": Party(department_id=oversight.id if oversight else None, region_code=region,
                           name=oversight.name if oversight else "政务服务管理部门"),
    }  # fmt: skip
    if a.applicant_user_id is not None:
        parties["applicant"] = Party(user_id=a.applicant_user_id, name=a.applicant_name)
    workflow.start(session, actor, CODE, subject_type=SUBJECT, subject_id=e.id,
                   title=f"差评整改：{item.name}（{RATINGS[e.rating]}）", url=f"/services/applications/{a.id}",
                   parties=parties, region_code=region)  # fmt: skip
