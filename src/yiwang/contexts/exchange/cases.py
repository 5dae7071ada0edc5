"""Sharing requests on the workflow engine: the definition (workflows/sharing_request.yaml),
the parties of a request's case, and the exchange's own changes inside each transition (the
request's status and decision, the grant on approval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import forget_grants
from yiwang.contexts.exchange.models import Grant, SharingRequest
from yiwang.contexts.exchange.policies import data_officer_over
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, ValidationFailed
from yiwang.core.workflow_spec import Facts, Party, named_rule

CODE = "exchange.sharing_request"
SUBJECT = "sharing_request"
STATUS = {"review": "pending", "supplement": "supplement", "approved": "approved", "refused": "refused",
          "withdrawn": "withdrawn"}  # fmt: skip
AUTO = {"unconditional": ("auto_approve", "无条件共享资源，自动授权"), "none": ("auto_refuse", "")}


def _data_officer_over_provider(actor: Actor, facts: Facts) -> bool:
    provider = facts.parties.get("provider")
    return actor.kind == "user" and data_officer_over(actor, provider.region_code if provider else None)


def grant_from(r: SharingRequest, masked: list[str]) -> Grant:
    forget_grants()  # a newer grant replaces a cached one in this process at once
    return Grant(
        request_id=r.id, resource_id=r.resource_id, consumer_department_id=r.consumer_department_id,
        fields=list(r.fields), masked_fields=masked, purpose=r.purpose, row_scope=r.row_scope,
        valid_from=r.valid_from, valid_to=r.valid_to, daily_quota=r.daily_quota,
    )  # fmt: skip


def _on_transition(
    session: Session, actor: Actor, case: workflow.CaseView, code: str, inputs: dict[str, Any]
) -> None:
    """The request's own changes in the transition's transaction."""
    r = repo.request(session, int(case.subject_id))
    assert r is not None
    r.status = STATUS[case.state]
    if case.state in ("approved", "refused"):
        r.decided_by, r.decided_at = actor.name or actor.label, utcnow()
        r.decision_reason = (
            inputs.get("reason") or inputs.get("comment") or ("同意" if case.state == "approved" else "")
        )
    if case.state == "approved":
        masked = list(inputs.get("masked_fields") or [])
        stray = [f for f in masked if f not in r.fields]
        if stray:
            msg = f"脱敏信息项必须是申请的信息项：{'、'.join(stray)}"
            raise ValidationFailed(msg, [FieldError("masked_fields", msg, "not_requested")])
        grant = grant_from(r, masked)
        repo.add(session, grant)
        inputs["audit"] = {"grant": grant.id, "masked": masked}
    if code == "supplement":
        for name in ("purpose", "legal_basis"):
            if inputs.get(name):
                setattr(r, name, inputs[name])
    session.flush()


workflow.register(Path(__file__).parent / "workflows" / "sharing_request.yaml", _on_transition)
named_rule("exchange.data_officer_over_provider", _data_officer_over_provider, "提供部门所在区划的数据管理员")


def parties(session: Session, r: SharingRequest) -> dict[str, Party]:
    consumer = identity.department(session, r.consumer_department_id)
    provider = identity.department(session, r.provider_department_id)
    region = provider.region_code if provider else r.row_scope
    oversight = identity.department_by_code(session, f"{region}-data_bureau")
    return {
        "consumer": Party(department_id=r.consumer_department_id, region_code=consumer.region_code if consumer else None,
                          name=consumer.name if consumer else ""),
        "provider": Party(department_id=r.provider_department_id, region_code=region,
                          name=provider.name if provider else ""),
        "oversight": Party(department_id=oversight.id if oversight else None, region_code=region,
                           name=oversight.name if oversight else "数据管理部门"),
    }  # fmt: skip


def open_case(session: Session, actor: Actor, r: SharingRequest, resource_name: str) -> workflow.CaseView:
    ps = parties(session, r)
    if (
        actor.kind == "user" and actor.id is not None
    ):  # whom to tell of the decision (a system: its department)
        ps["requester"] = Party(user_id=actor.id, name=actor.name)
    return workflow.start(session, actor, CODE, subject_type=SUBJECT, subject_id=r.id,
                          title=f"{ps['consumer'].name}申请共享{resource_name}", url=f"/exchange/requests/{r.id}",
                          parties=ps, region_code=r.row_scope)  # fmt: skip


def case_of(session: Session, r: SharingRequest) -> workflow.CaseView | None:
    return workflow.case_of(session, SUBJECT, r.id)


def cases_of(session: Session, rows: list[SharingRequest]) -> dict[str, workflow.CaseView]:
    return workflow.cases_of(session, SUBJECT, [r.id for r in rows])
