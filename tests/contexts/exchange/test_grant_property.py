"""Property: whatever the grant and whatever the query, no answer carries a field the grant
does not allow, masked fields are masked, and no row outside the row scope is even fetched."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.contexts.exchange.helpers import HOUSEHOLD, department_id, dept_actor
from yiwang.contexts.exchange import actions_use, governance
from yiwang.contexts.exchange.governance import UseContext
from yiwang.contexts.exchange.models import Grant, SharingRequest
from yiwang.core import cache, crypto
from yiwang.core.codes import region_prefix
from yiwang.core.db import transaction
from yiwang.core.errors import DomainError

FIELDS = [
    "id_number",
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "household_no",
    "relation",
    "address",
    "region_code",
]
CONSUMER = "330100-medical_insurance"  # a city department: any district or street may be its scope


def _scopes() -> list[str]:
    with transaction() as s:
        codes = [
            r[0] for r in s.execute(text("SELECT code FROM region WHERE level IN ('district', 'street')"))
        ]
    return sorted(codes)[:12]


def _keys(n: int) -> list[str]:
    with transaction() as s:
        rows = s.execute(
            text("SELECT id_number_enc, id_number_idx FROM src_household ORDER BY id LIMIT :n"), {"n": n}
        )
        return [crypto.decrypt(enc, idx.encode()) for enc, idx in rows]


def _install_grant(fields: list[str], masked: list[str], scope: str) -> Grant:
    dept = department_id(CONSUMER)
    with transaction() as s:
        s.execute(
            text("UPDATE data_grant SET revoked_at = CURRENT_TIMESTAMP WHERE consumer_department_id = :d"),
            {"d": dept},
        )
        resource_id = s.execute(
            text("SELECT id FROM data_resource WHERE code = :c"), {"c": HOUSEHOLD}
        ).scalar_one()
        today = date.today()
        req = SharingRequest(
            resource_id=resource_id, consumer_department_id=dept, provider_department_id=dept, requested_by="test",
            fields=fields, purpose="property test", legal_basis="test", row_scope=scope, valid_from=today,
            valid_to=today + timedelta(days=1), daily_quota=10**9, status="approved",
        )  # fmt: skip
        s.add(req)
        s.flush()
        grant = Grant(request_id=req.id, resource_id=resource_id, consumer_department_id=dept, fields=fields,
                      masked_fields=masked, purpose="property test", row_scope=scope, valid_from=today,
                      valid_to=today + timedelta(days=1), daily_quota=10**9)  # fmt: skip
        s.add(grant)
        s.flush()
        s.expunge(grant)
    cache.clear_all()  # installed behind the actions' back, as another process would: skip the cache TTL
    return grant


def _ctx() -> UseContext:
    return UseContext("测试", "CASE-PROP", None, uuid.uuid4().hex, "0" * 64, time.perf_counter())


grants = st.fixed_dictionaries(
    {
        "fields": st.lists(st.sampled_from(FIELDS), min_size=1, max_size=len(FIELDS), unique=True),
        "masked_share": st.floats(0, 1),
        "scope_index": st.integers(0, 11),
    }
)
queries = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["query", "batch", "lookup"]),
        "wanted": st.none()
        | st.lists(st.sampled_from([*FIELDS, "salary", "phone"]), min_size=1, max_size=4, unique=True),
        "gender": st.none() | st.sampled_from(["1", "2"]),
        "keys": st.integers(1, 40),
    }
)


def _run(coroutine: Any) -> Any:
    """An action's coroutine to its end, on a loop of its own: in a thread, since another test
    of this process (playwright's sync API) may keep a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(g=grants, q=queries)
def test_no_answer_exceeds_its_grant(g: dict[str, Any], q: dict[str, Any]) -> None:
    scopes = _scopes()
    scope = scopes[g["scope_index"] % len(scopes)]
    masked = g["fields"][: int(len(g["fields"]) * g["masked_share"])]
    grant = _install_grant(g["fields"], masked, scope)
    actor = dept_actor(CONSUMER, "330100")
    fetched: list[dict[str, Any]] = []
    real_fetch = governance.repo.fetch

    def spy(session: Any, stmt: Any, params: Any = None) -> list[dict[str, Any]]:
        rows = real_fetch(session, stmt, params)
        fetched.extend(rows)
        return rows

    with patch.object(governance.repo, "fetch", spy), transaction() as s:
        try:
            if q["op"] == "query":
                filters = (
                    {"gender": q["gender"]}
                    if q["gender"] and "gender" in g["fields"] and "gender" not in masked
                    else {}
                )
                out: Any = actions_use.record_query(s, actor, HOUSEHOLD, filters, q["wanted"], 0, 50, _ctx())[
                    0
                ]
            elif q["op"] == "batch":
                out = _run(
                    actions_use.record_batch(s, actor, HOUSEHOLD, _keys(q["keys"]), q["wanted"], _ctx())
                )
            else:
                out = _run(
                    actions_use.record_lookup(s, actor, HOUSEHOLD, _keys(q["keys"])[-1], q["wanted"], _ctx())
                )
        except DomainError as exc:
            wanted = set(q["wanted"] or g["fields"])
            assert exc.status in (403, 404, 422)
            if exc.status in (403, 422):
                assert not wanted <= set(g["fields"])  # refused only because it asked for more
            return
    allowed = set(q["wanted"] or g["fields"])
    assert allowed <= set(g["fields"])
    for record in out.records:
        assert set(record) == allowed
        for name in set(masked) & allowed:
            value = record[name]
            assert value is None or "*" in str(value), (name, value)
    prefix = region_prefix(scope)
    assert all(row["region_code"].startswith(prefix) for row in fetched)
    assert fetched or not getattr(out, "records", None)  # every answered row went through the spy
    assert grant.id
