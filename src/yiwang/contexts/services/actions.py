"""Use cases of 一网通办: the guides, applying (online or at a 综合窗口) with an idempotency key,
and reading one's applications. Transitions are the workflow engine's (`core.workflow`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.services import cases
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.forms import validate
from yiwang.contexts.services.guides import needs
from yiwang.contexts.services.models import Application, ServiceItem, UploadedFile
from yiwang.contexts.services.policies import ApplicationTarget, SubmitTarget
from yiwang.contexts.services.search import query_terms
from yiwang.contexts.services.storage import sniff, storage
from yiwang.core import audit, authz, codes
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiwang.settings import get_settings


def _item(session: Session, code: str) -> ServiceItem:
    item = repo.item_by_code(session, code)
    if item is None:
        raise NotFound("未找到该服务事项")
    return item


def item_list(
    session: Session, actor: Actor, q: str = "", department_id: int | None = None
) -> list[ServiceItem]:
    authz.check(actor, "services.item_read", None)
    terms = query_terms(q) if q.strip() else None
    return repo.items(session, terms, [department_id] if department_id else None)


def item_get(session: Session, actor: Actor, code: str) -> ServiceItem:
    authz.check(actor, "services.item_read", None)
    return _item(session, code)


@dataclass(frozen=True)
class Submission:
    item_code: str
    form: dict[str, Any]
    files: dict[str, int]  # material name -> uploaded file id
    channel: str = "online"
    idempotency_key: str | None = None
    prefilled: tuple[str, ...] = ()  # the fields the exchange filled in


def submit_target(item: ServiceItem, channel: str) -> SubmitTarget:
    return SubmitTarget(item.subject, channel, item.any_window, item.region_code,
                        channel in item.channels or channel == "window")  # fmt: skip


def application_target(a: Application) -> ApplicationTarget:
    return ApplicationTarget(a.applicant_user_id, a.handling_department_id, a.window_department_id,
                             a.handling_region)  # fmt: skip


def _materials(
    session: Session, actor: Actor, item: ServiceItem, files: dict[str, int], channel: str,
    produced: frozenset[str] = frozenset(), in_bundle: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """Each material's status: waived (shared data), from_bundle (an earlier step's e-license),
    uploaded, checked_at_window; a missing upload is a field error."""
    owner = f"user:{actor.id}"
    found = {f.id: f for f in repo.files(session, owner, list(files.values()))}
    held = {} if channel == "window" else {lic.item_code: lic for lic in
                                           repo.licenses_held(session, actor.person_id, actor.enterprise_id)}  # fmt: skip
    out, errors = [], []
    for i, need in enumerate(needs(item.materials, frozenset(held))):
        row: dict[str, Any] = {"name": need.name, "source": need.source, "ref": need.ref}
        if need.source == "elicense" and need.ref in produced:  # this bundle's earlier step issues it
            row["status"] = "from_bundle"
        elif (
            need.waived and need.source == "elicense"
        ):  # the holder's e-license, reused (and logged for them)
            lic = held[need.ref]
            row.update(status="elicense", license=lic.number)
            audit.record_read(session, actor, "services.license_reuse", "service_elicense", lic.id,
                              subject_person_id=lic.person_id, subject_enterprise_id=lic.enterprise_id,
                              purpose=f"{item.name}：以电子证照代替{need.name}",
                              detail={"resource_name": lic.name, "fields": ["number"], "labels": ["证照编号"],
                                      "masked": []})  # fmt: skip
        elif need.waived:
            row["status"] = "waived"
        elif (
            need.name in files
            and files[need.name] in found
            and (found[files[need.name]].application_id is None or in_bundle)
        ):
            row.update(status="uploaded", file_id=files[need.name])
        elif need.name in files:
            errors.append(
                FieldError(
                    f"materials.{i}", f"{need.name}：上传的文件不存在或已被使用，请重新上传", "not_found"
                )
            )
        elif channel == "window":
            row["status"] = "checked_at_window"  # the clerk saw the original at the desk
        else:
            errors.append(FieldError(f"materials.{i}", f"请上传{need.name}", "missing"))
        out.append(row)
    if errors:
        raise ValidationFailed("申请材料不齐全", errors)
    return out


def _applicant(
    session: Session, actor: Actor, item: ServiceItem, form: dict[str, str], channel: str
) -> dict[str, Any]:
    if channel == "window":  # the person in front of the clerk, found by their identity number
        number = codes.compact(form.get("id_number") or "")
        person = identity.persons_by_id_numbers(session, [number]).get(number) if number else None
        name = form.get("enterprise_name") or form.get("name") or ""
        return {"applicant_user_id": identity.account_id_of_person(session, person[0]) if person else None,
                "person_id": person[0] if person else None, "enterprise_id": None, "applicant_name": name}  # fmt: skip
    own = form.get("enterprise_name") if item.subject == "enterprise" else form.get("name")
    return {"applicant_user_id": actor.id, "person_id": actor.person_id, "enterprise_id": actor.enterprise_id,
            "applicant_name": own or actor.name}  # fmt: skip


def _number(a_id: int) -> str:
    return f"YW{utcnow():%Y%m%d}{a_id:08d}"


def application_submit(session: Session, actor: Actor, sub: Submission) -> tuple[Application, bool]:
    """The application and whether it is new: the same idempotency key again returns the first."""
    item = _item(session, sub.item_code)
    authz.check(actor, "services.application_submit", submit_target(item, sub.channel))
    submitted_by = f"user:{actor.id}"
    if sub.idempotency_key:
        earlier = repo.application_by_key(session, submitted_by, sub.idempotency_key)
        if earlier is not None:
            if earlier.item_id != item.id:
                raise Conflict("该幂等键已用于另一事项的申请")
            return earlier, False
    form = validate(item.form_schema, sub.form)
    materials = _materials(session, actor, item, sub.files, sub.channel)
    window_dept = actor.department_id if sub.channel == "window" else None
    a = Application(
        number=f"tmp-{utcnow().timestamp()}-{actor.id}", item_id=item.id, status="submitted", channel=sub.channel,
        submitted_by=submitted_by, idempotency_key=sub.idempotency_key, window_department_id=window_dept,
        accepted_region=(actor.region_code if sub.channel == "window" and actor.region_code else item.region_code),
        handling_region=item.region_code, handling_department_id=item.department_id, form=form, prefilled=[f for f in sub.prefilled if f in form],
        materials=materials, **_applicant(session, actor, item, form, sub.channel),
    )  # fmt: skip
    try:
        with session.begin_nested():
            repo.add(session, a)
    except IntegrityError:  # the same key submitted at the same moment: the other one stands
        earlier = repo.application_by_key(session, submitted_by, sub.idempotency_key or "")
        if earlier is None:
            raise
        return earlier, False
    a.number = _number(a.id)
    for m in materials:
        if m.get("file_id"):
            f = repo.file(session, m["file_id"])
            if f is not None:
                f.application_id = a.id
    session.flush()
    audit.record(session, actor, "services.application_submit", "service_application", a.id,
                 detail={"item": item.code, "channel": sub.channel, "number": a.number,
                         "waived": [m["name"] for m in materials if m["status"] == "waived"]})  # fmt: skip
    cases.open_case(session, actor, a, item)
    return a, True


def _application(session: Session, application_id: int) -> Application:
    a = repo.application(session, application_id)
    if a is None:
        raise NotFound("办件不存在")
    return a


def application_get(session: Session, actor: Actor, application_id: int) -> Application:
    a = _application(session, application_id)
    authz.check(actor, "services.application_read", application_target(a))
    return a


def applications_mine(session: Session, actor: Actor) -> list[Application]:
    authz.check(actor, "services.application_list", None)
    return repo.applications_of(session, actor.id) if actor.id is not None else []


def items_by_ids(session: Session, actor: Actor, ids: list[int]) -> dict[int, ServiceItem]:
    authz.check(actor, "services.item_read", None)
    return {i: it for i in set(ids) if (it := repo.item(session, i)) is not None}


def file_upload(session: Session, actor: Actor, material: str, filename: str, data: bytes) -> UploadedFile:
    """An applicant's material, checked by its content (PDF, PNG, JPEG) and size, then stored."""
    authz.check(actor, "services.file_upload", None)
    limit = get_settings().upload_max_bytes
    if not data:
        raise ValidationFailed("文件为空", [FieldError("file", "上传的文件为空", "empty")])
    if len(data) > limit:
        msg = f"文件不能超过 {limit // (1024 * 1024)} MB"
        raise ValidationFailed(msg, [FieldError("file", msg, "too_large")])
    kind = sniff(data)
    if kind is None:
        msg = "只能上传 PDF、PNG 或 JPEG 文件（按文件内容识别）"
        raise ValidationFailed(msg, [FieldError("file", msg, "file_type")])
    key = storage().put(data)
    f = UploadedFile(owner=f"user:{actor.id}", material=material[:120], filename=filename[:200] or "材料",
                     content_type=kind, size=len(data), sha256=key, storage_key=key)  # fmt: skip
    repo.add(session, f)
    audit.record(session, actor, "services.file_upload", "service_file", f.id,
                 detail={"material": f.material, "type": kind, "size": f.size})  # fmt: skip
    return f
