"""Who may do what in city operations. The lifecycle's transitions are the workflow
definition's rules (workflows/city_event.yaml); these are the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy
from yiwang.core.codes import region_covers

OVERSEERS = frozenset({"leader", "admin", "data_officer"})
DASHBOARD_ROLES = OVERSEERS | {"dept_staff"}


@dataclass(frozen=True)
class ReportTarget:
    """Events about to be reported: how many, and from which source."""

    source: str
    count: int


@policy("cityops.event_report")
def event_report(actor: Actor, t: ReportTarget) -> Decision:
    if actor.kind == "client":
        return ALLOW  # a department's system or sensor platform with the cityops scope
    if actor.kind != "user":
        return deny("请先登录")
    if t.source in ("grid_worker", "sensor", "hotline") and not actor.is_staff:
        return deny("只有网格员和工作人员可以以该来源上报")
    if t.count > 1 and not actor.is_staff:
        return deny("批量上报仅限工作人员和接入系统")
    return ALLOW


@dataclass(frozen=True)
class EventTarget:
    event_id: int
    district_code: str
    street_code: str
    reporter_user_id: int | None
    department_id: int | None


def _covers(actor: Actor, region: str) -> bool:
    return actor.region_code is not None and region_covers(actor.region_code, region)


@policy("cityops.event_read")
def event_read(actor: Actor, t: EventTarget) -> Decision:
    if actor.kind == "user" and actor.id is not None and actor.id == t.reporter_user_id:
        return ALLOW
    if actor.kind == "client" or (actor.department_id is not None and actor.department_id == t.department_id):
        return ALLOW
    if actor.kind == "user" and actor.is_staff and (actor.has("admin") or _covers(actor, t.street_code)):
        return ALLOW
    return deny("只能查看本辖区或本人上报的城市事件")


@policy("cityops.photo_add")
def photo_add(actor: Actor, t: EventTarget) -> Decision:
    return event_read(actor, t)


@dataclass(frozen=True)
class AreaTarget:
    region_code: str | None


@policy("cityops.dashboard_read")
def dashboard_read(actor: Actor, t: AreaTarget) -> Decision:
    if actor.kind == "user" and actor.roles & DASHBOARD_ROLES:
        return ALLOW
    return deny("城市运行指挥大屏仅限领导与工作人员")


@policy("cityops.stats_read")
def stats_read(_actor: Actor, _t: Any) -> Decision:
    """Anonymised figures (counts by category, street and month): open to everyone."""
    return ALLOW


@policy("cityops.request_list")
def request_list(_actor: Actor, _t: Any) -> Decision:
    """Open311 service requests are public records (no plates, no reporters)."""
    return ALLOW


@policy("cityops.category_list")
def category_list(_actor: Actor, _t: Any) -> Decision:
    return ALLOW


@policy("cityops.scenario_read")
def scenario_read(actor: Actor, _t: Any) -> Decision:
    if actor.kind in ("user", "client") and (actor.is_staff or actor.kind == "client"):
        return ALLOW
    return deny("仅工作人员可查看场景分析")


@policy("cityops.sensor_ingest")
def sensor_ingest(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "client" or (actor.kind == "user" and actor.has("admin")):
        return ALLOW
    return deny("传感器数据只能由接入系统推送")


@policy("cityops.open311_key_create")
def open311_key_create(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "user" and actor.has("admin"):
        return ALLOW
    return deny("仅系统管理员可以发放 Open311 密钥")
