"""Pure ASGI middleware: request id, client ip, access log and metrics per route template."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yiwang.core import deferred
from yiwang.core.actor import client_ip_var, request_id_var
from yiwang.core.codes import redact_identity_numbers
from yiwang.core.metrics import LATENCY, REQUESTS

log = logging.getLogger("yiwang.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    ),
]


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        ip = client[0] if client else ""
        rid_token, ip_token = request_id_var.set(rid), client_ip_var.set(ip)
        deferred_token = deferred.open_scope()
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(b"x-request-id", rid.encode())]
                if scope["path"] not in ("/metrics",):
                    # A response that set its own policy keeps it (the single sign-on consent
                    # page lets its form redirect to the registered system: `form-action`).
                    own = {k.lower() for k, _ in message.get("headers", [])}
                    extra += [h for h in SECURITY_HEADERS if h[0] not in own]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "static" if scope["path"].startswith("/static") else "unmatched"
            )
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(elapsed)
            log.info(
                "request",
                extra={"method": scope["method"], "route": template, "path": redact_identity_numbers(scope["path"]),
                       "status": status,
                       "ms": round(elapsed * 1000, 2), "ip": ip},
            )  # fmt: skip
            deferred.close_scope(deferred_token)
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)
