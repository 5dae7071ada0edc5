"""All SQL of the exchange. Grants compile here to a column list and a WHERE clause: rows
outside the scope and fields outside the grant are never fetched."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

import orjson
from sqlalchemy import (
    JSON,
    Column,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from yiwang.contexts.exchange.models import (
    ChangeLog,
    Delivery,
    Grant,
    GrantUsage,
    SharingRequest,
    Subscription,
    UsageLog,
)
from yiwang.contexts.exchange.sources import SOURCE_TABLES, key_column
from yiwang.core import reads
from yiwang.core.cache import TTLCache
from yiwang.core.codes import region_prefix
from yiwang.core.db import fetch_rows, insert_rows, insert_rows_raw

INTERNAL = ("id", "subject_person_id", "subject_enterprise_id", "region_code")


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def request(session: Session, request_id: int, for_update: bool = False) -> SharingRequest | None:
    if for_update:
        return session.scalar(select(SharingRequest).where(SharingRequest.id == request_id).with_for_update())
    return session.get(SharingRequest, request_id)


def requests(
    session: Session, department_id: int | None, direction: str, status: str | None, limit: int = 200
) -> list[SharingRequest]:
    q = select(SharingRequest).order_by(SharingRequest.id.desc()).limit(limit)
    if direction == "incoming" and department_id is not None:
        q = q.where(SharingRequest.provider_department_id == department_id)
    elif direction == "outgoing" and department_id is not None:
        q = q.where(SharingRequest.consumer_department_id == department_id)
    if status:
        q = q.where(SharingRequest.status == status)
    return list(session.scalars(q))


def requests_by_ids(session: Session, ids: Sequence[int]) -> list[SharingRequest]:
    if not ids:
        return []
    return list(
        session.scalars(select(SharingRequest).where(SharingRequest.id.in_(ids)).order_by(SharingRequest.id))
    )


def grant(session: Session, grant_id: int) -> Grant | None:
    return session.get(Grant, grant_id)


def grants_for(session: Session, department_id: int, resource_id: int) -> list[Grant]:
    return list(
        session.scalars(
            select(Grant)
            .where(Grant.consumer_department_id == department_id, Grant.resource_id == resource_id)
            .order_by(Grant.id.desc())
        )
    )


def grants(session: Session, consumer_id: int | None = None, resource_id: int | None = None) -> list[Grant]:
    q = select(Grant).order_by(Grant.id.desc())
    if consumer_id is not None:
        q = q.where(Grant.consumer_department_id == consumer_id)
    if resource_id is not None:
        q = q.where(Grant.resource_id == resource_id)
    return list(session.scalars(q))


QUOTA_SHARDS = 8


def shard_caps(quota: int) -> list[int]:
    """The quota split exactly between the shards (the caps add up to the quota)."""
    return [quota // QUOTA_SHARDS + (1 if i < quota % QUOTA_SHARDS else 0) for i in range(QUOTA_SHARDS)]


def consume_quota(session: Session, grant_id: int, day: date, n: int, quota: int) -> bool:
    """Atomically take n from today's quota, only while the grant is in force (not revoked,
    within its period: checked in the same statement). Each call tries the shards in a random
    order and takes its n from one shard that has room (one row lock, held until commit); only
    a call larger than any shard's slice locks all shards, in ascending order (no deadlock)."""
    if n > quota:
        return False
    caps = shard_caps(quota)
    _ensure_shards(session, grant_id, day)
    order = [i for i in random.sample(range(QUOTA_SHARDS), QUOTA_SHARDS) if caps[i] >= n]
    for shard in order:
        taken = session.execute(_bump(), {"p_grant": grant_id, "p_day": day, "p_shard": shard, "p_n": n,
                                          "p_cap": caps[shard]})  # fmt: skip
        if taken.rowcount:  # type: ignore[attr-defined]
            return True
    in_force = (
        select(Grant.id)
        .where(
            Grant.id == grant_id, Grant.revoked_at.is_(None), Grant.valid_from <= day, Grant.valid_to >= day
        )
        .exists()
    )
    if not session.scalar(select(in_force)):
        return False
    rows = _locked_shards(session, grant_id, day)
    if len(rows) != QUOTA_SHARDS:  # the remembered shard rows were rolled back with their transaction
        _shards_made.discard((grant_id, day))
        _ensure_shards(session, grant_id, day)
        return consume_quota(session, grant_id, day, n, quota)
    room = {shard: caps[shard] - used for shard, used in rows}
    if sum(max(r, 0) for r in room.values()) < n:
        return False
    left = n
    for shard in sorted(room):
        take = min(max(room[shard], 0), left)
        if take:
            session.execute(
                update(GrantUsage)
                .where(GrantUsage.grant_id == grant_id, GrantUsage.day == day, GrantUsage.shard == shard)
                .values(used=GrantUsage.used + take)
            )
            left -= take
    return True


def _locked_shards(session: Session, grant_id: int, day: date) -> list[Any]:
    return list(
        session.execute(
            select(GrantUsage.shard, GrantUsage.used)
            .where(GrantUsage.grant_id == grant_id, GrantUsage.day == day)
            .order_by(GrantUsage.shard)
            .with_for_update()
        ).all()
    )


@lru_cache(maxsize=1)
def _bump() -> Any:
    """UPDATE one shard: take n if it has room and the grant is in force. Built once, on the
    tables (no ORM session synchronisation to evaluate), with every value bound."""
    gu, g = cast(Table, GrantUsage.__table__), cast(Table, Grant.__table__)
    grant, day = bindparam("p_grant", type_=g.c.id.type), bindparam("p_day", type_=gu.c.day.type)
    n = bindparam("p_n", type_=gu.c.used.type)
    in_force = (
        select(g.c.id)
        .where(g.c.id == grant, g.c.revoked_at.is_(None), g.c.valid_from <= day, g.c.valid_to >= day)
        .exists()
    )
    return (
        update(gu)
        .where(gu.c.grant_id == grant, gu.c.day == day, gu.c.shard == bindparam("p_shard"),
               gu.c.used + n <= bindparam("p_cap"), in_force)
        .values(used=gu.c.used + n)
    )  # fmt: skip


_TAKE_SQL = (
    "UPDATE grant_usage SET used = used + %(n)s WHERE grant_id = %(grant)s AND day = %(day)s "
    "AND shard = %(shard)s AND used + %(n)s <= %(cap)s AND EXISTS (SELECT 1 FROM data_grant WHERE "
    "id = %(grant)s AND revoked_at IS NULL AND valid_from <= %(day)s AND valid_to >= %(day)s)"
)  # _bump() on a bare PostgreSQL connection


def take_quota_raw(conn: Any, grant_id: int, day: date, n: int, quota: int) -> Callable[[], bool] | None:
    """`consume_quota`'s common case on a bare PostgreSQL connection (pipeline mode): queue
    taking n from one random shard with room, only while the grant is in force; the returned
    function says, once the results are in, whether it was taken. None (nothing queued) when
    the day's shard rows are not known to exist yet or no shard's slice fits n."""
    caps = shard_caps(quota)
    fits = [i for i in range(QUOTA_SHARDS) if caps[i] >= n]
    if not fits or not _shards_made.get((grant_id, day)):
        return None
    shard = random.choice(fits)
    cur = conn.execute(_TAKE_SQL, {"n": n, "grant": grant_id, "day": day, "shard": shard, "cap": caps[shard]})
    return lambda: bool(cur.rowcount == 1)


def lock_quota(session: Session, grant_id: int, day: date) -> None:
    """Lock all of a grant's shard rows for the day in ascending order (until commit)."""
    _ensure_shards(session, grant_id, day)
    _locked_shards(session, grant_id, day)


_shards_made: TTLCache[tuple[int, date], bool] = TTLCache()


def _ensure_shards(session: Session, grant_id: int, day: date) -> None:
    """Create the day's shard rows once; this process then remembers they exist (rows are never
    deleted, so a remembered day cannot be wrong)."""
    if _shards_made.get((grant_id, day)):
        return
    have = session.scalar(select(func.count()).where(GrantUsage.grant_id == grant_id, GrantUsage.day == day))
    if have != QUOTA_SHARDS:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        rows = [{"grant_id": grant_id, "day": day, "shard": i, "used": 0} for i in range(QUOTA_SHARDS)]
        session.execute(upsert(GrantUsage).values(rows).on_conflict_do_nothing())
    _shards_made.put((grant_id, day), True, 3600)


def quota_used(session: Session, grant_id: int, day: date) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(GrantUsage.used), 0)).where(
                GrantUsage.grant_id == grant_id, GrantUsage.day == day
            )
        )
        or 0
    )


def _selected(table_name: str, fields: Sequence[str], types: dict[str, str]) -> list[Column]:
    t = SOURCE_TABLES[table_name]
    cols = []
    for f in fields:
        if types[f] == "id_number":
            cols += [t.c[f"{f}_enc"], t.c[f"{f}_idx"]]
        elif f not in INTERNAL:
            cols.append(t.c[f])
    cols += [t.c[c] for c in INTERNAL]
    return cols


def governed_select(
    table_name: str,
    fields: Sequence[str],
    types: dict[str, str],
    row_scope: str,
    filters: dict[str, str] | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> Select[Any]:
    """SELECT <granted columns> FROM <source> WHERE region in scope [AND filters]."""
    t = SOURCE_TABLES[table_name]
    q = select(*_selected(table_name, fields, types)).where(
        t.c.region_code.startswith(region_prefix(row_scope))
    )
    for name, value in (filters or {}).items():
        q = q.where(t.c[name] == value)
    if after_id:
        q = q.where(t.c.id > after_id)
    q = q.order_by(t.c.id)
    return q.limit(limit) if limit else q


def fetch(session: Session, stmt: Select[Any], params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return fetch_rows(session, stmt, params)


def fetch_by_keys(
    session: Session, table_name: str, fields: Sequence[str], types: dict[str, str], row_scope: str,
    key_field: str, keys: Sequence[str],
) -> list[dict[str, Any]]:  # fmt: skip
    """The governed SELECT narrowed to key values (stored form: the blind index of an identity
    number). The statement is built once per grant's read plan and takes the keys as bound
    parameters, so a call neither rebuilds nor recompiles it: one key `= :key`, several
    `IN (:keys)`."""
    if not keys:
        return []
    return fetch(session, *_by_keys_call(session, table_name, fields, types, row_scope, key_field, keys))


async def read_by_keys(
    session: Session, table_name: str, fields: Sequence[str], types: dict[str, str], row_scope: str,
    key_field: str, keys: Sequence[str],
) -> list[dict[str, Any]]:  # fmt: skip
    """`fetch_by_keys` for a route on the event loop: a request's read runs there without a
    thread (`core.reads`); any other session reads as `fetch_by_keys` does."""
    if not keys:
        return []
    stmt, params = _by_keys_call(session, table_name, fields, types, row_scope, key_field, keys)
    return await reads.fetch(session, stmt, params, fetch)


def _by_keys_call(
    session: Session, table_name: str, fields: Sequence[str], types: dict[str, str], row_scope: str,
    key_field: str, keys: Sequence[str],
) -> tuple[Select[Any], dict[str, Any]]:  # fmt: skip
    shape = tuple((f, types[f]) for f in dict.fromkeys([*fields, key_field]))
    match = "one" if len(keys) == 1 else "any" if session.get_bind().dialect.name == "postgresql" else "in"
    stmt = _by_keys(table_name, tuple(fields), shape, row_scope, key_field, match)
    if len(keys) == 1:
        return stmt, {"key": keys[0]}
    return stmt, {"keys": orjson.dumps(list(keys)).decode() if match == "any" else list(keys)}


@lru_cache(maxsize=1024)
def _by_keys(
    table_name: str, fields: tuple[str, ...], shape: tuple[tuple[str, str], ...], row_scope: str, key_field: str,
    match: str,
) -> Select[Any]:  # fmt: skip
    """match: "one" (`= :key`), "in" (`IN (:keys)`, expanded per call) or "any" (PostgreSQL:
    `= ANY(:keys)`, one array parameter: the same statement text for any number of keys)."""
    types = dict(shape)
    t = SOURCE_TABLES[table_name]
    key = key_column(t, key_field, types[key_field])
    cols = _selected(table_name, fields, types)
    if not any(c is key for c in cols):
        cols.append(key)  # to match answers to keys; never returned
    if match == "any":
        # The keys travel as one JSON text (psycopg's array dumper costs ~8 µs a key in Python),
        # unpacked into unbounded text: a VARCHAR(n) cast would truncate longer keys into matches.
        element: Any = func.json_array_elements_text(sql_cast(bindparam("keys", type_=Text()), JSON()))
        if not isinstance(key.type, String):
            element = sql_cast(element, key.type)
        where = key == any_(func.array(select(element).scalar_subquery()))
    else:
        where = key.in_(bindparam("keys", expanding=True)) if match == "in" else key == bindparam("key")
    return select(*cols).where(t.c.region_code.startswith(region_prefix(row_scope)), where).order_by(t.c.id)


def log_usage(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, UsageLog.__table__, rows)


def log_usage_once(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert usage rows whose (consumer, nonce) is new, in one statement; a pair already logged
    (a replay) is skipped by the unique index. Returns the new rows' ids by (consumer, nonce)."""
    if not rows:
        return {}
    from sqlalchemy.dialects.sqlite import insert as upsert

    other = (
        upsert(UsageLog)
        .on_conflict_do_nothing(index_elements=["consumer", "nonce"])
        .returning(UsageLog.consumer, UsageLog.nonce, UsageLog.id)
    )
    suffix = "ON CONFLICT (consumer, nonce) DO NOTHING RETURNING consumer, nonce, id"
    return {(c, n): i for c, n, i in insert_rows(session, UsageLog.__table__, rows, suffix, other)}


def log_usage_once_raw(conn: Any, rows: list[dict[str, Any]]) -> Callable[[], int]:
    """`log_usage_once` on a bare PostgreSQL connection (pipeline mode): queue the INSERT; the
    returned function gives how many rows were new once the results are in."""
    cur = insert_rows_raw(
        conn, UsageLog.__tablename__, rows, "ON CONFLICT (consumer, nonce) DO NOTHING RETURNING id"
    )
    return lambda: len(cur.fetchall()) if cur is not None else 0


def mark_refused(session: Session, refusals: list[dict[str, Any]]) -> None:
    """Turn logged rows into refusals: {"row_id", "status", "refusal", "nonce"} each."""
    if refusals:
        table = UsageLog.__table__
        stmt = (
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == bindparam("row_id"))
            .values(status=bindparam("status"), refusal=bindparam("refusal"), nonce=bindparam("nonce"),
                    fields=None, keys=0, rows=0)
        )  # fmt: skip
        session.connection().execute(stmt, refusals)


def grants_in_force(session: Session, grant_ids: set[int], days: set[date]) -> set[tuple[int, date]]:
    """(grant, day) for the grants not revoked and valid on that day, read now (at commit time)."""
    rows = session.execute(
        select(Grant.id, Grant.valid_from, Grant.valid_to).where(
            Grant.id.in_(grant_ids), Grant.revoked_at.is_(None)
        )
    )
    return {(gid, day) for gid, start, end in rows for day in days if start <= day <= end}


def _by_consumers(q: Any, departments: list[int] | None) -> Any:
    """Limit a usage-log query to calls of these consumer departments (None: all)."""
    return q if departments is None else q.where(UsageLog.consumer_department_id.in_(departments))


def usage_stats(
    session: Session, since: datetime, departments: list[int] | None = None
) -> list[dict[str, Any]]:
    q = select(
        UsageLog.resource_id,
        UsageLog.consumer_department_id,
        func.count().label("calls"),
        func.sum(UsageLog.rows).label("rows"),
        func.sum(case((UsageLog.status >= 400, 1), else_=0)).label("refusals"),
        func.avg(UsageLog.latency_ms).label("avg_ms"),
        func.max(UsageLog.latency_ms).label("max_ms"),
    ).where(UsageLog.at >= since)
    q = _by_consumers(q, departments).group_by(UsageLog.resource_id, UsageLog.consumer_department_id)
    rows = session.execute(q).mappings()
    return [dict(r) for r in rows]


def recent_usage(
    session: Session, limit: int = 50, refusals_only: bool = False, departments: list[int] | None = None
) -> list[UsageLog]:
    q = _by_consumers(select(UsageLog).order_by(UsageLog.id.desc()).limit(limit), departments)
    if refusals_only:
        q = q.where(UsageLog.status >= 400)
    return list(session.scalars(q))


def source_upsert(
    session: Session, table_name: str, key_col: str, key_value: Any, values: dict[str, Any]
) -> int:
    """Insert or update one source row by its key; returns the row id."""
    t = SOURCE_TABLES[table_name]
    existing = session.scalar(select(t.c.id).where(t.c[key_col] == key_value))
    if existing is None:
        return int(session.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())
    session.execute(update(t).where(t.c.id == existing).values(**values))
    return int(existing)


def record_change(session: Session, resource_id: int, record_id: int, op: str, region_code: str) -> ChangeLog:
    change = ChangeLog(resource_id=resource_id, record_id=record_id, op=op, region_code=region_code)
    add(session, change)
    return change


def subscriptions_for_resource(session: Session, resource_id: int) -> list[tuple[Subscription, Grant]]:
    rows = session.execute(
        select(Subscription, Grant)
        .join(Grant, Grant.id == Subscription.grant_id)
        .where(Grant.resource_id == resource_id, Subscription.active.is_(True), Grant.revoked_at.is_(None))
    ).all()
    return [(s, g) for s, g in rows]


def subscription(session: Session, subscription_id: int) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def due_deliveries(session: Session, now: datetime, limit: int) -> list[Delivery]:
    q = (
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return list(session.scalars(q))


def deliveries(
    session: Session, subscription_id: int, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    q = (
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if status:
        q = q.where(Delivery.status == status)
    return list(session.scalars(q))


def max_attempt_set(session: Session, subscription_id: int) -> int:
    return (
        session.scalar(
            select(func.max(Delivery.attempt_set)).where(Delivery.subscription_id == subscription_id)
        )
        or 0
    )


# --- reads for the exchange pages and the monitor -------------------------------------------


def usage_latency_p50(
    session: Session, since: datetime, departments: list[int] | None = None
) -> dict[int | None, float]:
    """Median latency per resource: the middle call(s) by rank within each resource's calls."""
    ranked = _by_consumers(
        select(
            UsageLog.resource_id.label("resource_id"),
            UsageLog.latency_ms.label("ms"),
            func.row_number()
            .over(partition_by=UsageLog.resource_id, order_by=UsageLog.latency_ms)
            .label("rn"),
            func.count().over(partition_by=UsageLog.resource_id).label("n"),
        ).where(UsageLog.at >= since),
        departments,
    ).subquery()
    middle = select(ranked.c.resource_id, func.avg(ranked.c.ms)).where(
        ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2
    )
    return {rid: float(ms) for rid, ms in session.execute(middle.group_by(ranked.c.resource_id)).all()}


def refusal_reasons(
    session: Session, since: datetime, limit: int = 10, departments: list[int] | None = None
) -> list[tuple[str, int]]:
    n = func.count().label("n")
    q = select(UsageLog.refusal, n).where(UsageLog.at >= since, UsageLog.status >= 400)
    rows = session.execute(
        _by_consumers(q, departments).group_by(UsageLog.refusal).order_by(n.desc()).limit(limit)
    ).all()
    return [(reason or "", int(count)) for reason, count in rows]


def resource_calls_by_department(session: Session, resource_id: int, since: datetime) -> dict[int, int]:
    """Answered calls on one resource per consumer department since a moment."""
    rows = session.execute(
        select(UsageLog.consumer_department_id, func.count())
        .where(UsageLog.resource_id == resource_id, UsageLog.at >= since, UsageLog.status < 400)
        .group_by(UsageLog.consumer_department_id)
    ).all()
    return {int(d): int(n) for d, n in rows if d is not None}


def grants_provided(session: Session, provider_department_id: int, limit: int = 200) -> list[Grant]:
    """Grants on the resources a department provides (through their requests)."""
    return list(
        session.scalars(
            select(Grant)
            .join(SharingRequest, SharingRequest.id == Grant.request_id)
            .where(SharingRequest.provider_department_id == provider_department_id)
            .order_by(Grant.id.desc())
            .limit(limit)
        )
    )


def grant_of_request(session: Session, request_id: int) -> Grant | None:
    return session.scalar(select(Grant).where(Grant.request_id == request_id))


def grant_ids_of_requests(session: Session, request_ids: list[int]) -> dict[int, int]:
    """Grant id by request id, for the requests that were granted."""
    if not request_ids:
        return {}
    rows = session.execute(select(Grant.request_id, Grant.id).where(Grant.request_id.in_(request_ids)))
    return {rid: gid for rid, gid in rows}


# --- subscriptions: change feed and the webhook delivery queue (fed by a subscriber of core.events) ---------------------------

_CHANGE_LOCK = 0x7977  # advisory-lock namespace (two-key form) for change_log appends


def lock_resource_changes(session: Session, resource_id: int) -> None:
    """Serialise change_log appends per resource until commit (PostgreSQL), so `seq` order is
    commit order and a reader's cursor never skips a change that commits late. SQLite has
    one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CHANGE_LOCK, resource_id)))


def add_all(session: Session, objs: Sequence[object]) -> None:
    session.add_all(objs)
    session.flush()


def change(session: Session, seq: int) -> ChangeLog | None:
    return session.get(ChangeLog, seq)


def changes_in_scope(
    session: Session, resource_id: int, row_scope: str, after_seq: int, limit: int
) -> list[ChangeLog]:
    """Changes of a resource after a cursor whose row was in the region scope when changed."""
    return list(
        session.scalars(
            select(ChangeLog)
            .where(
                ChangeLog.resource_id == resource_id,
                ChangeLog.seq > after_seq,
                ChangeLog.region_code.startswith(region_prefix(row_scope)),
            )
            .order_by(ChangeLog.seq)
            .limit(limit)
        )
    )


def governed_rows_by_id(
    table_name: str, fields: Sequence[str], types: dict[str, str], row_scope: str, ids: Sequence[int]
) -> Select[Any]:
    """The governed SELECT (granted columns only, region in scope) narrowed to some row ids."""
    t = SOURCE_TABLES[table_name]
    return governed_select(table_name, fields, types, row_scope).where(t.c.id.in_(list(ids)))


def subscriptions_of_department(session: Session, department_id: int) -> list[tuple[Subscription, Grant]]:
    rows = session.execute(
        select(Subscription, Grant)
        .join(Grant, Grant.id == Subscription.grant_id)
        .where(Grant.consumer_department_id == department_id, Subscription.active.is_(True))
        .order_by(Subscription.id.desc())
    ).all()
    return [(s, g) for s, g in rows]


def claim_due_deliveries(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Deliveries to attempt now: pending ones whose time has come, and 'sending' ones whose
    lease ran out (their worker died mid-flight). Row-locked with SKIP LOCKED on PostgreSQL,
    so concurrent workers split the work instead of queueing on each other."""
    q = (
        select(Delivery)
        .where(Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return list(session.scalars(q))


def finish_delivery(session: Session, delivery_id: int, attempts: int, values: dict[str, Any]) -> bool:
    """Record an attempt's outcome only while this worker still holds the claim: a worker whose
    lease ran out and whose delivery was claimed again finds `attempts` moved on (fencing)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending", Delivery.attempts == attempts)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def drop_open_deliveries(session: Session, subscription_id: int, reason: str) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status.in_(("pending", "sending")))
        .values(status="dropped", last_error=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def subscription_for_update(session: Session, subscription_id: int) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update())
