"""The governed sharing exchange (数据共享交换): requests, grants, governed reads, usage
log, subscriptions. Public surface: `routers`, `seed_sources`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.exchange import cases as _cases  # noqa: F401  (the requests' workflow)
from yiwang.contexts.exchange import events as _events  # noqa: F401  (event types, subscribers)
from yiwang.contexts.exchange import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.exchange import notifications as _notifications  # noqa: F401  (who hears what)
from yiwang.contexts.exchange import policies as _policies  # noqa: F401  (registers policies)

__all__ = ["ensure_grant", "read_record", "routers"]


def routers() -> list[Any]:
    from yiwang.contexts.exchange import api, api_subscriptions, pages, pages_use

    return [api.router, api_subscriptions.router, pages.router, pages_use.router]


async def read_record(
    session: Any, actor: Any, resource_code: str, key: str, fields: list[str], *, case_id: str, purpose: str,
    end_user: str,
) -> dict[str, Any] | None:  # fmt: skip
    """One record under the actor's department's grant, as any governed lookup: logged in the
    usage log and audited for the person or enterprise it is about (so it shows on their 我的数据).
    None when the record is not there or no grant allows the read (the refusal is audited)."""
    import hashlib
    import time
    import uuid

    from yiwang.contexts.exchange.actions_use import UseContext, record_lookup
    from yiwang.core.errors import DomainError

    nonce = uuid.uuid4().hex
    ctx = UseContext(end_user=end_user[:100], case_id=case_id[:64], purpose=purpose, nonce=nonce,
                     request_hash=hashlib.sha256(f"{resource_code}|{nonce}".encode()).hexdigest(),
                     started=time.perf_counter())  # fmt: skip
    try:
        out = await record_lookup(session, actor, resource_code, key, fields, ctx)
    except DomainError:
        return None
    return dict(out.records[0]) if out.records else None


def ensure_grant(
    session: Any, consumer: Any, approver: Any, resource_code: str, fields: list[str], purpose: str,
    legal_basis: str, valid_to: Any,
) -> None:  # fmt: skip
    """A grant of `fields` of a resource to the consumer's department, through the ordinary
    sharing request (and its approval by `approver`, for a conditional resource), unless the
    department already holds one covering them (for seeds)."""
    from yiwang.contexts import catalog
    from yiwang.contexts.exchange import actions
    from yiwang.contexts.exchange import repository as repo
    from yiwang.contexts.exchange.schemas import ApproveIn, RequestIn

    resource = catalog.resource_for_exchange(session, resource_code)
    held = repo.grants_for(session, consumer.department_id, resource.id) if resource else []
    if any(g.revoked_at is None and set(fields) <= set(g.fields) and g.valid_to >= valid_to for g in held):
        return
    out = actions.request_create(session, consumer, RequestIn(resource_code=resource_code, fields=fields,
                                 purpose=purpose, legal_basis=legal_basis, valid_to=valid_to, daily_quota=100_000))  # fmt: skip
    if out.status == "pending":
        actions.request_approve(session, approver, out.id, ApproveIn(note="一网通办申请预填，依法共享"))
