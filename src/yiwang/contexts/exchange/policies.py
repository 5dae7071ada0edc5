"""Who may do what in the exchange, and the pure rules that turn a grant into a read plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy
from yiwang.core.codes import region_covers

DEPT_ROLES = frozenset({"dept_staff", "data_officer"})


def _in_department(actor: Actor, department_id: int | None) -> bool:
    if actor.department_id is None or actor.department_id != department_id:
        return False
    return actor.kind == "client" or bool(actor.roles & DEPT_ROLES)


def data_officer_over(actor: Actor, region_code: str | None) -> bool:
    return (
        actor.has("data_officer")
        and actor.region_code is not None
        and region_code is not None
        and (region_covers(actor.region_code, region_code))
    )


@dataclass(frozen=True)
class RequestTarget:
    consumer_department_id: int | None
    consumer_region: str | None
    row_scope: str


@policy("exchange.request_create")
def request_create(actor: Actor, t: RequestTarget) -> Decision:
    if t.consumer_department_id is None or not _in_department(actor, t.consumer_department_id):
        return deny("只有本部门的工作人员或接入系统可以提出共享申请")
    if t.consumer_region and not region_covers(t.consumer_region, t.row_scope):
        return deny("申请的数据范围超出本部门管辖区域")
    return ALLOW


@dataclass(frozen=True)
class DecideTarget:
    provider_department_id: int
    provider_region: str


@policy("exchange.grant_revoke")
def grant_revoke(actor: Actor, t: DecideTarget) -> Decision:
    if actor.kind != "user":
        return deny("授权须由工作人员撤销，接入系统不能撤销")
    if _in_department(actor, t.provider_department_id) or data_officer_over(actor, t.provider_region):
        return ALLOW
    return deny("只有数据提供部门或数据管理员可以撤销授权")


@dataclass(frozen=True)
class PartyTarget:
    department_ids: frozenset[int]
    region_code: str | None


@policy("exchange.request_read")
def request_read(actor: Actor, t: PartyTarget) -> Decision:
    if actor.department_id in t.department_ids and (actor.kind == "client" or actor.is_staff):
        return ALLOW
    if data_officer_over(actor, t.region_code) or actor.has("admin") or actor.has("leader"):
        return ALLOW
    return deny("只能查看本部门参与的共享申请")


@dataclass(frozen=True)
class OversightTarget:
    region_code: str | None


@policy("exchange.request_oversee")
def request_oversee(actor: Actor, t: OversightTarget) -> Decision:
    """All requests and the overdue list of a region: data officers, leaders and admins; rows are
    then limited to the actor's region."""
    if actor.kind == "user" and actor.roles & {"data_officer", "leader", "admin"} and t.region_code:
        return ALLOW
    return deny("仅数据管理员与领导可查看全部共享申请")


@policy("exchange.usage_read")
def usage_read(actor: Actor, _t: Any) -> Decision:
    """Data officers and leaders oversee the calls of their region's departments (a city-level
    one every department of the city); the figures are then limited to that region."""
    if not actor.roles & {"data_officer", "leader", "admin"}:
        return deny("仅数据管理员与领导可查看共享监控")
    if actor.region_code is None and not actor.has("admin"):
        return deny("共享监控按行政区划汇总，您的账号未设置所属区划")
    return ALLOW


@dataclass(frozen=True)
class UseTarget:
    """A consumer about to read under a grant (None when it holds none)."""

    grant: Any
    today: date


def grant_refusal(grant: Any, today: date) -> str | None:
    if grant is None:
        return "本部门未获得该资源的共享授权"
    if grant.revoked_at is not None:
        return "共享授权已被撤销"
    if today < grant.valid_from:
        return "共享授权尚未生效"
    if today > grant.valid_to:
        return "共享授权已过期"
    return None


@policy("exchange.record_read")
def record_read(actor: Actor, t: UseTarget) -> Decision:
    if actor.department_id is None:
        return deny("调用方未关联部门")
    if actor.kind != "client" and not actor.is_staff:
        return deny("仅部门接入系统或工作人员可使用共享数据")
    reason = grant_refusal(t.grant, t.today)
    if reason:
        return deny(reason)
    if t.grant.consumer_department_id != actor.department_id:
        return deny("该授权不属于本部门")
    return ALLOW


@policy("exchange.subscription_create")
def subscription_create(actor: Actor, t: UseTarget) -> Decision:
    return record_read(actor, t)


@policy("exchange.subscription_manage")
def subscription_manage(actor: Actor, t: UseTarget) -> Decision:
    if t.grant is not None and actor.department_id == t.grant.consumer_department_id:
        return ALLOW
    if actor.has("data_officer") or actor.has("admin"):
        return ALLOW
    return deny("只能管理本部门的订阅")


@dataclass(frozen=True)
class Plan:
    """What one read returns: columns in clear, columns masked, and the row scope."""

    clear: tuple[str, ...]
    masked: tuple[str, ...]
    row_scope: str

    @property
    def fields(self) -> tuple[str, ...]:
        return self.clear + self.masked


def plan_read(
    resource_fields: list[str], grant: Any, wanted: list[str] | None
) -> Plan | tuple[str, list[str]]:
    """The read plan, or (problem kind, offending fields): 'unknown' or 'not_granted'."""
    granted = list(grant.fields)
    chosen = wanted if wanted else granted
    unknown = [f for f in chosen if f not in resource_fields]
    if unknown:
        return ("unknown", unknown)
    outside = [f for f in chosen if f not in granted]
    if outside:
        return ("not_granted", outside)
    masked = set(grant.masked_fields or [])
    return Plan(
        clear=tuple(f for f in chosen if f not in masked),
        masked=tuple(f for f in chosen if f in masked),
        row_scope=grant.row_scope,
    )


@policy("exchange.consumers_read")
def consumers_read(actor: Actor, _t: Any) -> Decision:
    """Which departments use a resource: organisation data, open to any logged-in staff."""
    if actor.kind == "user" and actor.is_staff:
        return ALLOW
    return deny("仅工作人员可查看资源的使用方")


@dataclass(frozen=True)
class ProviderTarget:
    """A change to a resource's source data, by the department that provides it."""

    provider_department_id: int


@policy("exchange.source_record_upsert")
def source_record_upsert(actor: Actor, t: ProviderTarget) -> Decision:
    if _in_department(actor, t.provider_department_id):
        return ALLOW
    return deny("只有数据提供部门的工作人员或接入系统可以更新源数据")


@policy("exchange.subscription_list")
def subscription_list(actor: Actor, _t: Any) -> Decision:
    if actor.department_id is not None and (actor.kind == "client" or actor.is_staff):
        return ALLOW
    return deny("仅部门接入系统或工作人员可查看订阅")


@policy("exchange.subscription_pull")
def subscription_pull(actor: Actor, t: UseTarget) -> Decision:
    """Pulling changes reads shared data: the same rule as any read under the grant."""
    return record_read(actor, t)
