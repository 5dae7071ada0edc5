"""Request-scoped dependencies: one unit of work per request, committed before the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from yiwang.core import deferred
from yiwang.core.db import new_session


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
        deferred.run_pending()  # e.g. refusals logged after the refused request rolled back


async def unit_of_work() -> AsyncIterator[Session]:
    """The request's transaction. Commit or rollback runs shielded from cancellation: a client
    that hangs up mid-request must never leave a transaction open holding row locks."""
    session = new_session()
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_finish, session, False)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_finish, session, True)


# scope="function": commit runs when the route returns, before the response is sent, so a
# failed commit becomes an error answer and an answered request is durable.
DB = Annotated[Session, Depends(unit_of_work, scope="function")]
