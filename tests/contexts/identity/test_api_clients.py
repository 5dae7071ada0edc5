"""Systems calling the API: client credentials, bearer tokens, scopes, rate limits, X-User."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import text

from yiwang.contexts.identity.actions_access import client_create
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction


def _client(scopes: list[str], region: str = "330106", rate: int = 600) -> tuple[str, str]:
    with transaction() as s:
        c, secret = client_create(s, SYSTEM, "西湖区政务服务系统", scopes, region, rate_per_minute=rate)
    return c.client_id, secret


def _token(client, cid: str, secret: str, scope: str | None = None):  # type: ignore[no-untyped-def]
    data = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    if scope:
        data["scope"] = scope
    return client.post("/api/v1/oauth/token", data=data)


def test_a_client_gets_a_token_and_reads_within_its_region(client) -> None:
    cid, secret = _client(["identity"])
    r = _token(client, cid, secret)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] > 0
    h = {"Authorization": f"Bearer {tok['access_token']}", "X-User": quote("窗口人员 王五")}
    with transaction() as s:
        pid = s.execute(
            text("SELECT id FROM person WHERE region_code LIKE '330106%' ORDER BY id LIMIT 1")
        ).scalar()
        other = s.execute(
            text("SELECT id FROM person WHERE region_code LIKE '330102%' ORDER BY id LIMIT 1")
        ).scalar()
    r = client.get(f"/api/v1/persons/{pid}", headers={**h, "X-Purpose": quote("核验")})
    assert r.status_code == 200 and r.json()["masked"] is True
    with transaction() as s:
        behalf = s.execute(
            text("SELECT on_behalf_of FROM audit_record WHERE action='identity.person_read' AND target_id=:t "
                 "AND actor LIKE 'client:%' ORDER BY id DESC LIMIT 1"), {"t": str(pid)},
        ).scalar()  # fmt: skip
    assert behalf == "窗口人员 王五"
    assert client.get(f"/api/v1/persons/{other}", headers=h).status_code == 403


def test_the_secret_is_stored_hashed_and_a_wrong_one_is_401(client) -> None:
    cid, secret = _client(["identity"])
    with transaction() as s:
        stored = s.execute(text("SELECT secret_hash FROM api_client WHERE client_id=:c"), {"c": cid}).scalar()
    assert secret not in stored and stored.startswith("$argon2id$")
    r = _token(client, cid, secret + "x")
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"  # RFC 6749 §5.2
    assert r.headers["cache-control"] == "no-store"


def test_a_token_without_the_scope_is_refused(client) -> None:
    cid, secret = _client(["catalog"])
    tok = _token(client, cid, secret).json()["access_token"]
    r = client.get("/api/v1/persons/1", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 403
    r = _token(client, cid, secret, scope="identity")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_a_forged_or_expired_token_is_401(client) -> None:
    r = client.get("/api/v1/persons/1", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401


def test_each_client_is_rate_limited(client) -> None:
    cid, secret = _client(["identity"], rate=5)
    tok = _token(client, cid, secret).json()["access_token"]
    statuses = [client.get("/api/v1/regions", headers={"Authorization": f"Bearer {tok}"}).status_code
                for _ in range(7)]  # fmt: skip
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    r = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {tok}"})
    assert int(r.headers["retry-after"]) >= 1


def test_token_endpoint_speaks_rfc_6749(client) -> None:
    import base64

    cid, secret = _client(["identity"])
    r = client.post("/api/v1/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    r = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    assert (
        r.status_code == 200
        and r.headers["cache-control"] == "no-store"
        and r.headers["pragma"] == "no-cache"
    )
    bad = base64.b64encode(f"{cid}:wrong".encode()).decode()
    r = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {bad}"})  # fmt: skip
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
