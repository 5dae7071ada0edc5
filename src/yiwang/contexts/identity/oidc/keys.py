"""ID token signing keys: persistent, each with a key id (`kid`), private halves encrypted at rest.

Rotation makes a new key the signing one and retires the old: it stays in the JWKS for
`oidc_retired_key_days`, so ID tokens it signed still verify, then drops out.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import KeySet, OKPKey, RSAKey
from sqlalchemy.orm import Session

from yiwang.contexts.identity.oidc import repository as repo
from yiwang.contexts.identity.oidc.models import OidcKey
from yiwang.core import crypto
from yiwang.core.db import utcnow
from yiwang.settings import get_settings

ALGORITHMS = ("RS256", "EdDSA")
_AAD = b"oidc-signing-key"
_parsed: dict[str, Any] = {}  # kid -> joserfc private key (keys never change once written)


def _generate(alg: str, kid: str) -> Any:
    params: Any = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519", parameters=params, private=True)
    return RSAKey.generate_key(2048, parameters=params, private=True)


def create(session: Session, alg: str | None = None) -> OidcKey:
    alg = alg or get_settings().oidc_signing_alg
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg}")
    kid = f"{utcnow():%Y%m%d}-{secrets.token_hex(4)}"
    key = _generate(alg, kid)
    row = OidcKey(kid=kid, alg=alg, public_jwk=dict(key.as_dict(private=False)),
                  private_enc=crypto.encrypt(key.as_pem(private=True).decode(), _AAD))  # fmt: skip
    repo.add(session, row)
    _parsed[kid] = key
    return row


def signing(session: Session) -> tuple[OidcKey, Any]:
    """The key that signs now (made on first use) and its private joserfc key."""
    row = repo.signing_key(session) or create(session)
    return row, private_key(row)


def private_key(row: OidcKey) -> Any:
    key = _parsed.get(row.kid)
    if key is None:
        pem = crypto.decrypt(row.private_enc, _AAD)
        params: Any = {"kid": row.kid, "alg": row.alg, "use": "sig"}
        key = (OKPKey if row.alg == "EdDSA" else RSAKey).import_key(pem, parameters=params)
        _parsed[row.kid] = key
    return key


def rotate(
    session: Session, alg: str | None = None, now: datetime | None = None
) -> tuple[OidcKey, list[str]]:
    """Retire the signing key(s) and make a new one; returns the new key and the retired kids."""
    now = now or utcnow()
    keep = timedelta(days=get_settings().oidc_retired_key_days)
    retired = []
    for old in repo.lock_signing_keys(session):
        old.retired_at, old.expires_at = now, now + keep
        retired.append(old.kid)
    session.flush()
    return create(session, alg), retired


def jwks(session: Session) -> dict[str, Any]:
    """The published key set (RFC 7517): public halves only."""
    rows = repo.published_keys(session, utcnow())
    if not rows:
        rows = [signing(session)[0]]
    return {"keys": [row.public_jwk for row in rows]}


def public_key_set(session: Session) -> KeySet:
    return KeySet.import_key_set(jwks(session))  # type: ignore[arg-type]
