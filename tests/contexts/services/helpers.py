"""Helpers for the services tests: the demo citizen, department staff by department code."""

from __future__ import annotations

from functools import cache

from sqlalchemy import text

from tests.conftest import csrf_of
from yiwang.core.db import transaction

PDF = b"%PDF-1.4\n% test material\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
BIRTH_ITEM = "200004001000"  # 出生医学证明签发
MARRIAGE_PROOF = "200002001000"  # 婚姻登记记录证明 (all materials shared: nothing to upload)


@cache
def citizen() -> tuple[str, str]:
    """(name, identity number) of the demo citizen."""
    from yiwang.contexts.identity.demo import generate_city

    p = generate_city("small", 2026).citizen_demo
    return p.name, p.id_number


@cache
def staff_of(department_code: str) -> str:
    with transaction() as s:
        return s.execute(
            text(
                "SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
                "WHERE d.code = :c AND u.roles LIKE '%dept_staff%' ORDER BY u.id LIMIT 1"
            ),
            {"c": department_code},
        ).scalar_one()


def person_form(phone: str = "13800001234") -> dict[str, str]:
    name, number = citizen()
    return {"name": name, "id_number": number, "phone": phone, "address": "杭州市西湖区文三路 1 号"}


def post(client, path: str, **kw):  # type: ignore[no-untyped-def]
    headers = {"X-CSRF-Token": csrf_of(client), **kw.pop("headers", {})}
    return client.post(path, headers=headers, **kw)
