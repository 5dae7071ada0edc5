"""Chinese names of the hotline's actions and objects (`core.labels`); the transitions are named
by the workflow definition."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({
    "workbench.order_create": "受理12345诉求",
    "workbench.order_merge": "合并重复诉求",
    "workbench.order_read": "查看热线工单",
    "workbench.order_list": "查看热线工单列表",
    "workbench.order_classify": "诉求分类与派单建议",
    "workbench.hot_topic_list": "查看热点诉求",
})  # fmt: skip

for _type, _name in (
    ("hotline_order", "热线工单"), ("intake_target", "12345诉求"), ("order_subject", "热线工单"),
):  # fmt: skip
    name_object(_type, _name)
