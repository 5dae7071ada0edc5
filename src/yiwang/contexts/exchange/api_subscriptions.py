"""Routes of subscriptions (webhooks and the pull feed) and of providers' source-data changes,
under /api/v1/exchange."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from yiwang.contexts.exchange import actions_source, actions_subscriptions
from yiwang.contexts.exchange.schemas_subscriptions import (
    ChangesOut,
    DeliveryOut,
    ReplayIn,
    ReplayOut,
    SourceUpsertOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from yiwang.contexts.identity import Caller
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])

WEBHOOK_DOC = """推送请求为 JSON POST，携带：
`X-Yiwang-Signature: t=<unix 秒>,v1=<HMAC-SHA256(secret, "<t>.<body>") 十六进制>`、
`X-Yiwang-Delivery`（投递编号，用于去重）、`X-Yiwang-Seq`（变更序号）。
接收方应校验签名并拒绝时间戳超过 5 分钟的请求（防重放）。返回 2xx 视为送达，
否则按指数退避重试，多次失败后进入死信列表，可按游标重放。回调主机须在
`YIWANG_WEBHOOK_ALLOWED_HOSTS` 允许列表中（防止服务器被用来访问内网，SSRF）。"""


@router.put(
    "/resources/{code}/records",
    response_model=SourceUpsertOut,
    summary="数据提供部门新增或更新一条源数据（按主键整条替换）",
    description="写入源表、记录变更并为订阅方排队推送，三者在同一事务中完成。",
)
def source_upsert(
    code: str,
    db: DB,
    actor: Caller,
    values: Annotated[dict[str, Any], Body(description="信息项取值，主键与 region_code 必填")],
) -> SourceUpsertOut:
    return actions_source.source_record_upsert(db, actor, code, values)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=201,
    summary="订阅资源变更（需持有有效授权；签名密钥只返回一次）",
    description=WEBHOOK_DOC,
)
def subscription_create(body: SubscriptionIn, db: DB, actor: Caller) -> SubscriptionCreated:
    return actions_subscriptions.subscription_create(db, actor, body)


@router.get("/subscriptions", response_model=list[SubscriptionOut], summary="本部门的订阅")
def subscription_list(db: DB, actor: Caller) -> list[SubscriptionOut]:
    return actions_subscriptions.subscription_list(db, actor)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="取消订阅")
def subscription_delete(subscription_id: int, db: DB, actor: Caller) -> Response:
    actions_subscriptions.subscription_delete(db, actor, subscription_id)
    return Response(status_code=204)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="推送记录（status=dead 为死信列表）",
)
def delivery_list(
    subscription_id: int,
    db: DB,
    actor: Caller,
    status: Annotated[str | None, Query(pattern="^(pending|sending|delivered|dead|dropped)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    return actions_subscriptions.delivery_list(db, actor, subscription_id, status, limit)


@router.post(
    "/subscriptions/{subscription_id}/replay",
    response_model=ReplayOut,
    status_code=202,
    summary="从游标之后重新推送变更",
)
def subscription_replay(subscription_id: int, body: ReplayIn, db: DB, actor: Caller) -> ReplayOut:
    return actions_subscriptions.subscription_replay(db, actor, subscription_id, body.after_seq)


@router.get(
    "/subscriptions/{subscription_id}/changes",
    response_model=ChangesOut,
    summary="拉取变更（按授权过滤、脱敏；游标分页）",
)
def subscription_changes(
    subscription_id: int,
    db: DB,
    actor: Caller,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ChangesOut:
    return actions_subscriptions.subscription_changes(db, actor, subscription_id, after, limit)
