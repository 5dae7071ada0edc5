"""Applications on the workflow engine: the definition (workflows/application.yaml), the parties
of an application's case, and the application's own changes inside each transition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.services import licensing
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.bundles import bundle
from yiwang.contexts.services.models import Application, ServiceItem
from yiwang.core import workflow
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.db import utcnow
from yiwang.core.workflow_spec import Duration, Party

CODE = "services.application"
SUBJECT = "service_application"


def _on_transition(
    session: Session, actor: Actor, case: workflow.CaseView, code: str, inputs: dict[str, Any]
) -> None:
    a = repo.application(session, int(case.subject_id))
    assert a is not None
    a.status = case.state
    if case.state in ("completed", "refused", "rejected"):
        a.decision = inputs.get("reason") or inputs.get("comment") or case.state_label
    session.flush()
    if case.state == "completed":
        item = repo.item(session, a.item_id)
        if item is not None and item.license_name and not _in_industry_bundle(session, a):
            _license(session, actor, item.license_name, item.code, a, a.handling_department_id)
        if a.bundle_id is not None:
            _next_steps(session, actor, a.bundle_id)


def _in_industry_bundle(session: Session, a: Application) -> bool:
    """A permit of a 一业一证: the industry licence stands for it, no licence of its own."""
    b = repo.bundle_application(session, a.bundle_id) if a.bundle_id is not None else None
    spec = bundle(b.bundle_code) if b is not None else None
    return bool(spec and spec.industry_license)


def _license(
    session: Session, actor: Actor, name: str, code: str, a: Application, dept_id: int | None
) -> None:
    dept = identity.department(session, dept_id) if dept_id else None
    licensing.issue(session, actor, name=name, item_code=code, holder_name=a.applicant_name,
                    holder_user_id=a.applicant_user_id, person_id=a.person_id, enterprise_id=a.enterprise_id,
                    issuer_department_id=dept_id, application_id=a.id, issuer=dept.name if dept else "")  # fmt: skip


def _next_steps(session: Session, actor: Actor, bundle_id: int) -> None:
    """A bundle's step completed: start each waiting step whose steps before it are all completed
    (the e-license the earlier step issued is its material); the bundle is done with its last."""
    b = repo.bundle_application(session, bundle_id, for_update=True)
    siblings = repo.applications_of_bundle(session, bundle_id)
    codes = {s.item_id: repo.item(session, s.item_id) for s in siblings}
    completed = {codes[s.item_id].code for s in siblings if s.status == "completed"}  # type: ignore[union-attr]
    for s in siblings:
        item = codes[s.item_id]
        if s.status == "waiting" and item is not None and set(s.waits_for) <= completed:
            s.status = "submitted"
            session.flush()
            open_case(session, SYSTEM, s, item)
    if b is not None and b.status != "completed" and all(s.status == "completed" for s in siblings):
        b.status, b.completed_at = "completed", utcnow()
        spec = bundle(b.bundle_code)
        if spec is not None and spec.industry_license:  # 一业一证: one licence stands for the permits
            first = siblings[0]
            _license(
                session,
                actor,
                spec.industry_license,
                f"bundle:{spec.code}",
                first,
                first.handling_department_id,
            )
    session.flush()


workflow.register(Path(__file__).parent / "workflows" / "application.yaml", _on_transition)


def parties(session: Session, a: Application, item: ServiceItem) -> dict[str, Party]:
    dept = identity.department(session, a.handling_department_id)
    region = dept.region_code if dept else a.handling_region
    oversight = identity.department_by_code(session, f"{region}-government_service")
    out = {
        "department": Party(department_id=a.handling_department_id, region_code=region,
                            name=dept.name if dept else ""),
        "oversight": Party(department_id=oversight.id if oversight else None, region_code=region,
                           name=oversight.name if oversight else "政务服务管理部门"),
    }  # fmt: skip
    if a.applicant_user_id is not None:
        out["applicant"] = Party(user_id=a.applicant_user_id, name=a.applicant_name)
    if a.window_department_id is not None:
        window = identity.department(session, a.window_department_id)
        out["window"] = Party(department_id=a.window_department_id, region_code=window.region_code if window else None,
                              name=window.name if window else "综合窗口")  # fmt: skip
    return out


def open_case(session: Session, actor: Actor, a: Application, item: ServiceItem) -> workflow.CaseView:
    return workflow.start(
        session, actor, item.workflow_code, subject_type=SUBJECT, subject_id=a.id,
        title=f"{a.applicant_name}申请{item.name}", url=f"/services/applications/{a.id}",
        parties=parties(session, a, item), region_code=a.handling_region,
        deadlines={"handling": Duration(working_days=max(1, item.promised_days))},
    )  # fmt: skip


def case_of(session: Session, a: Application) -> workflow.CaseView | None:
    return workflow.case_of(session, SUBJECT, a.id)


def cases_of(session: Session, rows: list[Application]) -> dict[str, workflow.CaseView]:
    return workflow.cases_of(session, SUBJECT, [r.id for r in rows])
