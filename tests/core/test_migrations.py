"""The Alembic migrations build exactly the schema the models declare (tables, columns,
indexes, partial ones included), on the test database's engine: SQLite or PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import yiwang.models  # noqa: F401  (every context's tables on the metadata)
from yiwang.core.db import Base, get_engine


def _managed(name: str | None, type_: str, _parent: object) -> bool:
    # tables a migration builds by hand, outside the models (SQLite FTS5 and its shadow tables)
    unmanaged = Base.metadata.info.get("unmanaged_prefixes", ())
    return type_ != "table" or not any((name or "").startswith(p) for p in unmanaged)


def test_migrated_schema_matches_the_models() -> None:
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _managed})
        assert compare_metadata(context, Base.metadata) == []


def test_existing_sharing_requests_get_their_cases_when_the_engine_arrives(tmp_path) -> None:
    """A database from before the workflow engine: its pending request keeps its deadline (as a
    running clock with the overdue and escalation timers), a decided one gets a closed case."""
    import json
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    from yiwang.core import migrations

    url = f"sqlite:///{tmp_path}/old.db"
    migrations.upgrade(url, "0004")
    engine = create_engine(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    due = now + timedelta(days=5)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO region (code, name, level) VALUES ('330100', '杭州市', 'city')"))
        for i, (code, name) in enumerate([("330100-civil_affairs", "杭州市民政局"), ("330100-real_estate", "不动产"),
                                          ("330100-data_bureau", "杭州市数据资源管理局")], start=1):  # fmt: skip
            conn.execute(text("INSERT INTO department (id, code, name, short_name, kind, region_code) "
                              "VALUES (:i, :c, :n, :n, 'x', '330100')"), {"i": i, "c": code, "n": name})  # fmt: skip
        conn.execute(text(
            "INSERT INTO data_resource (id, code, name, description, subject_category, update_frequency, format, "
            "provider_department_id, region_code, share_type, share_basis, open_type, source_table, key_field, subject, "
            "tags, published, created_at, updated_at) VALUES (1, '330100-MZ-0001', '婚姻登记信息', '', '', '', '', 1, "
            "'330100', 'conditional', '', 'none', 'src_marriage', 'id_number', 'person', '[]', 1, :t, :t)"), {"t": now})  # fmt: skip
        for rid, status, due_at in ((1, "pending", due), (2, "approved", None)):
            conn.execute(text(
                "INSERT INTO sharing_request (id, resource_id, consumer_department_id, provider_department_id, "
                "requested_by, fields, purpose, legal_basis, row_scope, valid_from, valid_to, daily_quota, status, "
                "due_at, due_provisional, created_at, decided_at) VALUES (:i, 1, 2, 1, '窗口', :f, '核验', "
                "'依据', '330100', '2026-01-01', '2027-01-01', 10, :s, :d, 0, :t, :dec)"),
                {"i": rid, "s": status, "d": due_at, "t": now, "dec": None if due_at else now, "f": '["name"]'})  # fmt: skip
    migrations.upgrade(url)
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT subject_id, state, due_at, closed_at, assignee_department_id, parties "
                                  "FROM workflow_case ORDER BY subject_id")).all()  # fmt: skip
        timers = conn.execute(text("SELECT kind FROM workflow_timer ORDER BY kind")).scalars().all()
        announced = conn.execute(text("SELECT type, subject FROM event_outbox ORDER BY id")).all()
        told = conn.execute(text("SELECT DISTINCT consumer FROM event_handled")).scalars().all()
    engine.dispose()
    assert [(c[0], c[1]) for c in cases] == [("1", "review"), ("2", "approved")]
    assert cases[0][2] is not None and cases[0][3] is None and cases[0][4] == 1
    assert cases[1][3] is not None and json.loads(cases[1][5])["oversight"]["name"] == "杭州市数据资源管理局"
    assert timers == ["escalation", "overdue"]
    # each case is announced, so the to-do list (a projection of events) shows the pending one
    assert announced == [
        ("yiwang.exchange.request.created", "request/1"),
        ("yiwang.exchange.request.created", "request/2"),
    ]
    assert told == ["exchange.notifications"]  # the upgrade tells nobody again what they were told
    migrations.downgrade(url, "0004")  # and back: the requests keep their deadlines
    with engine.connect() as conn:
        back = conn.execute(text("SELECT id, due_at FROM sharing_request ORDER BY id")).all()
    engine.dispose()
    assert back[0][1] is not None and back[1][1] is None
