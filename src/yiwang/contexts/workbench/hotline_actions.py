"""Use cases of the 12345 hotline: category and department suggestions, intake (受理, and
派单 at once when the operator confirms), merging a repeated message into an open order, and
reading orders. Each starts with authz.check. The lifecycle's transitions are in
hotline_actions_flow.py; hot topics in hotline_actions_topics.py."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.workbench import hotline_cases as cases
from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench import hotline_text as text
from yiwang.contexts.workbench.hotline_events import CITY_PROBLEM_REPORTED, CityProblemReported
from yiwang.contexts.workbench.hotline_models import HotlineOrder
from yiwang.contexts.workbench.hotline_policies import (
    CENTRE_KIND,
    IntakeTarget,
    OrderSubject,
    Rule,
    centre_staff,
    is_city_problem,
    route,
)
from yiwang.contexts.workbench.hotline_schemas import (
    CategoryScore,
    ClassifyOut,
    Duplicate,
    IntakeIn,
    OrderOut,
    PastCase,
    SuggestionsOut,
)
from yiwang.core import audit, authz, events, workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workflow_spec import Party

HANDLER_ROLES = ("dept_staff", "leader")
DUPLICATE_WINDOW = timedelta(days=30)
DUPLICATE_THRESHOLD = 0.3
SIMILAR_THRESHOLD = 0.12


def suggest(subject: str, body: str) -> list[tuple[str, float]]:
    """First-level classes, best first, with their confidence (the hotline classifier)."""
    from yiwang.contexts.workbench.hotline_classifier import suggest as classifier_suggest

    return classifier_suggest(subject, body)


def routed_department(session: Session, level1: str, level2: str, region_code: str) -> Any:
    """The department the routing table names for a category in a region: the region's own
    department of that kind, else the city's; the region's hotline centre when nothing fits."""
    rules = [Rule(r.category, r.region_code, r.department_kind) for r in repo.routes(session)]
    rule = route(rules, level1, level2, region_code)
    city = region_code[:4] + "00"
    kinds = ([rule.department_kind] if rule else []) + [CENTRE_KIND]
    for kind in kinds:
        for region in dict.fromkeys((region_code, city)):
            dept = identity.department_by_code(session, f"{region}-{kind}")
            if dept is not None:
                return dept
    return None


def _centre_of(session: Session, actor: Actor, region_code: str) -> Any:
    if centre_staff(actor) and actor.department_id is not None:
        return identity.department(session, actor.department_id)
    for region in dict.fromkeys((region_code, region_code[:4] + "00")):
        dept = identity.department_by_code(session, f"{region}-{CENTRE_KIND}")
        if dept is not None:
            return dept
    return None


def _scores(subject: str, body: str) -> list[CategoryScore]:
    return [CategoryScore(name=n, confidence=round(float(c), 4)) for n, c in suggest(subject, body)]


def order_classify(
    session: Session, actor: Actor, subject: str, body: str, region_code: str | None
) -> ClassifyOut:
    authz.check(actor, "workbench.order_classify", None)
    region = region_code or (actor.region_code or "330100")[:6]
    cats = _scores(subject, body)
    dept = routed_department(session, cats[0].name if cats else "", "", region)
    return ClassifyOut(categories=cats, department=dept.name if dept else None, department_id=dept.id if dept else None,
                       department_code=dept.code if dept else None)  # fmt: skip


def _existing(session: Session, order_id: int, merged: bool = False) -> HotlineOrder:
    o = repo.order(session, order_id)
    if o is None or (o.merged_into_id is not None and not merged):
        raise NotFound("工单不存在")
    return o


def _subject_target(o: HotlineOrder) -> OrderSubject:
    return OrderSubject(o.region_code, o.department_id, o.centre_department_id, o.handler_user_id)


def order_suggestions(session: Session, actor: Actor, subject: str, body: str, region_code: str, location: str,
                      with_categories: bool = True) -> SuggestionsOut:  # fmt: skip
    """What the operator sees while typing: the suggested category and department, open orders
    of the same place and topic (to merge into), similar past cases with their official replies."""
    authz.check(actor, "workbench.order_classify", None)
    cats = _scores(subject, body) if with_categories and (subject or body) else []
    dept = routed_department(session, cats[0].name, "", region_code) if cats else None
    query = text.shingles(subject)
    opens = repo.open_in_region(session, region_code, utcnow() - DUPLICATE_WINDOW)
    alike = [o for o in opens if text.same_place(region_code, location, o.region_code, o.location)]
    dups = text.ranked(
        query, ((o.id, text.shingles(o.subject)) for o in alike), threshold=DUPLICATE_THRESHOLD
    )
    by_id = {o.id: o for o in alike}
    found = workflow.cases_of(session, cases.SUBJECT, [d.key for d in dups])
    duplicates = [Duplicate(id=d.key, subject=by_id[d.key].subject, location=by_id[d.key].location,
                            received_at=by_id[d.key].received_at, score=d.score,
                            state_label=found[str(d.key)].state_label if str(d.key) in found else "")
                  for d in dups]  # fmt: skip
    similar = similar_past(session, subject, body)
    return SuggestionsOut(categories=cats, department=dept.name if dept else None,
                          department_id=dept.id if dept else None, duplicates=duplicates, similar=similar)  # fmt: skip


_archive: dict[str, Any] = {}  # the past cases' word sets and idf, kept while the archive is unchanged
_archive_lock = threading.Lock()


def _past_index(session: Session) -> tuple[list[Any], list[frozenset[str]], dict[str, float]]:
    stamp = repo.past_case_stamp(session)
    with _archive_lock:
        if _archive.get("stamp") != stamp:
            past = repo.past_cases(session)
            rows = [PastCase(id=p.id, subject=p.subject, body=p.body[:300], reply=p.reply, replied_at=p.replied_at,
                             score=0.0) for p in past]  # fmt: skip
            docs = [text.term_set(p.terms) for p in past]
            _archive.update(stamp=stamp, rows=rows, docs=docs, idf=text.idf_of(docs))
        return _archive["rows"], _archive["docs"], _archive["idf"]


def similar_past(session: Session, subject: str, body: str, limit: int = 3) -> list[PastCase]:
    rows, docs, idf = _past_index(session)
    if not rows or not (subject or body):
        return []
    query = text.term_set(text.terms(subject, subject, body[:300]))
    best = text.ranked(query, enumerate(docs), idf=idf, threshold=SIMILAR_THRESHOLD, limit=limit)
    return [rows[b.key].model_copy(update={"score": b.score}) for b in best]


def _validated(session: Session, data: IntakeIn) -> tuple[Any, list[FieldError]]:
    errors = []
    if not repo.category_exists(session, data.level1, data.level2, data.level3):
        errors.append(FieldError("level3", "请在分类目录中选择三级分类", "unknown"))
    dept = None
    if data.department_id is not None:
        dept = identity.department(session, data.department_id)
        if dept is None:
            errors.append(FieldError("department_id", "承办部门不存在", "unknown"))
    if not data.anonymous and not (data.caller_name or data.contact):
        errors.append(FieldError("contact", "非匿名诉求请填写诉求人姓名或联系电话", "missing"))
    return dept, errors


def _new_order(
    session: Session, actor: Actor, data: IntakeIn, dept: Any, centre: Any, status: str
) -> HotlineOrder:
    now = utcnow()
    o = HotlineOrder(
        channel=data.channel, anonymous=data.anonymous, citizen_user_id=None,
        caller_name=None if data.anonymous else data.caller_name, contact=None if data.anonymous else data.contact,
        location=data.location, region_code=data.region_code, subject=data.subject, body=data.body,
        received_at=data.received_at or now, urgency=data.urgency, suggested_category=data.suggested_category,
        suggested_confidence=data.suggested_confidence, level1=data.level1, level2=data.level2, level3=data.level3,
        department_id=dept.id if dept else None, centre_department_id=centre.id if centre else None,
        status=status, city_problem=is_city_problem(data.level1, data.level2), reopened=0,
        terms=text.terms(data.subject, data.location), created_by=actor.name or actor.label, created_at=now,
    )  # fmt: skip
    repo.add(session, o)
    return o


def order_create(session: Session, actor: Actor, data: IntakeIn) -> OrderOut:
    """受理: the order with its confirmed category and routed (or chosen) department, its case in
    待派单; with `dispatch`, 派单 to that department in the same transaction."""
    target = IntakeTarget(data.region_code)
    authz.check(actor, "workbench.order_create", target)
    dept, errors = _validated(session, data)
    if errors:
        raise ValidationFailed("请检查诉求信息", errors)
    dept = dept or routed_department(session, data.level1, data.level2, data.region_code)
    centre = _centre_of(session, actor, data.region_code)
    o = _new_order(session, actor, data, dept, centre, "accepted")
    audit.record(session, actor, "workbench.order_create", "hotline_order", o.id,
                 detail={"channel": o.channel, "category": [o.level1, o.level2, o.level3],
                         "suggested": o.suggested_category, "department": dept.code if dept else None})  # fmt: skip
    case = cases.open_case(
        session, actor, o, centre.name if centre else "12345热线中心", dept.name if dept else ""
    )
    if o.city_problem:
        events.emit(session, CITY_PROBLEM_REPORTED, f"order/{o.id}", CityProblemReported(
            order_id=o.id, case_id=case.id, subject=o.subject, body=o.body, location=o.location,
            region_code=o.region_code, category=[o.level1, o.level2, o.level3], urgency=o.urgency,
            department_id=o.department_id, received_at=o.received_at, url=f"/workbench/hotline/orders/{o.id}"))  # fmt: skip
    if data.dispatch and dept is not None:
        t = workflow.target(session, case.id, "dispatch", case.revision)
        workflow.fire(session, actor, t, assignee=Party(department_id=dept.id), roles=HANDLER_ROLES)
    return order_view(session, o)


def order_merge(session: Session, actor: Actor, into_id: int, data: IntakeIn) -> OrderOut:
    """A repeated message about an open order: recorded, and joined to that order (no new case)."""
    into = _existing(session, into_id)
    authz.check(actor, "workbench.order_merge", _subject_target(into))
    if into.status in repo.DONE:
        raise ValidationFailed(
            "该工单已办结，不能合并", [FieldError("merge_into", "该工单已办结，不能合并", "closed")]
        )
    _, errors = _validated(session, data.model_copy(update={"department_id": None}))
    if errors:
        raise ValidationFailed("请检查诉求信息", errors)
    dept = identity.department(session, into.department_id) if into.department_id else None
    centre = _centre_of(session, actor, data.region_code)
    o = _new_order(session, actor, data, dept, centre, "merged")
    o.merged_into_id = into.id
    session.flush()
    audit.record(session, actor, "workbench.order_merge", "hotline_order", o.id, detail={"into": into.id})
    return order_view(session, o)


def order_read(session: Session, actor: Actor, order_id: int) -> OrderOut:
    o = _existing(session, order_id, merged=True)
    authz.check(actor, "workbench.order_read", _subject_target(o))
    return order_view(session, o)


def order_list(session: Session, actor: Actor, status: str | None = None, limit: int = 100) -> list[OrderOut]:
    """Orders of the actor's region (centre staff, leaders) or of the actor's department."""
    authz.check(actor, "workbench.order_list", None)
    rows = repo.orders(session, region_prefix=_scope(actor), status=status, limit=limit)
    rows = [o for o in rows if authz.decide(actor, "workbench.order_read", _subject_target(o))]
    return views(session, rows)


def _scope(actor: Actor) -> str:
    if actor.has("admin"):
        return ""
    region = actor.region_code or ""
    return region.rstrip("0") if len(region) == 6 and region.endswith("00") else region


def views(session: Session, rows: list[HotlineOrder]) -> list[OrderOut]:
    found = cases.cases_of(session, rows)
    merged = repo.merged_counts(session, [o.id for o in rows])
    return [order_view(session, o, found.get(str(o.id)), merged.get(o.id, 0)) for o in rows]


def order_view(
    session: Session, o: HotlineOrder, case: workflow.CaseView | None = None, merged: int | None = None
) -> OrderOut:
    c = case or (cases.case_of(session, o) if o.merged_into_id is None else None)
    dept = identity.department(session, o.department_id) if o.department_id else None
    return OrderOut(
        id=o.id, channel=o.channel, anonymous=o.anonymous, caller_name=o.caller_name, contact=o.contact,
        location=o.location, region_code=o.region_code, subject=o.subject, body=o.body, received_at=o.received_at,
        urgency=o.urgency, suggested_category=o.suggested_category, suggested_confidence=o.suggested_confidence,
        category=[o.level1, o.level2, o.level3], department_id=o.department_id, department=dept.name if dept else "",
        status=o.status, state_label=c.state_label if c else ("已合并" if o.merged_into_id else ""),
        city_problem=o.city_problem, merged_into_id=o.merged_into_id,
        merged=merged if merged is not None else len(repo.merged_into(session, o.id)), reply=o.reply,
        replied_at=o.replied_at, satisfaction=o.satisfaction, reopened=o.reopened, case_id=c.id if c else None,
        revision=c.revision if c else 0, due_at=c.due_at if c and c.open else None, overdue=bool(c and c.overdue()),
        supervised=bool(c and c.supervised),
    )  # fmt: skip
