"""All SQL of the identity context."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.orm import Session

from yiwang.contexts.identity.models import (
    ApiClient,
    ApiToken,
    Department,
    Enterprise,
    Grid,
    LoginSession,
    Person,
    Region,
    UserAccount,
)
from yiwang.core.codes import region_prefix


def region(session: Session, code: str) -> Region | None:
    return session.get(Region, code)


def regions(session: Session, parent_code: str | None = None, level: str | None = None) -> list[Region]:
    q = select(Region).order_by(Region.code)
    if parent_code:
        q = q.where(Region.parent_code == parent_code)
    if level:
        q = q.where(Region.level == level)
    return list(session.scalars(q))


def departments(session: Session, region_code: str | None = None) -> list[Department]:
    q = select(Department).order_by(Department.code)
    if region_code:
        q = q.where(Department.region_code == region_code)
    return list(session.scalars(q))


def department(session: Session, dept_id: int) -> Department | None:
    return session.get(Department, dept_id)


def department_by_code(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def grids(session: Session, street_prefix: str | None = None) -> list[Grid]:
    q = select(Grid).order_by(Grid.code)
    if street_prefix:
        q = q.where(Grid.street_code.startswith(region_prefix(street_prefix)))
    return list(session.scalars(q))


def account_id_of_person(session: Session, person_id: int) -> int | None:
    q = select(UserAccount.id).where(UserAccount.person_id == person_id).order_by(UserAccount.id).limit(1)
    return session.scalar(q)


def person(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def person_by_index(session: Session, id_number_idx: str) -> Person | None:
    return session.scalar(select(Person).where(Person.id_number_idx == id_number_idx))


def persons_page(
    session: Session, region_code: str | None, name: str | None, after_id: int, limit: int
) -> list[Person]:
    q = select(Person).where(Person.id > after_id).order_by(Person.id).limit(limit)
    if region_code:
        q = q.where(Person.region_code.startswith(region_prefix(region_code)))
    if name:
        q = q.where(Person.name.startswith(name, autoescape=True))
    return list(session.scalars(q))


def count_persons(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person)) or 0


def count_enterprises(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Enterprise)) or 0


def enterprise(session: Session, enterprise_id: int) -> Enterprise | None:
    return session.get(Enterprise, enterprise_id)


def enterprise_by_code(session: Session, credit_code: str) -> Enterprise | None:
    return session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))


def enterprises_page(
    session: Session, region_code: str | None, after_id: int, limit: int
) -> list[Enterprise]:
    q = select(Enterprise).where(Enterprise.id > after_id).order_by(Enterprise.id).limit(limit)
    if region_code:
        q = q.where(Enterprise.region_code.startswith(region_prefix(region_code)))
    return list(session.scalars(q))


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def user_by_name(session: Session, username: str) -> UserAccount | None:
    return session.scalar(select(UserAccount).where(UserAccount.username == username))


def user(session: Session, user_id: int) -> UserAccount | None:
    return session.get(UserAccount, user_id)


def users_by_names(session: Session, names: list[str]) -> list[UserAccount]:
    return list(session.scalars(select(UserAccount).where(UserAccount.username.in_(names))))


def users_by_ids(session: Session, ids: list[int]) -> list[UserAccount]:
    return list(session.scalars(select(UserAccount).where(UserAccount.id.in_(ids))))


def users_in_department(session: Session, department_id: int, role: str | None) -> list[UserAccount]:
    """Accounts of a department, optionally with a role (roles are space-separated words)."""
    q = select(UserAccount).where(UserAccount.department_id == department_id)
    if role:
        q = q.where((literal(" ") + UserAccount.roles + literal(" ")).contains(f" {role} ", autoescape=True))
    return list(session.scalars(q.order_by(UserAccount.id)))


def session_with_user(
    session: Session, token_hash: str, now: datetime
) -> tuple[LoginSession, UserAccount] | None:
    row = session.execute(
        select(LoginSession, UserAccount)
        .join(UserAccount, UserAccount.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash, LoginSession.expires_at > now)
    ).first()
    return (row[0], row[1]) if row else None


def delete_session(session: Session, token_hash: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


def record_login_failure(session: Session, user_id: int, lock_after: int, locked_until: datetime) -> int:
    session.execute(
        update(UserAccount)
        .where(UserAccount.id == user_id)
        .values(failed_logins=UserAccount.failed_logins + 1)
    )
    failures = session.scalar(select(UserAccount.failed_logins).where(UserAccount.id == user_id)) or 0
    if failures >= lock_after:
        session.execute(
            update(UserAccount).where(UserAccount.id == user_id).values(locked_until=locked_until)
        )
    return failures


def client(session: Session, client_id: str) -> ApiClient | None:
    return session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))


def token_with_client(
    session: Session, token_hash: str, now: datetime
) -> tuple[ApiToken, ApiClient, str | None] | None:
    """The token, its client and the client's department name, in one query (every API call)."""
    row = session.execute(
        select(ApiToken, ApiClient, Department.name)
        .join(ApiClient, ApiClient.id == ApiToken.client_pk)
        .outerjoin(Department, Department.id == ApiClient.department_id)
        .where(ApiToken.token_hash == token_hash, ApiToken.expires_at > now)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def persons_by_index(session: Session, id_number_idxs: list[str]) -> dict[str, tuple[int, str]]:
    rows = session.execute(
        select(Person.id_number_idx, Person.id, Person.name).where(Person.id_number_idx.in_(id_number_idxs))
    )
    return {i: (pid, name) for i, pid, name in rows}


def count_persons_by_area(session: Session, region_code: str | None, code_length: int) -> dict[str, int]:
    """Persons per area: region codes cut to `code_length` (6 = district, 9 = street), GROUP BY."""
    area = func.substr(Person.region_code, 1, code_length)
    q = select(area, func.count()).group_by(area)
    if region_code:
        q = q.where(Person.region_code.startswith(region_prefix(region_code)))
    return {str(code): int(n) for code, n in session.execute(q)}


def count_enterprises_by_area(session: Session, region_code: str | None, code_length: int) -> dict[str, int]:
    area = func.substr(Enterprise.region_code, 1, code_length)
    q = select(area, func.count()).group_by(area)
    if region_code:
        q = q.where(Enterprise.region_code.startswith(region_prefix(region_code)))
    return {str(code): int(n) for code, n in session.execute(q)}


def count_enterprises_by_size(session: Session, region_code: str | None) -> dict[str, int]:
    q = select(Enterprise.size_class, func.count()).group_by(Enterprise.size_class)
    if region_code:
        q = q.where(Enterprise.region_code.startswith(region_prefix(region_code)))
    return {str(size): int(n) for size, n in session.execute(q)}


def count_departments_within(session: Session, region_code: str | None) -> int:
    q = select(func.count()).select_from(Department)
    if region_code:
        q = q.where(Department.region_code.startswith(region_prefix(region_code)))
    return session.scalar(q) or 0


def count_grids_within(session: Session, region_code: str | None) -> int:
    q = select(func.count()).select_from(Grid)
    if region_code:
        q = q.where(Grid.street_code.startswith(region_prefix(region_code)))
    return session.scalar(q) or 0


def enterprise_ids_by_codes(session: Session, credit_codes: list[str]) -> dict[str, int]:
    if not credit_codes:
        return {}
    rows = session.execute(
        select(Enterprise.credit_code, Enterprise.id).where(Enterprise.credit_code.in_(credit_codes))
    )
    return {c: i for c, i in rows}


def grid_worker_ids(session: Session, grid_code: str) -> list[int]:
    rows = session.execute(
        select(UserAccount.id).where(UserAccount.grid_code == grid_code, UserAccount.disabled.is_(False))
    )
    return [int(i) for i in rows.scalars()]


# -- administration -----------------------------------------------------------------------------------


def users_page(
    session: Session, q: str | None, role: str | None, after: int, limit: int
) -> list[UserAccount]:
    """Login accounts by id, optionally by part of the username or name and by role."""
    query = select(UserAccount).where(UserAccount.id > after)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(UserAccount.username.like(like) | UserAccount.display_name.like(like))
    if role:
        query = query.where(
            (literal(" ") + UserAccount.roles + literal(" ")).contains(f" {role} ", autoescape=True)
        )
    return list(session.scalars(query.order_by(UserAccount.id).limit(limit)))


def role_strings(session: Session) -> list[str]:
    """Every account's role string (to count accounts per role)."""
    return list(session.scalars(select(UserAccount.roles)))


def delete_sessions_of_user(session: Session, user_id: int) -> int:
    result = session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def clients_all(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.id)))


def delete_tokens_of_client(session: Session, client_pk: int) -> int:
    result = session.execute(delete(ApiToken).where(ApiToken.client_pk == client_pk))
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_users_by_department(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(UserAccount.department_id, func.count()).where(UserAccount.department_id.is_not(None))
        .group_by(UserAccount.department_id)
    )  # fmt: skip
    return {dept_id: n for dept_id, n in rows if dept_id is not None}
