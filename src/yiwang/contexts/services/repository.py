"""All SQL of the services context."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from yiwang.contexts.services.models import (
    Application,
    BundleApplication,
    ELicense,
    Evaluation,
    ServiceItem,
    UploadedFile,
)


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def item(session: Session, item_id: int) -> ServiceItem | None:
    return session.get(ServiceItem, item_id)


def item_by_code(session: Session, code: str) -> ServiceItem | None:
    return session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def items(
    session: Session, terms: list[str] | None = None, department_ids: list[int] | None = None
) -> list[ServiceItem]:
    q = select(ServiceItem).order_by(ServiceItem.code)
    if terms:
        q = q.where(and_(*(ServiceItem.search_text.contains(t, autoescape=True) for t in terms)))
    if department_ids is not None:
        q = q.where(ServiceItem.department_id.in_(department_ids))
    return list(session.scalars(q))


def items_by_codes(session: Session, codes: list[str]) -> dict[str, ServiceItem]:
    return {i.code: i for i in session.scalars(select(ServiceItem).where(ServiceItem.code.in_(codes)))}


def application(session: Session, application_id: int, for_update: bool = False) -> Application | None:
    if for_update:
        return session.scalar(select(Application).where(Application.id == application_id).with_for_update())
    return session.get(Application, application_id)


def application_by_key(session: Session, submitted_by: str, key: str) -> Application | None:
    return session.scalar(
        select(Application).where(
            Application.submitted_by == submitted_by, Application.idempotency_key == key
        )
    )


def applications_of(session: Session, user_id: int, limit: int = 100) -> list[Application]:
    q = select(Application).where(Application.applicant_user_id == user_id).order_by(Application.id.desc())
    return list(session.scalars(q.limit(limit)))


def applications_by_ids(session: Session, ids: list[int]) -> dict[int, Application]:
    return {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}


def application_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Application)) or 0)


def files(session: Session, owner: str, ids: list[int]) -> list[UploadedFile]:
    q = select(UploadedFile).where(UploadedFile.owner == owner, UploadedFile.id.in_(ids))
    return list(session.scalars(q))


def files_of(session: Session, application_id: int) -> list[UploadedFile]:
    q = select(UploadedFile).where(UploadedFile.application_id == application_id).order_by(UploadedFile.id)
    return list(session.scalars(q))


def file(session: Session, file_id: int) -> UploadedFile | None:
    return session.get(UploadedFile, file_id)


def bundle_application(
    session: Session, bundle_id: int, for_update: bool = False
) -> BundleApplication | None:
    q = select(BundleApplication).where(BundleApplication.id == bundle_id)
    return session.scalar(q.with_for_update() if for_update else q)


def bundle_by_key(session: Session, submitted_by: str, key: str) -> BundleApplication | None:
    q = select(BundleApplication).where(
        BundleApplication.submitted_by == submitted_by, BundleApplication.idempotency_key == key
    )
    return session.scalar(q)


def applications_of_bundle(session: Session, bundle_id: int) -> list[Application]:
    q = select(Application).where(Application.bundle_id == bundle_id).order_by(Application.id)
    return list(session.scalars(q))


def bundles_of(session: Session, user_id: int, limit: int = 50) -> list[BundleApplication]:
    q = select(BundleApplication).where(BundleApplication.applicant_user_id == user_id)
    return list(session.scalars(q.order_by(BundleApplication.id.desc()).limit(limit)))


def license_by_number(session: Session, number: str) -> ELicense | None:
    return session.scalar(select(ELicense).where(ELicense.number == number))


def licenses_held(session: Session, person_id: int | None, enterprise_id: int | None) -> list[ELicense]:
    if person_id is None and enterprise_id is None:
        return []
    cond = (
        ELicense.enterprise_id == enterprise_id
        if enterprise_id is not None
        else ELicense.person_id == person_id
    )
    q = select(ELicense).where(cond, ELicense.revoked_at.is_(None)).order_by(ELicense.id.desc())
    return list(session.scalars(q))


def license_of_application(session: Session, application_id: int) -> ELicense | None:
    return session.scalar(select(ELicense).where(ELicense.application_id == application_id))


def evaluation_of(session: Session, application_id: int) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.application_id == application_id))


def evaluation(session: Session, evaluation_id: int) -> Evaluation | None:
    return session.get(Evaluation, evaluation_id)


def evaluation_stats(session: Session) -> list[dict[str, Any]]:
    """Per department: ratings, satisfied (4-5), bad (1-2), bad ones closed after rectification."""
    from sqlalchemy import case as when

    q = select(
        Evaluation.department_id, func.count().label("n"), func.avg(Evaluation.rating).label("avg"),
        func.sum(when((Evaluation.rating >= 4, 1), else_=0)).label("satisfied"),
        func.sum(when((Evaluation.rating <= 2, 1), else_=0)).label("bad"),
        func.sum(when((Evaluation.status == "closed", 1), else_=0)).label("rectified"),
    ).group_by(Evaluation.department_id)  # fmt: skip
    return [dict(r._mapping) for r in session.execute(q)]
