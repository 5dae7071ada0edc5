"""An Open311 GeoReport v2 client written to the specification: discovers the endpoint, lists
services, reads a definition, posts a request with its api_key (form-encoded, as the
specification says), reads it back by id and by token, in JSON and in XML; wrong keys and
malformed bodies get the specification's error documents."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import text

from tests.contexts.cityops.helpers import GRID, point_in
from yiwang.contexts.cityops import actions_open311
from yiwang.core.actor import Actor
from yiwang.core.db import transaction


def _parse(raw: bytes) -> ET.Element:
    return ET.fromstring(raw)  # noqa: S314  (the test's own server's answers)


ADMIN = Actor(kind="user", id=0, name="测试管理员", roles=frozenset({"admin"}), region_code="330100")


@pytest.fixture(scope="module")
def api_key(database: str) -> str:
    with transaction() as s:
        return actions_open311.key_create(s, ADMIN, "测试市民应用")


class GeoReportClient:
    """What an Open311 client does, from the specification only."""

    def __init__(self, http, root: str = "/open311/v2/") -> None:  # type: ignore[no-untyped-def]
        self.http, self.root = http, root

    def get(self, path: str, fmt: str = "json", **params: str):  # type: ignore[no-untyped-def]
        r = self.http.get(f"{self.root}{path}.{fmt}", params=params)
        return r, (r.json() if fmt == "json" else _parse(r.content))

    def post_request(self, fmt: str = "json", **fields: str):  # type: ignore[no-untyped-def]
        r = self.http.post(f"{self.root}requests.{fmt}", data=fields)
        return r, (r.json() if fmt == "json" else _parse(r.content))


def test_a_spec_client_discovers_posts_and_reads_a_request(client, api_key: str) -> None:
    c = GeoReportClient(client)
    r, disco = c.get("discovery")
    assert (
        r.status_code == 200
        and disco["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    )
    assert "application/json" in disco["endpoints"][0]["formats"]
    r, services = c.get("services")
    codes = {s["service_code"]: s for s in services}
    assert codes["20505"]["service_name"] == "机动车乱停放" and codes["20505"]["metadata"] is True
    assert set(codes["10101"]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    r, definition = c.get("services/20505")
    assert definition["service_code"] == "20505" and definition["attributes"][0]["code"] == "plate"
    r, xml_services = c.get("services", "xml")
    assert xml_services.tag == "services" and xml_services.find("service/service_code") is not None

    lon, lat = point_in(GRID, 0.001, 0.0005)
    r, posted = c.post_request(
        api_key=api_key,
        service_code="10104",
        lat=str(lat),
        long=str(lon),
        address_string="文三路路灯",
        description="路灯夜里不亮",
        email="a@example.com",
    )
    assert r.status_code == 200, r.text
    rid, token = posted[0]["service_request_id"], posted[0]["token"]
    assert rid.isdigit() and token
    r, one = c.get(f"requests/{rid}")
    assert one[0]["service_request_id"] == rid and one[0]["status"] == "open"
    assert one[0]["service_code"] == "10104" and one[0]["lat"] == lat and one[0]["long"] == lon
    assert one[0]["requested_datetime"].endswith("+08:00")
    r, by_token = c.get(f"tokens/{token}")
    assert by_token == [{"service_request_id": rid, "token": token}]
    r, xml_one = c.get(f"requests/{rid}", "xml")
    assert xml_one.tag == "service_requests" and xml_one.findtext("request/service_request_id") == rid
    assert xml_one.findtext("request/status") == "open"
    r, listed = c.get("requests", service_code="10104", status="open")
    assert rid in [x["service_request_id"] for x in listed]
    r, none = c.get("requests", service_code="10104", status="closed")
    assert rid not in [x["service_request_id"] for x in none]
    r, xml_posted = c.post_request(
        "xml",
        api_key=api_key,
        service_code="10104",
        lat=str(lat),
        long=str(lon),
        description="另一处路灯不亮",
    )
    assert xml_posted.tag == "service_requests" and xml_posted.findtext("request/service_request_id")


def test_wrong_keys_and_malformed_bodies_get_open311_errors_and_write_nothing(client, api_key: str) -> None:
    c = GeoReportClient(client)
    lon, lat = point_in(GRID)
    before = _events()
    r, err = c.post_request(
        api_key="wrong", service_code="10104", lat=str(lat), long=str(lon), description="x路灯"
    )
    assert r.status_code == 403 and err[0]["code"] == 403 and "api_key" in err[0]["description"]
    r, err = c.post_request("xml", service_code="10104", lat=str(lat), long=str(lon), description="没有密钥")
    assert r.status_code == 403 and err.tag == "errors" and err.findtext("error/code") == "403"
    r, err = c.post_request(
        api_key=api_key, service_code="99999", lat=str(lat), long=str(lon), description="未知"
    )
    assert r.status_code == 400 and "service_code" in err[0]["description"]
    r, err = c.post_request(
        api_key=api_key, service_code="10104", lat="39.9", long="116.4", description="北京"
    )
    assert r.status_code == 400 and "long" in err[0]["description"]
    bad_json = client.post(
        "/open311/v2/requests.json", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()[0]["code"] == 400
    bad_xml = client.post(
        "/open311/v2/requests.xml", content=b"<request><api_key>", headers={"Content-Type": "text/xml"}
    )
    assert bad_xml.status_code == 400 and _parse(bad_xml.content).tag == "errors"
    r, err = c.get("requests/999999999")
    assert r.status_code == 404
    r, err = c.get("requests", start_date="yesterday")
    assert r.status_code == 400
    assert client.get("/open311/v2/services.csv").status_code == 400
    assert _events() == before


def _events() -> int:
    with transaction() as s:
        return int(s.execute(text("SELECT count(*) FROM city_event")).scalar_one())
