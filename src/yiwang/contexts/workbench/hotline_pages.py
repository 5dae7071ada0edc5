"""12345 hotline pages: the order list, the operator's intake form (suggested category and
department, open orders of the same place and topic to merge into, similar past cases with
their official replies), an order with its steps, and 热点 for leaders (an ECharts chart)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from yiwang.contexts import identity
from yiwang.contexts.identity import LoggedIn
from yiwang.contexts.workbench import hotline_actions as actions
from yiwang.contexts.workbench import hotline_actions_flow as flow
from yiwang.contexts.workbench import hotline_actions_topics as topics
from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench.hotline_policies import IntakeTarget, centre_staff
from yiwang.contexts.workbench.hotline_schemas import DispatchIn, IntakeIn, ReasonIn, ReplyIn, StepIn
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed, from_pydantic
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")

READERS = {"dept_staff", "window_clerk", "leader", "admin"}
CHANNELS = {"phone": "电话", "web": "网站留言", "app": "移动端"}
URGENCIES = {"critical": "特急（2 小时）", "urgent": "紧急（24 小时）", "normal": "一般（7 个工作日）",
             "low": "咨询建议（15 个工作日）"}  # fmt: skip
STATUS = {"accepted": "待派单", "dispatched": "待签收", "handling": "办理中", "extension": "延期审批中",
          "follow_up": "待回访", "closed": "已办结", "merged": "已合并"}  # fmt: skip
NOTICES = {"created": "诉求已受理。", "dispatched": "已派单，承办部门将在待办中签收。", "merged": "已合并到该工单。",
           "sign": "已签收，请在期限内办理并答复。", "return": "已退单，热线中心将重新派单。",
           "request_extension": "延期申请已提交，审批期间计时暂停。", "approve_extension": "已同意延期。",
           "refuse_extension": "已驳回延期申请。", "reply": "答复已提交，热线中心将回访诉求人。",
           "satisfied": "回访满意，工单已办结。", "unsatisfied": "回访不满意，工单已重新交承办部门办理。"}  # fmt: skip

nav.add_nav("12345热线", "/workbench/hotline", READERS, order=12)
nav.add_card(
    "leader",
    "12345热点诉求",
    "近期市民诉求按地点和主题聚类排名，看清群众最关心的问题。",
    "/workbench/hotline/topics",
    3,
)
nav.add_card(
    "dept_staff",
    "12345热线工单",
    "受理市民来电和留言、派单，签收、办理、答复本部门的热线工单。",
    "/workbench/hotline",
    15,
)


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), CHANNELS=CHANNELS, URGENCIES=URGENCIES,
               STATUS=STATUS)  # fmt: skip
    return templates.TemplateResponse(request, name, ctx, status_code=status)


@router.get("/workbench/hotline")
def order_list_page(
    request: Request, db: DB, actor: LoggedIn, status: str = "", notice: str = ""
) -> Response:
    rows = actions.order_list(db, actor, status if status in STATUS else None)
    can_take = bool(actor.region_code) and bool(
        authz.decide(actor, "workbench.order_create", IntakeTarget(actor.region_code or ""))
    )
    return _render(request, "workbench_hotline_orders.html", actor, rows=rows, tab=status if status in STATUS else "", can_take=can_take,
                   notice=NOTICES.get(notice, ""))  # fmt: skip


# --- intake -------------------------------------------------------------------------------------


def _tree(db: DB) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for c in repo.categories(db):
        out.setdefault(c.level1, {}).setdefault(c.level2, []).append(c.level3)
    return out


def _districts(db: DB, actor: Actor) -> list[tuple[str, str]]:
    codes = sorted({d.region_code for d in identity.departments(db) if len(d.region_code) == 6})
    mine = actor.region_code or ""
    if mine and not mine.endswith("00"):
        codes = [c for c in codes if c == mine]
    return [(c, identity.region_name(db, c)) for c in codes if not c.endswith("00")]


def _intake(request: Request, db: DB, actor: Actor, values: dict[str, Any], errors: dict[str, str],
            status: int = 200, suggestions: Any = None) -> Response:  # fmt: skip
    districts = _districts(db, actor)
    values.setdefault("region_code", districts[0][0] if districts else "")
    departments = [
        d
        for d in identity.departments(db)
        if d.region_code in (values["region_code"], values["region_code"][:4] + "00")
    ]
    return _render(request, "workbench_hotline_new.html", actor, status, values=values, errors=errors, tree=_tree(db),
                   districts=districts, departments=departments, s=suggestions)  # fmt: skip


@router.get("/workbench/hotline/new")
def intake_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    if not centre_staff(actor) and not actor.has("admin"):
        raise Forbidden("只有12345热线中心的工作人员可以受理诉求")
    return _intake(request, db, actor, {"channel": "phone", "urgency": "normal"}, {})


@router.get("/workbench/hotline/tree")
def tree_fragment(request: Request, db: DB, actor: LoggedIn, level1: str = "", leaf: str = "") -> Response:
    """The second and third levels under a first-level class (htmx swaps them in)."""
    return _render(request, "workbench_hotline_tree.html", actor, tree=_tree(db), values={"level1": level1, "leaf": leaf},
                   errors={})  # fmt: skip


FormText = Annotated[str, Form(max_length=5000)]


def _form_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in from_pydantic(list(exc.errors()), ()).errors:
        name = err.field.split(".")[-1]
        out.setdefault("leaf" if name in ("level2", "level3") else name, err.detail)
    return out


@router.post("/workbench/hotline/new")
def intake_submit(
    request: Request, db: DB, actor: LoggedIn, op: FormText = "analyse", channel: FormText = "phone",
    anonymous: FormText = "", caller_name: FormText = "", contact: FormText = "", location: FormText = "",
    region_code: FormText = "", subject: FormText = "", body: FormText = "", urgency: FormText = "normal",
    level1: FormText = "", leaf: FormText = "", suggested_category: FormText = "", suggested_confidence: FormText = "",
    department_id: FormText = "", merge_into: FormText = "",
) -> Response:  # fmt: skip
    values: dict[str, Any] = {k: v.strip() for k, v in dict(
        channel=channel, anonymous=anonymous, caller_name=caller_name, contact=contact, location=location,
        region_code=region_code, subject=subject, body=body, urgency=urgency, level1=level1, leaf=leaf,
        suggested_category=suggested_category, suggested_confidence=suggested_confidence,
        department_id=department_id).items()}  # fmt: skip
    if op == "analyse":
        s = actions.order_suggestions(db, actor, values["subject"], values["body"], values["region_code"] or "330106",
                                      values["location"]) if (values["subject"] or values["body"]) else None  # fmt: skip
        if s and s.categories:
            top = s.categories[0]
            values.update(suggested_category=top.name, suggested_confidence=f"{top.confidence:.4f}")
            if not values["level1"]:
                values["level1"] = top.name
            if not values["department_id"] and s.department_id:
                values["department_id"] = str(s.department_id)
        errors = {} if s else {"subject": "请先填写诉求标题和内容"}
        return _intake(request, db, actor, values, errors, 200 if s else 422, s)
    l2, _, l3 = values["leaf"].partition("|")
    data_in = {**values, "anonymous": bool(values["anonymous"]), "level2": l2, "level3": l3,
               "dispatch": op == "dispatch"}  # fmt: skip
    data_in = {k: v for k, v in data_in.items() if v != "" and k != "leaf"}
    try:
        data = IntakeIn.model_validate(data_in)
        if op == "merge":
            out = actions.order_merge(db, actor, int(merge_into or 0), data)
            return RedirectResponse(
                f"/workbench/hotline/orders/{out.merged_into_id}?notice=merged", status_code=303
            )
        out = actions.order_create(db, actor, data)
    except ValidationError as exc:
        return _intake(request, db, actor, values, _form_errors(exc), 422)
    except ValidationFailed as exc:
        db.rollback()
        errs = {("leaf" if e.field.split(".")[-1] in ("level2", "level3") else e.field.split(".")[-1]): e.detail
                for e in exc.errors}  # fmt: skip
        return _intake(request, db, actor, values, errs or {"subject": exc.detail}, 422)
    notice = "dispatched" if out.status == "dispatched" else "created"
    return RedirectResponse(f"/workbench/hotline/orders/{out.id}?notice={notice}", status_code=303)


# --- an order and its steps ----------------------------------------------------------------------


def _detail(request: Request, db: DB, actor: Actor, order_id: int, status: int = 200, **ctx: Any) -> Response:
    o = actions.order_read(db, actor, order_id)
    case = workflow.case(db, o.case_id) if o.case_id else None
    choices = {c.code: c for c in workflow.choices(db, actor, case)} if case else {}
    history = workflow.history(db, case.id) if case else []
    merged = [m for m in repo.merged_into(db, o.id)]
    row = repo.order(db, o.id)
    departments = [
        d for d in identity.departments(db) if d.region_code in (o.region_code, o.region_code[:4] + "00")
    ]
    similar = actions.similar_past(db, o.subject, o.body) if "reply" in choices else []
    ctx.setdefault("errors", {})
    return _render(request, "workbench_hotline_order.html", actor, status, o=o, case=case, choices=choices,
                   history=history, merged=merged, departments=departments, similar=similar,
                   region=identity.region_name(db, o.region_code), handler_user_id=row.handler_user_id if row else None,
                   **ctx)  # fmt: skip


@router.get("/workbench/hotline/orders/{order_id}")
def order_page(request: Request, db: DB, actor: LoggedIn, order_id: int, notice: str = "") -> Response:
    return _detail(request, db, actor, order_id, notice=NOTICES.get(notice, ""))


def _step(
    request: Request, db: DB, actor: Actor, order_id: int, code: str, act: Callable[[], Any]
) -> Response:
    try:
        act()
    except Conflict as exc:
        db.rollback()
        return _detail(request, db, actor, order_id, 409, conflict=exc.detail)
    except ValidationError as exc:
        return _detail(
            request, db, actor, order_id, 422, errors={code: next(iter(_form_errors(exc).values()))}
        )
    except ValidationFailed as exc:
        db.rollback()
        return _detail(
            request,
            db,
            actor,
            order_id,
            422,
            errors={code: exc.errors[0].detail if exc.errors else exc.detail},
        )
    return RedirectResponse(f"/workbench/hotline/orders/{order_id}?notice={code}", status_code=303)


Rev = Annotated[int | None, Form(ge=0, le=1_000_000)]


@router.post("/workbench/hotline/orders/{order_id}/{code}")
def order_step(request: Request, db: DB, actor: LoggedIn, order_id: int, code: str, reason: FormText = "",
               comment: FormText = "", reply: FormText = "", department_id: FormText = "", revision: Rev = None) -> Response:  # fmt: skip
    steps: dict[str, Callable[[], Any]] = {
        "dispatch": lambda: flow.order_dispatch(db, actor, order_id, DispatchIn(
            department_id=int(department_id) if department_id.isdigit() else None, comment=comment or None,
            revision=revision)),
        "sign": lambda: flow.order_sign(db, actor, order_id, StepIn(revision=revision)),
        "return": lambda: flow.order_return(db, actor, order_id, ReasonIn(reason=reason, revision=revision)),
        "request_extension": lambda: flow.order_request_extension(db, actor, order_id, ReasonIn(reason=reason, revision=revision)),
        "approve_extension": lambda: flow.order_approve_extension(db, actor, order_id, StepIn(comment=comment or None, revision=revision)),
        "refuse_extension": lambda: flow.order_refuse_extension(db, actor, order_id, ReasonIn(reason=reason, revision=revision)),
        "reply": lambda: flow.order_reply(db, actor, order_id, ReplyIn(reply=reply, revision=revision)),
        "satisfied": lambda: flow.order_satisfied(db, actor, order_id, StepIn(comment=comment or None, revision=revision)),
        "unsatisfied": lambda: flow.order_unsatisfied(db, actor, order_id, ReasonIn(reason=reason, revision=revision)),
    }  # fmt: skip
    if code not in steps:
        return _detail(request, db, actor, order_id, 404)
    return _step(request, db, actor, order_id, code, steps[code])


# --- 热点 ----------------------------------------------------------------------------------------


@router.get("/workbench/hotline/topics")
def topics_page(request: Request, db: DB, actor: LoggedIn, days: int = 30) -> Response:
    days = days if days in (7, 30, 90) else 30
    rows = topics.hot_topic_list(db, actor, days)
    chart = {
        "title": "诉求数",
        "unit": "件",
        "labels": [t.label for t in rows],
        "values": [t.count for t in rows],
    }
    return _render(request, "workbench_hotline_topics.html", actor, rows=rows, days=days, chart=chart)
