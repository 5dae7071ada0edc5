"""The form is prefilled from the exchange under the services' grants, and each read shows in the
person's own use log (我的数据)."""

from __future__ import annotations

from tests.contexts.services.helpers import BIRTH_ITEM, citizen

API = "/api/v1/services"


def test_prefill_reads_the_citizens_household_record_and_logs_it(as_user) -> None:  # type: ignore[no-untyped-def]
    me = as_user("citizen")
    before = len(me.get("/api/v1/me/data-access").json())
    r = me.get(f"{API}/items/{BIRTH_ITEM}/prefill")
    assert r.status_code == 200, r.text
    name, number = citizen()
    assert r.json()["values"]["name"] == name and r.json()["values"]["id_number"] == number
    assert set(r.json()["prefilled"]) == {"name", "id_number", "address"}
    uses = me.get("/api/v1/me/data-access").json()
    assert len(uses) == before + 1
    assert "户籍人口信息" in str(uses[0]) and "一网通办" in str(uses[0])


def test_the_apply_page_shows_the_prefilled_fields(as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user("citizen").get(f"/services/items/{BIRTH_ITEM}/apply").text
    name, number = citizen()
    assert f'value="{number}"' in page and f'value="{name}"' in page and "已预填" in page
    assert "免提交" in page


def test_nobody_is_prefilled_without_logging_in(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/items/{BIRTH_ITEM}/prefill")
    assert r.status_code == 200 and r.json() == {"values": {}, "prefilled": []}
