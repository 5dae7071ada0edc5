"""Request-scoped dependencies: one unit of work per request, committed before the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from yiwang.core import deferred
from yiwang.core.db import new_session


def unit_of_work() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        deferred.run_pending()


# scope="function": commit runs when the route returns, before the response is sent, so a
# failed commit becomes an error answer and an answered request is durable.
DB = Annotated[Session, Depends(unit_of_work, scope="function")]
