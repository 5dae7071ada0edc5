"""Demo data of single sign-on: a signing key and one registered system to try the login with
(`yiwang demo seed`; idempotent). Its client id and secret are fixed and public: demo only."""

from __future__ import annotations

from yiwang.contexts.identity.oidc import keys
from yiwang.contexts.identity.oidc import repository as repo
from yiwang.contexts.identity.oidc.models import OidcClient
from yiwang.core import security
from yiwang.core.db import transaction

DEMO_CLIENT_ID = "ssodemo"
DEMO_CLIENT_SECRET = "yiwang-demo-sso-secret"  # noqa: S105  (a published demo credential)
DEMO_REDIRECT = "http://127.0.0.1:8001/callback"
DEMO_AFTER_LOGOUT = "http://127.0.0.1:8001/"


def seed_sso() -> int:
    """The demo system 演示业务系统 and a first signing key; the number of new rows."""
    with transaction() as s:
        made = 0
        if repo.signing_key(s) is None:
            keys.create(s)
            made += 1
        if repo.client(s, DEMO_CLIENT_ID) is None:
            repo.add(s, OidcClient(
                client_id=DEMO_CLIENT_ID, name="演示业务系统", secret_hash=security.hash_password(DEMO_CLIENT_SECRET),
                redirect_uris=[DEMO_REDIRECT], post_logout_redirect_uris=[DEMO_AFTER_LOGOUT],
                scopes="openid profile org email phone offline_access",
            ))  # fmt: skip
            made += 1
        return made
