"""Identity and organisation: regions, departments, grids, persons, enterprises, staff, logins.

Public surface for other contexts: the request dependencies `Caller` / `LoggedIn`, the
`routers` to mount, and `person_view` / lookups through `actions`; whom to notify with
`recipients_by_usernames`, `recipients_by_ids` and `recipients_in_department` (accounts as
`core.notify.Recipient`: id, name, email, mobile).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.identity import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.identity import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.identity import repository as _repo
from yiwang.contexts.identity.lookups import (
    enterprise_ids_by_codes,
    person_ids_by_id_numbers,
    persons_by_id_numbers,
)
from yiwang.contexts.identity.models import Department as _Department
from yiwang.contexts.identity.oidc import policies as _oidc_policies  # noqa: F401  (single sign-on)
from yiwang.contexts.identity.recipients import (
    recipients_by_ids,
    recipients_by_usernames,
    recipients_in_department,
)
from yiwang.contexts.identity.web import Caller, LoggedIn, authenticate, current_actor

__all__ = [
    "Account",
    "Caller",
    "GridShape",
    "LoggedIn",
    "account",
    "account_id_of_person",
    "authenticate",
    "current_actor",
    "department",
    "department_by_code",
    "departments",
    "enterprise_ids_by_codes",
    "grid_shapes",
    "grid_worker_ids",
    "own_identifiers",
    "person_ids_by_id_numbers",
    "persons_by_id_numbers",
    "recipients_by_ids",
    "recipients_by_usernames",
    "recipients_in_department",
    "region_name",
    "regions_named",
    "routers",
]


@dataclass(frozen=True)
class Account:
    """A login account as other contexts may name it: who, and for which department."""

    id: int
    username: str
    name: str
    department_id: int | None
    region_code: str | None
    roles: frozenset[str]
    disabled: bool
    person_id: int | None = None
    enterprise_id: int | None = None


def account(session: Session, username: str) -> Account | None:
    """An account by its username (to assign work to a named person)."""
    u = _repo.user_by_name(session, username)
    if u is None:
        return None
    return Account(u.id, u.username, u.display_name, u.department_id, u.region_code, frozenset(u.roles.split()),
                   u.disabled, u.person_id, u.enterprise_id)  # fmt: skip


def account_id_of_person(session: Session, person_id: int) -> int | None:
    """The login account of a person (the applicant a window clerk serves), if they have one."""
    return _repo.account_id_of_person(session, person_id)


def own_identifiers(session: Session, actor: Any) -> tuple[str | None, str | None]:
    """The logged-in user's own identity number and their enterprise's credit code (their own
    data: read through the identity actions, not logged as a read by someone else)."""
    from yiwang.contexts.identity import actions

    number = actions.person_read(session, actor, actor.person_id).id_number if actor.person_id else None
    credit = (
        actions.enterprise_read(session, actor, actor.enterprise_id).credit_code
        if actor.enterprise_id
        else None
    )
    return number, credit


def department(session: Session, dept_id: int) -> _Department | None:
    """Departments are public organisation data: no authorisation needed to name one."""
    return _repo.department(session, dept_id)


def department_by_code(session: Session, code: str) -> _Department | None:
    return _repo.department_by_code(session, code)


def departments(session: Session, region_code: str | None = None) -> list[_Department]:
    return _repo.departments(session, region_code)


def region_name(session: Session, code: str) -> str:
    region = _repo.region(session, code)
    return region.name if region else code


@dataclass(frozen=True)
class GridShape:
    """A grid as other contexts see it: its code, name, street and GeoJSON polygon."""

    code: str
    name: str
    street_code: str
    geometry: dict[str, Any]


def grid_shapes(session: Session, street_prefix: str | None = None) -> list[GridShape]:
    """Grids are public organisation data (the city map): no authorisation needed."""
    return [GridShape(g.code, g.name, g.street_code, g.geometry) for g in _repo.grids(session, street_prefix)]


def grid_worker_ids(session: Session, grid_code: str) -> list[int]:
    """The accounts of the grid workers who own a grid."""
    return _repo.grid_worker_ids(session, grid_code)


def regions_named(session: Session, level: str) -> dict[str, tuple[str, str | None, Any]]:
    """code -> (name, parent code, GeoJSON geometry) of every region of a level (district, street)."""
    return {r.code: (r.name, r.parent_code, r.geometry) for r in _repo.regions(session, level=level)}


def routers() -> list[Any]:
    from yiwang.contexts.identity import api, api_admin, pages, pages_admin, pages_city, pages_staff
    from yiwang.contexts.identity.oidc import routes as oidc_routes

    return [api.router, api_admin.router, pages_city.api_router, pages.router, pages_staff.router,
            pages_city.router, pages_admin.router, oidc_routes.router]  # fmt: skip
