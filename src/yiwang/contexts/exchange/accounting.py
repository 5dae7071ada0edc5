"""Accounting for a use of shared data, group-committed (`core.group_commit`): the replay
check, the grant still in force, the daily quota, the usage-log row and one audit record per
subject, for a whole batch of calls in one transaction, before any of them answers.

Checked here, at commit time, and not earlier: a nonce already in the usage log (a replay,
409), a grant revoked or expired since the call read it (403; the grant may come from a
per-process cache), a spent quota (429). A refused call's data never leaves the server; its
refusal is logged in the same transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.exchange import repository as repo
from yiwang.core import audit, group_commit
from yiwang.core.errors import Conflict, DomainError, Forbidden, TooManyRequests


@dataclass(frozen=True)
class Use:
    usage: dict[str, Any]  # the usage_log row of the answered call
    audit_rows: list[dict[str, Any]]  # prepared by audit.prepare_many
    grant_id: int
    day: date  # the Beijing-time day the quota counts on
    count: int  # quota units: keys asked or rows returned, at least 1
    quota: int


def refused_nonce_prefix(nonce: str) -> str:
    """Refusals are logged under a derived nonce (the original stays free for the unique index)."""
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


def refusal_row(row: dict[str, Any], exc: DomainError) -> dict[str, Any]:
    """The usage-log row of a refused call (a replay is logged under a derived nonce)."""
    return {**row, "fields": None, "keys": 0, "rows": 0, "status": exc.status, "refusal": exc.detail or exc.title,
            "nonce": f"refused:{refused_nonce_prefix(row['nonce'])}:{time.time_ns() % 10**12}"}  # fmt: skip


def quota_refusal(quota: int) -> TooManyRequests:
    err = TooManyRequests(f"已超出授权的每日调用量（{quota} 条）")
    err.retry_after = 3600
    return err


class _Uses:
    """A batch costs four statements whatever its size: log the calls (replays skipped by the
    usage log's unique index), count each grant's quota (with the grant-in-force check in the
    same UPDATE), insert the audit rows, commit."""

    name = "exchange.use"

    def write(self, session: Session, items: Sequence[Use]) -> list[DomainError | None]:
        out: list[DomainError | None] = [None] * len(items)
        logged = repo.log_usage_once(session, [u.usage for u in items])
        row_of: dict[int, int] = {}
        for i, u in enumerate(items):
            row_id = logged.pop(
                (u.usage["consumer"], u.usage["nonce"]), None
            )  # a pair logged twice: first wins
            if row_id is None:
                out[i] = Conflict("重复的请求（请求编号已使用），疑似重放，已拒绝")
            else:
                row_of[i] = row_id
        by_grant: dict[tuple[int, date], list[int]] = {}
        for i in row_of:
            by_grant.setdefault((items[i].grant_id, items[i].day), []).append(i)
        for (grant_id, day), idx in sorted(by_grant.items()):  # grants in one order in every batch
            quota = items[idx[0]].quota
            if repo.consume_quota(session, grant_id, day, sum(items[i].count for i in idx), quota):
                continue
            if (grant_id, day) not in repo.grants_in_force(session, {grant_id}, {day}):
                for i in idx:
                    out[i] = Forbidden("授权已被撤销或已不在有效期内")
                continue
            repo.lock_quota(session, grant_id, day)  # all shards, ascending, before the random probes
            for i in idx:  # not all of them fit: one by one, in arrival order
                if not repo.consume_quota(session, grant_id, day, items[i].count, quota):
                    out[i] = quota_refusal(quota)
        refusals = [(row_of[i], refusal_row(items[i].usage, exc)) for i, exc in enumerate(out)
                    if exc is not None and i in row_of]  # fmt: skip
        repo.mark_refused(session, [{"row_id": row_id, "status": r["status"], "refusal": r["refusal"],
                                     "nonce": r["nonce"]} for row_id, r in refusals])  # fmt: skip
        audit.insert_prepared(session, [row for u, r in zip(items, out, strict=True) if r is None
                                        for row in u.audit_rows])  # fmt: skip
        return out

    def write_at_once(self, batch: group_commit.AtOnce, items: Sequence[Use]) -> None:
        """Queue logging the calls and taking each grant's quota from one shard, and hand the
        audit rows to the batch; it goes through only if every call was new and every quota was
        taken. Anything else (a replay, a quota to split or spent, a grant revoked, a day's
        first call) is decided by `write`."""
        takes: dict[tuple[int, date], int] = {}
        quota: dict[tuple[int, date], int] = {}
        for u in items:
            takes[(u.grant_id, u.day)] = takes.get((u.grant_id, u.day), 0) + u.count
            quota[(u.grant_id, u.day)] = u.quota
        logged = repo.log_usage_once_raw(batch.conn, [u.usage for u in items])
        taken = [repo.take_quota_raw(batch.conn, grant_id, day, n, quota[(grant_id, day)])
                 for (grant_id, day), n in sorted(takes.items())]  # grants in one order in every batch  # fmt: skip
        batch.checks.append(lambda: logged() == len(items) and all(t is not None and t() for t in taken))
        batch.audit_rows += [row for u in items for row in u.audit_rows]

    def refused(self, session: Session, items: Sequence[tuple[Use, DomainError]]) -> None:
        """Replays: their nonce is taken, so they are logged under a derived one (the others,
        already logged, were turned into refusals by `write`)."""
        repo.log_usage(session, [refusal_row(u.usage, exc) for u, exc in items if isinstance(exc, Conflict)])


USES = _Uses()
