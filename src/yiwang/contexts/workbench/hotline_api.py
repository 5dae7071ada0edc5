"""JSON routes of the 12345 hotline under /api/v1/hotline: suggestions (category and
department), intake, merging, the lifecycle's steps and hot topics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from yiwang.contexts.identity import Caller
from yiwang.contexts.workbench import hotline_actions as actions
from yiwang.contexts.workbench import hotline_actions_flow as flow
from yiwang.contexts.workbench import hotline_actions_topics as topics
from yiwang.contexts.workbench.hotline_schemas import (
    ClassifyIn,
    ClassifyOut,
    DispatchIn,
    HotTopic,
    IntakeIn,
    OrderOut,
    ReasonIn,
    ReplyIn,
    StepIn,
    SuggestionsOut,
)
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/hotline", tags=["hotline"])
OrderId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post(
    "/classify", response_model=ClassifyOut, summary="诉求分类建议与承办部门（一级分类，置信度从高到低）"
)
def classify(body: ClassifyIn, db: DB, actor: Caller) -> ClassifyOut:
    return actions.order_classify(db, actor, body.subject, body.body, body.region_code)


@router.get(
    "/suggestions",
    response_model=SuggestionsOut,
    summary="受理时的建议：分类、承办部门、可合并的工单、相似历史案例",
)
def suggestions(
    db: DB,
    actor: Caller,
    region_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    subject: Annotated[str, Query(max_length=200)] = "",
    body: Annotated[str, Query(max_length=5000)] = "",
    location: Annotated[str, Query(max_length=200)] = "",
) -> SuggestionsOut:
    return actions.order_suggestions(db, actor, subject, body, region_code, location)


@router.post(
    "/orders", response_model=OrderOut, status_code=201, summary="受理诉求（dispatch=true 时同时派单）"
)
def order_create(body: IntakeIn, db: DB, actor: Caller, response: Response) -> OrderOut:
    out = actions.order_create(db, actor, body)
    response.headers["Location"] = f"/api/v1/hotline/orders/{out.id}"
    return out


@router.post(
    "/orders/{order_id}/merge",
    response_model=OrderOut,
    status_code=201,
    summary="把重复诉求合并到未办结的工单",
)
def order_merge(order_id: OrderId, body: IntakeIn, db: DB, actor: Caller) -> OrderOut:
    return actions.order_merge(db, actor, order_id, body)


@router.get("/orders", response_model=list[OrderOut], summary="热线工单列表")
def order_list(
    db: DB,
    actor: Caller,
    status: Annotated[
        str | None, Query(pattern="^(accepted|dispatched|handling|extension|follow_up|closed|merged)$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[OrderOut]:
    return actions.order_list(db, actor, status, limit)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="热线工单详情")
def order_read(order_id: OrderId, db: DB, actor: Caller) -> OrderOut:
    return actions.order_read(db, actor, order_id)


@router.post("/orders/{order_id}/dispatch", response_model=OrderOut, summary="派单")
def order_dispatch(order_id: OrderId, body: DispatchIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_dispatch(db, actor, order_id, body)


@router.post("/orders/{order_id}/sign", response_model=OrderOut, summary="签收")
def order_sign(order_id: OrderId, body: StepIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_sign(db, actor, order_id, body)


@router.post("/orders/{order_id}/return", response_model=OrderOut, summary="退单（须说明理由）")
def order_return(order_id: OrderId, body: ReasonIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_return(db, actor, order_id, body)


@router.post("/orders/{order_id}/extension", response_model=OrderOut, summary="申请延期（须说明理由）")
def order_request_extension(order_id: OrderId, body: ReasonIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_request_extension(db, actor, order_id, body)


@router.post("/orders/{order_id}/extension/approve", response_model=OrderOut, summary="同意延期")
def order_approve_extension(order_id: OrderId, body: StepIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_approve_extension(db, actor, order_id, body)


@router.post("/orders/{order_id}/extension/refuse", response_model=OrderOut, summary="不同意延期")
def order_refuse_extension(order_id: OrderId, body: ReasonIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_refuse_extension(db, actor, order_id, body)


@router.post("/orders/{order_id}/reply", response_model=OrderOut, summary="答复诉求人")
def order_reply(order_id: OrderId, body: ReplyIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_reply(db, actor, order_id, body)


@router.post("/orders/{order_id}/satisfied", response_model=OrderOut, summary="回访满意，办结")
def order_satisfied(order_id: OrderId, body: StepIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_satisfied(db, actor, order_id, body)


@router.post("/orders/{order_id}/unsatisfied", response_model=OrderOut, summary="回访不满意，重新办理")
def order_unsatisfied(order_id: OrderId, body: ReasonIn, db: DB, actor: Caller) -> OrderOut:
    return flow.order_unsatisfied(db, actor, order_id, body)


@router.get(
    "/hot-topics", response_model=list[HotTopic], summary="热点诉求：近期诉求按地点和主题聚类，按数量排序"
)
def hot_topics(
    db: DB,
    actor: Caller,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[HotTopic]:
    return topics.hot_topic_list(db, actor, days, limit)
