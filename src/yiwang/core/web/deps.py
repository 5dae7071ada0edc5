"""Request-scoped dependencies: one unit of work per request, committed before the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from yiwang.core import deferred
from yiwang.core.db import transaction


def unit_of_work() -> Iterator[Session]:
    try:
        with transaction() as session:
            yield session
    finally:
        deferred.run_pending()  # e.g. refusals logged after the refused request rolled back


# scope="function": commit runs when the route returns, before the response is sent, so a
# failed commit becomes an error answer and an answered request is durable.
DB = Annotated[Session, Depends(unit_of_work, scope="function")]
