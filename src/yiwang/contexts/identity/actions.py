"""Use cases on persons, enterprises and the organisation. Each starts with authz.check."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.data_uses import data_use
from yiwang.contexts.identity.models import Enterprise, Person
from yiwang.contexts.identity.policies import DataSubject, sees_clear
from yiwang.contexts.identity.schemas import (
    EnterpriseIn,
    EnterpriseOut,
    PersonIn,
    PersonOut,
    PersonPatch,
)
from yiwang.core import audit, authz, codes, crypto
from yiwang.core.actor import Actor
from yiwang.core.audit_repository import for_subject
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed

PERSONAL_FIELDS = ["id_number", "name", "phone", "address", "birth_date"]
PERSONAL_LABELS = ["身份证号码", "姓名", "手机号码", "住址", "出生日期"]
MASKED_FIELDS = ["id_number", "phone", "birth_date"]  # what `person_view` masks for anyone but the person


def _aad(person_id_idx: str) -> bytes:
    return person_id_idx.encode()


def person_view(person: Person, clear: bool) -> PersonOut:
    aad = _aad(person.id_number_idx)
    id_number = crypto.decrypt(person.id_number_enc, aad)
    phone = crypto.decrypt(person.phone_enc, aad) if person.phone_enc else None
    return PersonOut(
        id=person.id,
        id_number=id_number if clear else codes.mask_ric(id_number),
        name=person.name,
        gender=person.gender,
        # the masked number hides the birth date, so a masked view must not give it back in clear
        birth_date=person.birth_date.isoformat() if clear else f"{person.birth_date.year}-**-**",
        phone=(phone if clear else codes.mask_phone(phone)) if phone else None,
        address=person.address,
        region_code=person.region_code,
        household_no=person.household_no,
        relation=person.relation,
        masked=not clear,
    )


def _audit_read(session: Session, actor: Actor, action: str, person: Person, purpose: str | None) -> bool:
    """Audit the read (unless it is the person's own) and say whether the actor sees it in clear."""
    clear = sees_clear(actor, person)
    if actor.person_id != person.id:
        audit.record_read(
            session, actor, action, "person", person.id,
            subject_person_id=person.id, purpose=purpose,
            detail={"fields": PERSONAL_FIELDS, "labels": PERSONAL_LABELS, "resource_name": "自然人基础信息",
                    "masked": [] if clear else MASKED_FIELDS},
        )  # fmt: skip
    return clear


def person_read(session: Session, actor: Actor, person_id: int, purpose: str | None = None) -> PersonOut:
    person = repo.person(session, person_id)
    authz.check(actor, "identity.person_read", person)
    if person is None:
        raise NotFound("未找到该自然人")
    return person_view(person, _audit_read(session, actor, "identity.person_read", person, purpose))


def person_find(session: Session, actor: Actor, id_number: str, purpose: str | None = None) -> PersonOut:
    authz.check(actor, "identity.person_list", actor.region_code)
    err = codes.ric_error(id_number)
    if err:
        raise ValidationFailed(err, [FieldError("id_number", err)])
    person = repo.person_by_index(session, crypto.blind_index(codes.compact(id_number), "ric"))
    if person is None:
        raise NotFound("未找到该身份证号码对应的自然人")
    return person_read(session, actor, person.id, purpose)


def person_list(
    session: Session, actor: Actor, region_code: str | None, name: str | None, after_id: int, limit: int
) -> list[PersonOut]:
    authz.check(actor, "identity.person_list", region_code or actor.region_code)
    scope = region_code or actor.region_code
    rows = repo.persons_page(session, scope, name, after_id, limit)
    return [person_view(p, _audit_read(session, actor, "identity.person_list", p, None)) for p in rows]


def _require_region(session: Session, code: str, field: str = "region_code") -> None:
    if repo.region(session, code) is None:
        raise ValidationFailed("行政区划代码不存在", [FieldError(field, "行政区划代码不存在", "unknown")])


def person_create(session: Session, actor: Actor, data: PersonIn) -> PersonOut:
    authz.check(actor, "identity.person_create", data.region_code)
    _require_region(session, data.region_code)
    idx = crypto.blind_index(data.id_number, "ric")
    if repo.person_by_index(session, idx) is not None:
        raise Conflict("该身份证号码已登记", [FieldError("id_number", "该身份证号码已登记", "duplicate")])
    person = Person(
        id_number_enc=crypto.encrypt(data.id_number, _aad(idx)),
        id_number_idx=idx,
        name=data.name,
        gender=codes.ric_gender(data.id_number),
        birth_date=codes.ric_birth_date(data.id_number),
        phone_enc=crypto.encrypt(data.phone, _aad(idx)) if data.phone else None,
        phone_idx=crypto.blind_index(data.phone, "phone") if data.phone else None,
        address=data.address,
        region_code=data.region_code,
    )
    repo.add(session, person)
    audit.record(session, actor, "identity.person_create", "person", person.id, subject_person_id=person.id)
    return person_view(person, sees_clear(actor, person))


def person_update(session: Session, actor: Actor, person_id: int, patch: PersonPatch) -> PersonOut:
    person = repo.person(session, person_id)
    authz.check(actor, "identity.person_update", person)
    if person is None:
        raise NotFound("未找到该自然人")
    changed = patch.model_dump(exclude_unset=True)
    if "phone" in changed:
        phone = changed["phone"]
        person.phone_enc = crypto.encrypt(phone, _aad(person.id_number_idx)) if phone else None
        person.phone_idx = crypto.blind_index(phone, "phone") if phone else None
    if changed.get("address") is not None:
        person.address = changed["address"]
    session.flush()
    audit.record(
        session, actor, "identity.person_update", "person", person.id,
        subject_person_id=person.id, detail={"fields": sorted(changed)},
    )  # fmt: skip
    return person_view(person, sees_clear(actor, person))


def enterprise_view(session: Session, ent: Enterprise) -> EnterpriseOut:
    rep = repo.person(session, ent.legal_rep_person_id) if ent.legal_rep_person_id else None
    return EnterpriseOut(
        id=ent.id,
        credit_code=ent.credit_code,
        name=ent.name,
        legal_rep_person_id=ent.legal_rep_person_id,
        legal_rep_name=rep.name if rep else None,
        address=ent.address,
        industry_code=ent.industry_code,
        industry_name=ent.industry_name,
        registered_capital_fen=ent.registered_capital_fen,
        established_on=ent.established_on,
        size_class=ent.size_class,
        region_code=ent.region_code,
    )


def enterprise_read(session: Session, actor: Actor, enterprise_id: int) -> EnterpriseOut:
    ent = repo.enterprise(session, enterprise_id)
    authz.check(actor, "identity.enterprise_read", ent)
    if ent is None:
        raise NotFound("未找到该企业")
    return enterprise_view(session, ent)


def enterprise_find(session: Session, actor: Actor, credit_code: str) -> EnterpriseOut:
    authz.check(actor, "identity.enterprise_list", actor.region_code)
    err = codes.uscc_error(credit_code)
    if err:
        raise ValidationFailed(err, [FieldError("credit_code", err)])
    ent = repo.enterprise_by_code(session, codes.compact(credit_code))
    if ent is None:
        raise NotFound("未找到该统一社会信用代码对应的企业")
    return enterprise_read(session, actor, ent.id)


def enterprise_list(
    session: Session, actor: Actor, region_code: str | None, after_id: int, limit: int
) -> list[EnterpriseOut]:
    authz.check(actor, "identity.enterprise_list", region_code or actor.region_code)
    rows = repo.enterprises_page(session, region_code or actor.region_code, after_id, limit)
    return [enterprise_view(session, e) for e in rows]


def enterprise_create(session: Session, actor: Actor, data: EnterpriseIn) -> EnterpriseOut:
    authz.check(actor, "identity.enterprise_create", data.region_code)
    _require_region(session, data.region_code)
    if repo.enterprise_by_code(session, data.credit_code) is not None:
        raise Conflict(
            "该统一社会信用代码已登记", [FieldError("credit_code", "该统一社会信用代码已登记", "duplicate")]
        )
    rep = repo.person_by_index(session, crypto.blind_index(data.legal_rep_id_number, "ric"))
    if rep is None:
        msg = "法定代表人尚未登记为自然人"
        raise ValidationFailed(msg, [FieldError("legal_rep_id_number", msg, "unknown")])
    ent = Enterprise(
        **data.model_dump(exclude={"legal_rep_id_number"}), legal_rep_person_id=rep.id, industry_name=""
    )
    repo.add(session, ent)
    audit.record(session, actor, "identity.enterprise_create", "enterprise", ent.id)
    return enterprise_view(session, ent)


def data_access_list(
    session: Session,
    actor: Actor,
    person_id: int | None = None,
    enterprise_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, object]]:
    """Every recorded use of this person's (or enterprise's) data by someone else, newest first:
    what was done (`use`: list, read, verify or change) and which fields were seen in clear and
    which masked."""
    authz.check(actor, "identity.data_access_read", DataSubject(person_id, enterprise_id))
    return [data_use(r) for r in for_subject(session, person_id, enterprise_id, limit)]
