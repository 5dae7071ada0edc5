"""Chinese names of the exchange context's actions and objects (`core.labels`). A row of a
provider's source table is named after its resource (婚姻登记信息 · 第 250 条记录)."""

from __future__ import annotations

from yiwang.contexts import catalog
from yiwang.core.labels import RECORD, name_actions, name_object

name_actions({
    "exchange.request_create": "提出共享申请",
    "exchange.request_read": "查看共享申请",
    "exchange.request_approve": "同意共享申请",
    "exchange.request_refuse": "拒绝共享申请",
    "exchange.request_oversee": "督办共享申请",
    "exchange.grant_revoke": "撤销共享授权",
    "exchange.record_read": "调用共享数据",
    "exchange.record_lookup": "共享查询",
    "exchange.record_batch": "批量共享查询",
    "exchange.record_query": "条件共享查询",
    "exchange.record_verify": "信息核验（只回答是否一致）",
    "exchange.record_push": "订阅推送",
    "exchange.record_pull": "订阅拉取",
    "exchange.consumers_read": "查看资源使用方",
    "exchange.usage_read": "查看共享监控",
    "exchange.source_record_upsert": "更新共享数据源记录",
    "exchange.subscription_create": "创建数据订阅",
    "exchange.subscription_list": "查看数据订阅",
    "exchange.subscription_manage": "管理数据订阅",
    "exchange.subscription_pull": "拉取订阅变更",
    "exchange.subscription_delete": "取消数据订阅",
    "exchange.subscription_replay": "重新推送订阅",
})  # fmt: skip

for _type, _name in (
    ("sharing_request", "共享申请"), ("grant", "共享授权"), ("data_grant", "共享授权"),
    ("subscription", "数据订阅"), ("request_target", "共享申请"), ("decide_target", "共享申请审批"),
    ("party_target", "共享申请"), ("oversight_target", "共享申请督办"), ("use_target", "共享数据"),
    ("provider_target", "共享数据源"),
):  # fmt: skip
    name_object(_type, _name)
for _spec in catalog.RESOURCES:
    name_object(_spec.source_table, _spec.name, RECORD)
