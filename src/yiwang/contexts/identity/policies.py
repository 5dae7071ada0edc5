"""Who may do what in the identity context: pure functions of actor and target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy, registered_actions
from yiwang.core.authz import known_scopes as authz_known_scopes
from yiwang.core.codes import region_covers

PERSON_READERS = frozenset({"window_clerk", "dept_staff", "grid_worker", "data_officer", "leader", "admin"})
PERSON_WRITERS = frozenset({"window_clerk", "admin"})


def in_scope(actor: Actor, region_code: str | None) -> Decision:
    if region_code is None:
        return ALLOW
    if actor.region_code is None:
        return deny("账号未设置管辖区域")
    if region_covers(actor.region_code, region_code):
        return ALLOW
    return deny("不在本账号管辖区域内")


def _staff_or_client(actor: Actor, roles: frozenset[str], region_code: str | None) -> Decision:
    if actor.kind == "client":
        return in_scope(actor, region_code)
    if actor.roles & roles:
        return in_scope(actor, region_code)
    return deny("角色无此权限")


@policy("identity.person_read")
def person_read(actor: Actor, person: Any) -> Decision:
    if actor.person_id is not None and person is not None and actor.person_id == person.id:
        return ALLOW
    return _staff_or_client(actor, PERSON_READERS, person.region_code if person else None)


@policy("identity.person_list")
def person_list(actor: Actor, region_code: str | None) -> Decision:
    return _staff_or_client(actor, PERSON_READERS, region_code)


@policy("identity.person_create")
def person_create(actor: Actor, region_code: str) -> Decision:
    return _staff_or_client(actor, PERSON_WRITERS, region_code)


@policy("identity.person_update")
def person_update(actor: Actor, person: Any) -> Decision:
    if actor.person_id is not None and actor.person_id == person.id:
        return ALLOW
    return _staff_or_client(actor, PERSON_WRITERS, person.region_code)


@policy("identity.enterprise_read")
def enterprise_read(actor: Actor, enterprise: Any) -> Decision:
    if actor.enterprise_id is not None and enterprise is not None and actor.enterprise_id == enterprise.id:
        return ALLOW
    return _staff_or_client(actor, PERSON_READERS, enterprise.region_code if enterprise else None)


@policy("identity.enterprise_list")
def enterprise_list(actor: Actor, region_code: str | None) -> Decision:
    return _staff_or_client(actor, PERSON_READERS, region_code)


@policy("identity.enterprise_create")
def enterprise_create(actor: Actor, region_code: str) -> Decision:
    return _staff_or_client(actor, PERSON_WRITERS, region_code)


@policy("identity.user_create")
def user_create(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.has("admin") else deny("仅系统管理员可创建账号")


@policy("identity.client_create")
def client_create(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.has("admin") else deny("仅系统管理员可登记接入系统")


def _admin_only(actor: Actor, what: str) -> Decision:
    return ALLOW if actor.has("admin") else deny(f"仅系统管理员可{what}")


@policy("identity.user_list")
def user_list(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "查看账号")


@policy("identity.user_update")
def user_update(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "修改账号")


@policy("identity.user_disable")
def user_disable(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "停用或启用账号")


@policy("identity.user_password_reset")
def user_password_reset(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "重置密码")


@policy("identity.role_list")
def role_list(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "查看角色")


@policy("identity.department_list")
def department_list(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "管理部门")


@policy("identity.department_create")
def department_create(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "新建部门")


@policy("identity.department_update")
def department_update(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "修改部门")


@policy("identity.client_list")
def client_list(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "查看接入系统")


@policy("identity.client_revoke")
def client_revoke(actor: Actor, _target: Any) -> Decision:
    return _admin_only(actor, "停用接入系统")


@policy("identity.session_create")
def session_create(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # anyone may try to log in; the credentials decide


@policy("identity.demo_login_list")
def demo_login_list(_actor: Actor, env: str) -> Decision:
    return deny("正式环境不列出演示账号") if env == "production" else ALLOW


@policy("identity.session_delete")
def session_delete(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.kind == "user" else deny("未登录")


@policy("identity.token_issue")
def token_issue(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # the client secret decides


@dataclass(frozen=True)
class DataSubject:
    person_id: int | None
    enterprise_id: int | None


@policy("identity.data_access_read")
def data_access_read(actor: Actor, subject: DataSubject) -> Decision:
    """A person (or an enterprise's account) sees who used their data; nobody else through this action."""
    if subject.person_id is not None and actor.person_id == subject.person_id:
        return ALLOW
    if subject.enterprise_id is not None and actor.enterprise_id == subject.enterprise_id:
        return ALLOW
    return deny("只能查看本人（本企业）的数据使用记录")


@policy("identity.organisation_read")
def organisation_read(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # regions, departments and grids are public information


def sees_clear(actor: Actor, person: Any) -> bool:
    """Whether the actor may see the person's identity number and phone unmasked."""
    return actor.person_id is not None and actor.person_id == person.id


STATS_READERS = frozenset({"leader", "admin", "data_officer"})
AUDIT_READERS = frozenset({"admin", "data_officer"})


@policy("identity.stats_read")
def stats_read(actor: Actor, region_code: str | None) -> Decision:
    """Aggregate figures (counts only, no rows) of a region within the actor's scope."""
    if not actor.roles & STATS_READERS:
        return deny("仅领导、数据管理员和系统管理员可查看城市概览")
    if region_code is None and actor.region_code is None and not actor.has("admin"):
        return deny("账号未设置管辖区域")
    return in_scope(actor, region_code)


@policy("identity.map_read")
def map_read(actor: Actor, region_code: str | None) -> Decision:
    """The map of a region within the scope, with person and enterprise counts per area."""
    return _staff_or_client(actor, PERSON_READERS, region_code)


@policy("identity.audit_read")
def audit_read(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.roles & AUDIT_READERS else deny("仅系统管理员和数据管理员可查看审计日志")


@policy("identity.audit_verify")
def audit_verify(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.roles & AUDIT_READERS else deny("仅系统管理员和数据管理员可校验审计链")


EXTRA_SCOPES = frozenset({"*"})  # every action


def known_scopes() -> frozenset[str]:
    """What an API client's scope may name (`core.authz`): an action, a context (every action of
    it), a named scope (`tasks`) or `*`; from the policies registered when it is asked (every
    context is loaded by then)."""
    return frozenset(registered_actions()) | authz_known_scopes() | EXTRA_SCOPES
