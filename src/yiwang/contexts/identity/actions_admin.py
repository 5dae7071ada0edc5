"""Use cases of administration: staff accounts, roles, departments and API clients.

Every change is audited; only a system administrator may make them (`policies.admin_*`). An
administrator cannot disable or demote their own account (someone must be left to undo it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.demo.names import DEPARTMENT_KINDS
from yiwang.contexts.identity.models import ApiClient, Department, UserAccount
from yiwang.core import audit, authz, crypto, security
from yiwang.core.actor import ROLE_NAMES, STAFF_ROLES, Actor
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed

KIND_NAMES = {code: name for code, name, _ in DEPARTMENT_KINDS}
ASSIGNABLE_ROLES = STAFF_ROLES | {"citizen", "enterprise"}


@dataclass(frozen=True)
class RoleRow:
    code: str
    name: str
    accounts: int


def account_list(
    session: Session,
    actor: Actor,
    q: str | None = None,
    role: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> list[UserAccount]:
    authz.check(actor, "identity.user_list", None)
    return repo.users_page(session, q, role if role in ROLE_NAMES else None, after, limit)


def account_read(session: Session, actor: Actor, user_id: int) -> UserAccount:
    authz.check(actor, "identity.user_list", None)
    user = repo.user(session, user_id)
    if user is None:
        raise NotFound("账号不存在")
    return user


def user_update(
    session: Session, actor: Actor, user_id: int, display_name: str, roles: list[str], department_code: str | None,
    region_code: str | None,
) -> UserAccount:  # fmt: skip
    """Change an account's name, roles, department and region of scope."""
    authz.check(actor, "identity.user_update", None)
    user = account_read(session, actor, user_id)
    errors = []
    if not display_name.strip() or len(display_name) > 50:
        errors.append(FieldError("display_name", "请填写姓名（不超过 50 字）", "missing"))
    unknown = sorted(set(roles) - ASSIGNABLE_ROLES)
    if unknown or not roles:
        errors.append(FieldError("roles", "请选择至少一个有效角色", "unknown"))
    if user.id == actor.id and "admin" not in roles:
        errors.append(FieldError("roles", "不能取消自己的系统管理员角色", "self"))
    dept = repo.department_by_code(session, department_code) if department_code else None
    if department_code and dept is None:
        errors.append(FieldError("department", "部门不存在", "unknown"))
    if region_code and repo.region(session, region_code) is None:
        errors.append(FieldError("region_code", f"行政区划代码 {region_code} 不存在", "unknown"))
    if errors:
        raise ValidationFailed("账号信息有误", errors)
    before = {"roles": user.roles, "department_id": user.department_id, "region_code": user.region_code,
              "display_name": user.display_name}  # fmt: skip
    user.display_name, user.roles = display_name.strip(), " ".join(sorted(set(roles)))
    user.department_id = dept.id if dept else None
    user.region_code = region_code or (dept.region_code if dept else None)
    session.flush()
    after = {"roles": user.roles, "department_id": user.department_id, "region_code": user.region_code,
             "display_name": user.display_name}  # fmt: skip
    audit.record(
        session, actor, "identity.user_update", "user", user.id, detail={"before": before, "after": after}
    )
    return user


def user_disable(session: Session, actor: Actor, user_id: int, disabled: bool = True) -> UserAccount:
    """Disable (or enable again) an account; disabling ends its sessions at once."""
    authz.check(actor, "identity.user_disable", None)
    user = account_read(session, actor, user_id)
    if user.id == actor.id and disabled:
        raise ValidationFailed("不能停用自己的账号", [FieldError("user", "不能停用自己的账号", "self")])
    user.disabled = disabled
    ended = repo.delete_sessions_of_user(session, user.id) if disabled else 0
    audit.record(session, actor, "identity.user_disable", "user", user.id,
                 outcome="disabled" if disabled else "enabled", detail={"sessions_ended": ended})  # fmt: skip
    return user


def user_password_reset(session: Session, actor: Actor, user_id: int) -> str:
    """A new random password (shown once to the administrator), the lock lifted, sessions ended."""
    authz.check(actor, "identity.user_password_reset", None)
    user = account_read(session, actor, user_id)
    password = crypto.new_token(9)
    user.password_hash = security.hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    ended = repo.delete_sessions_of_user(session, user.id)
    audit.record(
        session, actor, "identity.user_password_reset", "user", user.id, detail={"sessions_ended": ended}
    )
    return password


def role_list(session: Session, actor: Actor) -> list[RoleRow]:
    """The roles (a fixed set: the policies name them) and how many accounts hold each."""
    authz.check(actor, "identity.role_list", None)
    counts = Counter(r for roles in repo.role_strings(session) for r in roles.split())
    return [RoleRow(code, name, counts.get(code, 0)) for code, name in ROLE_NAMES.items()]


def department_list(session: Session, actor: Actor) -> list[tuple[Department, int]]:
    authz.check(actor, "identity.department_list", None)
    counts = repo.count_users_by_department(session)
    return [(d, counts.get(d.id, 0)) for d in repo.departments(session)]


def department_create(
    session: Session, actor: Actor, region_code: str, kind: str, name: str, short_name: str
) -> Department:
    authz.check(actor, "identity.department_create", None)
    errors = []
    region = repo.region(session, region_code)
    if region is None:
        errors.append(FieldError("region_code", f"行政区划代码 {region_code} 不存在", "unknown"))
    if kind not in KIND_NAMES:
        errors.append(FieldError("kind", "请选择部门类别", "unknown"))
    if not name.strip() or len(name) > 60:
        errors.append(FieldError("name", "请填写部门全称（不超过 60 字）", "missing"))
    if not short_name.strip() or len(short_name) > 20:
        errors.append(FieldError("short_name", "请填写部门简称（不超过 20 字）", "missing"))
    if errors:
        raise ValidationFailed("部门信息有误", errors)
    code = f"{region_code}-{kind}"
    if repo.department_by_code(session, code) is not None:
        raise Conflict("该区划已有此类部门", [FieldError("kind", "该区划已有此类部门", "duplicate")])
    dept = Department(
        code=code, name=name.strip(), short_name=short_name.strip(), kind=kind, region_code=region_code
    )
    repo.add(session, dept)
    audit.record(session, actor, "identity.department_create", "department", dept.id, detail={"code": code})
    return dept


def department_update(session: Session, actor: Actor, dept_id: int, name: str, short_name: str) -> Department:
    authz.check(actor, "identity.department_update", None)
    dept = repo.department(session, dept_id)
    if dept is None:
        raise NotFound("部门不存在")
    errors = []
    if not name.strip() or len(name) > 60:
        errors.append(FieldError("name", "请填写部门全称（不超过 60 字）", "missing"))
    if not short_name.strip() or len(short_name) > 20:
        errors.append(FieldError("short_name", "请填写部门简称（不超过 20 字）", "missing"))
    if errors:
        raise ValidationFailed("部门信息有误", errors)
    before = {"name": dept.name, "short_name": dept.short_name}
    dept.name, dept.short_name = name.strip(), short_name.strip()
    session.flush()
    audit.record(session, actor, "identity.department_update", "department", dept.id,
                 detail={"before": before, "after": {"name": dept.name, "short_name": dept.short_name}})  # fmt: skip
    return dept


def api_client_list(session: Session, actor: Actor) -> list[ApiClient]:
    authz.check(actor, "identity.client_list", None)
    return repo.clients_all(session)


def api_client_revoke(session: Session, actor: Actor, client_id: str) -> ApiClient:
    """Stop a calling system: its tokens are deleted and it gets no new ones. A token another
    process has cached keeps working for at most `cache_seconds`."""
    authz.check(actor, "identity.client_revoke", None)
    client = repo.client(session, client_id)
    if client is None:
        raise NotFound("接入系统不存在")
    client.disabled = True
    deleted = repo.delete_tokens_of_client(session, client.id)
    audit.record(session, actor, "identity.client_revoke", "api_client", client.client_id,
                 detail={"tokens_deleted": deleted})  # fmt: skip
    return client
