"""The workflow engine on a permit-shaped test process: definitions validated as data, who may
take a transition, stale forms, deadlines in working days and hours, 补正 stopping the clock,
timers firing warnings, overdue marks and escalations, versions, and the history and events
of it all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.contexts.exchange.helpers import department_id
from yiwang.core import events, workflow, workflow_timers
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import Actor
from yiwang.core.db import transaction
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed
from yiwang.core.workdays import SHANGHAI
from yiwang.core.workflow_spec import Definition, Party, load

HERE = Path(__file__).parent / "workflows"
PERMIT = "test.permit"
T0 = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)  # a Monday in a year the calendar knows


@pytest.fixture(scope="module")
def spec() -> Definition:
    return workflow.register(HERE / "permit.yaml")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    now = [T0]
    monkeypatch.setattr(workflow, "utcnow", lambda: now[0])
    yield now


@pytest.fixture
def seen() -> Iterator[list[dict[str, Any]]]:
    got: list[dict[str, Any]] = []
    events.subscribe(
        "test.permit_events", "yiwang.test.permit.*", lambda _s, e: got.append({"type": e.type, **e.data})
    )
    yield got
    events.unsubscribe("test.permit_events")


OFFICE = "330106-civil_affairs"
CITY = "330100-civil_affairs"


def staff(uid: int, dept: str, *roles: str, region: str = "330106") -> Actor:
    return Actor(kind="user", id=uid, name=f"测试{uid}", roles=frozenset(roles or ("dept_staff",)), region_code=region,
                 department_id=department_id(dept), department_code=dept)  # fmt: skip


CITIZEN = Actor(kind="user", id=77, name="申请人", roles=frozenset({"citizen"}))


def _start(urgency: str = "normal", subject: str | None = None) -> workflow.CaseView:
    with transaction() as s:
        return workflow.start(
            s, CITIZEN, PERMIT, subject_type="test_permit", subject_id=subject or f"p-{datetime.now().timestamp()}",
            title="测试许可申请", url="/test", region_code="330106", urgency=urgency,
            parties={"applicant": Party(user_id=77, name="申请人"),
                     "office": Party(department_id=department_id(OFFICE), region_code="330106", name="西湖区民政局"),
                     "city": Party(department_id=department_id(CITY), region_code="330100", name="杭州市民政局")},
        )  # fmt: skip


def _fire(
    actor: Actor, case_id: int, code: str, revision: int | None = None, **inputs: Any
) -> workflow.CaseView:
    with transaction() as s:
        return workflow.transition(s, actor, case_id, code, revision, **inputs)


def _timers(case_id: int) -> list[tuple[str, int, datetime]]:
    with transaction() as s:
        return [(t.kind, t.level, t.due_at.astimezone(SHANGHAI)) for t in repo.timers(s, case_id)]


def local(d: datetime | None) -> datetime:
    assert d is not None
    return d.astimezone(SHANGHAI)


def test_definitions_are_validated_with_the_offending_part_named(tmp_path: Path) -> None:
    good = yaml.safe_load((HERE / "permit.yaml").read_text())
    broken = {
        "exactly one initial state": lambda d: d["states"]["decide"].update(kind="initial"),
        "unknown state": lambda d: d["transitions"]["grant"].update(to="granted_maybe"),
        "cannot be reached": lambda d: d["states"].update(limbo={"label": "悬空"}),
        "terminal state": lambda d: d["states"]["granted"].update(deadline={"hours": 1}),
        "exactly one of": lambda d: d["states"]["review"].update(deadline={"hours": 1, "working_days": 2}),
        "unknown party": lambda d: d["transitions"]["grant"].update(by=[{"party": "mayor"}]),
        "leaves terminal": lambda d: d["transitions"]["grant"].update(**{"from": ["granted"]}),
    }
    for message, change in broken.items():
        d = yaml.safe_load(yaml.safe_dump(good))
        change(d)
        path = tmp_path / "broken.yaml"
        path.write_text(yaml.safe_dump(d, allow_unicode=True))
        with pytest.raises(ValueError, match=message):
            load(path)


def test_a_case_starts_with_its_assignee_deadline_and_timers(spec, clock, seen) -> None:
    c = _start()
    assert (c.state, c.state_label, c.revision) == ("review", "审查", 0)
    assert c.assignee_department_id == department_id(OFFICE) and c.assignee_roles == ("dept_staff",)
    # five working days after Monday 1 June: Monday 8 June, end of the day
    assert local(c.due_at).replace(microsecond=0) == datetime(2026, 6, 8, 23, 59, 59, tzinfo=SHANGHAI)
    assert [(k, lvl) for k, lvl, _ in _timers(c.id)] == [
        ("warning", 0),
        ("overdue", 0),
        ("escalation", 1),
        ("escalation", 2),
    ]
    assert _timers(c.id)[0][2] == datetime(2026, 6, 8, 9, tzinfo=SHANGHAI)  # one working day left, at 09:00
    assert _timers(c.id)[3][2].date() == datetime(2026, 6, 10).date()  # two working days after
    assert seen[-1]["type"] == "yiwang.test.permit.created" and seen[-1]["due_at"]


def test_who_may_take_a_transition_and_what_it_needs(spec, clock) -> None:
    c = _start()
    clerk, outsider = staff(1, OFFICE), staff(2, CITY)
    with pytest.raises(Forbidden, match="添加备注"):
        _fire(outsider, c.id, "note", comment="不是我的")
    with pytest.raises(Forbidden):  # who has no part in the case learns nothing of its state
        _fire(outsider, c.id, "grant", 0)
    with pytest.raises(ValidationFailed) as exc:
        _fire(clerk, c.id, "ask_supplement", reason="")
    assert exc.value.errors[0].field == "reason"
    with pytest.raises(Conflict, match="不能准予许可"):
        _fire(clerk, c.id, "grant")  # not from 审查
    moved = _fire(clerk, c.id, "note", 0, comment="材料齐全")
    with pytest.raises(Conflict, match="已被他人处理"):
        _fire(clerk, c.id, "note", 0, comment="旧表单")  # the form was shown at revision 0
    assert moved.revision == 1
    leader = staff(3, CITY, "leader", region="330100")  # any leader of the region may refuse
    with transaction() as s:
        choices = {ch.code for ch in workflow.choices(s, leader, workflow.case(s, c.id))}
    assert choices == {"refuse"}
    done = _fire(leader, c.id, "refuse", reason="不符合条件")
    assert (
        done.closed_at is not None and done.state_kind == "terminal" and done.assignee_department_id is None
    )
    assert _timers(c.id) == []


def test_a_supplement_stops_the_clock_and_resuming_moves_the_due_time(spec, clock, seen) -> None:
    c = _start()
    clerk = staff(1, OFFICE)
    clock[0] = T0 + timedelta(days=1)  # Tuesday
    paused = _fire(clerk, c.id, "ask_supplement", reason="缺少身份证明")
    assert paused.paused and paused.assignee_user_id == 77 and _timers(c.id) == []
    clock[0] = T0 + timedelta(days=3, hours=5)  # Thursday afternoon: two working days later
    back = _fire(CITIZEN, c.id, "supplement", comment="已上传身份证明")
    assert not back.paused and back.assignee_department_id == department_id(OFFICE)
    assert local(back.due_at).date() == datetime(2026, 6, 10).date()  # 8 June + 2 working days
    assert back.paused_seconds == pytest.approx(2 * 86400 + 5 * 3600)
    assert [e["type"].rsplit(".", 1)[1] for e in seen[-3:]] == [
        "created",
        "supplement_requested",
        "supplemented",
    ]
    # the clock continues into 决定 (same clock), it does not start again
    decided = _fire(clerk, c.id, "propose", comment="拟准予")
    assert decided.due_at == back.due_at and decided.assignee_roles == ("leader",)
    with transaction() as s:
        steps = [(st.kind, st.code, st.from_state, st.to_state) for st in workflow.timeline(s, c.id)]
    assert steps == [
        ("start", "start", None, "review"),
        ("transition", "ask_supplement", "review", "supplement"),
        ("transition", "supplement", "supplement", "review"),
        ("transition", "propose", "review", "decide"),
    ]


def test_an_extension_grants_a_longer_deadline_and_moves_its_timers(spec, clock) -> None:
    c = _start()
    later = _fire(staff(1, OFFICE), c.id, "extend", reason="需现场核查，申请延期")
    # 8 June + 3 working days: 11 June (the clock keeps running, the warning and overdue follow)
    assert local(later.due_at).date() == datetime(2026, 6, 11).date() and not later.paused
    assert [t[2].date() for t in _timers(c.id)][:2] == [datetime(2026, 6, 11).date()] * 2  # warning, due
    with transaction() as s:
        assert workflow.history(s, c.id)[-1].detail["extended"] == "3 个工作日"


def test_an_extension_after_the_deadline_ends_the_overdue_state_and_its_escalation(spec, clock, seen) -> None:
    c = _start()
    workflow_timers.run_timers(now=datetime(2026, 6, 9, 10, tzinfo=SHANGHAI))  # overdue, escalated
    clock[0] = datetime(2026, 6, 9, 11, tzinfo=SHANGHAI)
    later = _fire(staff(1, OFFICE), c.id, "extend", reason="需现场核查，申请延期")
    assert local(later.due_at).date() == datetime(2026, 6, 11).date()
    assert not later.overdue(clock[0]) and later.escalation_level == 0 and later.overdue_at is None
    snapshot = [e for e in seen if e["case_id"] == c.id][-1]
    assert snapshot["escalated_to"] == [] and not snapshot["overdue"]
    kinds = sorted(k for k, _, _ in _timers(c.id))
    assert kinds == ["escalation", "escalation", "overdue", "warning"]  # the new deadline's, all of them


def test_a_self_loop_keeps_its_running_clock_and_the_same_timer_rows(spec, clock) -> None:
    c = _start()
    with transaction() as s:
        before = [(t.id, t.kind, t.level, t.due_at) for t in repo.timers(s, c.id)]
    clock[0] = T0 + timedelta(hours=3)
    noted = _fire(staff(1, OFFICE), c.id, "note", comment="材料已核对")
    claimed = _fire(staff(1, OFFICE), c.id, "claim")
    with transaction() as s:
        after = [(t.id, t.kind, t.level, t.due_at) for t in repo.timers(s, c.id)]
    assert len(before) == 4 and after == before  # the very rows: nothing deleted and written again
    assert noted.due_at == claimed.due_at == c.due_at and claimed.warn_at == c.warn_at
    assert claimed.assignee_user_id == 1 and claimed.revision == 2


def test_urgency_and_working_hours_choose_the_deadline(spec, clock) -> None:
    c = _start(urgency="urgent")
    assert local(c.due_at) == T0 + timedelta(hours=4)
    with pytest.raises(ValidationFailed):
        _start(urgency="whenever")


def test_timers_fire_warning_overdue_and_escalations_from_due_rows(spec, clock, seen) -> None:
    c = _start()
    assert (
        workflow_timers.run_timers(now=T0 + timedelta(days=1)) == 0 or True
    )  # other tests' timers may be due
    fired_at = datetime(2026, 6, 9, 10, tzinfo=SHANGHAI)  # past the due day, before the second escalation
    workflow_timers.run_timers(now=fired_at)
    with transaction() as s:
        v = workflow.case(s, c.id)
        kinds = [st.kind for st in workflow.timeline(s, c.id)]
    assert v.overdue() and v.escalation_level == 1 and v.overdue_at is not None
    assert kinds == ["start", "warning", "overdue", "escalation"]
    mine = [e for e in seen if e["case_id"] == c.id]
    assert [e["type"].rsplit(".", 1)[1] for e in mine] == ["created", "warned", "overdue", "escalated"]
    assert mine[-1]["escalated_to"][0]["assignee"]["department_id"] == department_id(CITY)
    assert [k for k, _, _ in _timers(c.id)] == ["escalation"]  # level 2 is still to come
    workflow_timers.run_timers(now=datetime(2026, 6, 11, 9, tzinfo=SHANGHAI))
    with transaction() as s:
        assert workflow.case(s, c.id).escalation_level == 2
    assert _timers(c.id) == []


def test_a_case_finishes_on_the_version_it_started_with(spec, clock, tmp_path: Path) -> None:
    old = _start()
    changed = yaml.safe_load((HERE / "permit.yaml").read_text())
    changed["states"]["review"]["deadline"] = {"working_days": 3}
    path = tmp_path / "permit.yaml"
    path.write_text(yaml.safe_dump(changed, allow_unicode=True))
    try:
        workflow.register(path)
        new = _start()
        assert new.version == old.version + 1 and new.due_at < old.due_at  # type: ignore[operator]
        moved = _fire(staff(1, OFFICE), old.id, "note", comment="仍按原版本办理")
        assert moved.version == old.version and moved.due_at == old.due_at
    finally:
        workflow.register(HERE / "permit.yaml")


def test_supervision_marks_the_case_and_ends_when_it_closes(spec, clock, seen) -> None:
    from yiwang.core import workflow_supervision as sup

    c = _start()
    leader = staff(5, CITY, "leader", region="330100")
    with transaction() as s:
        sup.supervise(s, leader, c.id, "请加快办理", T0 + timedelta(days=2), "workbench.case_supervise")
    with transaction() as s:
        v = workflow.case(s, c.id)
        assert v.supervised and v.revision == 0  # no form is made stale by it
        with pytest.raises(Conflict):
            sup.supervise(s, leader, c.id, "重复督办", T0 + timedelta(days=2), "workbench.case_supervise")
    assert seen[-1]["type"].endswith(".supervised") and seen[-1]["supervisors"] == [5]
    _fire(leader, c.id, "refuse", reason="不符合条件")
    with transaction() as s:
        assert not workflow.case(s, c.id).supervised
        assert all(x.ended_at for x in sup.of_case(s, c.id))
    assert seen[-1]["closed"] and not seen[-1]["supervised"]


def test_32_concurrent_transitions_on_one_case_make_one_valid_sequence(spec, clock, seen) -> None:
    import threading

    c = _start()
    clerk = staff(1, OFFICE)

    def race(n: int, revision: int | None) -> list[object]:
        barrier, results = threading.Barrier(n), []

        def one(i: int) -> None:
            barrier.wait()
            try:
                results.append(_fire(clerk, c.id, "note", revision, comment=f"备注 {i}").revision)
            except Exception as exc:
                results.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    # every one of 32 unconditional notes lands, each after the one before
    done = race(32, None)
    assert sorted(done) == list(range(1, 33))  # type: ignore[type-var]
    with transaction() as s:
        steps = workflow.timeline(s, c.id)
        assert [st.seq for st in steps] == list(range(1, 34))
        assert {st.comment for st in steps[1:]} == {f"备注 {i}" for i in range(32)}
        assert workflow.case(s, c.id).revision == 32
    notes = [e for e in seen if e["case_id"] == c.id and e["type"].endswith(".note")]
    assert sorted(e["revision"] for e in notes) == list(range(1, 33))
    # 32 forms shown at the same revision: one wins, the other 31 are told the case moved on
    stale = race(32, 32)
    assert stale.count(33) == 1 and sum(isinstance(r, Conflict) for r in stale) == 31


def test_a_supervision_ended_twice_at_once_ends_once(spec, clock) -> None:
    import threading

    from yiwang.core import workflow_supervision as sup

    c = _start()
    leader = staff(5, CITY, "leader", region="330100")
    with transaction() as s:
        made = sup.supervise(
            s, leader, c.id, "请加快办理", T0 + timedelta(days=2), "workbench.case_supervise"
        )
    barrier, outcomes = threading.Barrier(2), []

    def end() -> None:
        barrier.wait()
        try:
            with transaction() as s:
                sup.end(s, leader, made.id, "已办理", "workbench.supervision_end")
            outcomes.append("ended")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=end) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ended"]
    with transaction() as s:
        assert [h.code for h in workflow.history(s, c.id)].count("supervise_end") == 1
