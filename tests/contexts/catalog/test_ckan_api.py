"""The CKAN Action API, driven by the real ckanapi client against a live server, and its
envelope checked byte for byte through the test client."""

from __future__ import annotations

import json
from typing import Any

import ckanapi
import pytest

from tests.contexts.catalog.conftest import DEMO_CODES

NAMES = sorted(c.lower() for c in DEMO_CODES)


def test_package_list_names_every_published_resource(ckan: Any) -> None:
    assert ckan.action.package_list() == NAMES
    assert ckan.action.package_list(limit=2, offset=1) == NAMES[1:3]


def test_package_show_by_name_and_by_id_gives_a_ckan_package(ckan: Any, live_server: str) -> None:
    pkg = ckan.action.package_show(id="330100-mz-0001")
    assert pkg["name"] == "330100-mz-0001" and pkg["title"] == "婚姻登记信息"
    assert isinstance(pkg["id"], str) and pkg["type"] == "dataset" and pkg["state"] == "active"
    assert pkg["private"] is False and pkg["notes"].startswith("结婚、离婚登记结果")
    assert pkg["license_id"] == "other-closed"
    for stamp in (pkg["metadata_created"], pkg["metadata_modified"]):
        assert "T" in stamp and not stamp.endswith("Z") and "+" not in stamp  # naive UTC, as CKAN
    org = pkg["organization"]
    assert org["name"] == "330100-civil_affairs" and org["title"].endswith("民政局")
    assert org["type"] == "organization" and org["is_organization"] is True and org["state"] == "active"
    assert pkg["owner_org"] == org["id"]
    assert {"name": "婚姻", "display_name": "婚姻"}.items() <= pkg["tags"][0].items()
    assert pkg["num_tags"] == len(pkg["tags"]) == 3
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["share_type"] == "conditional" and "婚姻登记条例" in extras["share_basis"]
    assert extras["open_type"] == "none" and extras["update_frequency"] == "每日"
    assert extras["subject_category"] == "主题信息资源/婚姻"
    assert all(isinstance(v, str) for v in extras.values())  # CKAN extras are strings
    fields = json.loads(extras["fields"])
    assert fields == pkg["yiwang_fields"]
    assert [f["name"] for f in fields][:3] == ["id_number", "name", "marital_status"]
    assert fields[0]["sensitivity"] == 4 and fields[0]["personal"] is True
    (res,) = pkg["resources"]
    assert pkg["num_resources"] == 1
    assert res["format"] == "API" and res["package_id"] == pkg["id"] and res["state"] == "active"
    assert res["url"] == f"{live_server}/api/v1/exchange/resources/330100-MZ-0001/records"
    assert ckan.action.package_show(id=pkg["id"])["name"] == pkg["name"]
    assert ckan.action.package_show(id="330100-MZ-0001")["id"] == pkg["id"]


def test_package_search_finds_marriage_records(ckan: Any) -> None:
    found = ckan.action.package_search(q="婚姻", rows=2)
    assert found["count"] == 1
    assert [p["title"] for p in found["results"]] == ["婚姻登记信息"]
    assert set(found) >= {"count", "results", "facets", "search_facets", "sort"}
    by_field = ckan.action.package_search(q="配偶身份号码")  # a field label
    assert [p["name"] for p in by_field["results"]] == ["330100-mz-0001"]
    assert ckan.action.package_search(q="婚姻 纳税")["count"] == 0  # terms are ANDed
    assert ckan.action.package_search(q="婚姻 户籍")["count"] == 1  # its description names 户籍
    assert ckan.action.package_search(q="*:*")["count"] == len(NAMES)


def test_package_search_pages_with_start_and_rows(ckan: Any) -> None:
    seen: list[str] = []
    for start in range(0, 9, 3):
        page = ckan.action.package_search(rows=3, start=start, sort="name asc")
        assert page["count"] == len(NAMES)
        seen += [p["name"] for p in page["results"]]
    assert seen == NAMES
    assert ckan.action.package_search(rows=0)["results"] == []
    assert len(ckan.action.package_search()["results"]) == 7  # default rows 10
    assert ckan.action.package_search(rows=5000)["count"] == 7  # capped at 1000 like CKAN, not refused


def test_package_search_filters_like_a_harvester(ckan: Any) -> None:
    def names(**kw: Any) -> list[str]:
        return sorted(p["name"] for p in ckan.action.package_search(rows=100, **kw)["results"])

    assert names(fq="organization:330100-civil_affairs") == ["330100-mz-0001"]
    assert names(fq="+organization:(330100-taxation OR 330100-market_regulation)") == [
        "330100-sj-0001", "330100-sw-0001",
    ]  # fmt: skip
    assert len(names(fq="-organization:330100-civil_affairs")) == 6
    assert names(fq="organization:no-such-org") == []
    assert names(fq="tags:营业执照") == ["330100-sj-0001"]
    assert len(names(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")) == 7
    assert names(fq="metadata_modified:[2999-01-01T00:00:00.000Z TO NOW]") == []
    assert len(names(fq="+capacity:public +state:active")) == 7
    assert names(fq="organization:330100-civil_affairs", fq_list=["res_format:CSV"]) == []
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="maintainer:someone")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="views_recent desc")


def test_organization_list_and_show(ckan: Any) -> None:
    names = ckan.action.organization_list()
    assert "330100-civil_affairs" in names and names == sorted(names)
    orgs = {o["name"]: o for o in ckan.action.organization_list(all_fields=True)}
    assert len(orgs) <= 25  # CKAN's all_fields page size
    civil = orgs["330100-civil_affairs"]
    assert (
        civil["package_count"] == 1 and civil["is_organization"] is True and civil["title"].endswith("民政局")
    )
    busiest = ckan.action.organization_list(all_fields=True, sort="package_count desc", limit=7)
    assert sum(o["package_count"] for o in busiest) == 7
    assert ckan.action.organization_list(organizations=["330100-taxation"]) == ["330100-taxation"]

    shown = ckan.action.organization_show(id="330100-civil_affairs", include_datasets=True)
    assert shown["package_count"] == 1 and [p["name"] for p in shown["packages"]] == ["330100-mz-0001"]
    assert "packages" not in ckan.action.organization_show(id=shown["id"])
    assert ckan.action.organization_show(id="330100-CIVIL_AFFAIRS")["id"] == shown["id"]


def test_missing_things_raise_not_found(ckan: Any) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="330100-xx-9999")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="987654")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="no-such-department")


@pytest.mark.parametrize("rows", ["abc", -1, "1.5", True])
def test_bad_rows_raise_validation_error(ckan: Any, rows: Any) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.package_search(q="婚姻", rows=rows)
    assert "rows" in caught.value.error_dict


def test_absurd_offsets_are_refused(ckan: Any) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.package_search(start=10**30)
    assert "start" in caught.value.error_dict
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_list(offset=-3)


def test_missing_id_is_a_validation_error(ckan: Any) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.package_show()
    assert caught.value.error_dict["id"] == ["缺少参数值"]


def test_get_only_clients_and_the_versioned_path_work(live_server: str) -> None:
    with ckanapi.RemoteCKAN(live_server, get_only=True) as ck:
        assert ck.action.package_search(q="婚姻")["count"] == 1
        assert ck.action.organization_list(all_fields="true", limit=1)[0]["name"]
    with ckanapi.RemoteCKAN(live_server) as ck:
        ck.base_url = "api/3/action/"
        assert ck.action.package_show(id="330100-ga-0001")["title"] == "户籍人口信息"


# ---- the envelope itself, through the test client ----------------------------------------


def test_success_envelope_is_exactly_ckans(client: Any) -> None:
    r = client.get("/api/3/action/package_search", params={"q": "婚姻", "rows": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["help", "success", "result"]
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_search"
    assert body["success"] is True and body["result"]["count"] == 1
    posted = client.post("/api/3/action/package_search", json={"q": "婚姻", "rows": 1}).json()
    assert posted["result"]["results"][0]["id"] == body["result"]["results"][0]["id"]
    assert client.get("/api/3").json() == {"version": 3}
    doc = client.get("/api/3/action/help_show", params={"name": "package_search"}).json()["result"]
    assert "rows" in doc


def test_error_envelopes(client: Any) -> None:
    r = client.get("/api/3/action/package_show", params={"id": "nope"})
    assert r.status_code == 404
    assert r.json() == {
        "help": "http://testserver/api/3/action/help_show?name=package_show",
        "success": False,
        "error": {"__type": "Not Found Error", "message": "未找到"},
    }
    r = client.get("/api/3/action/package_search", params={"rows": "many"})
    assert r.status_code == 409
    assert r.json()["error"] == {"rows": ["必须是非负整数"], "__type": "Validation Error"}
    r = client.get("/api/3/action/organization_list", params={"all_fields": "perhaps"})
    assert r.status_code == 409 and "all_fields" in r.json()["error"]
    r = client.post("/api/3/action/package_search", json={"fq": "maintainer:x"})
    assert r.status_code == 400 and r.json()["error"]["__type"] == "Search Query Error"
    r = client.post("/api/3/action/package_create", json={"name": "x"})  # no write side
    assert r.status_code == 400 and r.json().startswith("请求无效 - 未知的操作")
    r = client.post(
        "/api/3/action/package_show", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "JSON" in r.json()
    r = client.post("/api/3/action/package_show", json=["330100-mz-0001"])
    assert r.status_code == 400


def test_a_bad_token_is_an_authorization_error_in_the_envelope(client: Any) -> None:
    r = client.get("/api/3/action/package_list", headers={"authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.json()["success"] is False and r.json()["error"]["__type"] == "Authorization Error"


def test_texts_are_not_interpreted(client: Any) -> None:
    r = client.get("/api/3/action/package_search", params={"q": "100%_'\"<b>", "fq": "name:'x'"})
    assert r.status_code == 200 and r.json()["result"]["count"] == 0
    assert client.get("/api/3/action/package_search", params={"q": "%"}).json()["result"]["count"] == 0
    assert (
        client.get("/api/3/action/package_search", params={"q": "id_number"}).json()["result"]["count"] == 5
    )
    # LIKE wildcards in the query are literal: "id_numbe_" would match id_number if _ were a wildcard
    assert (
        client.get("/api/3/action/package_search", params={"q": "id_numbe_"}).json()["result"]["count"] == 0
    )


def test_odd_ids_and_wildcards_are_plain_input_not_errors(client) -> None:
    for bad in ("²", "99999999999999999999999"):
        r = client.get("/api/3/action/package_show", params={"id": bad})
        assert r.status_code == 404, r.text
    r = client.get("/api/v1/catalog/resources", params={"q": "%"})
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.get("/api/v1/catalog/resources", params={"q": "mz"})
    assert [i["code"] for i in r.json()["items"]] == ["330100-MZ-0001"]  # case-insensitive on both databases
