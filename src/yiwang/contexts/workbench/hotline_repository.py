"""All SQL of the 12345 hotline: orders, the category tree, routing rules, past cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.contexts.workbench.hotline_models import (
    HotlineCategory,
    HotlineOrder,
    HotlinePastCase,
    HotlineRoute,
)

DONE = ("closed", "merged")


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def add_all(session: Session, rows: list[Any]) -> None:
    session.add_all(rows)
    session.flush()


def order(session: Session, order_id: int) -> HotlineOrder | None:
    return session.get(HotlineOrder, order_id)


def orders_by_ids(session: Session, ids: list[int]) -> list[HotlineOrder]:
    if not ids:
        return []
    return list(session.scalars(select(HotlineOrder).where(HotlineOrder.id.in_(ids))))


def orders(session: Session, *, region_prefix: str = "", status: str | None = None, open_only: bool = False,
           limit: int = 100) -> list[HotlineOrder]:  # fmt: skip
    q = select(HotlineOrder).where(HotlineOrder.merged_into_id.is_(None))
    if region_prefix:
        q = q.where(HotlineOrder.region_code.startswith(region_prefix))
    if status:
        q = q.where(HotlineOrder.status == status)
    if open_only:
        q = q.where(HotlineOrder.status.not_in(DONE))
    return list(
        session.scalars(q.order_by(HotlineOrder.received_at.desc(), HotlineOrder.id.desc()).limit(limit))
    )


def open_in_region(
    session: Session, region_code: str, since: datetime, limit: int = 500
) -> list[HotlineOrder]:
    q = (
        select(HotlineOrder)
        .where(
            HotlineOrder.region_code == region_code,
            HotlineOrder.received_at >= since,
            HotlineOrder.status.not_in(DONE),
            HotlineOrder.merged_into_id.is_(None),
        )
        .order_by(HotlineOrder.received_at.desc())
        .limit(limit)
    )
    return list(session.scalars(q))


def received_since(
    session: Session, since: datetime, region_prefix: str = "", limit: int = 5000
) -> list[HotlineOrder]:
    q = select(HotlineOrder).where(HotlineOrder.received_at >= since)
    if region_prefix:
        q = q.where(HotlineOrder.region_code.startswith(region_prefix))
    return list(session.scalars(q.order_by(HotlineOrder.received_at.desc()).limit(limit)))


def merged_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    q = (
        select(HotlineOrder.merged_into_id, func.count())
        .where(HotlineOrder.merged_into_id.in_(ids))
        .group_by(HotlineOrder.merged_into_id)
    )
    return {int(k): int(n) for k, n in session.execute(q) if k is not None}


def merged_into(session: Session, order_id: int) -> list[HotlineOrder]:
    q = select(HotlineOrder).where(HotlineOrder.merged_into_id == order_id).order_by(HotlineOrder.received_at)
    return list(session.scalars(q))


def status_counts(session: Session, region_prefix: str = "") -> dict[str, int]:
    q = select(HotlineOrder.status, func.count()).group_by(HotlineOrder.status)
    if region_prefix:
        q = q.where(HotlineOrder.region_code.startswith(region_prefix))
    return {s: int(n) for s, n in session.execute(q)}


def categories(session: Session) -> list[HotlineCategory]:
    q = select(HotlineCategory).order_by(HotlineCategory.id)
    return list(session.scalars(q))


def category_exists(session: Session, level1: str, level2: str, level3: str) -> bool:
    q = select(HotlineCategory.id).where(HotlineCategory.level1 == level1, HotlineCategory.level2 == level2,
                                         HotlineCategory.level3 == level3)  # fmt: skip
    return session.scalar(q) is not None


def category_paths(session: Session) -> set[tuple[str, str, str]]:
    q = select(HotlineCategory.level1, HotlineCategory.level2, HotlineCategory.level3)
    return {(a, b, c) for a, b, c in session.execute(q)}


def routes(session: Session) -> list[HotlineRoute]:
    return list(session.scalars(select(HotlineRoute).order_by(HotlineRoute.id)))


def route_keys(session: Session) -> set[tuple[str, str]]:
    return {(c, r) for c, r in session.execute(select(HotlineRoute.category, HotlineRoute.region_code))}


def past_cases(session: Session, limit: int = 20000) -> list[HotlinePastCase]:
    return list(session.scalars(select(HotlinePastCase).order_by(HotlinePastCase.id).limit(limit)))


def past_case_stamp(session: Session) -> tuple[int, int]:
    """How many past cases there are and the newest id: changes whenever the archive does."""
    n, top = session.execute(select(func.count(), func.max(HotlinePastCase.id))).one()
    return int(n or 0), int(top or 0)


def past_case_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HotlinePastCase)) or 0)


def past_case_sources(session: Session) -> set[str]:
    return set(session.scalars(select(HotlinePastCase.source_id)))


def order_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HotlineOrder)) or 0)
