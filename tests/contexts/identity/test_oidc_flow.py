"""Single sign-on as another system sees it: a relying party written with `requests` and PyJWT
(no Authlib) against a real server on a free port: discovery, authorize with PKCE, login,
consent, code exchange, ID token verified against the JWKS, userinfo, refresh, key rotation,
RP-initiated logout, and the refusals (redirect URI, verifier, reused code, secret)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.browser.conftest import live_server
from tests.conftest import DEMO_PASSWORD

__all__ = ["live_server"]

REDIRECT = "http://127.0.0.1:9/rp/callback"
AFTER_LOGOUT = "http://127.0.0.1:9/rp/bye"


def _register(scopes: tuple[str, ...] = ("openid", "profile", "org", "offline_access")) -> tuple[str, str]:
    from yiwang.contexts.identity.oidc.actions_clients import client_create
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction

    with transaction() as s:
        client, secret = client_create(s, SYSTEM, "不动产登记系统", [REDIRECT], list(scopes), [AFTER_LOGOUT])
        return client.client_id, secret


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class RelyingParty:
    """What a government system does to log its users in through yiwang."""

    def __init__(self, base: str, client_id: str, secret: str) -> None:
        self.config = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
        self.client_id, self.secret = client_id, secret
        self.browser = requests.Session()  # the user's browser (cookies of yiwang)

    def authorize_url(self, challenge: str | None, redirect: str = REDIRECT, **extra: str) -> str:
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect,
                  "scope": "openid profile org offline_access", "state": "st-1", "nonce": "n-0S6_WzA2Mj"}  # fmt: skip
        if challenge:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(extra)
        return self.config["authorization_endpoint"] + "?" + urlencode(params)

    def login_and_consent(self, url: str, username: str = "staff") -> requests.Response:
        """Follow the browser from the authorize URL through login and consent; the answer that
        redirects back to the relying party (not followed)."""
        from yiwang.core.security import limiter

        limiter.reset()
        r = self.browser.get(url, allow_redirects=False)
        if r.status_code == 303 and "/login" in r.headers["location"]:
            login_page = self.browser.get(_abs(url, r.headers["location"]))
            csrf = _csrf(login_page.text)
            nxt = re.search(r'name="next" value="([^"]*)"', login_page.text).group(1)  # type: ignore[union-attr]
            r = self.browser.post(_abs(url, "/login"), data={"username": username, "password": DEMO_PASSWORD,
                                  "csrf_token": csrf, "next": nxt.replace("&amp;", "&")}, allow_redirects=False)  # fmt: skip
            assert r.status_code == 303, r.text[:300]
            r = self.browser.get(_abs(url, r.headers["location"]), allow_redirects=False)
        if r.status_code != 200:
            return r
        assert "授权登录" in r.text and "不动产登记系统" in r.text
        action = re.search(r'action="([^"]+)"', r.text.split('class="login consent"')[1]).group(1)  # type: ignore[union-attr]
        return self.browser.post(_abs(url, action.replace("&amp;", "&")),
                                 data={"csrf_token": _csrf(r.text), "decision": "allow"}, allow_redirects=False)  # fmt: skip

    def token(self, **form: str) -> requests.Response:
        return requests.post(
            self.config["token_endpoint"], data=form, auth=(self.client_id, self.secret), timeout=10
        )

    def verify(self, id_token: str) -> dict[str, Any]:
        key = jwt.PyJWKClient(self.config["jwks_uri"], cache_jwk_set=False).get_signing_key_from_jwt(id_token)
        return jwt.decode(id_token, key, algorithms=["RS256", "EdDSA"], audience=self.client_id,
                          issuer=self.config["issuer"])  # fmt: skip

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(self.config["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"},
                            timeout=10)  # fmt: skip


def _abs(base: str, location: str) -> str:
    parts = urlsplit(base)
    return location if location.startswith("http") else f"{parts.scheme}://{parts.netloc}{location}"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _code_of(response: requests.Response) -> str:
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def test_another_system_logs_a_user_in_refreshes_survives_a_key_rotation_and_logs_out(
    live_server: str,
) -> None:
    from yiwang.contexts.identity.oidc.actions import key_rotate
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction

    rp = RelyingParty(live_server, *_register())
    assert rp.config["issuer"] == live_server
    assert rp.config["code_challenge_methods_supported"] == ["S256"]
    verifier, challenge = _pkce()
    code = _code_of(rp.login_and_consent(rp.authorize_url(challenge)))

    r = rp.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    tokens = r.json()
    claims = rp.verify(tokens["id_token"])
    assert claims["nonce"] == "n-0S6_WzA2Mj" and claims["sub"] and claims["preferred_username"] == "staff"
    first_kid = jwt.get_unverified_header(tokens["id_token"])["kid"]

    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 200, info.text
    me = info.json()
    assert me["sub"] == claims["sub"] and me["department"]["name"] and me["region"]["code"]
    assert "dept_staff" in me["roles"] and "部门工作人员" in me["role_names"]

    refreshed = rp.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert (
        new["access_token"] != tokens["access_token"] and rp.userinfo(new["access_token"]).status_code == 200
    )
    again = rp.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (
        again.status_code == 400 and again.json()["error"] == "invalid_grant"
    )  # a refresh token is used once

    with transaction() as s:
        new_kid, retired = key_rotate(s, SYSTEM)
    assert first_kid in retired and new_kid != first_kid
    published = {k["kid"] for k in requests.get(rp.config["jwks_uri"], timeout=10).json()["keys"]}
    assert {first_kid, new_kid} <= published
    assert rp.verify(tokens["id_token"])["sub"] == claims["sub"]  # signed by the retired key: still verifies
    after = rp.token(grant_type="refresh_token", refresh_token=new["refresh_token"]).json()
    assert jwt.get_unverified_header(after["id_token"])["kid"] == new_kid
    assert rp.verify(after["id_token"])["sub"] == claims["sub"]

    bye = rp.browser.get(rp.config["end_session_endpoint"] + "?" + urlencode(
        {"id_token_hint": after["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT, "state": "bye-1"}),
        allow_redirects=False)  # fmt: skip
    assert bye.status_code == 303 and bye.headers["location"] == AFTER_LOGOUT + "?state=bye-1"
    assert rp.browser.get(live_server + "/", allow_redirects=False).status_code in (303, 307, 401)
    assert rp.userinfo(after["access_token"]).status_code == 401
    gone = rp.token(grant_type="refresh_token", refresh_token=after["refresh_token"])
    assert gone.status_code == 400 and gone.json()["error"] == "invalid_grant"


def test_an_unregistered_redirect_uri_is_refused_on_our_page_not_sent_anywhere(live_server: str) -> None:
    rp = RelyingParty(live_server, *_register())
    _, challenge = _pkce()
    r = rp.login_and_consent(rp.authorize_url(challenge, redirect="http://127.0.0.1:9/evil"))
    assert r.status_code == 400 and "location" not in r.headers
    assert "无法完成单点登录" in r.text and "回调地址" in r.text


def test_pkce_is_required_even_of_a_confidential_client(live_server: str) -> None:
    rp = RelyingParty(live_server, *_register())
    r = rp.login_and_consent(rp.authorize_url(None))
    assert r.status_code in (302, 303), r.text[:300]
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and "code" not in query
    plain = rp.login_and_consent(rp.authorize_url("x" * 43, code_challenge_method="plain"))
    assert parse_qs(urlsplit(plain.headers["location"]).query)["error"] == ["invalid_request"]


@pytest.mark.parametrize("verifier", [None, "wrong-" + "v" * 50])
def test_a_missing_or_wrong_code_verifier_gets_no_tokens(live_server: str, verifier: str | None) -> None:
    rp = RelyingParty(live_server, *_register())
    _, challenge = _pkce()
    code = _code_of(rp.login_and_consent(rp.authorize_url(challenge)))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier:
        form["code_verifier"] = verifier
    r = rp.token(**form)
    assert r.status_code == 400 and "access_token" not in r.json()
    assert r.json()["error"] == ("invalid_request" if verifier is None else "invalid_grant")


def test_a_code_used_twice_fails_and_revokes_what_it_gave(live_server: str) -> None:
    rp = RelyingParty(live_server, *_register())
    verifier, challenge = _pkce()
    code = _code_of(rp.login_and_consent(rp.authorize_url(challenge)))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    first = rp.token(**form)
    assert first.status_code == 200
    second = rp.token(**form)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert rp.userinfo(first.json()["access_token"]).status_code == 401
    from sqlalchemy import text

    from yiwang.core.db import transaction

    with transaction() as s:
        reused = s.scalar(text("SELECT count(*) FROM audit_record WHERE action = 'identity.oidc_token_issue' "
                               "AND outcome = 'reused'"))  # fmt: skip
    assert reused >= 1


def test_a_wrong_client_secret_or_redirect_uri_at_the_token_endpoint_is_refused(live_server: str) -> None:
    client_id, secret = _register()
    rp = RelyingParty(live_server, client_id, secret)
    verifier, challenge = _pkce()
    code = _code_of(rp.login_and_consent(rp.authorize_url(challenge)))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    wrong = requests.post(rp.config["token_endpoint"], data=form, auth=(client_id, secret + "x"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    elsewhere = rp.token(**{**form, "redirect_uri": "http://127.0.0.1:9/other"})
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_grant"
    assert rp.token(**form).status_code == 200  # the refusals did not use the code up
