"""Shared set-up for identity tests: the demo citizen and a window clerk of their district."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def citizen_and_clerk(as_user: Any) -> tuple[Any, dict[str, Any], Any]:
    """The citizen's client, their own record (in clear) and a clerk of their district's client."""
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    mine = citizen.get(f"/api/v1/persons/{me['person_id']}").json()
    return citizen, mine, as_user("clerk" if mine["region_code"].startswith("330106") else "clerk2")


def read_for(client: Any, person_id: int, purpose: str) -> int:
    """Open one person's record with a stated purpose; the status code."""
    return int(client.get(f"/api/v1/persons/{person_id}", headers={"X-Purpose": quote(purpose)}).status_code)
