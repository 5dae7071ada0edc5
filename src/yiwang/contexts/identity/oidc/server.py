"""Authlib's OpenID Connect provider, adapted to FastAPI/Starlette (sync; Authlib has no Starlette
server integration). One `Provider` per request, bound to the request's database session.

Protocol code is Authlib's; what is ours: storage (codes, tokens, clients), the claims, and two
tightenings: PKCE (S256) is required of every client, confidential ones included (Authlib's
`CodeChallenge` requires it of public clients only), and a code presented twice revokes what it
issued (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode, OpenIDToken
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as identity_repo
from yiwang.contexts.identity.models import UserAccount
from yiwang.contexts.identity.oidc import keys
from yiwang.contexts.identity.oidc import repository as repo
from yiwang.contexts.identity.oidc.models import OidcClient, OidcCode, OidcToken
from yiwang.core import crypto, security
from yiwang.core.actor import ROLE_NAMES
from yiwang.core.db import utcnow
from yiwang.settings import get_settings

CODE_SECONDS = 300
SCOPES = {"openid": "确认您的身份", "profile": "姓名与用户名", "org": "所在部门、管辖区划与角色",
          "email": "电子邮箱", "phone": "手机号码", "offline_access": "在您不在线时保持登录"}  # fmt: skip


# -- requests: what Authlib reads of an HTTP request ------------------------------------------------


class _Payload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteRequest(OAuth2Request):
    """The query (authorize) or the form fields (token) of a Starlette request, read beforehand:
    the server code is sync and runs in the thread pool, where the body cannot be awaited."""

    def __init__(self, method: str, url: str, headers: Any, args: list[tuple[str, str]],
                 form: list[tuple[str, str]]) -> None:  # fmt: skip
        super().__init__(method=method, uri=url, headers=headers)
        self._args = dict(args)
        self._form = dict(form)
        self.payload = _Payload(args + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# -- models as Authlib sees them ------------------------------------------------------------------


@dataclass
class Client(ClientMixin):
    row: OidcClient

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.row.redirect_uris[0] if self.row.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.row.scopes.split()
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match, no prefixes or patterns

    def check_client_secret(self, client_secret: str) -> bool:
        return security.verify_password(self.row.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class Code(AuthorizationCodeMixin):
    row: OidcCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


@dataclass
class Token(TokenMixin):
    row: OidcToken

    def check_client(self, client: Client) -> bool:
        return self.row.client_pk == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return bool(self.row.refresh_expires_at and self.row.refresh_expires_at <= utcnow())

    def is_revoked(self) -> bool:
        return self.row.revoked


# -- claims -----------------------------------------------------------------------------------------


def user_claims(session: Session, user: UserAccount, scope: str) -> dict[str, Any]:
    """Userinfo (and ID token) claims of an account for the granted scopes."""
    scopes = set(scope.split())
    info: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        info.update(name=user.display_name, preferred_username=user.username, locale="zh-CN",
                    zoneinfo="Asia/Shanghai")  # fmt: skip
    if "org" in scopes:
        dept = identity_repo.department(session, user.department_id) if user.department_id else None
        region = identity_repo.region(session, user.region_code) if user.region_code else None
        roles = sorted(user.roles.split())
        info.update(
            department={"code": dept.code, "name": dept.name} if dept else None,
            region={"code": region.code, "name": region.name} if region else None,
            roles=roles, role_names=[ROLE_NAMES.get(r, r) for r in roles],
        )  # fmt: skip
    if "email" in scopes and user.email:
        info.update(email=user.email, email_verified=False)
    if "phone" in scopes and user.mobile:
        info.update(phone_number=user.mobile, phone_number_verified=False)
    return info


# -- grants -----------------------------------------------------------------------------------------


class PkceForEveryClient(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012  (Authlib's class attribute)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "Missing 'code_challenge': PKCE (S256) is required", redirect_uri=redirect_uri
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)


class _OpenIDClaims:
    provider: Provider

    def resolve_client_private_key(self, client: Client) -> Any:
        return keys.signing(self.provider.session)[1]

    def get_client_algorithm(self, client: Client) -> str:
        return keys.signing(self.provider.session)[0].alg

    def get_encode_header(self, client: Client) -> dict[str, str]:
        row = keys.signing(self.provider.session)[0]
        return {"alg": row.alg, "kid": row.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.provider.issuer, "aud": [client.get_client_id()], "iat": now,
                "exp": now + get_settings().oidc_access_minutes * 60}  # fmt: skip

    def generate_user_info(self, user: UserAccount, scope: str) -> UserInfo:
        return UserInfo(user_claims(self.provider.session, user, scope))


class _Code(_OpenIDClaims, OpenIDCode):
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # codes are single use and short-lived; a replayed nonce fails at the client


class _RefreshIdToken(_OpenIDClaims, OpenIDToken):
    pass


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012
    provider: Provider

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        now = utcnow()
        repo.add(self.provider.session, OidcCode(
            code_hash=crypto.token_hash(code), client_pk=request.client.row.id, user_id=request.user.id,
            redirect_uri=data.get("redirect_uri") or "", scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=data["code_challenge"], code_challenge_method=data.get("code_challenge_method", "S256"),
            auth_time=self.provider.auth_time or now, expires_at=now + timedelta(seconds=CODE_SECONDS),
        ))  # fmt: skip

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = repo.code(self.provider.session, crypto.token_hash(code), client.row.id)
        if row is None or row.expires_at <= utcnow():
            return None
        if row.used_at is not None:  # presented again: revoke what the first exchange issued
            self.provider.reused_code = row.id
            repo.revoke_tokens_of_code(self.provider.session, row.id)
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # marked used in `authenticate_user`, before the tokens are made

    def authenticate_user(self, authorization_code: Code) -> UserAccount | None:
        session = self.provider.session
        if not repo.mark_code_used(session, authorization_code.row.id, utcnow()):
            return None  # exchanged at the same moment by another request
        self.provider.code_id = authorization_code.row.id
        user = identity_repo.user(session, authorization_code.row.user_id)
        return user if user is not None and not user.disabled else None


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True
    provider: Provider

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = repo.token_by_refresh(self.provider.session, crypto.token_hash(refresh_token))
        if row is None or row.revoked or (row.refresh_expires_at and row.refresh_expires_at <= utcnow()):
            return None
        return Token(row)

    def authenticate_user(self, refresh_token: Token) -> UserAccount | None:
        user = identity_repo.user(self.provider.session, refresh_token.row.user_id)
        return user if user is not None and not user.disabled else None

    def revoke_old_credential(self, refresh_token: Token) -> None:
        if not repo.revoke_token(self.provider.session, refresh_token.row.id):
            raise InvalidRequestError("refresh token already used")


# -- the server ---------------------------------------------------------------------------------------


class Provider(AuthorizationServer):
    """Authlib's authorization server bound to one request's session."""

    def __init__(self, session: Session, issuer: str, auth_time: Any = None) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session, self.issuer, self.auth_time = session, issuer, auth_time
        self.code_id: int | None = None
        self.reused_code: int | None = None
        self.issued: OidcToken | None = None
        s = get_settings()
        self.register_token_generator("default", BearerTokenGenerator(
            lambda **_: crypto.new_token(), lambda **_: crypto.new_token(), lambda *_: s.oidc_access_minutes * 60,
        ))  # fmt: skip
        code_ext, refresh_ext = _Code(require_nonce=False), _RefreshIdToken()
        code_ext.provider = refresh_ext.provider = self
        self.register_grant(_bound(CodeGrant, self), [PkceForEveryClient(required=True), code_ext])
        self.register_grant(_bound(RefreshGrant, self), [refresh_ext])

    def query_client(self, client_id: str) -> Client | None:
        row = repo.client(self.session, client_id) if client_id and len(client_id) <= 40 else None
        return Client(row) if row is not None and not row.disabled else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        now = utcnow()
        refresh = token.get("refresh_token")
        row = OidcToken(
            access_token_hash=crypto.token_hash(token["access_token"]),
            refresh_token_hash=crypto.token_hash(refresh) if refresh else None,
            client_pk=request.client.row.id, user_id=request.user.id, code_id=self.code_id,
            scope=token.get("scope", ""), issued_at=now, expires_at=now + timedelta(seconds=token["expires_in"]),
            refresh_expires_at=now + timedelta(days=get_settings().oidc_refresh_days) if refresh else None,
        )  # fmt: skip
        repo.add(self.session, row)
        self.issued = row

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # the routes build a `StarletteRequest` themselves

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        content = json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else (body or "")
        response = Response(content, status_code=status, headers=dict(headers or []))
        if isinstance(body, dict):
            response.headers["content-type"] = "application/json"
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


def _bound(grant_cls: type, provider: Provider) -> type:
    return type(grant_cls.__name__, (grant_cls,), {"provider": provider})
