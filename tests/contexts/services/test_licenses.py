"""E-licenses: issued on completion and signed; verified by anyone (valid, revoked, unknown,
tampered); revoked only by the issuing department; reused as a material, in the holder's use log;
一业一证 yields one industry licence when every permit is decided."""

from __future__ import annotations

from sqlalchemy import text

from tests.contexts.services.helpers import MARRIAGE_PROOF, PDF, person_form, post, staff_of
from yiwang.core.db import transaction

API = "/api/v1/services"
STEPS = ("accept", "review", "decide", "complete")


def _complete(staff, application_id: int) -> None:  # type: ignore[no-untyped-def]
    for code in STEPS:
        r = post(staff, f"{API}/applications/{application_id}/steps/{code}", json={})
        assert r.status_code == 200, r.text


def test_a_completed_birth_certificate_is_issued_verified_and_revoked(as_user, client) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    fid = post(citizen, f"{API}/files", data={"material": "住院分娩记录"},
               files={"file": ("a.pdf", PDF, "application/pdf")}).json()["id"]  # fmt: skip
    form = {**person_form(), "child_name": "小安", "child_birth_date": "2026-12-01"}
    a = post(citizen, f"{API}/applications", json={"item_code": "200004001000", "form": form,
             "files": {"住院分娩记录": fid}}).json()  # fmt: skip
    health = as_user(staff_of("330106-health"))
    _complete(health, a["id"])
    mine = citizen.get(f"{API}/licenses").json()
    number = next(x["number"] for x in mine if x["name"] == "出生医学证明")
    r = client.get(f"{API}/licenses/{number}/verify").json()
    assert r["status"] == "valid" and r["issuer"] == "西湖区卫生健康委员会" and "*" in r["holder"]
    page = client.get(f"/services/licenses/{number}/verify").text
    assert "有效" in page
    assert "<svg" in citizen.get("/services/licenses").text  # the QR code
    assert client.get(f"{API}/licenses/DZZZ00000000UNKNOWN/verify").json()["status"] == "unknown"

    other = as_user(staff_of("330106-civil_affairs"))
    assert post(other, f"{API}/licenses/{number}/revoke", json={"reason": "误发"}).status_code == 403
    assert post(health, f"{API}/licenses/{number}/revoke", json={"reason": ""}).status_code == 422
    assert (
        post(health, f"{API}/licenses/{number}/revoke", json={"reason": "信息有误，重新核发"}).status_code
        == 200
    )
    assert client.get(f"{API}/licenses/{number}/verify").json()["status"] == "revoked"


def test_a_tampered_licence_fails_its_signature(as_user, client) -> None:  # type: ignore[no-untyped-def]
    from yiwang.contexts.services.models import ELicense

    with transaction() as s:
        lic = s.query(ELicense).filter(ELicense.name == "营业执照").first()
        assert lic is not None
        number = lic.number
        lic.payload = {**lic.payload, "holder": "别人"}
    try:
        assert client.get(f"{API}/licenses/{number}/verify").json()["status"] == "tampered"
    finally:
        with transaction() as s:  # the seeded licence back as it was: re-seeded below
            s.execute(text("DELETE FROM service_elicense WHERE number = :n"), {"n": number})
        from yiwang.contexts.services import seed_licenses

        with transaction() as s:
            seed_licenses(s)


def test_the_business_licence_is_reused_and_the_industry_licence_issued(as_user) -> None:  # type: ignore[no-untyped-def]
    ent = as_user("enterprise")
    values = ent.get(f"{API}/items/010006002000/prefill").json()["values"]
    form = {**values, "phone": "13900001234"}
    files = {}
    for n in ("食品安全管理制度", "经营场所平面图", "经营场所使用证明"):
        files[n] = post(ent, f"{API}/files", data={"material": n},
                        files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}).json()["id"]  # fmt: skip
    b = post(ent, f"{API}/bundles/convenience_store/applications", json={"form": form, "files": files}).json()
    for a in b["applications"]:
        assert {m["name"]: m["status"] for m in a["materials"]}["营业执照"] == "elicense"
    market = as_user(staff_of("330106-market_regulation"))
    before = [x["name"] for x in ent.get(f"{API}/licenses").json()]  # other tests' licences too
    for a in b["applications"]:
        _complete(market, a["id"])
    names = [x["name"] for x in ent.get(f"{API}/licenses").json()]
    assert names.count("便利店行业综合许可证") == before.count("便利店行业综合许可证") + 1
    assert "食品经营许可证" not in names  # the industry licence stands for the permits
    assert ent.get(f"{API}/bundle-applications/{b['id']}").json()["status"] == "completed"
    uses = ent.get("/api/v1/me/data-access").json()
    assert any("营业执照" in str(u) for u in uses), uses[:3]


def test_an_application_without_licence_issues_none(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    a = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()}).json()
    before = len(citizen.get(f"{API}/licenses").json())
    _complete(as_user(staff_of("330106-civil_affairs")), a["id"])
    assert len(citizen.get(f"{API}/licenses").json()) == before
