"""Whom to notify: accounts resolved to `core.notify.Recipient` for other contexts' subscribers.

Not an authorised read: a subscriber runs as the system, and a recipient's email and mobile
number go only to the notification channels, never into an answer. Disabled accounts are left
out; the order is the request's (usernames, ids) or the account id's (a department).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.models import UserAccount
from yiwang.core.notify import Recipient


def _recipient(user: UserAccount) -> Recipient:
    return Recipient(user.id, user.display_name, user.email, user.mobile)


def recipients_by_usernames(session: Session, usernames: Iterable[str]) -> list[Recipient]:
    wanted = list(dict.fromkeys(usernames))
    found = {u.username: u for u in repo.users_by_names(session, wanted) if not u.disabled} if wanted else {}
    return [_recipient(found[n]) for n in wanted if n in found]


def recipients_by_ids(session: Session, user_ids: Iterable[int]) -> list[Recipient]:
    wanted = list(dict.fromkeys(user_ids))
    found = {u.id: u for u in repo.users_by_ids(session, wanted) if not u.disabled} if wanted else {}
    return [_recipient(found[i]) for i in wanted if i in found]


def recipients_in_department(
    session: Session, department_id: int, role: str | None = None
) -> list[Recipient]:
    """Every account of a department, or only those with `role` (e.g. "dept_staff", "leader")."""
    return [_recipient(u) for u in repo.users_in_department(session, department_id, role) if not u.disabled]
