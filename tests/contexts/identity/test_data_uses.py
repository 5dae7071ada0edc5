"""我的数据: the citizen reads what happened to their data: list views apart from reads, which
fields were seen in clear and which masked, and repeated uses grouped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.contexts.identity.helpers import citizen_and_clerk, read_for
from yiwang.contexts.identity.data_uses import grouped, use_kind


def _use(at: datetime, by: str = "王薇倩（西湖区政务服务管理办公室）", **more: Any) -> dict[str, Any]:
    return {"at": at, "by": by, "on_behalf_of": None, "action": "identity.person_list", "data": "自然人基础信息",
            "case_id": None, "purpose": None, "fields": ["id_number", "name"], "masked": ["id_number"],
            "outcome": "ok", "use": "list", **more}  # fmt: skip


def test_the_same_use_on_the_same_day_is_one_row_with_a_count() -> None:
    morning = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    uses = [
        _use(morning + timedelta(minutes=30)),
        _use(morning + timedelta(minutes=10)),
        _use(morning),
        _use(morning + timedelta(minutes=5), by="施骏（西湖区民政局）"),
        _use(morning - timedelta(hours=2)),  # 07:00 in Beijing: the same day
        _use(morning - timedelta(hours=10)),  # 23:00 the day before
        _use(morning, case_id="BDC-1"),  # another case
        _use(morning, fields=["name"], masked=[]),  # other fields
    ]
    rows = grouped(sorted(uses, key=lambda u: u["at"], reverse=True))
    assert [r["times"] for r in rows] == [4, 1, 1, 1, 1]
    first = rows[0]
    assert first["first_at"] == morning - timedelta(hours=2) and first["last_at"] == morning + timedelta(
        minutes=30
    )
    assert sum(r["times"] for r in rows) == len(uses)


def test_what_a_use_did_follows_the_actions_verb() -> None:
    assert use_kind("identity.person_list") == "list"
    assert use_kind("identity.person_read") == "read"
    assert use_kind("exchange.record_lookup") == "read"
    assert use_kind("exchange.record_verify") == "verify"
    assert use_kind("exchange.source_record_upsert") == "change"


def test_the_citizen_sees_a_masked_list_view_apart_from_a_read_and_repeats_counted(as_user: Any) -> None:
    citizen, mine, clerk = citizen_and_clerk(as_user)
    for _ in range(3):  # the same list, three times
        assert clerk.get(f"/api/v1/persons?name={quote(mine['name'])}&limit=5").status_code == 200
    assert read_for(clerk, mine["id"], "核对户籍地址") == 200

    uses = citizen.get("/api/v1/me/data-access").json()
    listed = [u for u in uses if u["action"] == "identity.person_list"][:3]
    assert len(listed) == 3
    for u in listed:  # the old fields stay; the new ones say what was seen how
        assert u["use"] == "list" and u["use_label"] == "在名单中浏览"
        assert set(u["masked"]) == {"id_number", "phone", "birth_date"}
        assert (
            "姓名" in u["clear_labels"] and "身份证号码" in u["masked_labels"] and "id_number" in u["fields"]
        )
    read = next(u for u in uses if u["purpose"] == "核对户籍地址")
    assert read["use"] == "read" and read["masked_labels"] == ["身份证号码", "手机号码", "出生日期"]

    page = citizen.get("/me").text
    row = re.findall(r"<tr class=\"use-list\">.*?</tr>", page, re.S)[0]
    assert "在名单中浏览" in row and "明文看到" in row and "脱敏显示" in row
    assert re.search(r'<span class="tag use-times">\d+ 次</span>', page)
    assert "核对户籍地址" in page and "查看明细" in page
    assert "id_number" not in page and "identity." not in page
