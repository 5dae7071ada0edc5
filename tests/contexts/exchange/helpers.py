"""Shared set-up for exchange tests: API clients of departments, grants, call headers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import text

from yiwang.contexts.exchange import actions
from yiwang.contexts.exchange.schemas import ApproveIn, RequestIn
from yiwang.contexts.identity import department_by_code
from yiwang.contexts.identity.actions_access import client_create
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.db import transaction

MARRIAGE = "330100-MZ-0001"
HOUSEHOLD = "330100-GA-0001"
ENTERPRISE_REG = "330100-SJ-0001"
REAL_ESTATE = "330100-BDC-0001"


def department_id(code: str) -> int:
    with transaction() as s:
        return int(s.execute(text("SELECT id FROM department WHERE code = :c"), {"c": code}).scalar_one())


def dept_actor(code: str, region: str, roles: tuple[str, ...] = ("dept_staff",)) -> Actor:
    return Actor(kind="user", id=0, name=f"测试 {code}", roles=frozenset(roles), region_code=region,
                 department_id=department_id(code), department_code=code)  # fmt: skip


def grant_for(
    consumer: str, region: str, resource: str, fields: list[str], masked: list[str] | None = None,
    row_scope: str | None = None, quota: int = 10_000, valid_to: date | None = None,
) -> int:  # fmt: skip
    """Request as the consumer and approve as the provider; returns the grant id."""
    with transaction() as s:
        req = actions.request_create(s, dept_actor(consumer, region), RequestIn(
            resource_code=resource, fields=fields, purpose="办理不动产登记核验婚姻状况", legal_basis="《不动产登记暂行条例》",
            row_scope=row_scope, valid_to=valid_to or date.today() + timedelta(days=365), daily_quota=quota,
        ))  # fmt: skip
        if req.grant_id:
            return req.grant_id
        out = actions.request_approve(s, SYSTEM, req.id, ApproveIn(masked_fields=masked or []))
        assert out.grant_id
        return out.grant_id


def token_for(client: Any, department: str, region: str, rate: int = 100_000) -> str:
    with transaction() as s:
        dept = department_by_code(s, department)  # a name people read on the pages (我的数据, 系统管理)
        name = f"{dept.name if dept else '测试部门'}业务系统"
        c, secret = client_create(s, SYSTEM, name, ["exchange", "identity"], region, department, rate)
    r = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": c.client_id,
                                                  "client_secret": secret})  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def headers(token: str, case: str = "BDC-2026-0001", user: str = "窗口人员 李四") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-User": quote(user), "X-Case-Id": case,
            "X-Request-Nonce": uuid.uuid4().hex, "X-Purpose": quote("不动产登记")}  # fmt: skip


def person_key(table: str, region_prefix: str, where: str = "1=1") -> tuple[str, int]:
    """An identity number (decrypted) and subject person id of a source row in a region."""
    from yiwang.core import crypto

    with transaction() as s:
        row = s.execute(text(f"SELECT id_number_enc, id_number_idx, subject_person_id FROM {table} "
                             f"WHERE region_code LIKE :p AND {where} ORDER BY id LIMIT 1"), {"p": region_prefix + "%"}).one()  # fmt: skip
    return crypto.decrypt(row[0], row[1].encode()), int(row[2])


def district_officer(district: str) -> str:
    """The username of a data officer of the district's 数据局 in the demo."""
    with transaction() as s:
        return str(s.execute(text(
            "SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
            "WHERE d.code = :c AND u.roles LIKE '%data_officer%' ORDER BY u.id LIMIT 1"), {"c": f"{district}-data_bureau"},
        ).scalar_one())  # fmt: skip
