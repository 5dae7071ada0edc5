"""City-operations pages: the grid worker's report form (phone first), the events list and an
event's page with its lifecycle (立案, 派遣, 退单, 处置, 核查 with a photo, 合并), the command
dashboard (城市运行指挥) and the public statistics page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from shapely.geometry import shape

from yiwang.contexts import identity
from yiwang.contexts.cityops import actions, actions_dashboard, cases
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.api import MAX_PHOTO_BYTES, TRANSITIONS, EventId
from yiwang.contexts.cityops.catalogue import BRANCHES
from yiwang.contexts.cityops.policies import EventTarget
from yiwang.contexts.cityops.schemas import SOURCE_NAMES, EventIn, TransitionIn
from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.errors import Conflict, DomainError, from_pydantic
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")

EVENT_READERS = {"grid_worker", "dept_staff", "leader", "admin", "data_officer"}
nav.add_nav("城市事件", "/cityops/events", {"grid_worker", "dept_staff"}, order=42)  # others: the home cards
nav.add_nav("指挥大屏", "/cityops/dashboard", {"leader"}, order=44)
nav.add_card("grid_worker", "上报城市事件", "在现场拍照上报部件损坏、乱堆乱放、违停等问题，系统按网格自动派遣。",
             "/cityops/report", 5)  # fmt: skip
nav.add_card(
    "grid_worker", "待我核查", "部门处置完毕的事件，到现场拍照核查后结案。", "/cityops/events?tab=verify", 6
)
for _role in ("admin", "data_officer"):
    nav.add_card(
        _role,
        "城市运行指挥",
        "全市城市事件地图、超期与结案率、各街道各部门处置时长。",
        "/cityops/dashboard",
        30,
    )
nav.add_card("leader", "城市运行指挥", "全市城市事件地图、超期与结案率、各街道各部门处置时长，实时刷新。",
             "/cityops/dashboard", 5)  # fmt: skip
nav.add_card(
    "dept_staff", "城市事件", "派遣给本部门的城市事件：处置、退单，查看处置时限。", "/cityops/events", 30
)
NOTICES = {"reported": "事件已上报。", "register": "已立案。", "dispatch": "已派遣。", "return": "已退单，退回指挥中心重新派遣。",
           "handle": "已处置，等待网格员核查。", "verify": "核查通过，事件已结案。", "reopen": "核查不通过，已退回处置部门。",
           "merge": "已合并到主事件，将随主事件一并结案。", "reject": "已不予立案。"}  # fmt: skip
TRANSITION_HELP = {"return": "退单理由", "reject": "不予立案理由", "reopen": "核查不通过的原因", "handle": "处置情况",
                   "verify": "核查意见", "merge": "合并说明", "register": "立案意见", "dispatch": "派遣意见"}  # fmt: skip


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), SOURCE_NAMES=SOURCE_NAMES)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _catalogue(db: DB) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for c in repo.categories(db):
        groups.setdefault(f"{BRANCHES[c.code[0]][1]} · {c.major_name}", []).append(c)
    return list(groups.items())


def _home_point(db: DB, actor: Actor) -> tuple[float, float] | None:
    if not actor.grid_code:
        return None
    g = next((g for g in identity.grid_shapes(db, actor.grid_code[:9]) if g.code == actor.grid_code), None)
    if g is None:
        return None
    p = shape(g.geometry).representative_point()
    return round(p.x, 6), round(p.y, 6)


def _report_form(request: Request, db: DB, actor: Actor, values: dict[str, Any], errors: dict[str, str],
                 status: int = 200) -> Response:  # fmt: skip
    authz.check(actor, "cityops.category_list", None)
    return _render(
        request, "cityops_report.html", actor, status, groups=_catalogue(db), values=values, errors=errors
    )


@router.get("/cityops/report")
def report_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    home = _home_point(db, actor)
    values = {"lon": home[0] if home else "", "lat": home[1] if home else "", "urgency": "normal"}
    return _report_form(request, db, actor, values, {})


FormText = Annotated[str, Form(max_length=2000)]


def _field_errors(exc: DomainError | ValidationError) -> dict[str, str]:
    errs = exc.errors if isinstance(exc, DomainError) else from_pydantic(list(exc.errors()), ()).errors
    out: dict[str, str] = {}
    for e in errs:
        out.setdefault(e.field.split(".")[0].replace("photos", "photo"), e.detail)
    return out


@router.post("/cityops/report")
async def report_submit(request: Request, db: DB, actor: LoggedIn, category_code: FormText = "", lon: FormText = "",
                        lat: FormText = "", address: FormText = "", description: FormText = "", plate: FormText = "",
                        urgency: FormText = "normal", photo: UploadFile | None = None) -> Response:  # fmt: skip
    values = {"category_code": category_code, "lon": lon, "lat": lat, "address": address, "description": description,
              "plate": plate.strip().upper(), "urgency": urgency}  # fmt: skip
    raw = await photo.read(MAX_PHOTO_BYTES) if photo is not None and photo.filename else b""
    try:
        data = EventIn.model_validate({**{k: v.strip() for k, v in values.items() if v and v.strip()},
                                       "source": "grid_worker" if actor.is_staff else "citizen"})  # fmt: skip
        out = actions.event_report(db, actor, data, [raw] if raw else [])
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not exc.errors:
            raise
        db.rollback()
        return _report_form(request, db, actor, values, _field_errors(exc), 422)
    return RedirectResponse(f"/cityops/events/{out.id}?notice=reported", status_code=303)


TABS = {"open": "未结案", "verify": "待我核查", "mine": "我上报的", "closed": "已结案"}


@router.get("/cityops/events")
def events_page(request: Request, db: DB, actor: LoggedIn, tab: str = "open") -> Response:
    authz.check(actor, "cityops.category_list", None)
    tab = tab if tab in TABS else "open"
    street = actor.region_code if actor.region_code and actor.region_code != "330100" else None
    rows = repo.events_page(
        db, status="closed" if tab == "closed" else "open", street_prefix=street, limit=200
    )
    if tab == "verify":
        rows = [
            e
            for e in rows
            if e.status == "handled" and (not actor.grid_code or e.grid_code == actor.grid_code)
        ]
    elif tab == "mine":
        rows = repo.events_page(db, limit=200)
        rows = [e for e in rows if e.reporter_user_id == actor.id]
    elif (
        actor.department_id and not actor.grid_code and not actor.roles & {"leader", "admin", "data_officer"}
    ):
        rows = [
            e for e in rows if e.department_id == actor.department_id or e.district_code == (street or "")[:6]
        ]
    visible = [e for e in rows if authz.decide(actor, "cityops.event_read",
                                               EventTarget(e.id, e.district_code, e.street_code, e.reporter_user_id,
                                                           e.department_id))]  # fmt: skip
    found = cases.cases_of(db, visible)
    views = [actions.event_view(db, e, case=found.get(str(e.id))) for e in visible[:100]]
    return _render(request, "cityops_events.html", actor, rows=views, tab=tab, tabs=TABS)


def _choices(db: DB, actor: Actor, case_id: int | None, state: str) -> list[workflow.Choice]:
    if case_id is None:
        return []
    spec = workflow.registered(cases.CODE)
    out = []
    for code, t in spec.transitions.items():
        if state not in t.from_ or code == "close_with":
            continue
        if authz.decide(actor, spec.action(code), workflow.target(db, case_id, code)):
            out.append(workflow.Choice(code, t.label, t.requires, t.in_place, t.style))
    return out


def _event_page(request: Request, db: DB, actor: Actor, event_id: int, notice: str = "",
                errors: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    e = actions.event_read(db, actor, event_id)
    c = workflow.case(db, e.case_id) if e.case_id else None
    history = workflow.history(db, e.case_id) if e.case_id else []
    depts = [d for d in identity.departments(db) if d.region_code in (e.district_code, "330100")]
    return _render(request, "cityops_event.html", actor, status, e=e, case=c, history=history,
                   choices=_choices(db, actor, e.case_id, e.status), depts=depts, notice=NOTICES.get(notice, ""),
                   errors=errors or {}, help=TRANSITION_HELP)  # fmt: skip


@router.get("/cityops/events/{event_id}")
def event_page(request: Request, db: DB, actor: LoggedIn, event_id: EventId, notice: str = "") -> Response:
    return _event_page(request, db, actor, event_id, notice)


@router.get("/cityops/events/{event_id}/photos/{photo_id}")
def event_photo(db: DB, actor: LoggedIn, event_id: EventId, photo_id: EventId) -> Response:
    kind, data = actions.photo_read(db, actor, event_id, photo_id)
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})


@router.post("/cityops/events/{event_id}/{transition}")
async def event_move(request: Request, db: DB, actor: LoggedIn, event_id: EventId, transition: str,
                     revision: FormText = "", comment: FormText = "", reason: FormText = "", department_id: FormText = "",
                     merge_into: FormText = "", photo: UploadFile | None = None) -> Response:  # fmt: skip
    if transition not in TRANSITIONS:
        return _event_page(request, db, actor, event_id, errors={"form": "没有这项操作"}, status=404)
    raw = await photo.read(MAX_PHOTO_BYTES) if photo is not None and photo.filename else b""
    try:
        photo_ids = (
            [
                actions.photo_add(
                    db, actor, event_id, raw, "verify" if transition in ("verify", "reopen") else "handle"
                )
            ]
            if raw
            else []
        )
        body = TransitionIn.model_validate({
            "revision": revision or None, "comment": comment or None, "reason": reason or None,
            "department_id": department_id or None, "merge_into": merge_into or None, "photo_ids": photo_ids,
        })  # fmt: skip
        TRANSITIONS[transition](db, actor, event_id, body)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not exc.errors and not isinstance(exc, Conflict):
            raise
        db.rollback()
        errors = {"form": exc.detail} if isinstance(exc, Conflict) else _field_errors(exc)
        if transition in ("verify", "reopen") and "attachments" in errors:
            errors["photo"] = "请拍摄或上传现场照片"
        return _event_page(request, db, actor, event_id, errors={**errors, "transition": transition},
                           status=409 if isinstance(exc, Conflict) else 422)  # fmt: skip
    return RedirectResponse(f"/cityops/events/{event_id}?notice={transition}", status_code=303)


@router.get("/cityops/dashboard")
def dashboard_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    figures = actions_dashboard.dashboard(db, actor)
    return _render(request, "cityops_dashboard.html", actor, f=figures)


@router.get(
    "/api/v1/cityops/dashboard", include_in_schema=True, tags=["cityops"], summary="城市运行指挥大屏数据"
)
def dashboard_data(db: DB, actor: Caller) -> dict[str, Any]:
    return actions_dashboard.dashboard(db, actor)


@router.get("/cityops/stats")
def stats_page(request: Request, db: DB, actor: Caller) -> Response:
    return _render(request, "cityops_stats.html", actor, f=actions_dashboard.public_stats(db, actor))


@router.get(
    "/api/v1/cityops/stats", include_in_schema=True, tags=["cityops"], summary="城市事件公开统计（匿名汇总）"
)
def stats_data(db: DB, actor: Caller) -> dict[str, Any]:
    return actions_dashboard.public_stats(db, actor)


@router.get("/cityops/signals")
def signals_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _render(request, "cityops_signals.html", actor, plans=actions_dashboard.signal_plans(db, actor))
