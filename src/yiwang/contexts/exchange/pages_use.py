"""Using an approved grant from a page (共享授权 › 查询): a consumer department's staff member
looks one record up for a case, without an API client of their own.

The page goes through the same governed read as the API (`actions_use.record_lookup`: the grant
check, masking, the usage log and one audit record per person, refusals logged by
`usage.refusals_logged`), in a read-only unit of work like the API's; what the API takes from its
headers comes from the form: X-User is the staff member's name, the case id and purpose are typed
in, and every form carries a fresh nonce, so a resubmitted form is refused as a replay.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import actions_monitor, actions_use
from yiwang.contexts.exchange.actions_monitor import GrantRow
from yiwang.contexts.exchange.governance import UseContext
from yiwang.contexts.exchange.usage import refusals_logged
from yiwang.core import crypto
from yiwang.core.actor import Actor
from yiwang.core.errors import DomainError, NotFound, Unauthenticated, ValidationFailed
from yiwang.core.web import nav
from yiwang.core.web.deps import UnitOfWork
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")
nav.add_card("dept_staff", "使用共享数据", "按已获批的共享授权，为办件查询其他部门的数据；每次查询均留痕，数据本人可见。",
             "/exchange/grants", 22)  # fmt: skip

CASE_MAX, PURPOSE_MAX = 64, 600  # as the X-Case-Id and X-Purpose headers of the API
FORM_FIELDS = {"key", "case_id", "purpose", "fields"}


@dataclass(frozen=True)
class PageCall:
    db: Session
    actor: Actor


async def _page_call(request: Request) -> AsyncIterator[PageCall]:
    """The logged-in caller in a read-only unit of work, as `use_headers.use_call` for the API:
    a use only reads; its usage and audit rows are group-committed before the page answers."""
    async with UnitOfWork(read=True) as db:
        actor = await identity.authenticate(request, db)
        if actor.kind == "anonymous":
            raise Unauthenticated("请先登录")
        yield PageCall(db, actor)


Call = Annotated[PageCall, Depends(_page_call, scope="function")]
Text = Annotated[str, Form(max_length=1000)]


@dataclass(frozen=True)
class UseForm:
    grant: GrantRow
    key_label: str
    values: dict[str, Any]


def _load(db: Session, actor: Actor, grant_id: int) -> UseForm:
    """The department's grant (as the grants page lists it) and the label of its resource's key."""
    grant = next((g for g in actions_monitor.grants_page(db, actor).received if g.id == grant_id), None)
    if grant is None:
        raise NotFound("本部门没有这项共享授权")
    resource = catalog.resource_for_exchange(db, grant.resource_code)
    key = resource.fields.get(resource.key_field) if resource else None
    values = {"key": "", "case_id": "", "purpose": grant.purpose, "fields": [f.name for f in grant.fields]}
    return UseForm(grant, key.label if key else "主键", values)


def _page(request: Request, actor: Actor, form: UseForm, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), g=form.grant, key_label=form.key_label,
               values=ctx.get("values", form.values), nonce=crypto.new_token(16))  # fmt: skip
    ctx.setdefault("errors", {})
    return templates.TemplateResponse(request, "exchange_use.html", ctx, status_code=status)


@router.get("/exchange/grants/{grant_id}/use")
async def use_form(request: Request, grant_id: int, call: Call) -> Response:
    form = await anyio.to_thread.run_sync(_load, call.db, call.actor, grant_id)
    return _page(request, call.actor, form)


def _check(form: UseForm, values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if not values["key"]:
        errors["key"] = f"请填写{form.key_label}"
    if not values["case_id"]:
        errors["case_id"] = "请填写办件编号：本次查询为哪一件业务办理"
    elif len(values["case_id"]) > CASE_MAX:
        errors["case_id"] = f"办件编号不能超过 {CASE_MAX} 个字符"
    if len(values["purpose"]) > PURPOSE_MAX:
        errors["purpose"] = f"用途不能超过 {PURPOSE_MAX} 个字"
    if not values["fields"]:
        errors["fields"] = "请至少选择一个信息项"
    return errors


@router.post("/exchange/grants/{grant_id}/use")
async def use_submit(
    request: Request,
    grant_id: int,
    call: Call,
    key: Text = "",
    case_id: Text = "",
    purpose: Text = "",
    nonce: Annotated[str, Form(min_length=8, max_length=64)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
) -> Response:
    db, actor = call.db, call.actor
    form = await anyio.to_thread.run_sync(_load, db, actor, grant_id)
    values: dict[str, Any] = {"key": key.strip(), "case_id": case_id.strip(), "purpose": purpose.strip(),
                              "fields": fields or []}  # fmt: skip
    errors = _check(form, values)
    if errors:
        return _page(request, actor, form, 422, values=values, errors=errors)
    granted = [f.name for f in form.grant.fields]
    wanted = None if set(values["fields"]) == set(granted) else [f for f in granted if f in values["fields"]]
    ctx = UseContext(
        end_user=actor.name, case_id=values["case_id"], purpose=values["purpose"] or None, nonce=nonce,
        request_hash=hashlib.sha256(f"{grant_id}\0{values['key']}\0{nonce}".encode()).hexdigest(),
        started=time.perf_counter(),
    )  # fmt: skip
    try:
        with refusals_logged(actor, ctx, "lookup", form.grant.resource_code):
            out = await actions_use.record_lookup(
                db, actor, form.grant.resource_code, values["key"], wanted, ctx
            )
    except ValidationFailed as exc:
        errors = {e.field if e.field in FORM_FIELDS else "key": e.detail for e in exc.errors}
        return _page(request, actor, form, 422, values=values, errors=errors or {"key": exc.detail})
    except NotFound as exc:
        return _page(request, actor, form, 404, values=values, refusal=exc.detail)
    except DomainError as exc:
        if exc.status in (401, 503):  # not logged in any more; the server's fault
            raise
        return _page(request, actor, form, exc.status, values=values, refusal=exc.detail)
    labels = {f.name: f.label for f in form.grant.fields}
    rows = [[(labels.get(name, name), record.get(name), name in out.masked) for name in out.fields]
            for record in out.records]  # fmt: skip
    return _page(request, actor, form, values={**values, "key": ""}, result=rows, asked=values)
