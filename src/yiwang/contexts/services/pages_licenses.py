"""E-license pages: the holder's licences with their QR codes, and the public verification page
the QR code opens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.contexts.services import actions_licenses as actions
from yiwang.contexts.services.licensing import qr_svg
from yiwang.contexts.services.pages import _render
from yiwang.core import codes
from yiwang.core.web import nav
from yiwang.core.web.deps import DB

router = APIRouter(include_in_schema=False)
NUMBER = Annotated[str, PathParam(max_length=40)]
nav.add_nav("我的证照", "/services/licenses", frozenset({"citizen", "enterprise"}), order=12)


@router.get("/services/licenses")
def my_licenses(request: Request, db: DB, actor: LoggedIn) -> Response:
    base = str(request.base_url).rstrip("/")
    rows = [
        (x, qr_svg(f"{base}/services/licenses/{x.number}/verify")) for x in actions.licenses_mine(db, actor)
    ]
    return _render(request, "services_licenses.html", actor, rows=rows)


@router.get("/services/licenses/{number}/verify")
def verify_page(request: Request, db: DB, actor: Caller, number: NUMBER) -> Response:
    c = actions.license_verify(db, actor, number)
    holder = codes.mask_name(c.license.holder_name) if c.license else ""
    return _render(request, "services_verify.html", actor, c=c, number=number, holder=holder)
