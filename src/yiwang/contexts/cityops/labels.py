"""Chinese names of the city-operations context's actions and objects (`core.labels`)."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({
    "cityops.event_report": "上报城市事件",
    "cityops.event_read": "查看城市事件",
    "cityops.event_register": "城市事件立案",
    "cityops.event_reject": "城市事件不予立案",
    "cityops.event_dispatch": "派遣城市事件",
    "cityops.event_return": "城市事件退单",
    "cityops.event_handle": "处置城市事件",
    "cityops.event_verify": "核查并结案城市事件",
    "cityops.event_reopen": "核查不通过，重新处置",
    "cityops.event_merge": "合并重复的城市事件",
    "cityops.event_close_with": "随主事件结案",
    "cityops.photo_add": "上传城市事件照片",
    "cityops.dashboard_read": "查看城市运行指挥大屏",
    "cityops.stats_read": "查看城市事件公开统计",
    "cityops.category_list": "查看城市管理部件事件分类",
    "cityops.request_list": "查询市民诉求（公开）",
    "cityops.scenario_read": "查看城市运行场景分析",
    "cityops.sensor_ingest": "接收传感器数据",
    "cityops.open311_key_create": "发放市民诉求接口密钥",
})  # fmt: skip

for _type, _name in (
    ("city_event", "城市事件"), ("city_event_photo", "城市事件照片"), ("city_open311_key", "市民诉求接口密钥"),
    ("report_target", "城市事件上报"), ("event_target", "城市事件"), ("area_target", "城市运行统计"),
    ("city_vehicle", "机动车"), ("sensor_reading", "传感器读数"),
):  # fmt: skip
    name_object(_type, _name)
