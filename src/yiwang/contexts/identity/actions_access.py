"""Use cases of access: log in and out, issue API tokens, create accounts and API clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.demo.logins import DEMO_LOGINS
from yiwang.contexts.identity.models import ApiClient, ApiToken, LoginSession, UserAccount
from yiwang.contexts.identity.policies import known_scopes
from yiwang.core import audit, authz, codes, crypto, security
from yiwang.core.actor import ROLE_NAMES, STAFF_ROLES, Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, Unauthenticated, ValidationFailed
from yiwang.settings import get_settings


@dataclass
class LoginResult:
    ok: bool
    message: str = ""
    token: str = ""
    csrf: str = ""
    user: UserAccount | None = None


@dataclass(frozen=True)
class DemoLogin:
    username: str
    roles: list[str]  # role names
    who: str  # the account's name and organisation
    purpose: str


def demo_login_list(session: Session, actor: Actor, env: str) -> list[DemoLogin]:
    """The demo accounts that exist, with what each is for (never in production)."""
    authz.check(actor, "identity.demo_login_list", env)
    users = {u.username: u for u in repo.users_by_names(session, [name for name, _ in DEMO_LOGINS])}
    out = []
    for username, purpose in DEMO_LOGINS:
        user = users.get(username)
        if user is None:
            continue
        dept = repo.department(session, user.department_id) if user.department_id else None
        out.append(DemoLogin(username, [ROLE_NAMES.get(r, r) for r in sorted(user.roles.split())],
                             f"{user.display_name} · {dept.name}" if dept else user.display_name, purpose))  # fmt: skip
    return out


def session_create(session: Session, actor: Actor, username: str, password: str, ip: str) -> LoginResult:
    """Check a password; on failure count it (the caller commits the count) and maybe lock."""
    authz.check(actor, "identity.session_create")
    s = get_settings()
    now = utcnow()
    user = repo.user_by_name(session, username)
    refusal = f"用户名或密码错误。连续错误 {s.login_max_failures} 次后账号将锁定 {s.login_lock_minutes} 分钟"
    if user is not None and user.locked_until and user.locked_until > now:
        # Same answer and same argon2 work as a wrong password: a lock must not reveal that the name exists.
        security.verify_password(None, password)
        audit.record(session, actor, "identity.session_create", "user", user.id, outcome="locked")
        return LoginResult(False, refusal)
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            failures = repo.record_login_failure(
                session, user.id, s.login_max_failures, now + timedelta(minutes=s.login_lock_minutes)
            )
            audit.record(session, actor, "identity.session_create", "user", user.id, outcome="failed",
                         detail={"failures": failures})  # fmt: skip
        return LoginResult(False, refusal)
    if user.disabled:
        return LoginResult(False, "账号已停用")
    user.failed_logins = 0
    user.locked_until = None
    token, csrf = crypto.new_token(), crypto.new_token(24)
    repo.add(session, LoginSession(
        token_hash=crypto.token_hash(token), user_id=user.id, csrf_token=csrf,
        expires_at=now + timedelta(hours=s.session_hours), ip=ip,
    ))  # fmt: skip
    audit.record(session, Actor(kind="user", id=user.id, name=user.display_name),
                 "identity.session_create", "user", user.id)  # fmt: skip
    return LoginResult(True, token=token, csrf=csrf, user=user)


def session_delete(session: Session, actor: Actor, token: str) -> None:
    authz.check(actor, "identity.session_delete")
    repo.delete_session(session, crypto.token_hash(token))
    audit.record(session, actor, "identity.session_delete", "user", actor.id)


def token_issue(
    session: Session, actor: Actor, client_id: str, secret: str, scope: str | None
) -> tuple[str, int, str]:
    """OAuth 2.0 client_credentials: a bearer token for a registered client."""
    authz.check(actor, "identity.token_issue")
    client = repo.client(session, client_id)
    if not security.verify_password(client.secret_hash if client else None, secret) or client is None:
        raise Unauthenticated("接入系统标识或密钥错误")
    if client.disabled:
        raise Unauthenticated("接入系统已停用")
    allowed = set(client.scopes.split())
    wanted = set(scope.split()) if scope else allowed
    if not wanted <= allowed:
        bad = " ".join(sorted(wanted - allowed))
        raise ValidationFailed(
            "申请的授权范围超出登记范围", [FieldError("scope", f"未登记的授权范围：{bad}")]
        )
    token = crypto.new_token()
    lifetime = get_settings().token_minutes * 60
    repo.add(session, ApiToken(
        token_hash=crypto.token_hash(token), client_pk=client.id, scopes=" ".join(sorted(wanted)),
        expires_at=utcnow() + timedelta(seconds=lifetime),
    ))  # fmt: skip
    audit.record(session, Actor(kind="client", client_id=client.client_id, name=client.name),
                 "identity.token_issue", "api_client", client.client_id)  # fmt: skip
    return token, lifetime, " ".join(sorted(wanted))


def user_create(
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    display_name: str,
    roles: list[str],
    *,
    person_id: int | None = None,
    enterprise_id: int | None = None,
    department_code: str | None = None,
    region_code: str | None = None,
    grid_code: str | None = None,
    email: str | None = None,
    mobile: str | None = None,
) -> UserAccount:
    authz.check(actor, "identity.user_create")
    errors = []
    if repo.user_by_name(session, username) is not None:
        errors.append(FieldError("username", "用户名已被使用", "duplicate"))
    if len(password) < 8:
        errors.append(FieldError("password", "密码至少 8 位", "too_short"))
    unknown = set(roles) - STAFF_ROLES - {"citizen", "enterprise"}
    if unknown:
        known = "、".join(f"{r}（{name}）" for r, name in ROLE_NAMES.items())
        errors.append(
            FieldError("roles", f"未知角色：{' '.join(sorted(unknown))}（可用：{known}）", "unknown")
        )
    dept = repo.department_by_code(session, department_code) if department_code else None
    if department_code and dept is None:
        errors.append(FieldError("department", f"部门代码 {department_code} 不存在", "unknown"))
    errors += _unknown_region(session, region_code) if region_code else []
    for name, value, error in (("email", email, codes.email_error), ("mobile", mobile, codes.mobile_error)):
        problem = error(value) if value else None
        if problem:
            errors.append(FieldError(name, problem))
    if errors:
        raise (Conflict if errors[0].code == "duplicate" else ValidationFailed)("账号信息有误", errors)
    user = UserAccount(
        username=username, password_hash=security.hash_password(password), display_name=display_name,
        roles=" ".join(sorted(set(roles))), person_id=person_id, enterprise_id=enterprise_id,
        department_id=dept.id if dept else None,
        region_code=region_code or (dept.region_code if dept else None), grid_code=grid_code,
        email=codes.email_address(email) if email else None, mobile=codes.mobile_number(mobile) if mobile else None,
    )  # fmt: skip
    repo.add(session, user)
    audit.record(session, actor, "identity.user_create", "user", user.id, detail={"roles": roles})
    return user


def client_create(
    session: Session, actor: Actor, name: str, scopes: list[str], region_code: str,
    department_code: str | None = None, rate_per_minute: int | None = None,
) -> tuple[ApiClient, str]:  # fmt: skip
    """Register a calling system; returns it and its secret, shown once."""
    authz.check(actor, "identity.client_create")
    errors = _unknown_scope(scopes) + _unknown_region(session, region_code)
    dept = repo.department_by_code(session, department_code) if department_code else None
    if department_code and dept is None:
        errors.append(FieldError("department", f"部门代码 {department_code} 不存在", "unknown"))
    if errors:
        raise ValidationFailed("接入系统信息有误", errors)
    secret = crypto.new_token()
    client = ApiClient(
        client_id="c_" + crypto.new_token(9), name=name, secret_hash=security.hash_password(secret),
        scopes=" ".join(sorted(set(scopes))), region_code=region_code,
        department_id=dept.id if dept else None,
        rate_per_minute=rate_per_minute or get_settings().client_rate_per_minute,
    )  # fmt: skip
    repo.add(session, client)
    audit.record(session, actor, "identity.client_create", "api_client", client.client_id,
                 detail={"scopes": scopes})  # fmt: skip
    return client, secret


def _unknown_region(session: Session, region_code: str) -> list[FieldError]:
    if repo.region(session, region_code) is None:
        return [FieldError("region_code", f"行政区划代码 {region_code} 不存在", "unknown")]
    return []


def _unknown_scope(scopes: list[str]) -> list[FieldError]:
    known = known_scopes()
    bad = sorted(set(scopes) - known)
    if not scopes:
        return [FieldError("scopes", "至少登记一个授权范围", "missing")]
    if bad:
        contexts = "、".join(sorted(s for s in known if "." not in s and s != "*"))
        msg = f"未知的授权范围：{' '.join(bad)}（可用：{contexts}、* 或某个操作名，如 exchange.record_read）"
        return [FieldError("scopes", msg, "unknown")]
    return []
