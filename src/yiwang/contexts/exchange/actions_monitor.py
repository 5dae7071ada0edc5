"""Read models of the exchange pages: the sharing monitor (共享监控), one request with what the
viewer may do with it, the grants a department holds or gave, and who uses a resource.
Each public function starts with authz.check; the figures come from GROUP BY queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import cases
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.actions import request_view
from yiwang.contexts.exchange.models import Grant, SharingRequest
from yiwang.contexts.exchange.policies import DecideTarget, PartyTarget, grant_refusal
from yiwang.contexts.exchange.schemas import RequestOut
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers, region_prefix
from yiwang.core.db import utcnow
from yiwang.core.errors import NotFound
from yiwang.core.workdays import SHANGHAI, local_day

OPERATION_ZH = {"lookup": "按主键查询", "batch": "批量查询", "query": "条件查询", "verify": "数据核验",
                "pull": "订阅拉取", "push": "订阅推送"}  # fmt: skip
CONSUMER_WINDOW_DAYS = 30


class Figures(BaseModel):
    calls: int
    refusals: int
    rows: int
    overdue: int


class ResourceUsage(BaseModel):
    code: str
    name: str
    calls: int
    refusals: int
    rows: int
    p50_ms: float
    avg_ms: float
    max_ms: float


class DepartmentUsage(BaseModel):
    name: str
    calls: int
    refusals: int
    rows: int


class ReasonCount(BaseModel):
    reason: str
    count: int


class RefusalRow(BaseModel):
    at: datetime
    department: str
    consumer: str
    end_user: str | None
    case_id: str | None
    resource: str
    operation: str
    status: int
    reason: str


class MonitorOut(BaseModel):
    """共享监控: calls, refusals, rows and latency since the start of a Beijing-time day, of the
    consumer departments in the viewer's region (`scope`)."""

    scope: str
    days: int
    since: datetime
    generated_at: datetime
    figures: Figures
    by_resource: list[ResourceUsage]
    by_consumer: list[DepartmentUsage]
    refusal_reasons: list[ReasonCount]
    recent_refusals: list[RefusalRow]
    overdue: list[RequestOut]


class FieldInfo(BaseModel):
    name: str
    label: str
    data_type: str
    sensitivity: int


class GrantRow(BaseModel):
    id: int
    request_id: int
    resource_code: str
    resource_name: str
    consumer: str
    provider: str
    fields: list[FieldInfo]
    masked_fields: list[str]
    purpose: str
    row_scope: str
    valid_from: date
    valid_to: date
    daily_quota: int
    used_today: int
    state: str  # active | revoked | expired | pending (not yet valid)
    revoked_at: datetime | None
    revoked_reason: str | None
    can_revoke: bool


class GrantsPage(BaseModel):
    received: list[GrantRow]
    provided: list[GrantRow]


class Choice(BaseModel):
    code: str
    label: str
    requires: list[str]
    style: str


class RequestPage(BaseModel):
    request: RequestOut
    fields: list[FieldInfo]
    grant: GrantRow | None
    choices: list[Choice]  # what the viewer may do with the request now

    def can(self, code: str) -> bool:
        return any(c.code == code for c in self.choices)


class ConsumerRow(BaseModel):
    department: str
    fields: list[FieldInfo]
    masked_fields: list[str]
    row_scope: str
    valid_from: date
    valid_to: date
    state: str
    calls_30d: int


class ConsumersOut(BaseModel):
    resource_code: str
    resource_name: str
    since: datetime
    consumers: list[ConsumerRow]


def _day_start(days: int) -> datetime:
    first = local_day(utcnow()) - timedelta(days=days - 1)
    return datetime.combine(first, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def _fields(resource: catalog.ResourceInfo | None, names: list[str]) -> list[FieldInfo]:
    specs = resource.fields if resource else {}
    return [
        FieldInfo(
            name=n, label=specs[n].label, data_type=specs[n].data_type, sensitivity=specs[n].sensitivity
        )
        if n in specs
        else FieldInfo(name=n, label=n, data_type="string", sensitivity=1)
        for n in names
    ]


class _Names:
    """Resource and department names, each looked up once per read."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.departments = {d.id: d for d in identity.departments(session)}
        self.resources: dict[int, catalog.ResourceInfo | None] = {}

    def resource(self, resource_id: int | None) -> catalog.ResourceInfo | None:
        if resource_id is None:
            return None
        if resource_id not in self.resources:
            self.resources[resource_id] = catalog.resource_for_exchange(self.session, resource_id)
        return self.resources[resource_id]

    def department(self, department_id: int | None) -> str:
        d = self.departments.get(department_id) if department_id is not None else None
        return d.name if d else "（未关联部门）"

    def region(self, department_id: int) -> str:
        d = self.departments.get(department_id)
        return d.region_code if d else ""


def _grant_state(g: Grant, today: date) -> str:
    reason = grant_refusal(g, today)
    if reason is None:
        return "active"
    return "revoked" if g.revoked_at else "pending" if today < g.valid_from else "expired"


def _grant_row(session: Session, actor: Actor, names: _Names, g: Grant, r: SharingRequest | None) -> GrantRow:
    res = names.resource(g.resource_id)
    provider_id = r.provider_department_id if r else (res.provider_department_id if res else 0)
    target = DecideTarget(provider_id, names.region(provider_id))
    today = local_day(utcnow())
    return GrantRow(
        id=g.id, request_id=g.request_id, resource_code=res.code if res else "", resource_name=res.name if res else "",
        consumer=names.department(g.consumer_department_id), provider=names.department(provider_id),
        fields=_fields(res, list(g.fields)), masked_fields=list(g.masked_fields or []), purpose=g.purpose,
        row_scope=g.row_scope, valid_from=g.valid_from, valid_to=g.valid_to, daily_quota=g.daily_quota,
        used_today=repo.quota_used(session, g.id, today), state=_grant_state(g, today), revoked_at=g.revoked_at,
        revoked_reason=g.revoked_reason,
        can_revoke=g.revoked_at is None and bool(authz.decide(actor, "exchange.grant_revoke", target)),
    )  # fmt: skip


def _oversight(session: Session, actor: Actor) -> tuple[str, list[int] | None]:
    """The region the viewer oversees and its consumer departments (None: every department,
    for an admin or a city-level officer)."""
    region = actor.region_code or ""
    if actor.has("admin") or len(region_prefix(region)) <= 4:
        return (f"{identity.region_name(session, region)}（全市）" if region else "全部"), None
    depts = [d.id for d in identity.departments(session) if region_covers(region, d.region_code)]
    return identity.region_name(session, region), depts


def usage_monitor(session: Session, actor: Actor, days: int = 1) -> MonitorOut:
    """The figures, charts and lists of 共享监控 over the last `days` Beijing-time days."""
    authz.check(actor, "exchange.usage_read", None)
    days = max(1, min(days, 90))
    since = _day_start(days)
    names = _Names(session)
    scope, depts = _oversight(session, actor)
    stats = repo.usage_stats(session, since, depts)
    p50 = repo.usage_latency_p50(session, since, depts)
    per_resource: dict[int | None, dict[str, float]] = {}
    per_dept: dict[int | None, dict[str, float]] = {}
    for s in stats:
        calls, rows, refusals = int(s["calls"]), int(s["rows"] or 0), int(s["refusals"] or 0)
        r = per_resource.setdefault(
            s["resource_id"], {"calls": 0, "rows": 0, "refusals": 0, "ms": 0, "max": 0}
        )
        r["calls"] += calls
        r["rows"] += rows
        r["refusals"] += refusals
        r["ms"] += float(s["avg_ms"] or 0) * calls
        r["max"] = max(r["max"], float(s["max_ms"] or 0))
        d = per_dept.setdefault(s["consumer_department_id"], {"calls": 0, "rows": 0, "refusals": 0})
        d["calls"] += calls
        d["rows"] += rows
        d["refusals"] += refusals
    by_resource = []
    for rid, v in per_resource.items():
        res = names.resource(rid)
        by_resource.append(ResourceUsage(
            code=res.code if res else "", name=res.name if res else "（未知资源）", calls=int(v["calls"]),
            refusals=int(v["refusals"]), rows=int(v["rows"]), p50_ms=round(p50.get(rid, 0.0), 2),
            avg_ms=round(v["ms"] / v["calls"], 2) if v["calls"] else 0.0, max_ms=round(v["max"], 2),
        ))  # fmt: skip
    by_consumer = [
        DepartmentUsage(
            name=names.department(did),
            calls=int(v["calls"]),
            refusals=int(v["refusals"]),
            rows=int(v["rows"]),
        )
        for did, v in per_dept.items()
    ]
    recent = [
        RefusalRow(
            at=u.at,
            department=names.department(u.consumer_department_id),
            consumer=u.consumer,
            end_user=u.end_user,
            case_id=u.case_id,
            resource=(res.name if (res := names.resource(u.resource_id)) else "（未知资源）"),
            operation=OPERATION_ZH.get(u.operation, u.operation),
            status=u.status,
            reason=u.refusal or "",
        )
        for u in repo.recent_usage(session, 20, refusals_only=True, departments=depts)
    ]
    overdue = [r for r in request_oversight_rows(session)
               if actor.has("admin") or region_covers(actor.region_code or "", r.row_scope)]  # fmt: skip
    return MonitorOut(
        scope=scope, days=days, since=since, generated_at=utcnow(),
        figures=Figures(calls=sum(int(v["calls"]) for v in per_resource.values()),
                        refusals=sum(int(v["refusals"]) for v in per_resource.values()),
                        rows=sum(int(v["rows"]) for v in per_resource.values()), overdue=len(overdue)),
        by_resource=sorted(by_resource, key=lambda x: -x.calls),
        by_consumer=sorted(by_consumer, key=lambda x: -x.calls),
        refusal_reasons=[ReasonCount(reason=r, count=n) for r, n in repo.refusal_reasons(session, since,
                                                                                        departments=depts)],
        recent_refusals=recent, overdue=overdue,
    )  # fmt: skip


def request_page(session: Session, actor: Actor, request_id: int) -> RequestPage:
    """One request as its parties see it, with whether the viewer may decide it now."""
    r = repo.request(session, request_id)
    parties = frozenset({r.consumer_department_id, r.provider_department_id}) if r else frozenset()
    authz.check(actor, "exchange.request_read", PartyTarget(parties, r.row_scope if r else None))
    if r is None:
        raise NotFound("共享申请不存在")
    names = _Names(session)
    g = repo.grant_of_request(session, r.id)
    case = cases.case_of(session, r)
    choices = workflow.choices(session, actor, case) if case else []
    return RequestPage(
        request=request_view(session, r, g.id if g else None, case),
        fields=_fields(names.resource(r.resource_id), list(r.fields)),
        grant=_grant_row(session, actor, names, g, r) if g else None,
        choices=[
            Choice(code=c.code, label=c.label, requires=list(c.requires), style=c.style) for c in choices
        ],
    )


def request_oversight_rows(session: Session) -> list[RequestOut]:
    """Every overdue request (the caller limits them to what the viewer oversees)."""
    overdue = workflow.open_cases(session, cases.CODE, overdue_only=True)
    rows = repo.requests_by_ids(session, [int(c.subject_id) for c in overdue])
    by_id = {c.subject_id: c for c in overdue}
    return [request_view(session, r, None, by_id.get(str(r.id))) for r in rows]


def grants_page(session: Session, actor: Actor) -> GrantsPage:
    """Grants my department holds, and grants given on the resources it provides."""
    dept = actor.department_id
    authz.check(actor, "exchange.request_read", PartyTarget(frozenset({dept} if dept else set()), None))
    names = _Names(session)
    if dept is None:
        return GrantsPage(received=[], provided=[])
    received = [_grant_row(session, actor, names, g, repo.request(session, g.request_id))
                for g in repo.grants(session, consumer_id=dept)]  # fmt: skip
    provided = [_grant_row(session, actor, names, g, repo.request(session, g.request_id))
                for g in repo.grants_provided(session, dept)]  # fmt: skip
    return GrantsPage(received=received, provided=provided)


def resource_consumers(session: Session, actor: Actor, code: str) -> ConsumersOut:
    """谁在使用: departments holding grants on a resource, with their calls in the last 30 days."""
    authz.check(actor, "exchange.consumers_read", None)
    res = catalog.resource_for_exchange(session, code)
    if res is None:
        raise NotFound(f"信息资源 {code} 不存在")
    names = _Names(session)
    since = utcnow() - timedelta(days=CONSUMER_WINDOW_DAYS)
    calls = repo.resource_calls_by_department(session, res.id, since)
    today = local_day(utcnow())
    rows = [
        ConsumerRow(
            department=names.department(g.consumer_department_id),
            fields=_fields(res, list(g.fields)),
            masked_fields=list(g.masked_fields or []),
            row_scope=g.row_scope,
            valid_from=g.valid_from,
            valid_to=g.valid_to,
            state=_grant_state(g, today),
            calls_30d=calls.get(g.consumer_department_id, 0),
        )
        for g in repo.grants(session, resource_id=res.id)
        if g.revoked_at is None
    ]
    return ConsumersOut(resource_code=res.code, resource_name=res.name, since=since, consumers=rows)
