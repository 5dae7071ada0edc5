"""Who is calling: a session cookie or a bearer token turned into an Actor (no decisions here)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.models import UserAccount
from yiwang.core import crypto
from yiwang.core.actor import Actor
from yiwang.core.cache import TTLCache
from yiwang.core.db import utcnow
from yiwang.settings import get_settings


def actor_for_user(session: Session, user: UserAccount) -> Actor:
    dept = repo.department(session, user.department_id) if user.department_id else None
    name = f"{user.display_name}（{dept.name}）" if dept else user.display_name
    return Actor(
        kind="user",
        id=user.id,
        name=name,
        roles=frozenset(user.roles.split()),
        region_code=user.region_code,
        department_id=user.department_id,
        department_code=dept.code if dept else None,
        person_id=user.person_id,
        enterprise_id=user.enterprise_id,
        grid_code=user.grid_code,
        disabled=user.disabled,
    )


def from_session_token(session: Session, token: str) -> tuple[Actor, str] | None:
    """The actor and the session's CSRF token, or None if the session is unknown or expired."""
    found = repo.session_with_user(session, crypto.token_hash(token), utcnow())
    if found is None:
        return None
    login, user = found
    return actor_for_user(session, user), login.csrf_token


_bearers: TTLCache[str, tuple[Actor, int]] = TTLCache()


def cached_bearer(token: str, on_behalf_of: str | None) -> tuple[Actor, int] | None:
    """`from_bearer` for a token this process has resolved within `cache_seconds`, else None."""
    hit = _bearers.get(crypto.token_hash(token))
    return (hit[0].acting_for(on_behalf_of), hit[1]) if hit is not None else None


def from_bearer(session: Session, token: str, on_behalf_of: str | None) -> tuple[Actor, int] | None:
    """The client actor and its rate limit per minute, or None for an unknown/expired token.
    Known tokens are cached per process for `cache_seconds` (never past their expiry): every API
    call presents one, and the client behind it changes rarely."""
    hit = cached_bearer(token, on_behalf_of)
    if hit is not None:
        return hit
    token_hash = crypto.token_hash(token)
    now = utcnow()
    found = repo.token_with_client(session, token_hash, now)
    if found is None:
        return None
    tok, client, department_name = found
    actor = Actor(
        kind="client",
        name=f"{client.name}（{department_name}）" if department_name else client.name,
        client_id=client.client_id,
        region_code=client.region_code,
        department_id=client.department_id,
        scopes=frozenset(tok.scopes.split()),
        on_behalf_of=on_behalf_of,
        disabled=client.disabled,
    )
    _bearers.put(token_hash, (actor, client.rate_per_minute),
                 min(get_settings().cache_seconds, (tok.expires_at - now).total_seconds()))  # fmt: skip
    return actor, client.rate_per_minute
