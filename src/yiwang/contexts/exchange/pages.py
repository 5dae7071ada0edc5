"""Exchange pages: sharing requests (list, new, detail with approve/refuse), grants, the sharing
monitor (共享监控, charts fed by a JSON endpoint) and the 谁在使用 fragment of a catalog page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from yiwang.contexts import catalog, identity
from yiwang.contexts.catalog.actions import resource_search
from yiwang.contexts.exchange import actions, actions_monitor
from yiwang.contexts.exchange.actions_monitor import MonitorOut
from yiwang.contexts.exchange.policies import RequestTarget
from yiwang.contexts.exchange.schemas import ApproveIn, ReasonIn, RefuseIn, RequestIn, RevokeIn, SupplementIn
from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed, from_pydantic
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates
from yiwang.core.workdays import local_day

router = APIRouter()
add_template_folder(Path(__file__).parent / "templates")

REQUEST_READERS = {"dept_staff", "data_officer", "window_clerk", "leader", "admin"}
MONITOR_READERS = {"data_officer", "leader", "admin"}
STATUS_ZH = {
    "pending": "待审批",
    "supplement": "待补正",
    "approved": "已同意",
    "refused": "已拒绝",
    "withdrawn": "已撤回",
}
GRANT_STATE_ZH = {"active": "有效", "revoked": "已撤销", "expired": "已过期", "pending": "未生效"}
SENSITIVITY_ZH = {1: "公开", 2: "内部", 3: "敏感", 4: "高度敏感"}
SHARE_TYPE_ZH = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}
TABS = {"incoming": "待我审批", "outgoing": "我提出的", "provided": "本部门收到的", "overdue": "超期"}
PERIODS = {1: "今日", 7: "近 7 日", 30: "近 30 日"}
NOTICES = {
    "created": "共享申请已提交。",
    "approved": "已同意该共享申请，授权已生效。",
    "refused": "已拒绝该共享申请，理由已告知申请部门。",
    "revoked": "授权已撤销，使用方将无法再调用。",
    "supplement_requested": "已退回申请部门补正，补正期间审批计时暂停。",
    "supplemented": "补正已提交，提供部门继续审批，计时恢复。",
    "withdrawn": "共享申请已撤回。",
}

nav.add_nav("共享申请", "/exchange/requests", REQUEST_READERS, order=45)
nav.add_nav("共享监控", "/exchange/monitor", MONITOR_READERS, order=55)
nav.add_card("dept_staff", "共享申请", "向其他部门申请共享数据，审批本部门数据的共享申请，查看授权与用量。",
             "/exchange/requests", 20)  # fmt: skip
nav.add_card("data_officer", "共享申请与超期督办", "查看各部门的共享申请，督办超过 10 个工作日未审批的申请。",
             "/exchange/requests?tab=overdue", 20)  # fmt: skip
nav.add_card("data_officer", "共享监控", "调用量、拒绝原因、响应时间与超期申请，一屏掌握数据共享运行。",
             "/exchange/monitor", 25)  # fmt: skip
nav.add_card(
    "leader", "共享监控", "各部门数据共享调用与拒绝情况、超期未审批的共享申请。", "/exchange/monitor", 20
)
nav.add_card("window_clerk", "本部门共享授权", "本部门可调用的其他部门数据：信息项、有效期和今日用量。",
             "/exchange/grants", 30)  # fmt: skip


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), STATUS_ZH=STATUS_ZH,
               GRANT_STATE_ZH=GRANT_STATE_ZH, SENSITIVITY_ZH=SENSITIVITY_ZH, SHARE_TYPE_ZH=SHARE_TYPE_ZH,
               )  # fmt: skip
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _labels(db: DB, codes: set[str]) -> dict[str, dict[str, str]]:
    out = {}
    for code in codes:
        res = catalog.resource_for_exchange(db, code)
        out[code] = {n: f.label for n, f in res.fields.items()} if res else {}
    return out


# --- requests ---------------------------------------------------------------------------------


@router.get("/exchange/requests", include_in_schema=False)
def requests_page(request: Request, db: DB, actor: LoggedIn, tab: str = "", notice: str = "") -> Response:
    """待我审批 (from the one to-do list: to decide, or to supplement) opens first when something
    waits; else what my department asked for."""
    tabs = {k: v for k, v in TABS.items() if k != "overdue" or actor.roles & MONITOR_READERS}
    waiting_rows = actions.request_waiting(db, actor) if actor.is_staff else []
    if tab not in tabs:
        tab = "incoming" if waiting_rows else "outgoing"
    if tab == "incoming":
        rows = waiting_rows
    elif tab in ("overdue", "all"):
        rows = actions.request_oversight(db, actor, tab)
    else:
        rows = actions.request_list(db, actor, "incoming" if tab == "provided" else tab)
    waiting = len(waiting_rows)
    can_create = bool(authz.decide(actor, "exchange.request_create", _create_target(db, actor, None)))
    return _render(request, "exchange_requests.html", actor, tab=tab, tabs=tabs, rows=rows, waiting=waiting,
                   labels=_labels(db, {r.resource_code for r in rows}), can_create=can_create,
                   notice=NOTICES.get(notice, ""))  # fmt: skip


def _create_target(db: DB, actor: Actor, row_scope: str | None) -> RequestTarget:
    dept = identity.department(db, actor.department_id) if actor.department_id else None
    region = dept.region_code if dept else None
    return RequestTarget(actor.department_id, region, row_scope or region or "")


def _form_page(
    request: Request, db: DB, actor: Actor, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    allowed = authz.decide(actor, "exchange.request_create", _create_target(db, actor, None))
    if not allowed:
        raise Forbidden(allowed.reason)
    _, resources = resource_search(db, actor, None, 0, 200)
    chosen = next((r for r in resources if r.code == values.get("resource_code")), None)
    dept = identity.department(db, actor.department_id) if actor.department_id else None
    region = (dept.region_code, identity.region_name(db, dept.region_code)) if dept else ("", "")
    return _render(request, "exchange_request_new.html", actor, status, resources=resources, chosen=chosen,
                   values=values, errors=errors, region=region, department=dept.name if dept else "",
                   today=local_day(utcnow()))  # fmt: skip


@router.get("/exchange/requests/new", include_in_schema=False)
def request_new(request: Request, db: DB, actor: LoggedIn, resource: str = "") -> Response:
    values = {"resource_code": resource, "fields": [], "daily_quota": "1000",
              "valid_to": (local_day(utcnow()) + timedelta(days=365)).isoformat()}  # fmt: skip
    return _form_page(request, db, actor, values, {})


@router.get("/exchange/requests/new/fields", include_in_schema=False)
def request_new_fields(request: Request, db: DB, actor: LoggedIn, resource_code: str = "") -> Response:
    """The fields of the chosen resource (htmx swaps them into the form)."""
    _, resources = resource_search(db, actor, None, 0, 200)
    chosen = next((r for r in resources if r.code == resource_code), None)
    response = _render(request, "exchange_request_fields.html", actor, chosen=chosen, values={"fields": []},
                       errors={})  # fmt: skip
    response.headers["HX-Replace-Url"] = "/exchange/requests/new?resource=" + quote(resource_code)
    return response


def _form_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as one Chinese message per form field."""
    out: dict[str, str] = {}
    for raw, err in zip(exc.errors(), from_pydantic(list(exc.errors()), ()).errors, strict=True):
        name, kind, ctx = err.field.split(".")[0], raw.get("type"), raw.get("ctx") or {}
        message = err.detail
        if name == "fields" and kind in ("too_short", "missing", "list_type"):
            message = "请至少选择一个信息项"
        elif kind == "string_too_short" and "min_length" in ctx:
            message = f"至少填写 {ctx['min_length']} 个字"
        elif kind == "string_too_long" and "max_length" in ctx:
            message = f"不能超过 {ctx['max_length']} 个字"
        elif name == "row_scope" and kind == "string_pattern_mismatch":
            message = "应为 6、9 或 12 位行政区划代码"
        elif name == "body":
            name = "valid_to" if "有效期" in message else "fields"
        out.setdefault(name, message)
    return out


FormText = Annotated[str, Form(max_length=5000)]


@router.post("/exchange/requests/new", include_in_schema=False)
def request_new_submit(
    request: Request,
    db: DB,
    actor: LoggedIn,
    resource_code: FormText = "",
    fields: Annotated[list[str] | None, Form()] = None,
    purpose: FormText = "",
    legal_basis: FormText = "",
    row_scope: FormText = "",
    valid_from: FormText = "",
    valid_to: FormText = "",
    daily_quota: FormText = "",
) -> Response:
    values: dict[str, Any] = {"resource_code": resource_code, "fields": fields or [], "purpose": purpose,
                              "legal_basis": legal_basis, "row_scope": row_scope, "valid_from": valid_from,
                              "valid_to": valid_to, "daily_quota": daily_quota}  # fmt: skip
    data = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    errors: dict[str, str] = {}
    body = None
    try:
        body = RequestIn.model_validate({k: v for k, v in data.items() if v != ""})
    except ValidationError as exc:
        errors = _form_errors(exc)
    if "row_scope" not in errors:  # the scope is checked even when other fields are wrong
        scope = authz.decide(actor, "exchange.request_create", _create_target(db, actor, data["row_scope"]))
        if not scope:
            errors["row_scope"] = scope.reason
    if body is not None and not errors:
        try:
            out = actions.request_create(db, actor, body)
            return RedirectResponse(f"/exchange/requests/{out.id}?notice=created", status_code=303)
        except ValidationFailed as exc:
            errors = {e.field.split(".")[0]: e.detail for e in exc.errors} or {"fields": exc.detail}
    return _form_page(request, db, actor, values, errors, 422)


def _detail(
    request: Request, db: DB, actor: Actor, request_id: int, status: int = 200, **ctx: Any
) -> Response:
    page = actions_monitor.request_page(db, actor, request_id)
    case = workflow.case(db, page.request.case_id) if page.request.case_id else None
    history = workflow.history(db, case.id) if case else []
    asked = next((e.comment for e in reversed(history) if e.code == "request_supplement"), None)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return _render(request, "exchange_request.html", actor, status, page=page, r=page.request, case=case,
                   history=history, supplement_asked=asked, region_name=identity.region_name(db, page.request.row_scope),
                   **ctx)  # fmt: skip


@router.get("/exchange/requests/{request_id}", include_in_schema=False)
def request_detail(request: Request, db: DB, actor: LoggedIn, request_id: int, notice: str = "") -> Response:
    return _detail(request, db, actor, request_id, notice=NOTICES.get(notice, ""), notice_key=notice)


Revision = Annotated[int | None, Form(ge=0, le=1_000_000)]


def _decided(request: Request, db: DB, actor: Actor, request_id: int, act: Any, notice: str) -> Response:
    """Run a transition from a form; a form shown before someone else acted answers 409 with the
    page as it is now."""
    try:
        act()
    except Conflict as exc:
        db.rollback()
        return _detail(request, db, actor, request_id, 409, conflict=exc.detail)
    return RedirectResponse(f"/exchange/requests/{request_id}?notice={notice}", status_code=303)


@router.post("/exchange/requests/{request_id}/approve", include_in_schema=False)
def request_approve(
    request: Request,
    db: DB,
    actor: LoggedIn,
    request_id: int,
    masked_fields: Annotated[list[str] | None, Form()] = None,
    note: FormText = "",
    revision: Revision = None,
) -> Response:
    try:
        data = ApproveIn(masked_fields=masked_fields or [], note=note, revision=revision)
        return _decided(request, db, actor, request_id, lambda: actions.request_approve(db, actor, request_id, data),
                        "approved")  # fmt: skip
    except ValidationError as exc:
        return _detail(request, db, actor, request_id, 422, errors={"note": _form_errors(exc).popitem()[1]})
    except ValidationFailed as exc:
        db.rollback()
        return _detail(request, db, actor, request_id, 422, errors={"masked_fields": exc.detail})


def _reason_form(
    request: Request, db: DB, actor: Actor, request_id: int, reason: str, revision: int | None, field: str,
    act: Any, notice: str, model: type[RefuseIn] | type[ReasonIn] = ReasonIn,
) -> Response:  # fmt: skip
    try:
        data = model(reason=reason, revision=revision)
    except ValidationError as exc:
        missing = {"reason": "请填写拒绝理由", "supplement_reason": "请填写需要补正的内容",
                   "withdraw_reason": "请填写撤回理由"}[field]  # fmt: skip
        message = missing if not reason.strip() else _form_errors(exc).get("reason", "至少填写 4 个字")
        return _detail(request, db, actor, request_id, 422, errors={field: message}, values={field: reason})
    return _decided(request, db, actor, request_id, lambda: act(db, actor, request_id, data), notice)


@router.post("/exchange/requests/{request_id}/refuse", include_in_schema=False)
def request_refuse(
    request: Request,
    db: DB,
    actor: LoggedIn,
    request_id: int,
    reason: FormText = "",
    revision: Revision = None,
) -> Response:
    return _reason_form(request, db, actor, request_id, reason, revision, "reason", actions.request_refuse,
                        "refused", RefuseIn)  # fmt: skip


@router.post("/exchange/requests/{request_id}/request-supplement", include_in_schema=False)
def request_supplement_ask(
    request: Request,
    db: DB,
    actor: LoggedIn,
    request_id: int,
    reason: FormText = "",
    revision: Revision = None,
) -> Response:
    return _reason_form(request, db, actor, request_id, reason, revision, "supplement_reason",
                        actions.request_supplement_ask, "supplement_requested")  # fmt: skip


@router.post("/exchange/requests/{request_id}/withdraw", include_in_schema=False)
def request_withdraw(
    request: Request,
    db: DB,
    actor: LoggedIn,
    request_id: int,
    reason: FormText = "",
    revision: Revision = None,
) -> Response:
    return _reason_form(request, db, actor, request_id, reason, revision, "withdraw_reason",
                        actions.request_withdraw, "withdrawn")  # fmt: skip


@router.post("/exchange/requests/{request_id}/supplement", include_in_schema=False)
def request_supplement(
    request: Request, db: DB, actor: LoggedIn, request_id: int, comment: FormText = "", purpose: FormText = "",
    legal_basis: FormText = "", revision: Revision = None,
) -> Response:  # fmt: skip
    values = {"comment": comment, "purpose": purpose, "legal_basis": legal_basis}
    try:
        data = SupplementIn(comment=comment, purpose=purpose.strip() or None, legal_basis=legal_basis.strip() or None,
                            revision=revision)  # fmt: skip
    except ValidationError as exc:
        errors = _form_errors(exc)
        if "comment" in errors and len(comment.strip()) < 2:
            errors["comment"] = "请说明补正了什么"
        return _detail(request, db, actor, request_id, 422, errors=errors, values=values)
    return _decided(request, db, actor, request_id, lambda: actions.request_supplement(db, actor, request_id, data),
                    "supplemented")  # fmt: skip


# --- grants -----------------------------------------------------------------------------------


@router.get("/exchange/grants", include_in_schema=False)
def grants_page(request: Request, db: DB, actor: LoggedIn, notice: str = "") -> Response:
    page = actions_monitor.grants_page(db, actor)
    return _render(
        request, "exchange_grants.html", actor, page=page, notice=NOTICES.get(notice, ""), errors={}
    )


@router.post("/exchange/grants/{grant_id}/revoke", include_in_schema=False)
def grant_revoke(request: Request, db: DB, actor: LoggedIn, grant_id: int, reason: FormText = "") -> Response:
    try:
        data = RevokeIn(reason=reason)
    except ValidationError:
        page = actions_monitor.grants_page(db, actor)
        message = "请填写撤销理由（至少 4 个字）"
        return _render(request, "exchange_grants.html", actor, 422, page=page, notice="",
                       errors={grant_id: message})  # fmt: skip
    actions.grant_revoke(db, actor, grant_id, data)
    return RedirectResponse("/exchange/grants?notice=revoked", status_code=303)


# --- monitor ----------------------------------------------------------------------------------

Days = Annotated[int, Query(ge=1, le=90, description="统计最近几个自然日（北京时间，含今日）")]


@router.get("/exchange/monitor", include_in_schema=False)
def monitor_page(request: Request, db: DB, actor: LoggedIn, days: Days = 1) -> Response:
    m = actions_monitor.usage_monitor(db, actor, days)
    return _render(request, "exchange_monitor.html", actor, m=m, periods=PERIODS,
                   period=PERIODS.get(m.days, f"近 {m.days} 日"))  # fmt: skip


@router.get("/api/v1/exchange/monitor", response_model=MonitorOut, tags=["exchange"],
            summary="共享监控：调用量、拒绝、返回记录、响应时间与超期申请")  # fmt: skip
def monitor_data(db: DB, actor: Caller, days: Days = 1) -> MonitorOut:
    return actions_monitor.usage_monitor(db, actor, days)


# --- 谁在使用 (fragment of the catalog resource page) --------------------------------------------


@router.get("/exchange/resources/{code}/consumers", include_in_schema=False)
def resource_consumers(request: Request, db: DB, actor: Caller, code: str) -> Response:
    try:
        out = actions_monitor.resource_consumers(db, actor, code)
    except (Forbidden, Unauthenticated) as exc:
        return _render(request, "exchange_consumers.html", actor, out=None, denied=exc.detail)
    return _render(request, "exchange_consumers.html", actor, out=out, denied="")
