"""Append-only, hash-chained audit log with Ed25519-signed checkpoints.

Writing never serialises the server: `record()` inserts one row with the SHA-256 of its
own content inside the caller's transaction (no lock, no read). A sealer then links the
rows in order: `chain_hash = SHA-256(prev_chain_hash || record_hash)`, one sealer at a
time (PostgreSQL advisory lock; SQLite has one writer anyway), and signs a checkpoint
every N rows. `verify()` recomputes all of it and names the first broken record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwang.core import crypto, deferred, group_commit
from yiwang.core.actor import Actor, client_ip_var, request_id_var
from yiwang.core.db import Base, UTCDateTime, get_engine, transaction, utcnow
from yiwang.core.errors import DomainError
from yiwang.settings import get_settings

GENESIS = "0" * 64
_SEAL_LOCK_ID = 0x79697761  # "yiwa"


_UNSEALED = "chain_seq IS NULL"
_PERSON = "subject_person_id IS NOT NULL"
_ENTERPRISE = "subject_enterprise_id IS NOT NULL"


class AuditRecord(Base):
    __tablename__ = "audit_record"
    # Every index costs each insert (a batch call writes up to 1,000 rows): none is kept for a
    # column nothing looks rows up by, and each holds only the rows it is for.
    __table_args__ = (
        # The sealer's work list: rows not yet linked into the chain. Most rows are chained as
        # they are inserted, so without it finding "none left" reads the whole table, every run
        # of the sealer, under the chain lock every writer waits for.
        Index("ix_audit_record_unsealed", "id", postgresql_where=text(_UNSEALED), sqlite_where=text(_UNSEALED)),
        # A person's or an enterprise's uses of their data (`for_subject`): a row is about one
        # of them or neither.
        Index("ix_audit_record_subject_person_id", "subject_person_id",
              postgresql_where=text(_PERSON), sqlite_where=text(_PERSON)),
        Index("ix_audit_record_subject_enterprise_id", "subject_enterprise_id",
              postgresql_where=text(_ENTERPRISE), sqlite_where=text(_ENTERPRISE)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(64))
    subject_person_id: Mapped[int | None] = mapped_column(Integer)
    subject_enterprise_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10), default="ok")
    purpose: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(40), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_hash: Mapped[str] = mapped_column(String(64))
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoint"

    chain_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chain_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


_CONTENT = (
    "occurred_at", "actor", "actor_name", "on_behalf_of", "action", "target_type", "target_id",
    "subject_person_id", "subject_enterprise_id", "outcome", "purpose", "request_id", "ip", "detail",
)  # fmt: skip


def content_hash(values: dict[str, Any]) -> str:
    body = {k: values.get(k) for k in _CONTENT}
    body["occurred_at"] = values["occurred_at"].isoformat(timespec="microseconds")
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _row(actor: Actor, action: str, target_type: str, target_id: object, **more: Any) -> dict[str, Any]:
    return _hashed(_values(actor, action, target_type, target_id, **more))


def _hashed(values: dict[str, Any]) -> dict[str, Any]:
    values["record_hash"] = content_hash(values)
    return values


def _values(actor: Actor, action: str, target_type: str, target_id: object, **more: Any) -> dict[str, Any]:
    return {
        "occurred_at": utcnow(),
        "actor": actor.label,
        "actor_name": actor.name,
        "on_behalf_of": actor.on_behalf_of,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "subject_person_id": None,
        "subject_enterprise_id": None,
        "outcome": "ok",
        "purpose": None,
        "request_id": request_id_var.get(),
        "ip": client_ip_var.get(),
        "detail": None,
        **more,
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    *,
    outcome: str = "ok",
    purpose: str | None = None,
    subject_person_id: int | None = None,
    subject_enterprise_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit row to the caller's transaction: it commits or rolls back with the change."""
    if not get_settings().audit_enabled:
        return
    from yiwang.core import audit_repository as repo

    repo.insert_many(session, [_row(actor, action, target_type, target_id, outcome=outcome, purpose=purpose,
                                    subject_person_id=subject_person_id, subject_enterprise_id=subject_enterprise_id,
                                    detail=detail)])  # fmt: skip


def record_read(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    *,
    purpose: str | None = None,
    subject_person_id: int | None = None,
    subject_enterprise_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a read that changes nothing: the row is group-committed (`core.group_commit`),
    durable before the request answers, without a write transaction of the request's own."""
    if not get_settings().audit_enabled:
        return
    row = _row(actor, action, target_type, target_id, purpose=purpose, subject_person_id=subject_person_id,
               subject_enterprise_id=subject_enterprise_id, detail=detail)  # fmt: skip
    group_commit.submit(session, ROWS, [row])


def prepare_many(
    actor: Actor,
    action: str,
    subjects: list[tuple[str, object, int | None, int | None]],
    *,
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One audit row per (target_type, target_id, subject person, subject enterprise), hashed,
    ready to insert (in this transaction with `insert_prepared`, or group-committed)."""
    if not get_settings().audit_enabled or not subjects:
        return []
    common = _values(actor, action, "", "", purpose=purpose, detail=detail)  # one time for the batch
    # What every row's content hash shares, serialised once: the same bytes `content_hash` makes
    # of each row (orjson sorts nested keys the same way), without re-encoding the detail per row.
    shared = {k: common[k] for k in _CONTENT}
    shared["occurred_at"] = common["occurred_at"].isoformat(timespec="microseconds")
    if detail is not None:
        shared["detail"] = orjson.Fragment(orjson.dumps(detail, option=orjson.OPT_SORT_KEYS))
    rows = []
    for target_type, target_id, person_id, enterprise_id in subjects:
        own = {"target_type": target_type, "target_id": str(target_id), "subject_person_id": person_id,
               "subject_enterprise_id": enterprise_id}  # fmt: skip
        digest = hashlib.sha256(orjson.dumps({**shared, **own}, option=orjson.OPT_SORT_KEYS)).hexdigest()
        rows.append({**common, **own, "record_hash": digest})
    return rows


def insert_prepared(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        from yiwang.core import audit_repository as repo

        repo.insert_many(session, rows)


def chain_head_locked(conn: Any) -> Callable[[], tuple[int, str]]:
    """The group-commit writer's fast path (a bare PostgreSQL connection in pipeline mode):
    queue taking the chain lock (held until commit, as the sealer holds it) and reading the
    chain's head; the returned function gives the head once the results are in."""
    from yiwang.core import audit_repository as repo

    return repo.chain_head_locked_raw(conn, _SEAL_LOCK_ID)


def append_chained(conn: Any, head: tuple[int, str], rows: list[dict[str, Any]]) -> None:
    """Queue inserting `rows` already linked into the chain after `head`, with the checkpoints
    they reach: rows written so are never rewritten by the sealer (an UPDATE of each row,
    which touches every index of the table, and leaves a dead row to vacuum)."""
    from yiwang.core import audit_repository as repo

    linked, checkpoints = [], []
    for row, (seq, chain_hash, due) in zip(
        rows, _links(*head, [r["record_hash"] for r in rows]), strict=True
    ):
        linked.append({**row, "chain_seq": seq, "chain_hash": chain_hash})
        if due:
            checkpoints.append(_checkpoint_values(seq, chain_hash))
    repo.insert_linked_raw(conn, linked, checkpoints)


def _links(seq: int, chain_hash: str, record_hashes: list[str]) -> Iterator[tuple[int, str, bool]]:
    """(chain seq, chain hash, whether a checkpoint is due) for records appended after a head."""
    every = get_settings().audit_checkpoint_every
    for record_hash in record_hashes:
        seq += 1
        chain_hash = _chain(chain_hash, record_hash)
        yield seq, chain_hash, seq % every == 0


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    subjects: list[tuple[str, object, int | None, int | None]],
    *,
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row per (target_type, target_id, subject person, subject enterprise), in one statement."""
    insert_prepared(session, prepare_many(actor, action, subjects, purpose=purpose, detail=detail))


class _Rows:
    """Group-committed audit rows: one multi-row INSERT for the whole batch; never refuses."""

    name = "audit.rows"

    def write(self, session: Session, items: Sequence[list[dict[str, Any]]]) -> list[DomainError | None]:
        insert_prepared(session, [row for rows in items for row in rows])
        return [None] * len(items)

    def refused(self, session: Session, items: Sequence[tuple[list[dict[str, Any]], DomainError]]) -> None:
        return None

    def write_at_once(self, batch: group_commit.AtOnce, items: Sequence[list[dict[str, Any]]]) -> None:
        batch.audit_rows += [row for rows in items for row in rows]


ROWS = _Rows()


def record_outside(*args: Any, **kwargs: Any) -> None:
    """Audit something that must survive the rollback of the current transaction (a refusal)."""

    def write() -> None:
        with transaction() as s:
            record(s, *args, **kwargs)

    deferred.defer(write)


def _chain(prev: str, record_hash: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev) + bytes.fromhex(record_hash)).hexdigest()


def _checkpoint_message(seq: int, chain_hash: str) -> bytes:
    return f"yiwang-audit:{seq}:{chain_hash}".encode()


def _take_seal_lock(session: Session) -> None:
    """The chain's lock until commit. Waited for, not tried: the group-commit writers of every
    process hold it for each batch, one commit long, so a try would seldom win."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK_ID})


def seal(session: Session, batch: int = 1000) -> int:
    """Link unsealed records into the chain; returns how many were sealed. A batch is kept
    small: the writers wait for the lock while it runs."""
    from yiwang.core import audit_repository as repo

    if not repo.unsealed(session, 1):  # the usual case: every row was chained as it was inserted
        return 0  # (no lock taken, so no writer waits for a sealer with nothing to do)
    _take_seal_lock(session)
    head_seq, head_hash = repo.chain_head(session)
    rows = repo.unsealed(session, batch)
    links = []
    for (rid, _), (seq, chain_hash, due) in zip(rows, _links(head_seq, head_hash, [h for _, h in rows]),
                                               strict=True):  # fmt: skip
        links.append((rid, seq, chain_hash))
        if due:
            _sign(session, seq, chain_hash)
    repo.set_chains(session, links)
    return len(rows)


def _checkpoint_values(seq: int, chain_hash: str) -> dict[str, Any]:
    key = crypto.signing_key()
    pub = crypto.public_key_raw(key)
    return {"chain_seq": seq, "chain_hash": chain_hash, "signed_at": utcnow(), "key_id": crypto.key_id(pub),
            "public_key": pub, "signature": key.sign(_checkpoint_message(seq, chain_hash))}  # fmt: skip


def _sign(session: Session, seq: int, chain_hash: str) -> AuditCheckpoint:
    cp = AuditCheckpoint(**_checkpoint_values(seq, chain_hash))
    session.merge(cp)
    session.flush()
    return cp


def checkpoint(session: Session) -> AuditCheckpoint | None:
    """Seal everything pending and sign the head now (on demand)."""
    while seal(session):
        pass
    from yiwang.core import audit_repository as repo

    seq, head = repo.chain_head(session)
    return _sign(session, seq, head) if seq else None


@dataclass
class VerifyReport:
    records: int
    checkpoints: int
    unsealed: int
    broken_at: int | None = None  # audit_record.id of the first broken record
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.reason


def verify(session: Session, trusted_public_keys: set[bytes] | None = None) -> VerifyReport:
    """Recompute every record hash, the chain and every checkpoint signature. On PostgreSQL
    the chain is read in one snapshot of its own (REPEATABLE READ, on a connection of its
    own): writers append while it is read, and read in several statements the rows of a
    later batch would show up without that batch's checkpoint."""
    if session.get_bind().dialect.name != "postgresql":
        return _verify(session, trusted_public_keys)
    with get_engine().connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = Session(bind=conn)
        try:
            return _verify(snapshot, trusted_public_keys)
        finally:
            snapshot.close()
            conn.rollback()


def _verify(session: Session, trusted_public_keys: set[bytes] | None) -> VerifyReport:
    from yiwang.core import audit_repository as repo

    session.flush()  # verification reads in batches and clears the session: nothing pending may be lost
    if trusted_public_keys is None:
        trusted_public_keys = trusted_keys()
    prev, expected_seq, n = GENESIS, 1, 0
    chain_at: dict[int, str] = {}
    checkpoints = repo.checkpoints(session)
    wanted = {cp.chain_seq for cp in checkpoints}
    for row in repo.sealed_in_order(session):
        n += 1
        values = {k: getattr(row, k) for k in _CONTENT}
        if row.chain_seq != expected_seq:
            return VerifyReport(
                n, len(checkpoints), 0, row.id, f"链序号缺失：应为 {expected_seq}，实为 {row.chain_seq}"
            )
        if content_hash(values) != row.record_hash:
            return VerifyReport(n, len(checkpoints), 0, row.id, "记录内容与其哈希不符（记录被修改）")
        prev = _chain(prev, row.record_hash)
        if prev != row.chain_hash:
            return VerifyReport(n, len(checkpoints), 0, row.id, "链哈希不符（记录被替换或删除）")
        if row.chain_seq in wanted:
            chain_at[row.chain_seq] = prev
        expected_seq += 1
    for cp in checkpoints:
        if trusted_public_keys is not None and cp.public_key not in trusted_public_keys:
            return VerifyReport(n, len(checkpoints), 0, None, f"检查点 {cp.chain_seq} 的签名密钥不受信任")
        if not crypto.verify_signature(
            cp.public_key, cp.signature, _checkpoint_message(cp.chain_seq, cp.chain_hash)
        ):
            return VerifyReport(n, len(checkpoints), 0, None, f"检查点 {cp.chain_seq} 签名无效")
        if chain_at.get(cp.chain_seq) != cp.chain_hash:
            rid = repo.id_at_seq(session, cp.chain_seq)
            return VerifyReport(
                n, len(checkpoints), 0, rid, f"检查点 {cp.chain_seq} 与重算的链不符（日志被改写）"
            )
    every = get_settings().audit_checkpoint_every
    last_signed = checkpoints[-1].chain_seq if checkpoints else 0
    if n - last_signed >= every:
        return VerifyReport(n, len(checkpoints), 0, repo.id_at_seq(session, last_signed + every),
                            f"第 {last_signed + every} 条之后缺少签名检查点（检查点被删除或签名未完成）")  # fmt: skip
    return VerifyReport(n, len(checkpoints), repo.unsealed_count(session))


def trusted_keys() -> set[bytes]:
    """The current signing key's public key plus any configured older ones. Never the keys the
    database itself carries: an attacker who can write the database could add their own."""
    import base64

    extra = {base64.b64decode(k.strip()) for k in get_settings().audit_trusted_keys.split(",") if k.strip()}
    return {crypto.public_key_raw()} | extra
