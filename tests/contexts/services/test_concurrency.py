"""32 concurrent transitions on one application: one valid sequence, nothing lost, the
application's status always the case's state (both databases)."""

from __future__ import annotations

import threading
from typing import Any

from tests.contexts.services.helpers import MARRIAGE_PROOF, person_form, staff_of
from yiwang.contexts import identity
from yiwang.contexts.services import actions, actions_cases, cases
from yiwang.core import workflow
from yiwang.core.actor import Actor
from yiwang.core.db import transaction
from yiwang.core.errors import Conflict


def _actor(username: str) -> Actor:
    with transaction() as s:
        a = identity.account(s, username)
        assert a is not None
    return Actor(kind="user", id=a.id, name=a.name, roles=a.roles, region_code=a.region_code,
                 department_id=a.department_id, person_id=a.person_id, enterprise_id=a.enterprise_id)  # fmt: skip


def _race(n: int, fn: Any) -> list[object]:
    barrier, results = threading.Barrier(n), []

    def one(i: int) -> None:
        barrier.wait()
        try:
            with transaction() as s:
                results.append(fn(s, i))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_32_concurrent_transitions_on_one_application_make_one_valid_sequence() -> None:
    citizen, staff = _actor("citizen"), _actor(staff_of("330106-civil_affairs"))
    with transaction() as s:
        a, _ = actions.application_submit(s, citizen, actions.Submission(MARRIAGE_PROOF, person_form(), {}))
        app_id = a.id
    step = actions_cases.Step()

    # 32 clerks press 受理 at once: one accepts, 31 are told it has moved on
    got = _race(32, lambda s, i: actions_cases.application_accept(s, staff, app_id, step).status)
    assert got.count("reviewing") == 1 and sum(isinstance(r, Conflict) for r in got) == 31, got

    # 32 at once, half 审查通过 and half 补正 (with a reason), each on the form they saw
    def either(s: Any, i: int) -> str:
        if i % 2:
            return actions_cases.application_review(s, staff, app_id, actions_cases.Step(revision=1)).status
        return actions_cases.application_request_supplement(
            s, staff, app_id, actions_cases.Step(revision=1, reason=f"请补充材料 {i}")
        ).status

    got = _race(32, either)
    winners = [r for r in got if isinstance(r, str)]
    assert len(winners) == 1 and sum(isinstance(r, Conflict) for r in got) == 31, got
    with transaction() as s:
        app = actions.application_get(s, staff, app_id)
        case = cases.case_of(s, app)
        assert case is not None and app.status == case.state == winners[0] and case.revision == 2
        steps = workflow.timeline(s, case.id)
        assert [st.seq for st in steps] == [1, 2, 3]
        assert [st.to_state for st in steps] == ["submitted", "reviewing", winners[0]]
