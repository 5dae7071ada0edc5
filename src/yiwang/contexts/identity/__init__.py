"""Identity and organisation: regions, departments, grids, persons, enterprises, staff, logins.

Public surface for other contexts: the request dependencies `Caller` / `LoggedIn`, the
`routers` to mount, and `person_view` / lookups through `actions`.
"""

from typing import Any

from yiwang.contexts.identity import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.identity.web import Caller, LoggedIn, current_actor

__all__ = ["Caller", "LoggedIn", "current_actor", "routers"]


def routers() -> list[Any]:
    from yiwang.contexts.identity import api, pages, pages_staff

    return [api.router, pages.router, pages_staff.router]
