"""Chinese names of the catalog context's actions and objects (`core.labels`)."""

from __future__ import annotations

from yiwang.core.labels import name_actions, name_object

name_actions({"catalog.resource_read": "查看数据目录", "catalog.resource_register": "登记信息资源"})
name_object("data_resource", "信息资源", "{}")
name_object("resource_in", "信息资源登记", "{}")
