"""The audit log: every change recorded, chained, signed, and tampering found."""

from __future__ import annotations

from sqlalchemy import select, text

from yiwang.core import audit, group_commit
from yiwang.core.actor import SYSTEM
from yiwang.core.audit_sealer import seal_all
from yiwang.core.db import get_engine, transaction


def _write(n: int, action: str = "test.thing_touch") -> None:
    with transaction() as s:
        for i in range(n):
            audit.record(s, SYSTEM, action, "thing", i, purpose="测试", detail={"i": i, "注": "中文"})


def _verify() -> audit.VerifyReport:
    seal_all()
    with transaction() as s:
        return audit.verify(s)


def test_a_rolled_back_change_leaves_no_audit_record() -> None:
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM audit_record")).scalar()
    try:
        with transaction() as s:
            audit.record(s, SYSTEM, "test.thing_fail", "thing", 1)
            raise RuntimeError("crash between the change and the commit")
    except RuntimeError:
        pass
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM audit_record")).scalar() == before


def test_chain_verifies_and_checkpoints_are_signed() -> None:
    _write(120)
    report = _verify()
    assert report.ok, report.reason
    assert report.records >= 120
    assert report.checkpoints >= 2  # every 50 records in tests
    assert report.unsealed == 0


def test_an_edited_row_is_found_and_named() -> None:
    _write(5, "test.tamper_target")
    seal_all()
    with transaction() as s:
        rid, purpose = s.execute(
            text(
                "SELECT id, purpose FROM audit_record WHERE action = 'test.tamper_target' ORDER BY id LIMIT 1 OFFSET 2"
            )
        ).one()
    with get_engine().begin() as conn:  # an attacker with database access, bypassing the app
        conn.execute(text("UPDATE audit_record SET purpose = '篡改' WHERE id = :id"), {"id": rid})
    try:
        report = _verify()
        assert not report.ok
        assert report.broken_at == rid
        assert "修改" in report.reason
    finally:
        with get_engine().begin() as conn:
            conn.execute(
                text("UPDATE audit_record SET purpose = :p WHERE id = :id"), {"p": purpose, "id": rid}
            )
    assert _verify().ok


def test_a_deleted_row_breaks_the_sequence() -> None:
    _write(3, "test.delete_target")
    seal_all()
    table = audit.AuditRecord.__table__
    with transaction() as s:
        row = (
            s.execute(
                select(table).where(table.c.action == "test.delete_target").order_by(table.c.id).limit(1)
            )
            .mappings()
            .one()
        )
    saved = dict(row)
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM audit_record WHERE id = :id"), {"id": saved["id"]})
    try:
        report = _verify()
        assert not report.ok
        assert report.broken_at is not None
    finally:
        with get_engine().begin() as conn:
            conn.execute(audit.AuditRecord.__table__.insert(), saved)
    assert _verify().ok


def test_a_rewritten_chain_fails_the_signed_checkpoint() -> None:
    """An attacker who recomputes every hash after editing still cannot forge the signature."""
    _write(60, "test.rewrite_target")
    seal_all()
    with transaction() as s:
        cp_seq = s.execute(text("SELECT max(chain_seq) FROM audit_checkpoint")).scalar()
        rid, seq = s.execute(
            text("SELECT id, chain_seq FROM audit_record WHERE chain_seq = :q"), {"q": cp_seq}
        ).one()
        saved = s.execute(
            text(
                "SELECT id, purpose, record_hash, chain_hash FROM audit_record WHERE chain_seq >= :q ORDER BY chain_seq"
            ),
            {"q": seq},
        ).all()
    with transaction() as s:
        prev = s.execute(
            text("SELECT chain_hash FROM audit_record WHERE chain_seq = :q"), {"q": seq - 1}
        ).scalar()
        rows = (
            s.execute(text("SELECT * FROM audit_record WHERE chain_seq >= :q ORDER BY chain_seq"), {"q": seq})
            .mappings()
            .all()
        )
        for r in rows:
            rec = s.get(audit.AuditRecord, r["id"])
            assert rec is not None
            if r["id"] == rid:
                rec.purpose = "伪造"
            rec.record_hash = audit.content_hash({k: getattr(rec, k) for k in audit._CONTENT})
            prev = audit._chain(prev, rec.record_hash)
            rec.chain_hash = prev
    try:
        report = _verify()
        assert not report.ok
        assert "检查点" in report.reason
    finally:
        with transaction() as s:
            for sid, purpose, rhash, chash in saved:
                rec = s.get(audit.AuditRecord, sid)
                assert rec is not None
                rec.purpose, rec.record_hash, rec.chain_hash = purpose, rhash, chash
    assert _verify().ok


def test_a_checkpoint_re_signed_with_another_key_is_not_trusted() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from yiwang.core import crypto

    _write(60, "test.resign_target")
    seal_all()
    with transaction() as s:
        seq, chain_hash, pub, sig = s.execute(
            text(
                "SELECT chain_seq, chain_hash, public_key, signature FROM audit_checkpoint ORDER BY chain_seq DESC LIMIT 1"
            )
        ).one()
    forger = Ed25519PrivateKey.generate()
    forged_sig = forger.sign(f"yiwang-audit:{seq}:{chain_hash}".encode())
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE audit_checkpoint SET public_key = :p, signature = :s WHERE chain_seq = :q"),
                     {"p": crypto.public_key_raw(forger), "s": forged_sig, "q": seq})  # fmt: skip
    try:
        report = _verify()
        assert not report.ok and "不受信任" in report.reason
    finally:
        with get_engine().begin() as conn:
            conn.execute(text("UPDATE audit_checkpoint SET public_key = :p, signature = :s WHERE chain_seq = :q"),
                         {"p": bytes(pub), "s": bytes(sig), "q": seq})  # fmt: skip
    assert _verify().ok


def test_deleted_checkpoints_are_missed() -> None:
    _write(120, "test.drop_checkpoints")
    seal_all()
    with transaction() as s:
        cp = audit.AuditCheckpoint.__table__
        rows = s.execute(select(cp).order_by(cp.c.chain_seq.desc()).limit(2)).mappings().all()
    saved = [dict(r) for r in rows]
    with get_engine().begin() as conn:
        conn.execute(
            text("DELETE FROM audit_checkpoint WHERE chain_seq >= :q"), {"q": saved[-1]["chain_seq"]}
        )
    try:
        report = _verify()
        assert not report.ok and "缺少签名检查点" in report.reason
    finally:
        with get_engine().begin() as conn:
            conn.execute(audit.AuditCheckpoint.__table__.insert(), saved)
    assert _verify().ok


def test_rows_prepared_as_a_batch_hash_as_each_row_alone() -> None:
    """`prepare_many` serialises what the rows share once; each row's hash must still be the
    one `content_hash` (and so `audit verify`) computes from that row alone."""
    detail = {"resource": "330100-GA-0001", "fields": ["name", "id_number"], "labels": ["姓名", "身份号码"],
              "case_id": "BDC-1", "grant": 7, "nested": {"b": 1, "a": [1, "二"]}}  # fmt: skip
    subjects = [("src_household", 1, 10, None), ("src_household", "2", None, 20), ("t", 3, None, None)]
    rows = audit.prepare_many(SYSTEM, "exchange.record_batch", subjects, purpose="核验", detail=detail)
    assert [r["target_id"] for r in rows] == ["1", "2", "3"]
    assert all(r["record_hash"] == audit.content_hash(r) for r in rows)
    plain = audit.prepare_many(SYSTEM, "x.y_z", [("t", 1, None, None)])[0]  # no detail
    assert plain["record_hash"] == audit.content_hash(plain)


def test_the_writers_chain_head_read_is_never_a_frozen_plan() -> None:
    """The group-commit writer reads the chain's head on one connection for days. A prepared
    head read (it has no parameters) would keep the plan made while the table was young, a
    scan of the whole table, however large the table grows (found by the exchange bench:
    the writer's backend at 0.8 core, the lookup at 400 req/s). The lock beside it is
    prepared as usual, which shows this connection does prepare what it runs often."""
    import os

    import pytest

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the writer's fast path is PostgreSQL's")
    raw = get_engine().raw_connection()
    try:
        conn = raw.driver_connection
        conn.autocommit = True
        for i in range(8):  # psycopg prepares a statement at its fifth run
            queued = group_commit.Statements()  # as the writer does: queued, then run in pipelines
            queued.execute("BEGIN")
            head = audit.chain_head_locked(queued)
            group_commit._run(conn, queued.take())
            rows = audit.prepare_many(SYSTEM, "test.head_read", [("thing", i, None, None)])
            audit.append_chained(queued, head(), rows)
            queued.execute("COMMIT")
            group_commit._run(conn, queued.take())
        prepared = [r[0] for r in conn.execute("SELECT statement FROM pg_prepared_statements").fetchall()]
        conn.autocommit = False
    finally:
        raw.close()
    assert any("pg_advisory_xact_lock" in s for s in prepared)
    assert not any("ORDER BY chain_seq DESC" in s for s in prepared)
    assert _verify().ok


def test_verify_reads_one_snapshot_while_writers_append() -> None:
    """Rows a group-commit writer chains and commits while `verify` reads (after it has read
    the checkpoints) belong to a later snapshot: they must not show up as a chain missing its
    checkpoint (PostgreSQL, where writers append concurrently)."""
    import os

    import pytest

    from yiwang.core import audit_repository

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("writers append concurrently on PostgreSQL")
    _write(3)
    seal_all()
    real = audit_repository.checkpoints

    def checkpoints_then_a_writer_commits(session):  # type: ignore[no-untyped-def]
        found = real(session)
        raw = get_engine().raw_connection()
        try:
            conn = raw.driver_connection
            queued = group_commit.Statements()
            head = audit.chain_head_locked(queued)
            group_commit._run(conn, queued.take())
            rows = audit.prepare_many(
                SYSTEM, "test.append_later", [("thing", i, None, None) for i in range(60)]
            )
            audit.append_chained(queued, head(), rows)  # 60 rows: they reach a checkpoint
            group_commit._run(conn, queued.take())
            conn.commit()
        finally:
            raw.close()
        return found

    audit_repository.checkpoints = checkpoints_then_a_writer_commits  # type: ignore[assignment]
    try:
        with transaction() as s:
            report = audit.verify(s)
    finally:
        audit_repository.checkpoints = real  # type: ignore[assignment]
    assert report.ok, report.reason
    assert _verify().ok  # and the appended rows verify too


def test_the_sealer_waits_for_a_writer_holding_the_chain_lock() -> None:
    """Group-commit writers hold the chain lock for each batch; a sealer that only tried the
    lock would seldom win with several processes and leave other rows unchained."""
    import os
    import threading

    import pytest

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the chain lock is PostgreSQL's")
    seal_all()
    _write(5, "test.sealed_after_wait")
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit._SEAL_LOCK_ID})
            held.set()
            release.wait(5)
            conn.commit()

    t = threading.Thread(target=writer)
    t.start()
    assert held.wait(5)
    threading.Timer(0.3, release.set).start()
    assert seal_all() == 5  # it waited for the writer (a try would have sealed nothing), then sealed
    t.join(5)


def test_a_sealer_with_nothing_to_seal_leaves_the_writers_alone() -> None:
    """Rows are mostly chained as they are inserted: the sealer, every half second, must then
    neither take the chain lock the writers wait for nor read the table to find out (the
    partial index of unsealed rows answers in one probe, whatever the table's size)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the chain lock is PostgreSQL's")
    seal_all()
    with get_engine().connect() as conn, ThreadPoolExecutor(1) as pool:  # a writer holds the lock
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit._SEAL_LOCK_ID})
        sealing = pool.submit(seal_all)
        try:
            assert sealing.result(timeout=5) == 0  # it did not queue behind the writer
        finally:
            conn.rollback()  # releases a sealer that did queue, so that the test ends either way
        with transaction() as s:
            plan = "\n".join(s.execute(text(
                "EXPLAIN SELECT id, record_hash FROM audit_record WHERE chain_seq IS NULL ORDER BY id LIMIT 1000"
            )).scalars())  # fmt: skip
    assert "ix_audit_record_unsealed" in plan


def test_the_audit_count_is_sealed_plus_unsealed_rows() -> None:
    from yiwang.core import audit_repository

    _write(3, "test.counted")
    with transaction() as s:
        unsealed = audit_repository.unsealed_count(s)
        assert unsealed >= 3
        assert audit_repository.count(s) == s.execute(text("SELECT count(*) FROM audit_record")).scalar()
    seal_all()
    with transaction() as s:
        assert audit_repository.count(s) == s.execute(text("SELECT count(*) FROM audit_record")).scalar()
