"""JSON routes of e-licenses under /api/v1/services/licenses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from yiwang.contexts.identity import Caller
from yiwang.contexts.services import actions_licenses as actions
from yiwang.core import codes
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/services/licenses", tags=["services"])
NUMBER = Annotated[str, Path(max_length=40, pattern=r"^[A-Z0-9]{8,40}$")]


class RevokeIn(BaseModel):
    reason: str = Field(max_length=500)


@router.get("", summary="我的电子证照")
def license_list(db: DB, actor: Caller) -> list[dict[str, Any]]:
    return [{"number": x.number, "name": x.name, "issued_at": x.issued_at, "revoked": x.revoked_at is not None}
            for x in actions.licenses_mine(db, actor)]  # fmt: skip


@router.get("/{number}/verify", summary="核验电子证照（有效、已撤销、查无此证）")
def license_verify(db: DB, actor: Caller, number: NUMBER) -> dict[str, Any]:
    c = actions.license_verify(db, actor, number)
    lic = c.license
    return {"number": number, "status": c.status, "status_label": c.label,
            "name": lic.name if lic else None, "holder": codes.mask_name(lic.holder_name) if lic else None,
            "issuer": lic.payload.get("issuer") if lic else None,
            "issued_at": lic.issued_at if lic else None}  # fmt: skip


@router.post("/{number}/revoke", summary="撤销电子证照（发证部门）")
def license_revoke(db: DB, actor: Caller, number: NUMBER, body: RevokeIn) -> dict[str, Any]:
    lic = actions.license_revoke(db, actor, number, body.reason)
    return {"number": lic.number, "status": "revoked"}
