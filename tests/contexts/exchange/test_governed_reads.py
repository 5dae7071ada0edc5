"""Every read is governed: granted fields only, masked as granted, rows in scope only,
expired or revoked grants refused, quotas counted, replays refused, all logged."""

from __future__ import annotations

import os
from datetime import date, timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import text

from tests.contexts.exchange.helpers import (
    ENTERPRISE_REG,
    HOUSEHOLD,
    dept_actor,
    grant_for,
    headers,
    person_key,
    token_for,
)
from tests.workflow_helpers import make_overdue
from yiwang.contexts.exchange import actions
from yiwang.contexts.exchange.accounting import refused_nonce_prefix
from yiwang.contexts.exchange.schemas import RevokeIn
from yiwang.core import codes
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction

CONSUMER, REGION = "330106-public_security", "330106"


def _setup(client, fields, masked=None, quota=10_000, valid_to=None, consumer=CONSUMER, region=REGION):  # type: ignore[no-untyped-def]
    grant = grant_for(consumer, region, HOUSEHOLD, fields, masked, quota=quota, valid_to=valid_to)
    return grant, token_for(client, consumer, region)


def _usage(nonce: str) -> tuple[int, str | None] | None:
    with transaction() as s:
        row = s.execute(text("SELECT status, refusal FROM usage_log WHERE nonce = :n OR nonce LIKE :r "
                             "ORDER BY id"),  # a replayed nonce: the call first logged under it
                        {"n": nonce, "r": f"refused:{refused_nonce_prefix(nonce)}:%"}).first()  # fmt: skip
    return (row[0], row[1]) if row else None


def test_only_granted_fields_come_back_and_masked_ones_masked(client) -> None:
    _grant, token = _setup(
        client, ["id_number", "name", "birth_date", "address"], masked=["birth_date", "name"]
    )
    key, _pid = person_key("src_household", "330106")
    h = headers(token)
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=h)
    assert r.status_code == 200, r.text
    rec = r.json()["records"][0]
    assert set(rec) == {"id_number", "name", "birth_date", "address"}
    assert rec["birth_date"].endswith("-**-**") and "*" in rec["name"]
    assert _usage(h["X-Request-Nonce"]) == (200, None)


def test_fields_outside_the_grant_and_unknown_fields_are_refused_and_logged(client) -> None:
    _grant, token = _setup(client, ["id_number", "name"])
    key, _ = person_key("src_household", "330106")
    h = headers(token)
    r = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", params={"fields": "name,address"}, headers=h
    )
    assert r.status_code == 403 and "address" in r.json()["detail"]
    assert _usage(h["X-Request-Nonce"])[0] == 403  # type: ignore[index]
    r = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}",
        params={"fields": "salary"},
        headers=headers(token),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "fields"


def test_rows_of_another_region_are_invisible(client) -> None:
    _grant, token = _setup(client, ["id_number", "name"])
    key, _ = person_key("src_household", "330102")
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token))
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": [key]}, headers=headers(token)
    )
    assert r.status_code == 200 and r.json()["records"] == [] and r.json()["not_found"] == [key]


def test_expired_and_revoked_grants_refuse(client) -> None:
    consumer, region = "330106-transport", "330106"
    grant, token = _setup(client, ["id_number", "name"], consumer=consumer, region=region)
    key, _ = person_key("src_household", "330106")
    assert (
        client.get(
            f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token)
        ).status_code
        == 200
    )
    with transaction() as s:
        actions.grant_revoke(s, SYSTEM, grant, RevokeIn(reason="业务系统已下线"))
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token))
    assert r.status_code == 403 and "撤销" in r.json()["detail"]
    with transaction() as s:
        s.execute(text("UPDATE data_grant SET revoked_at = NULL, valid_to = :d WHERE id = :g"),
                  {"d": date.today() - timedelta(days=2), "g": grant})  # fmt: skip
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token))
    assert r.status_code == 403 and "过期" in r.json()["detail"]


def test_a_grant_revoked_by_another_process_refuses_at_commit_despite_the_cache(client) -> None:
    """The grant is cached per process; a revocation this process did not see (written straight
    to the database, as another worker would) still refuses the next call, and returns no data."""
    consumer, region = "330106-housing", "330106"
    grant, token = _setup(client, ["id_number", "name"], consumer=consumer, region=region)
    key, _ = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    assert client.get(url, headers=headers(token)).status_code == 200  # the grant is now cached
    with transaction() as s:
        s.execute(text("UPDATE data_grant SET revoked_at = CURRENT_TIMESTAMP WHERE id = :g"), {"g": grant})
    h = headers(token)
    r = client.get(url, headers=h)
    assert r.status_code == 403 and "撤销" in r.json()["detail"] and "records" not in r.json()
    assert _usage(h["X-Request-Nonce"])[0] == 403  # type: ignore[index]


def test_daily_quota_counts_rows_and_refuses_beyond(client) -> None:
    consumer, region = "330106-education", "330106"
    _grant, token = _setup(client, ["id_number", "name"], quota=3, consumer=consumer, region=region)
    key, _ = person_key("src_household", "330106")
    codes = [client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token)).status_code
             for _ in range(4)]  # fmt: skip
    assert codes == [200, 200, 200, 429]


def test_a_replayed_nonce_is_refused(client) -> None:
    _grant, token = _setup(client, ["id_number", "name"])
    key, _ = person_key("src_household", "330106")
    h = headers(token)
    assert client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=h).status_code == 200
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=h)
    assert r.status_code == 409 and "重放" in r.json()["detail"]


def test_oversized_batch_is_refused_and_a_batch_answers_in_one_call(client) -> None:
    _grant, token = _setup(client, ["id_number", "name", "region_code"])
    with transaction() as s:
        n = s.execute(text("SELECT count(*) FROM src_household WHERE region_code LIKE '330106%'")).scalar()
    keys = [person_key("src_household", "330106", f"id > {i * 3}")[0] for i in range(5)]
    r = client.post(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": keys}, headers=headers(token)
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["records"]) == len(set(keys)) and n
    too_many = ["11010519491231002X"] * 1001
    r = client.post(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": too_many}, headers=headers(token)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "keys"
    r = client.post(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": ["123"]}, headers=headers(token)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "keys.0"


def test_filtered_query_pages_with_a_cursor_within_scope(client) -> None:
    _grant, token = _setup(client, ["id_number", "name", "gender", "region_code"])
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"gender": "2", "limit": 5, **({"cursor": cursor} if cursor else {})}
        r = client.get(
            f"/api/v1/exchange/resources/{HOUSEHOLD}/records", params=params, headers=headers(token)
        )
        assert r.status_code == 200, r.text
        page = r.json()
        assert all(
            rec["gender"] == "2" and rec["region_code"].startswith("330106") for rec in page["records"]
        )
        seen += [rec["id_number"] for rec in page["records"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 15
    r = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records", params={"address": "x"}, headers=headers(token)
    )
    assert r.status_code == 422


def test_verify_answers_only_match_or_not(client) -> None:
    _grant, token = _setup(client, ["id_number", "name", "birth_date"])
    key, _ = person_key("src_household", "330106")
    with transaction() as s:
        from yiwang.core import crypto

        name = s.execute(text("SELECT name FROM src_household WHERE id_number_idx = :i"),
                         {"i": crypto.blind_index(key, "ric")}).scalar()  # fmt: skip
    r = client.post(f"/api/v1/exchange/resources/{HOUSEHOLD}/verify", json={"key": key, "values": {"name": name}},
                    headers=headers(token))  # fmt: skip
    assert r.json() == {"match": True}
    r = client.post(f"/api/v1/exchange/resources/{HOUSEHOLD}/verify", json={"key": key, "values": {"name": "不是他"}},
                    headers=headers(token))  # fmt: skip
    assert r.json() == {"match": False}
    r = client.post(f"/api/v1/exchange/resources/{HOUSEHOLD}/verify", json={"key": key, "values": {"address": "x"}},
                    headers=headers(token))  # fmt: skip
    assert r.status_code == 403


def test_a_department_without_a_grant_gets_nothing(client) -> None:
    token = token_for(client, "330106-health", "330106")
    key, _ = person_key("src_household", "330106")
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=headers(token))
    assert r.status_code == 403 and "未获得" in r.json()["detail"]


def test_enterprises_see_who_used_their_registration(client) -> None:
    from tests.conftest import login

    with transaction() as s:
        eid, code, region = s.execute(text(
            "SELECT e.id, e.credit_code, e.region_code FROM enterprise e JOIN user_account u ON u.enterprise_id = e.id "
            "WHERE u.username = 'enterprise'")).one()  # fmt: skip
    district = region[:6]
    grant_for(f"{district}-public_security", district, ENTERPRISE_REG, ["credit_code", "name", "status"])
    token = token_for(client, f"{district}-public_security", district)
    r = client.get(
        f"/api/v1/exchange/resources/{ENTERPRISE_REG}/records/{code}",
        headers=headers(token, case="GA-2026-7"),
    )
    assert r.status_code == 200, r.text
    with transaction() as s:
        n = s.execute(
            text("SELECT count(*) FROM audit_record WHERE subject_enterprise_id = :e"), {"e": eid}
        ).scalar()
    assert n >= 1
    login(client, "enterprise")
    uses = client.get("/api/v1/me/data-access").json()
    assert any(u["action_label"] == "共享查询" and "统一社会信用代码" in u["labels"] and u["case_id"] == "GA-2026-7"
               for u in uses)  # fmt: skip
    assert "GA-2026-7" in client.get("/enterprise").text


def test_the_overdue_request_escalates_to_the_data_officer(as_user) -> None:
    from yiwang.contexts.exchange.schemas import RequestIn

    with transaction() as s:
        req = actions.request_create(s, dept_actor("330106-housing", "330106"), RequestIn(
            resource_code="330100-MZ-0001", fields=["name"], purpose="测试超期升级", legal_basis="测试依据条款",
            valid_to=date.today() + timedelta(days=30)))  # fmt: skip
    make_overdue("sharing_request", req.id, days=10)
    officer = as_user("officer")
    overdue = officer.get("/api/v1/exchange/requests", params={"direction": "overdue"}).json()
    row = next(o for o in overdue if o["id"] == req.id)
    assert row["overdue"] and row["escalated_at"]


def test_masked_fields_cannot_be_probed_by_filter_or_verify(client) -> None:
    consumer, region = "330106-human_resources", "330106"
    _grant, token = _setup(client, ["id_number", "name", "gender"], masked=["name", "gender"], consumer=consumer,
                           region=region)  # fmt: skip
    key, _ = person_key("src_household", "330106")
    r = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records", params={"gender": "1"}, headers=headers(token)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "gender"
    r = client.post(f"/api/v1/exchange/resources/{HOUSEHOLD}/verify", json={"key": key, "values": {"name": "张三"}},
                    headers=headers(token))  # fmt: skip
    assert r.status_code == 403 and "脱敏" in r.json()["detail"]


def test_re_registering_a_source_under_a_looser_share_type_is_refused(as_user, client) -> None:
    """A data officer cannot publish 不动产 data (不予共享) again as 'unconditional'."""
    from tests.conftest import csrf_of

    officer = as_user("officer")
    body = {
        "code": "330100-SJ-9998", "name": "不动产（绕过）", "subject_category": "测试", "update_frequency": "实时",
        "provider_department_code": "330100-data_bureau", "share_type": "unconditional", "share_basis": "测试",
        "open_type": "none", "source_table": "src_real_estate", "key_field": "id_number", "subject": "person",
        "fields": [{"name": "id_number", "label": "身份号码", "data_type": "id_number", "sensitivity": 4, "personal": True},
                   {"name": "owner_name", "label": "权利人", "data_type": "string", "sensitivity": 3, "personal": True}],
    }  # fmt: skip
    h = {"X-CSRF-Token": csrf_of(officer)}
    r = officer.post("/api/v1/catalog/resources", json=body, headers=h)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "source_table"
    r = officer.post("/api/v1/catalog/resources", json={**body, "code": "330100-SJ-9997", "source_table": "src_unplugged"},
                     headers=h)  # fmt: skip
    assert r.status_code == 201
    try:
        grant_for("330106-public_security", "330106", "330100-SJ-9997", ["id_number", "owner_name"])
        token = token_for(client, "330106-public_security", "330106")
        url = "/api/v1/exchange/resources/330100-SJ-9997/records/11010519491231002X"
        r = client.get(url, headers=headers(token))
        assert r.status_code == 409 and "数据源" in r.json()["detail"]
    finally:  # other tests count the seven demo resources
        with transaction() as s:
            s.execute(text("UPDATE data_resource SET published = false WHERE code = '330100-SJ-9997'"))


def test_the_quota_is_exact_across_shards_and_a_big_batch_spans_them(client) -> None:
    from yiwang.contexts.exchange import repository

    consumer, region = "330106-taxation", "330106"
    grant, token = _setup(client, ["id_number", "name"], quota=20, consumer=consumer, region=region)
    assert sum(repository.shard_caps(20)) == 20
    keys = [person_key("src_household", "330106", f"id > {i * 2}")[0] for i in range(15)]
    keys = list(dict.fromkeys(keys))
    r = client.post(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": keys}, headers=headers(token)
    )
    assert r.status_code == 200, r.text  # more keys than any one shard's slice (20 / 8 ≤ 3)
    used = len(keys)
    codes = []
    for _ in range(20 - used + 1):
        one = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{keys[0]}", headers=headers(token))
        codes.append(one.status_code)
    assert codes[:-1] == [200] * (20 - used) and codes[-1] == 429
    with transaction() as s:
        from yiwang.core.db import utcnow
        from yiwang.core.workdays import local_day

        assert repository.quota_used(s, grant, local_day(utcnow())) == 20


def test_control_characters_in_the_use_headers_are_refused(client) -> None:
    _grant, token = _setup(client, ["id_number", "name"])
    key, _ = person_key("src_household", "330106")
    h = headers(token)
    h["X-User"] = "%E6%9D%8E%00%E5%9B%9B"  # 李\0四: PostgreSQL cannot store it in the usage log
    r = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "X-User"
    assert _usage(h["X-Request-Nonce"]) is None


def test_plain_calls_are_accounted_on_the_fast_path_and_exceptions_on_the_careful_one(
    client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the group-commit writer writes a plain call's usage row, quota and audit
    rows on the bare cursor; a day's first call, a replay and a spent quota are decided on the
    session path. Either way the records are the same."""
    from yiwang.contexts.exchange.accounting import USES
    from yiwang.core import group_commit

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the fast path is PostgreSQL's")
    seen: list[str] = []
    fast, fast_on_loop = group_commit._commit_at_once, group_commit._commit_at_once_async
    careful = type(USES).write

    def spy_fast(raw, jobs):  # type: ignore[no-untyped-def]
        ok = fast(raw, jobs)
        seen.append("fast" if ok else "fell back")
        return ok

    async def spy_fast_on_loop(conn, jobs):  # type: ignore[no-untyped-def]  # lookups and batches
        ok = await fast_on_loop(conn, jobs)
        seen.append("fast" if ok else "fell back")
        return ok

    def spy_careful(self, session, items):  # type: ignore[no-untyped-def]
        seen.append("careful")
        return careful(self, session, items)

    monkeypatch.setattr(group_commit, "_commit_at_once", spy_fast)
    monkeypatch.setattr(group_commit, "_commit_at_once_async", spy_fast_on_loop)
    monkeypatch.setattr(type(USES), "write", spy_careful)
    grant, token = _setup(client, ["id_number", "name"], quota=16, consumer="330106-urban_management")
    key, pid = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    first, second, third = headers(token), headers(token), headers(token)
    assert client.get(url, headers=first).status_code == 200  # the day's shard rows are made
    assert client.get(url, headers=second).status_code == 200  # 2 of 16 left in each of 8 shards
    assert client.get(url, headers=second).status_code == 409  # replay
    bodies = [f"33010619900101{n:03d}" for n in range(15)]
    many = [b + codes.ric_check_digit(b) for b in bodies]  # 15 > the 14 left, more than a shard holds
    r = client.post(f"/api/v1/exchange/resources/{HOUSEHOLD}/batch", json={"keys": many}, headers=third)
    assert r.status_code == 429
    assert seen == ["fell back", "careful", "fast", "fell back", "careful", "fell back", "careful"]
    with transaction() as s:
        audited = s.execute(text("SELECT count(*) FROM audit_record WHERE action = 'exchange.record_lookup' "
                                 "AND subject_person_id = :p AND CAST(detail->>'grant' AS integer) = :g"),
                            {"p": pid, "g": grant}).scalar_one()  # fmt: skip
    assert audited == 2
    assert [_usage(h["X-Request-Nonce"]) for h in (first, second, third)] == [
        (200, None), (200, None), (429, "已超出授权的每日调用量（16 条）")]  # fmt: skip


def test_audit_rows_of_the_fast_path_are_chained_as_they_are_written(client) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the writer links its audit rows into the hash chain when it inserts them
    (the sealer never rewrites them) and signs the checkpoints they reach; the chain of these
    and of rows the sealer links verifies as one."""
    from yiwang.core import audit
    from yiwang.core.audit_sealer import seal_all

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the fast path is PostgreSQL's")
    _grant, token = _setup(client, ["id_number", "name"], consumer="330106-transport")
    with transaction() as s:
        rows = s.execute(text("SELECT id_number_enc, id_number_idx FROM src_household "
                              "WHERE region_code LIKE '330106%' ORDER BY id LIMIT 60")).all()  # fmt: skip
        checkpoints_before = s.execute(text("SELECT count(*) FROM audit_checkpoint")).scalar_one()
    from yiwang.core import crypto

    keys = [crypto.decrypt(enc, idx.encode()) for enc, idx in rows]
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}"
    assert client.get(f"{url}/records/{keys[0]}", headers=headers(token)).status_code == 200  # first: careful
    seal_all()
    h = headers(token, case="CHAIN-1")
    assert client.post(f"{url}/batch", json={"keys": keys}, headers=h).status_code == 200  # fast: 60 rows
    with transaction() as s:
        chained = s.execute(text("SELECT count(*), count(chain_seq) FROM audit_record "
                                 "WHERE detail->>'case_id' = 'CHAIN-1'")).one()  # fmt: skip
        checkpoints_after = s.execute(text("SELECT count(*) FROM audit_checkpoint")).scalar_one()
    assert tuple(chained) == (60, 60)  # linked without the sealer
    assert checkpoints_after > checkpoints_before  # 60 rows cross a multiple of 50
    assert client.get(f"{url}/records/{keys[1]}", headers=headers(token)).status_code == 200
    seal_all()
    with transaction() as s:
        report = audit.verify(s)
    assert report.ok and report.unsealed == 0, report.reason


def test_batch_keys_match_exactly_never_by_a_prefix() -> None:
    """A key longer than its column must not match the stored value it starts with (on
    PostgreSQL the keys travel as one array: an array of VARCHAR(12) would cut them to 12)."""
    from yiwang.contexts.exchange import repository as repo

    with transaction() as s:
        stored = s.execute(text("SELECT region_code FROM src_household ORDER BY id LIMIT 1")).scalar_one()
        assert len(stored) == 12  # a community code: as long as the column

        def found(keys: list[str]) -> set[str]:
            rows = repo.fetch_by_keys(s, "src_household", ["region_code"], {"region_code": "code"}, "33",
                                      "region_code", keys)  # fmt: skip
            return {r["region_code"] for r in rows}

        assert found([stored + "9", "no-such-code"]) == set()
        assert found([stored, "no-such-code"]) == {stored}


def _pg_only() -> None:
    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the read pool is PostgreSQL's (SQLite reads in a plain transaction)")


def test_a_lookup_reads_on_the_event_loop_on_an_autocommit_connection(client) -> None:  # type: ignore[no-untyped-def]
    """A governed read sends one statement, the governed SELECT, on the read pool's autocommit
    async connection (no BEGIN, no COMMIT, no pre-ping round trip) from the event loop's own
    thread (no hop to the thread pool) once the catalog and grant are cached; nothing goes
    through the ORM's engines, and its usage and audit rows arrive by group commit before the
    answer, written by the loop's writer, on the loop's thread too."""
    import threading

    import psycopg
    from sqlalchemy import event

    from yiwang.core import db, group_commit, reads

    _pg_only()
    _grant, token = _setup(client, ["id_number", "name"], consumer="330106-education")
    key, _pid = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    assert client.get(url, headers=headers(token)).status_code == 200  # caches the catalog entry and grant
    sent: list[tuple[str, bool, str]] = []
    written: list[tuple[str, str]] = []
    through_orm: list[str] = []
    real_execute = psycopg.AsyncConnection.execute

    async def spy(conn, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        verb, thread = str(query).split()[0].upper(), threading.current_thread().name
        if conn.info.parameter_status("application_name") == group_commit.APPLICATION_NAME:
            written.append((verb, thread))
        else:
            sent.append((verb, conn.autocommit, thread))
        return await real_execute(conn, query, *args, **kwargs)

    def orm_spy(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        through_orm.append(statement)

    engines = [db._read_engine(), db.get_engine()]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", orm_spy)
    try:
        with patch.object(psycopg.AsyncConnection, "execute", spy):
            h = headers(token)
            r = client.get(url, headers=h)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", orm_spy)
    assert r.status_code == 200, r.text
    assert [(verb, autocommit) for verb, autocommit, _thread in sent] == [("SELECT", True)]
    assert "AnyIO worker" not in sent[0][2]
    assert not [q for q in through_orm if "src_household" in q]
    assert written[0][0] == "BEGIN" and written[-1][0] == "COMMIT"
    assert {thread for _verb, thread in written} == {sent[0][2]}
    assert not [q for q in through_orm if "usage_log" in q or "audit_record" in q]
    assert _usage(h["X-Request-Nonce"]) == (200, None)
    with transaction() as s:
        states = s.execute(text("SELECT state FROM pg_stat_activity WHERE datname = current_database() "
                                "AND application_name = :a"), {"a": reads.APPLICATION_NAME}).scalars().all()  # fmt: skip
    assert states and "idle in transaction" not in states


def test_a_dropped_read_connection_is_replaced_and_the_read_answers(client) -> None:  # type: ignore[no-untyped-def]
    """The read pool does not ping before each use: a connection the server dropped (a restart,
    a terminated backend) fails its statement, the pool lets go of its idle connections and
    the SELECT is sent once more on a new one, so the caller sees nothing of it."""
    from yiwang.core import reads

    _pg_only()
    _grant, token = _setup(client, ["id_number", "name"], consumer="330106-health")
    key, _pid = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    assert client.get(url, headers=headers(token)).status_code == 200  # a pooled read connection
    assert _kill_read_connections(reads.APPLICATION_NAME) >= 1
    h = headers(token)
    r = client.get(url, headers=h)
    assert r.status_code == 200, r.text
    assert set(r.json()["records"][0]) == {"id_number", "name"}
    assert _usage(h["X-Request-Nonce"]) == (200, None)


def test_an_unreachable_database_answers_503_and_logs_no_use(client) -> None:  # type: ignore[no-untyped-def]
    """When no new connection can be had either, the call answers 503 with Retry-After
    (problem+json) and, having returned no data, logs no use; the next call reads again."""
    import psycopg

    from yiwang.core import reads

    _pg_only()
    _grant, token = _setup(client, ["id_number", "name"], consumer="330106-civil_affairs")
    key, _pid = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    assert client.get(url, headers=headers(token)).status_code == 200
    assert _kill_read_connections(reads.APPLICATION_NAME) >= 1

    async def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise psycopg.OperationalError("connection refused (test)")

    h = headers(token)
    with patch.object(psycopg.AsyncConnection, "connect", refused):
        r = client.get(url, headers=h)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "1" and "重试" in r.json()["detail"]
    assert _usage(h["X-Request-Nonce"]) is None
    assert client.get(url, headers=headers(token)).status_code == 200


def _kill_read_connections(application_name: str) -> int:
    with transaction() as s:
        return int(s.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND application_name = :a"),
                             {"a": application_name}).scalar_one())  # fmt: skip


def test_calls_that_miss_the_cache_together_load_the_grant_once(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """When the per-process entries expire, every call in flight misses at once: one of them
    loads the catalog entry and grant (in a thread, from the database), the others wait for it
    and answer from the cache, and all of them answer."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from yiwang.contexts.exchange import governance
    from yiwang.core import cache

    _pg_only()
    _grant, token = _setup(client, ["id_number", "name"], consumer="330106-civil_affairs")
    key, _pid = person_key("src_household", "330106")
    url = f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{key}"
    assert client.get(url, headers=headers(token)).status_code == 200  # the token is cached
    loads, real, started = [], governance.use_target, threading.Event()

    def slow_load(session, actor, code):  # type: ignore[no-untyped-def]
        loads.append(code)
        started.set()
        time.sleep(0.3)  # the others arrive meanwhile
        return real(session, actor, code)

    monkeypatch.setattr(governance, "use_target", slow_load)
    governance._usable.clear()  # the grant expired; the bearer token and catalog entry did not
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(client.get, url, headers=headers(token))
        assert started.wait(5)
        rest = [pool.submit(client.get, url, headers=headers(token)) for _ in range(5)]
        answers = [f.result() for f in [first, *rest]]
    assert [r.status_code for r in answers] == [200] * 6
    assert loads == [HOUSEHOLD]
    cache.clear_all()
