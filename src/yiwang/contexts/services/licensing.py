"""电子证照: issuing (on an application's completion, or a 一业一证 bundle's), the Ed25519
signature over the licence's canonical content, and checking one (valid / revoked / unknown)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import orjson
import segno
from sqlalchemy.orm import Session

from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.models import ELicense
from yiwang.core import audit, crypto
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow

PURPOSE = "elicense"


def _message(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)


def issue(session: Session, actor: Actor, *, name: str, item_code: str, holder_name: str, holder_user_id: int | None,
          person_id: int | None, enterprise_id: int | None, issuer_department_id: int | None,
          application_id: int | None, issuer: str) -> ELicense:  # fmt: skip
    key = crypto.purpose_signing_key(PURPOSE)
    public = crypto.public_key_raw(key)
    now = utcnow()
    number = f"DZZZ{now:%Y%m%d}{secrets.token_hex(5).upper()}"
    payload = {"number": number, "name": name, "holder": holder_name, "issuer": issuer, "item": item_code,
               "issued_at": now.isoformat(timespec="seconds")}  # fmt: skip
    lic = ELicense(number=number, name=name, item_code=item_code, holder_name=holder_name,
                   holder_user_id=holder_user_id, person_id=person_id, enterprise_id=enterprise_id,
                   issuer_department_id=issuer_department_id, application_id=application_id, payload=payload,
                   signature=base64.b64encode(key.sign(_message(payload))).decode(), key_id=crypto.key_id(public),
                   issued_at=now)  # fmt: skip
    repo.add(session, lic)
    audit.record(session, actor, "services.license_issue", "service_elicense", lic.id,
                 detail={"number": number, "name": name, "application": application_id})  # fmt: skip
    return lic


@dataclass(frozen=True)
class Check:
    status: str  # valid | revoked | unknown | tampered
    license: ELicense | None

    @property
    def label(self) -> str:
        return {
            "valid": "有效",
            "revoked": "已撤销",
            "unknown": "查无此证",
            "tampered": "签名不符（证照内容被篡改）",
        }[self.status]


def check(session: Session, number: str) -> Check:
    lic = repo.license_by_number(session, number[:40])
    if lic is None:
        return Check("unknown", None)
    public = crypto.public_key_raw(crypto.purpose_signing_key(PURPOSE))
    if not crypto.verify_signature(public, base64.b64decode(lic.signature), _message(lic.payload)):
        return Check("tampered", lic)
    return Check("revoked" if lic.revoked_at is not None else "valid", lic)


def qr_svg(url: str) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=4, dark="#111827"))
