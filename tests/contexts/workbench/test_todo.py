"""The one to-do list: a sharing request waits in the provider's list with its deadline, moves
to the consumer while 补正 stops the clock, comes back, can be refused in place; an overdue one
reaches the data officers; a leader's 督办 marks it; another system's tasks sit in the same
list; and the list rebuilt from the events is the same."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import MARRIAGE
from tests.workflow_helpers import make_overdue
from yiwang.contexts.workbench import actions, projection
from yiwang.contexts.workbench import repository as repo
from yiwang.contexts.workbench.models import Task
from yiwang.core.actor import Actor
from yiwang.core.db import transaction, utcnow


def _request(consumer: Any, purpose: str = "办理不动产转移登记时核验婚姻状况") -> dict[str, Any]:
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": MARRIAGE, "fields": ["id_number", "name", "marital_status"], "purpose": purpose,
        "legal_basis": "《不动产登记暂行条例实施细则》第十条", "valid_to": "2027-12-31"})  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def _row(page: str, request_id: int) -> str:
    """The to-do row that links to the request."""
    at = page.find(f'href="/exchange/requests/{request_id}"')
    assert at >= 0, f"request {request_id} is not in the list"
    start = page.rfind("<tr", 0, at)
    return page[start : page.index("</tr>", at)]


def _outbox(session: Any, subject: str) -> list[Any]:
    from yiwang.core.events import OutboxEvent

    return list(session.query(OutboxEvent).filter(OutboxEvent.subject == subject).order_by(OutboxEvent.id))


def _counts(client: Any) -> dict[str, int]:
    return dict(client.get("/api/v1/todo/counts").json())


def test_a_request_waits_for_the_provider_moves_with_a_supplement_and_is_refused_in_place(as_user) -> None:
    consumer, provider, outsider = as_user("budongchan"), as_user("minzheng"), as_user("staff")
    before = _counts(provider)
    req = _request(consumer)
    row = _row(provider.get("/workbench/tasks").text, req["id"])
    assert "共享申请" in row and "待审批" in row and "23:59" in row  # its deadline, end of a working day
    assert _counts(provider)["open"] == before["open"] + 1
    assert f'/exchange/requests/{req["id"]}"' not in outsider.get("/workbench/tasks").text

    # the provider asks for 补正 from the request's page: the task moves to the consumer, paused
    token = csrf_of(provider, f"/exchange/requests/{req['id']}")
    r = provider.post(f"/exchange/requests/{req['id']}/request-supplement",
                      data={"reason": "请补充具体的法律条款", "revision": "0", "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert f'/exchange/requests/{req["id"]}"' not in provider.get("/workbench/tasks").text
    row = _row(consumer.get("/workbench/tasks").text, req["id"])
    assert "待补正" in row and "计时暂停" in row
    token = csrf_of(consumer, f"/exchange/requests/{req['id']}")
    r = consumer.post(f"/exchange/requests/{req['id']}/supplement",
                      data={"comment": "已补充第十条第二款", "revision": "1", "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303

    # back with the provider, who refuses it right from the to-do list
    page = provider.get("/workbench/tasks").text
    row = _row(page, req["id"])
    case_id = re.search(r"/workbench/cases/(\d+)/transitions/refuse", row)
    assert case_id, row
    stale = provider.post(f"/workbench/cases/{case_id.group(1)}/transitions/refuse",
                          data={"reason": "旧表单", "revision": "0", "csrf_token": csrf_of(provider)})  # fmt: skip
    assert stale.status_code == 409 and "已被他人处理" in stale.text
    r = provider.post(f"/workbench/cases/{case_id.group(1)}/transitions/refuse",
                      data={"reason": "用途与信息项不相称", "revision": "2", "next": "/workbench/tasks",
                            "csrf_token": csrf_of(provider)}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/workbench/tasks")
    assert f'/exchange/requests/{req["id"]}"' not in provider.get("/workbench/tasks").text
    assert provider.get(f"/api/v1/exchange/requests/{req['id']}").json()["status"] == "refused"
    # approving needs the request's page (the masking choice): it is not offered in place
    other = _request(consumer, "另一件申请")
    assert "transitions/approve" not in _row(provider.get("/workbench/tasks").text, other["id"])


def test_an_overdue_request_reaches_the_data_officers_and_a_leader_supervises_it(as_user) -> None:
    consumer, provider, officer, leader = (
        as_user("budongchan"),
        as_user("minzheng"),
        as_user("officer"),
        as_user("leader"),
    )
    req = _request(consumer, "超期与督办")
    make_overdue("sharing_request", req["id"], days=3)
    row = _row(provider.get("/workbench/tasks?due=overdue").text, req["id"])
    assert "已超期" in row
    escalated = _row(officer.get("/workbench/tasks").text, req["id"])
    assert "督办：" in escalated and "超期升级" in escalated and "数据管理员督办" in escalated

    case_id = req["case_id"]
    page = leader.get(f"/workbench/cases/{case_id}").text
    assert "列入督办" in page and "办理过程" in page and "已超过办理期限" in page
    r = leader.post(f"/workbench/cases/{case_id}/supervise",
                    data={"note": "请于本周内审批完毕", "due_on": "2030-01-10", "csrf_token": csrf_of(leader)}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "督办" in _row(provider.get("/workbench/tasks?supervised=true").text, req["id"])
    assert _counts(provider)["supervised"] >= 1
    mine = leader.get("/workbench/supervision").text
    assert f"/workbench/cases/{case_id}" in mine and "请于本周内审批完毕" in mine and "待审批" in mine
    bad = leader.post(f"/workbench/cases/{case_id}/supervise", data={"note": "短", "due_on": "2020-01-01",
                                                                       "csrf_token": csrf_of(leader)})  # fmt: skip
    assert bad.status_code == 422 and "至少 4 个字" in bad.text and "不能早于今天" in bad.text
    assert as_user("staff").get(f"/workbench/cases/{case_id}").status_code == 403


def _client_token(client: Any, scopes: list[str], department: str = "330106-real_estate") -> str:
    from yiwang.contexts.identity.actions_access import client_create
    from yiwang.core.actor import SYSTEM

    with transaction() as s:
        c, secret = client_create(s, SYSTEM, "西湖区不动产登记系统", scopes, "330106", department, 10_000)
    r = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": c.client_id,
                                                  "client_secret": secret})  # fmt: skip
    return str(r.json()["access_token"])


def test_another_system_posts_updates_and_closes_a_task_in_the_same_list(client, as_user) -> None:
    token = _client_token(client, ["tasks"])
    h = {"Authorization": f"Bearer {token}"}
    body = {
        "external_id": "BDC-2026-0099",
        "title": "不动产转移登记：复核权属材料",
        "url": "https://bdc.example/cases/99",
        "assignee": {"department": "330106-real_estate", "role": "dept_staff"},
        "due": "2026-12-20T17:00:00+08:00",
    }
    r = client.post("/api/v1/tasks", json=body, headers=h)
    assert r.status_code == 201, r.text
    task = r.json()
    assert r.headers["location"] == f"/api/v1/tasks/{task['id']}" and task["status"] == "open"
    staff = as_user("budongchan")
    row = staff.get("/workbench/tasks").text
    assert "复核权属材料" in row and "https://bdc.example/cases/99" in row and "西湖区不动产登记系统" in row

    assert client.post("/api/v1/tasks", json=body, headers=h).status_code == 409  # the same external id again
    bad = client.post("/api/v1/tasks", headers=h, json={**body, "external_id": "X-1", "due": "2026-12-20 17:00",
                                                          "assignee": {"username": "nobody-here"}})  # fmt: skip
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"due"}
    unknown = client.post(
        "/api/v1/tasks", headers=h, json={**body, "external_id": "X-2", "assignee": {"username": "nobody"}}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "assignee.username"
    for elsewhere in (
        {"department": "330102-civil_affairs"},
        {"username": "citizen"},
        {"username": "clerk2"},
    ):
        far = client.post(
            "/api/v1/tasks", headers=h, json={**body, "external_id": "X-4", "assignee": elsewhere}
        )
        assert far.status_code == 422, (elsewhere, far.text)  # another district's, or not a member of staff

    r = client.patch(
        f"/api/v1/tasks/{task['id']}", headers=h, json={"title": "复核权属材料（加急）", "urgency": "urgent"}
    )
    assert r.status_code == 200 and r.json()["title"].endswith("（加急）")
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=h).json()["urgency"] == "urgent"
    other = {"Authorization": f"Bearer {_client_token(client, ['tasks'], '330106-housing')}"}
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=other).status_code == 403
    no_scope = {"Authorization": f"Bearer {_client_token(client, ['identity'])}"}
    assert (
        client.post("/api/v1/tasks", json={**body, "external_id": "X-3"}, headers=no_scope).status_code == 403
    )

    r = client.patch(f"/api/v1/tasks/{task['id']}", headers=h, json={"status": "done"})
    assert r.status_code == 200 and r.json()["closed_at"]
    assert "复核权属材料" not in staff.get("/workbench/tasks").text
    assert client.patch(f"/api/v1/tasks/{task['id']}", headers=h, json={"title": "再改"}).status_code == 409


def test_rebuilding_the_list_from_the_events_gives_the_same_list(as_user, client) -> None:
    consumer = as_user("budongchan")
    _request(consumer, "重建前的申请")

    def snapshot() -> list[tuple[Any, ...]]:
        with transaction() as s:
            return [(t.id, t.kind, t.source, t.title, t.state, t.assignee_user_id, t.assignee_department_id,
                     t.assignee_roles, t.due_at, t.status, t.supervised, t.paused, t.changes)
                    for t in repo.everything(s)]  # fmt: skip

    before = snapshot()
    assert before
    import subprocess
    import sys
    from pathlib import Path

    cli = Path(sys.executable).parent / "yiwang"
    out = subprocess.run([str(cli), "tasks", "rebuild"], capture_output=True, text=True, check=True)
    assert "rebuilt" in out.stdout
    assert snapshot() == before


def test_an_older_snapshot_delivered_late_does_not_reopen_a_closed_task(as_user) -> None:
    from datetime import timedelta

    from yiwang.core import events
    from yiwang.core.db import utcnow

    req = _request(as_user("budongchan"), "迟到的事件")
    with transaction() as s:
        created = dict(_outbox(s, f"request/{req['id']}")[0].data)
    closed = {**created, "state": "withdrawn", "state_label": "已撤回", "state_kind": "terminal", "assignee": None,
              "closed": True, "changes": created["changes"] + 1}  # fmt: skip
    when = utcnow() + timedelta(seconds=1)
    with transaction() as s:  # the newer one first, then the older one, as a retried handler might
        for n, data in ((1, closed), (2, created)):
            projection.apply(s, events.Event(-n, f"late-{n}", "yiwang.exchange.request.withdrawn", "/yiwang/exchange",
                                             f"request/{req['id']}", when, data))  # fmt: skip
        task = repo.task(s, projection.case_task_id(req["case_id"]))
        assert task is not None and task.status == "done" and task.changes == closed["changes"]


def test_two_changes_of_one_task_at_once_keep_the_list_and_the_answers_agreeing(client) -> None:
    import threading

    token = _client_token(client, ["tasks"])
    h = {"Authorization": f"Bearer {token}"}
    task = client.post("/api/v1/tasks", headers=h, json={"external_id": "RACE-1", "title": "并发修改", "url": "/x",
                                                          "assignee": {"department": "330106-real_estate"}}).json()  # fmt: skip
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)

    def patch(body: dict[str, Any]) -> None:
        barrier.wait()
        results.append(client.patch(f"/api/v1/tasks/{task['id']}", headers=h, json=body).json())

    threads = [
        threading.Thread(target=patch, args=(b,)) for b in ({"title": "甲改的标题"}, {"status": "done"})
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = client.get(f"/api/v1/tasks/{task['id']}", headers=h).json()
    assert final["status"] == "done"  # whichever came second saw the first: the close is never lost
    with transaction() as s:
        seen = [e.data["changes"] for e in _outbox(s, f"task/{task['id']}")]
    # one after the other: both changes (title, then the close), or the close and then the title refused
    assert seen in ([1, 2, 3], [1, 2]) and (len(seen) == 3 or any("已办结" in str(r) for r in results))


def test_the_counts_and_filter_choices_come_from_one_pass_over_the_list() -> None:
    """`summary` gives what a count per figure and a query per filter gave: the open, overdue
    and supervised figures, each source, state and urgency once; a filtered page counts its matches."""
    from sqlalchemy import delete

    dept, now = 990_001, utcnow()
    rows = [("test.a", "乙来源", "待审批", "normal", "普通", False, False, "open"),
            ("test.a", "乙来源", "待审批", "urgent", "特急", True, False, "open"),
            ("test.b", "甲来源", "待补正", "normal", "普通", False, True, "open"),
            ("client:x", "甲来源", "", "normal", "普通", False, False, "open"),
            ("test.c", "丙来源", "已办结", "urgent", "特急", True, True, "done")]  # fmt: skip
    with transaction() as s:
        for n, (source, label, state, urgency, urgency_label, overdue, supervised, status) in enumerate(rows):
            repo.add(s, Task(id=f"summary-{n}", kind="case", source=source, source_label=label, title=f"任务 {n}",
                             url="/t", state=state, state_label=state, assignee_department_id=dept, assignee_roles="",
                             region_code="330106", urgency=urgency, urgency_label=urgency_label,
                             due_at=now + timedelta(days=-1 if overdue else 3), paused=False, overdue=overdue,
                             supervised=supervised, status=status, changes=0, created_at=now, updated_at=now))  # fmt: skip
    try:
        who = repo.Mine(None, dept, frozenset({"dept_staff"}))
        staff = Actor(kind="user", id=990_001, name="测试", roles=frozenset({"dept_staff"}), region_code="330106",
                      department_id=dept)  # fmt: skip
        with transaction() as s:
            summary = repo.summary(s, who, now)
            assert (
                (summary.open, summary.overdue, summary.supervised) == repo.counts(s, who, now) == (4, 1, 1)
            )
            assert summary.sources == [("test.a", "乙来源"), ("client:x", "甲来源"), ("test.b", "甲来源")]
            assert summary.states == ["待审批", "待补正"]
            assert summary.urgencies == [("normal", "普通"), ("urgent", "特急")]
            page = actions.todo_page(s, staff, repo.Filters())
            assert page.total == 4 and len(page.rows) == 4 and page.counts == actions.Counts(4, 1, 1)
            urgent = actions.todo_page(s, staff, repo.Filters(urgency="urgent"))
            assert urgent.total == 1 and urgent.counts.open == 4 and urgent.sources == summary.sources
            assert actions.todo_page(s, staff, repo.Filters(due="overdue")).total == 1
    finally:
        with transaction() as s:
            s.execute(delete(Task).where(Task.assignee_department_id == dept))
