"""All SQL of single sign-on: relying parties, authorization codes, tokens and signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from yiwang.contexts.identity.oidc.models import OidcClient, OidcCode, OidcKey, OidcToken


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def client(session: Session, client_id: str) -> OidcClient | None:
    return session.scalar(select(OidcClient).where(OidcClient.client_id == client_id))


def client_by_pk(session: Session, pk: int) -> OidcClient | None:
    return session.get(OidcClient, pk)


def clients(session: Session) -> list[OidcClient]:
    return list(session.scalars(select(OidcClient).order_by(OidcClient.id)))


def code(session: Session, code_hash: str, client_pk: int) -> OidcCode | None:
    return session.scalar(
        select(OidcCode).where(OidcCode.code_hash == code_hash, OidcCode.client_pk == client_pk)
    )


def mark_code_used(session: Session, code_id: int, now: datetime) -> bool:
    """Mark a code used unless it already is; False when another exchange got there first."""
    result = session.execute(
        update(OidcCode).where(OidcCode.id == code_id, OidcCode.used_at.is_(None)).values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_tokens_of_code(session: Session, code_id: int) -> int:
    result = session.execute(update(OidcToken).where(OidcToken.code_id == code_id).values(revoked=True))
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_tokens_of(session: Session, client_pk: int, user_id: int) -> int:
    result = session.execute(
        update(OidcToken)
        .where(OidcToken.client_pk == client_pk, OidcToken.user_id == user_id, OidcToken.revoked.is_(False))
        .values(revoked=True)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_tokens_of_client(session: Session, client_pk: int) -> int:
    result = session.execute(
        update(OidcToken)
        .where(OidcToken.client_pk == client_pk, OidcToken.revoked.is_(False))
        .values(revoked=True)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def token_by_access(session: Session, access_hash: str) -> OidcToken | None:
    return session.scalar(select(OidcToken).where(OidcToken.access_token_hash == access_hash))


def token_by_refresh(session: Session, refresh_hash: str) -> OidcToken | None:
    return session.scalar(select(OidcToken).where(OidcToken.refresh_token_hash == refresh_hash))


def revoke_token(session: Session, token_id: int) -> bool:
    """Revoke one token unless it already is (a refresh token is used once)."""
    result = session.execute(
        update(OidcToken).where(OidcToken.id == token_id, OidcToken.revoked.is_(False)).values(revoked=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def signing_key(session: Session) -> OidcKey | None:
    return session.scalar(
        select(OidcKey).where(OidcKey.retired_at.is_(None)).order_by(OidcKey.id.desc()).limit(1)
    )


def published_keys(session: Session, now: datetime) -> list[OidcKey]:
    """The keys in the JWKS: the signing key and retired keys not yet expired, newest first."""
    return list(
        session.scalars(
            select(OidcKey)
            .where(or_(OidcKey.expires_at.is_(None), OidcKey.expires_at > now))
            .order_by(OidcKey.id.desc())
        )
    )


def lock_signing_keys(session: Session) -> list[OidcKey]:
    """The keys still signing, locked (two rotations at once retire each other's key only once)."""
    return list(session.scalars(select(OidcKey).where(OidcKey.retired_at.is_(None)).with_for_update()))
