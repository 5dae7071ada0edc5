"""City events on the workflow engine: the definition (workflows/city_event.yaml), the parties of
an event's case, the dispatch rules (category x area -> department, most specific first, the
category's department kind in the district as the fallback), the SLA per category and urgency,
and the event's own changes inside each transition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.models import CityCategory, CityEvent, DispatchRule
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.workflow_spec import Duration, Party

CODE = "cityops.city_event"
SUBJECT = "city_event"
CITY = "330100"


def _on_transition(session: Session, actor: Actor, case: workflow.CaseView, code: str,
                   inputs: dict[str, Any]) -> None:  # fmt: skip
    e = repo.event(session, int(case.subject_id))
    assert e is not None
    e.status = case.state
    now = utcnow()
    if code in ("dispatch", "reopen"):
        e.department_id = case.assignee_department_id
        e.dispatched_at = e.dispatched_at or now
    if code == "merge":
        e.merged_into_id = int(inputs["merge_into"])
    if case.state in ("closed", "cancelled"):
        e.closed_at = now
    session.flush()


workflow.register(Path(__file__).parent / "workflows" / "city_event.yaml", _on_transition)


def _department(session: Session, code: str) -> Any:
    """Departments by code, remembered for the transaction (a batch asks for the same few)."""
    known: dict[str, Any] = session.info.setdefault("cityops.departments", {})
    if code not in known:
        known[code] = identity.department_by_code(session, code)
    return known[code]


def _party(dept: Any, region: str | None = None, name: str | None = None) -> Party:
    if dept is None:
        return Party(region_code=region, name=name or "")
    return Party(department_id=dept.id, region_code=region or dept.region_code, name=name or dept.name)


def parties(session: Session, e: CityEvent, street_name: str, verifier_id: int | None) -> dict[str, Party]:
    district = e.district_code
    center = _department(session, f"{district}-urban_management") or _department(
        session, f"{CITY}-urban_management"
    )
    ps = {
        "center": _party(center),
        "street": _party(center, e.street_code, f"{street_name}（{center.name if center else ''}）"),
        "district": _party(_department(session, f"{district}-government_service")),
        "city": _party(_department(session, f"{CITY}-government_service")),
    }
    ps["verifier"] = Party(user_id=verifier_id, name="网格员") if verifier_id else ps["center"]
    return ps


def route(rules: list[DispatchRule], category: CityCategory, grid_code: str) -> int | None:
    """The department of the most specific matching rule: the longest area prefix, then the
    longest category prefix, then the oldest; None when no rule matches."""
    matching = [
        r
        for r in rules
        if category.code.startswith(r.category_prefix) and grid_code.startswith(r.area_prefix)
    ]
    if not matching:
        return None
    return max(matching, key=lambda r: (len(r.area_prefix), len(r.category_prefix), -r.id)).department_id


def department_for(
    session: Session, rules: list[DispatchRule], category: CityCategory, e: CityEvent
) -> int | None:
    found = route(rules, category, e.grid_code)
    if found is not None:
        return found
    dept = _department(session, f"{e.district_code}-{category.department_kind}") or _department(
        session, f"{e.district_code}-urban_management"
    )
    return dept.id if dept else None


def sla(category: CityCategory, urgency: str) -> Duration:
    hours = category.urgent_sla_hours if urgency == "urgent" else category.sla_hours
    return Duration(working_hours=hours)


def open_case(session: Session, actor: Actor, e: CityEvent, category: CityCategory, street_name: str,
              verifier_id: int | None) -> workflow.CaseView:  # fmt: skip
    return workflow.start(
        session, actor, CODE, subject_type=SUBJECT, subject_id=e.id,
        title=f"{category.name}：{e.address or e.description[:30]}", url=f"/cityops/events/{e.id}",
        parties=parties(session, e, street_name, verifier_id), region_code=e.street_code, urgency=e.urgency,
        deadlines={"handling": sla(category, e.urgency)},
    )  # fmt: skip


def case_of(session: Session, e: CityEvent) -> workflow.CaseView | None:
    return workflow.case_of(session, SUBJECT, e.id)


def cases_of(session: Session, rows: list[CityEvent]) -> dict[str, workflow.CaseView]:
    return workflow.cases_of(session, SUBJECT, [r.id for r in rows])
