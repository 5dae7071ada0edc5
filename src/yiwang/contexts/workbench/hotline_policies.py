"""Who may do what with 12345 work orders, and where an order goes: pure rules of actor, order
and routing table. The lifecycle's transitions have the workflow definition's own rules
(workflows/hotline_order.yaml); these cover intake, reading, merging, suggestions and 热点."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy
from yiwang.core.codes import region_covers

CENTRE_KIND = "government_service"  # the 12345 centre sits in the region's 政务服务管理办公室
OVERSEERS = frozenset({"leader", "admin"})
# second-level classes whose orders are city problems (城市事件 for city operations)
CITY_LEVEL2 = frozenset(
    {"城市建设和市政管理", "安全生产", "环境污染", "环保管理", "交通管理", "建设管理", "村镇建设"}
)
URGENCIES = ("critical", "urgent", "normal", "low")


def centre_staff(actor: Actor) -> bool:
    return (
        actor.kind == "user" and actor.is_staff and (actor.department_code or "").endswith(f"-{CENTRE_KIND}")
    )


def _covers(actor: Actor, region: str) -> bool:
    return actor.has("admin") or (bool(actor.region_code) and region_covers(actor.region_code or "", region))


@dataclass(frozen=True)
class IntakeTarget:
    """A message about to be accepted for a region."""

    region_code: str


@dataclass(frozen=True)
class OrderSubject:
    """An order as the rules see it."""

    region_code: str
    department_id: int | None
    centre_department_id: int | None
    handler_user_id: int | None


@policy("workbench.order_create")
def order_create(actor: Actor, t: IntakeTarget) -> Decision:
    if actor.kind == "system" or (actor.kind == "user" and actor.has("admin")):
        return ALLOW
    if centre_staff(actor) and _covers(actor, t.region_code):
        return ALLOW
    return deny("只有本区划12345热线中心的工作人员可以受理诉求")


@policy("workbench.order_merge")
def order_merge(actor: Actor, t: OrderSubject) -> Decision:
    return order_create(actor, IntakeTarget(t.region_code))


@policy("workbench.order_read")
def order_read(actor: Actor, t: OrderSubject) -> Decision:
    if actor.kind != "user":
        return deny("热线工单只对工作人员开放")
    if actor.id is not None and actor.id == t.handler_user_id:
        return ALLOW
    if (
        actor.is_staff
        and actor.department_id is not None
        and actor.department_id in (t.department_id, t.centre_department_id)
    ):
        return ALLOW
    if (centre_staff(actor) or actor.roles & OVERSEERS) and _covers(actor, t.region_code):
        return ALLOW
    return deny("您不是该工单的受理、承办部门或本区划的领导")


@policy("workbench.order_list")
def order_list(actor: Actor, _t: object) -> Decision:
    if actor.kind == "user" and actor.is_staff:
        return ALLOW
    return deny("热线工单只对工作人员开放")


@policy("workbench.order_classify")
def order_classify(actor: Actor, _t: object) -> Decision:
    if (actor.kind == "user" and actor.is_staff) or actor.kind in ("client", "system"):
        return ALLOW
    return deny("分类建议只对工作人员和接入系统开放")


@policy("workbench.hot_topic_list")
def hot_topic_list(actor: Actor, region_code: str) -> Decision:
    if (
        actor.kind == "user"
        and (actor.roles & OVERSEERS or centre_staff(actor))
        and _covers(actor, region_code)
    ):
        return ALLOW
    return deny("热点诉求只对领导和12345热线中心开放")


# --- routing (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    category: str  # "一级", "一级/二级" or "*"
    region_code: str  # "" for any region
    department_kind: str


def route(rules: Iterable[Rule], level1: str, level2: str, region_code: str) -> Rule | None:
    """The most specific rule for the category and region: 一级/二级 before 一级 before "*", and
    a rule of the region (or of a region containing it) before one for any region."""
    best: tuple[int, int, Rule] | None = None
    for r in rules:
        if r.category == f"{level1}/{level2}" and level2:
            cat = 3
        elif r.category == level1 and level1:
            cat = 2
        elif r.category == "*":
            cat = 1
        else:
            continue
        if r.region_code and not region_covers(r.region_code, region_code):
            continue
        key = (cat, len(r.region_code), r)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def is_city_problem(level1: str, level2: str) -> bool:
    return level2 in CITY_LEVEL2 or level1 == "环境保护"
