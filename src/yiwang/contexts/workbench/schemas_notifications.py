"""JSON shapes of notifications at the edge (`/api/v1/notifications`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from yiwang.core import notify
from yiwang.core.codes import mask_email, mask_phone


class DeliveryOut(BaseModel):
    channel: Literal["in_app", "email", "sms"] = Field(description="渠道：站内、邮件、短信")
    channel_name: str = Field(description="渠道的中文名称")
    status: Literal["pending", "sending", "sent", "failed", "skipped"] = Field(
        description="待发送、发送中、已送达、发送失败、未发送（未登记地址）"
    )
    status_name: str = Field(description="状态的中文名称")
    address: str | None = Field(description="发送到的邮箱或手机号（部分隐藏）")
    attempts: int = Field(description="本轮已尝试发送的次数")
    sent_at: datetime | None
    note: str | None = Field(description="未发送的原因")


class NotificationOut(BaseModel):
    id: int
    template: str = Field(description="消息模板的标识，例如 exchange.request_approved")
    title: str
    body: str
    link: str | None = Field(description="相关页面（本站路径）")
    created_at: datetime
    read_at: datetime | None
    unread: bool
    deliveries: list[DeliveryOut]


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread: int = Field(description="未读消息数")
    next_cursor: str | None = Field(description="下一页（更早的消息）的游标；为空表示没有更多")


class MarkedOut(BaseModel):
    marked: int = Field(description="本次标为已读的消息数")


def masked_address(d: notify.NotificationDelivery) -> str | None:
    if not d.address:
        return None
    return mask_email(d.address) if d.channel == notify.EMAIL else mask_phone(d.address)


def delivery_out(d: notify.NotificationDelivery) -> DeliveryOut:
    return DeliveryOut(
        channel=d.channel,
        channel_name=notify.CHANNEL_ZH.get(d.channel, d.channel),
        status=d.status,
        status_name=notify.STATUS_ZH.get(d.status, d.status),
        address=masked_address(d),
        attempts=d.attempts,
        sent_at=d.sent_at,
        note=d.last_error if d.status == "skipped" else None,
    )


def notification_out(m: notify.Message) -> NotificationOut:
    n = m.notification
    return NotificationOut(
        id=n.id, template=n.template, title=n.title, body=n.body, link=n.link, created_at=n.created_at,
        read_at=n.read_at, unread=m.unread, deliveries=[delivery_out(d) for d in m.deliveries],
    )  # fmt: skip
