"""Whom other contexts notify: accounts by username, by id and by department and role, with
their name, email and mobile; the demo accounts' contact details are well-formed, and bad
ones are refused at the edge with field-keyed Chinese errors."""

from __future__ import annotations

import uuid

import pytest

from yiwang.contexts import identity
from yiwang.contexts.identity import actions_access
from yiwang.contexts.identity import repository as repo
from yiwang.core import codes
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction
from yiwang.core.errors import ValidationFailed
from yiwang.core.notify import Recipient


def test_recipients_by_username_and_by_id_keep_the_order_asked_and_skip_unknown_names() -> None:
    with transaction() as s:
        found = identity.recipients_by_usernames(s, ["budongchan", "nobody-here", "citizen", "budongchan"])
        assert [r.email for r in found] == ["budongchan@xihu.hz.gov.cn.example", "citizen@mail.example"]
        budongchan, citizen = found
        assert budongchan == Recipient(budongchan.user_id, "西湖区不动产登记中心窗口",
                                       "budongchan@xihu.hz.gov.cn.example", "19920000002")  # fmt: skip
        assert citizen.mobile == "19910000001" and citizen.name
        assert identity.recipients_by_ids(s, [citizen.user_id, budongchan.user_id, 10**9]) == [
            citizen,
            budongchan,
        ]
        assert identity.recipients_by_usernames(s, []) == [] == identity.recipients_by_ids(s, [])


def test_recipients_of_a_department_with_a_role_and_not_the_disabled() -> None:
    with transaction() as s:
        dept = identity.department_by_code(s, "330106-government_service")
        assert dept is not None
        clerks = identity.recipients_in_department(s, dept.id, "window_clerk")
        everyone = identity.recipients_in_department(s, dept.id)
        assert clerks and {r.user_id for r in clerks} <= {r.user_id for r in everyone}
        clerk = repo.user_by_name(s, "clerk")
        assert clerk is not None and clerk.id in {r.user_id for r in clerks}
        city = identity.department_by_code(s, "330100-government_service")
        leader = repo.user_by_name(s, "leader")
        assert city is not None and leader is not None
        leaders = identity.recipients_in_department(s, city.id, "leader")
        assert leader.id in {r.user_id for r in leaders}
        assert all("leader" in (repo.user(s, r.user_id) or leader).roles.split() for r in leaders)
        assert (
            identity.recipients_in_department(s, dept.id, "window") == []
        )  # a whole role, not a part of one

        username = f"off{uuid.uuid4().hex[:8]}"
        user = actions_access.user_create(s, SYSTEM, username, "a-long-password", "已停用", ["window_clerk"],
                                          department_code=dept.code, email="off@xihu.hz.gov.cn.example")  # fmt: skip
        assert user.id in {r.user_id for r in identity.recipients_in_department(s, dept.id, "window_clerk")}
        user.disabled = True
        s.flush()
        assert user.id not in {
            r.user_id for r in identity.recipients_in_department(s, dept.id, "window_clerk")
        }
        assert identity.recipients_by_usernames(s, [username]) == []


def test_every_demo_account_has_valid_contact_details() -> None:
    with transaction() as s:
        users = repo.users_by_names(s, ["citizen", "enterprise", "clerk", "staff", "grid", "officer", "leader",
                                        "admin", "clerk2", "minzheng", "budongchan"])  # fmt: skip
    assert len(users) == 11
    for u in users:
        assert u.email and codes.email_error(u.email) is None and u.email.endswith(".example"), u.username
        assert u.mobile and codes.mobile_error(u.mobile) is None, u.username
    assert len({u.mobile for u in users}) == len(users)


@pytest.mark.parametrize(
    ("email", "mobile", "errors"),
    [
        ("not-an-address", None, {"email": "电子邮箱应为 名称@域名 的形式"}),
        ("a..b@xihu.example", None, {"email": "电子邮箱的名称部分格式不正确"}),
        ("a@localhost", None, {"email": "电子邮箱的域名格式不正确"}),
        (None, "0571-88888888", {"mobile": "不是手机号码（固定电话不能接收短信）"}),
        (None, "1234567", {"mobile": "不是有效的中国大陆手机号码"}),
    ],
)
def test_bad_contact_details_are_refused_with_chinese_field_errors(
    email: str | None, mobile: str | None, errors: dict[str, str]
) -> None:
    with transaction() as s, pytest.raises(ValidationFailed) as info:
        actions_access.user_create(s, SYSTEM, f"bad{uuid.uuid4().hex[:8]}", "a-long-password", "甲", ["citizen"],
                                   email=email, mobile=mobile)  # fmt: skip
    assert {e.field: e.detail for e in info.value.errors} == errors


def test_contact_details_are_stored_normalised() -> None:
    with transaction() as s:
        user = actions_access.user_create(s, SYSTEM, f"ok{uuid.uuid4().hex[:8]}", "a-long-password", "乙",
                                          ["citizen"], email=" Wang.Fang@Mail.Example ", mobile="+86 199-1000-0099")  # fmt: skip
        assert (user.email, user.mobile) == ("Wang.Fang@mail.example", "19910000099")
