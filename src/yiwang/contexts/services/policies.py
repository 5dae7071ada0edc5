"""Who may do what in 一网通办: read the guides, apply (online for oneself, or at a 综合窗口 for the
person in front of the clerk), and see an application. The transitions of an application are
the workflow definition's rules (workflows/application.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy
from yiwang.core.codes import region_covers


@policy("services.item_read")
def item_read(_actor: Actor, _t: Any) -> Decision:
    return ALLOW  # 办事指南 are public


@dataclass(frozen=True)
class SubmitTarget:
    item_subject: str  # person | enterprise
    channel: str  # online | window
    any_window: bool
    item_region: str
    has_channel: bool


@policy("services.application_submit")
def application_submit(actor: Actor, t: SubmitTarget) -> Decision:
    if actor.kind != "user":
        return deny("请登录后申请")
    if t.channel == "window":
        if not actor.has("window_clerk"):
            return deny("只有综合窗口工作人员可以代为受理申请")
        if not t.any_window and not (actor.region_code and region_covers(actor.region_code, t.item_region)):
            return deny("该事项不支持全城通办，请到事项所在区的窗口办理")
        return ALLOW
    if not t.has_channel:
        return deny("该事项不支持网上办理，请到窗口办理")
    if t.item_subject == "enterprise":
        return ALLOW if actor.enterprise_id is not None else deny("该事项须以企业账号申请")
    return ALLOW if actor.person_id is not None else deny("该事项须以个人账号申请")


@dataclass(frozen=True)
class ApplicationTarget:
    applicant_user_id: int | None
    handling_department_id: int
    window_department_id: int | None
    handling_region: str


def may_read_application(actor: Actor, t: ApplicationTarget) -> bool:
    if actor.kind != "user":
        return False
    if t.applicant_user_id is not None and actor.id == t.applicant_user_id:
        return True
    if actor.department_id is not None and actor.department_id in (
        t.handling_department_id,
        t.window_department_id,
    ):
        return actor.is_staff
    return bool(actor.roles & {"leader", "admin"}) and bool(
        actor.region_code and region_covers(actor.region_code, t.handling_region)
    )


@policy("services.application_read")
def application_read(actor: Actor, t: ApplicationTarget) -> Decision:
    return ALLOW if may_read_application(actor, t) else deny("只能查看本人或本部门的办件")


@policy("services.application_list")
def application_list(actor: Actor, _t: Any) -> Decision:
    return ALLOW if actor.kind == "user" else deny("请登录后查看办件")


@policy("services.file_upload")
def file_upload(actor: Actor, _t: Any) -> Decision:
    return ALLOW if actor.kind == "user" and actor.id is not None else deny("请登录后上传材料")


@dataclass(frozen=True)
class BundleTarget:
    subject: str  # person | enterprise


@policy("services.bundle_submit")
def bundle_submit(actor: Actor, t: BundleTarget) -> Decision:
    if actor.kind != "user":
        return deny("请登录后申请")
    if t.subject == "enterprise":
        return ALLOW if actor.enterprise_id is not None else deny("该一件事须以企业账号申请")
    return ALLOW if actor.person_id is not None else deny("该一件事须以个人账号申请")


@policy("services.bundle_read")
def bundle_read(actor: Actor, b: Any) -> Decision:
    if b is not None and actor.kind == "user" and actor.id == b.applicant_user_id:
        return ALLOW
    return ALLOW if actor.roles & {"leader", "admin"} else deny("只能查看本人的一件事申请")


@policy("services.license_verify")
def license_verify(_actor: Actor, _t: Any) -> Decision:
    return ALLOW  # anyone holding the QR code may check it; the answer shows no personal data


@policy("services.license_revoke")
def license_revoke(actor: Actor, lic: Any) -> Decision:
    if actor.kind == "user" and actor.has("dept_staff") and actor.department_id == lic.issuer_department_id:
        return ALLOW
    return deny("只有发证部门的工作人员可以撤销证照")


@dataclass(frozen=True)
class EvaluationTarget:
    applicant_user_id: int | None
    status: str
    window_department_id: int | None


@policy("services.evaluation_submit")
def evaluation_submit(actor: Actor, t: EvaluationTarget) -> Decision:
    if actor.kind != "user" or actor.id is None or actor.id != t.applicant_user_id:
        return deny("只有申请人本人可以评价")
    if t.status not in ("completed", "refused", "rejected"):
        return deny("办件办结后才能评价")
    return ALLOW
