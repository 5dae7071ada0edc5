"""好差评: the applicant rates a handled application once on the five national levels; 不满意 and
非常不满意 open a rectification case for the department; statistics per department are public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.services import evaluations
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.models import Evaluation
from yiwang.contexts.services.policies import EvaluationTarget
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed

CLOSED = ("completed", "refused", "rejected")
REASONS = (
    "办事效率高",
    "服务态度好",
    "材料要求清楚",
    "等候时间长",
    "材料要求反复",
    "态度不好",
    "办理超期",
    "其他",
)


@dataclass(frozen=True)
class Rating:
    rating: int
    reasons: tuple[str, ...] = ()
    comment: str = ""


def _target(session: Session, application_id: int) -> EvaluationTarget:
    a = repo.application(session, application_id)
    if a is None:
        raise NotFound("办件不存在")
    return EvaluationTarget(a.applicant_user_id, a.status, a.window_department_id)


def evaluation_submit(session: Session, actor: Actor, application_id: int, r: Rating) -> Evaluation:
    target = _target(session, application_id)
    authz.check(actor, "services.evaluation_submit", target)
    errors = []
    if r.rating not in evaluations.RATINGS:
        errors.append(FieldError("rating", "请选择非常满意、满意、基本满意、不满意或非常不满意", "enum"))
    bad = [x for x in r.reasons if x not in REASONS]
    if bad:
        errors.append(FieldError("reasons", f"评价原因不在可选范围内：{'、'.join(bad)}", "enum"))
    if r.rating in (1, 2) and not r.reasons and len(r.comment.strip()) < 2:
        errors.append(FieldError("reasons", "差评请选择原因或填写意见", "missing"))
    if errors:
        raise ValidationFailed("评价填写有误", errors)
    a = repo.application(session, application_id, for_update=True)
    assert a is not None
    if repo.evaluation_of(session, a.id) is not None:
        raise Conflict("该办件已评价过")
    item = repo.item(session, a.item_id)
    assert item is not None
    e = Evaluation(application_id=a.id, item_id=a.item_id, department_id=a.handling_department_id, rating=r.rating,
                   reasons=list(r.reasons), comment=r.comment.strip()[:500], channel=a.channel,
                   rater_user_id=actor.id, status="rated")  # fmt: skip
    repo.add(session, e)
    audit.record(session, actor, "services.evaluation_submit", "service_evaluation", e.id,
                 detail={"application": a.number, "rating": r.rating, "reasons": list(r.reasons)})  # fmt: skip
    if r.rating <= 2:
        e.status = "rectifying"
        session.flush()
        evaluations.open_rectification(session, actor, e, a, item)
    return e


def evaluation_stats(session: Session, actor: Actor) -> list[dict[str, Any]]:
    authz.check(actor, "services.item_read", None)
    from yiwang.contexts import identity

    names = {d.id: d.name for d in identity.departments(session)}
    out = []
    for row in repo.evaluation_stats(session):
        n, bad = int(row["n"]), int(row["bad"] or 0)
        out.append({"department": names.get(row["department_id"], ""), "ratings": n,
                    "average": round(float(row["avg"] or 0), 2),
                    "satisfaction": round(int(row["satisfied"] or 0) / n, 3) if n else 0.0, "bad": bad,
                    "rectified": int(row["rectified"] or 0),
                    "rectification_rate": round(int(row["rectified"] or 0) / bad, 3) if bad else None})  # fmt: skip
    return sorted(out, key=lambda x: -x["ratings"])
