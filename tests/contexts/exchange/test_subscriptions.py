"""Subscriptions end to end against a real HTTP receiver: a provider's change is queued in the
same transaction, pushed signed with only the granted (and masked) fields, retried with
growing back-off, dead-lettered, replayed, survives a crash, and never leaves the grant's
row scope."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import text

from tests.contexts.exchange.helpers import MARRIAGE, grant_for, token_for
from yiwang.contexts.exchange import actions, delivery
from yiwang.contexts.exchange.schemas import RevokeIn
from yiwang.contexts.exchange.tasks import DELIVER, register_jobs
from yiwang.core import crypto, jobs
from yiwang.core.actor import SYSTEM
from yiwang.core.db import reset_engine, transaction, utcnow
from yiwang.settings import get_settings

CONSUMER, REGION = "330106-real_estate", "330106"
PROVIDER, CITY = "330100-civil_affairs", "330100"
FIELDS = [
    "id_number",
    "name",
    "marital_status",
    "spouse_name",
    "spouse_id_number",
    "registered_on",
    "region_code",
]
MASKED = ["name", "spouse_id_number"]
API = "/api/v1/exchange"


# --- a real webhook receiver ---------------------------------------------------------------


class Receiver:
    """A ThreadingHTTPServer on a free local port that records every POST and answers with the
    scripted statuses first, then `default`."""

    def __init__(self, script: list[int] | None = None, default: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script, self.default = list(script or []), default
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = outer.script.pop(0) if outer.script else outer.default
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/yiwang"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(script: list[int] | None = None, default: int = 200) -> Receiver:
        made.append(Receiver(script, default))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture(autouse=True)
def _only_this_tests_subscriptions() -> Iterator[None]:
    """Each test's worker runs see only its own subscriptions."""
    yield
    with transaction() as s:
        s.execute(text("UPDATE subscription SET active = false"))
        s.execute(text("UPDATE delivery SET status = 'dropped' WHERE status IN ('pending', 'sending')"))


# --- set-up helpers -------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _resident(region: str, n: int) -> tuple[str, str, int]:
    """(identity number, community code, person id) of a resident of a district, counted from
    the end so the demo story's people are left alone."""
    with transaction() as s:
        row = s.execute(text("SELECT id_number_enc, id_number_idx, region_code, subject_person_id "
                             "FROM src_household WHERE region_code LIKE :p ORDER BY id DESC LIMIT 1 OFFSET :n"),
                        {"p": region + "%", "n": n}).one()  # fmt: skip
    return crypto.decrypt(row[0], row[1].encode()), row[2], int(row[3])


def _marriage(person: tuple[str, str, int], spouse: tuple[str, str, int], **over: Any) -> dict[str, Any]:
    rec = {"id_number": person[0], "name": "张建国", "marital_status": "已婚", "spouse_name": "李秀英",
           "spouse_id_number": spouse[0], "registered_on": "2024-05-20", "certificate_no": "J330106-2024-000521",
           "registry_office": "杭州市西湖区民政局婚姻登记处", "region_code": person[1]}  # fmt: skip
    return {**rec, **over}


def _subscribe(
    client: Any, url: str, fields: list[str] = FIELDS, masked: list[str] = MASKED
) -> dict[str, Any]:
    grant = grant_for(CONSUMER, REGION, MARRIAGE, fields, masked)
    token = token_for(client, CONSUMER, REGION)
    r = client.post(f"{API}/subscriptions", json={"resource_code": MARRIAGE, "callback_url": url},
                    headers=_bearer(token))  # fmt: skip
    assert r.status_code == 201, r.text
    return {**r.json(), "token": token, "grant": grant}


@pytest.fixture
def provider(client: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    token = token_for(client, PROVIDER, CITY)

    def upsert(record: dict[str, Any]) -> dict[str, Any]:
        r = client.put(f"{API}/resources/{MARRIAGE}/records", json=record, headers=_bearer(token))
        assert r.status_code == 200, r.text
        return dict(r.json())

    return upsert


def _deliveries(sub_id: int) -> list[dict[str, Any]]:
    with transaction() as s:
        rows = s.execute(text("SELECT id, change_seq, attempt_set, status, attempts, next_attempt_at, last_error "
                              "FROM delivery WHERE subscription_id = :s ORDER BY id"), {"s": sub_id}).mappings()  # fmt: skip
        out = [dict(r) for r in rows]
    for d in out:  # SQLite hands back text; compare times as aware datetimes everywhere
        d["next_attempt_at"] = _aware(d["next_attempt_at"])
    return out


def _aware(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the tests ------------------------------------------------------------------------------


def test_a_change_is_pushed_once_signed_with_only_granted_fields_masked_as_granted(
    client, receiver, provider
) -> None:
    rx = receiver()
    sub = _subscribe(client, rx.url)
    person, spouse = _resident("330106", 3), _resident("330106", 4)
    out = provider(_marriage(person, spouse))
    assert out["deliveries"] == 1
    queued = _deliveries(sub["id"])
    assert [(d["change_seq"], d["status"]) for d in queued] == [(out["seq"], "pending")]

    report = delivery.deliver_due()
    assert report.outcomes == {queued[0]["id"]: "delivered"}
    assert len(rx.requests) == 1
    req = rx.requests[0]
    h, body = req["headers"], req["body"]
    assert delivery.verify_signature(sub["secret"], h["X-Yiwang-Signature"], body)
    assert h["X-Yiwang-Delivery"] == str(queued[0]["id"]) and h["X-Yiwang-Seq"] == str(out["seq"])
    payload = json.loads(body)
    record = payload["record"]
    assert set(record) == set(FIELDS)  # no certificate_no, no registry_office
    assert record["id_number"] == person[0] and record["marital_status"] == "已婚"
    assert record["name"] != "张建国" and "*" in record["name"]
    assert record["spouse_id_number"] != spouse[0] and "********" in record["spouse_id_number"]
    assert payload["masked"] == MASKED and payload["seq"] == out["seq"] and payload["resource"] == MARRIAGE

    # forged body, wrong secret, stale timestamp: all fail
    assert not delivery.verify_signature(sub["secret"], h["X-Yiwang-Signature"], body + b" ")
    assert not delivery.verify_signature("whsec_forged", h["X-Yiwang-Signature"], body)
    assert not delivery.verify_signature(sub["secret"], h["X-Yiwang-Signature"], body, now=time.time() + 301)
    stale = delivery.sign(sub["secret"], body, int(time.time()) - 600)
    assert not delivery.verify_signature(sub["secret"], stale, body)
    assert not delivery.verify_signature(sub["secret"], "v1=" + stale.rpartition("v1=")[2], body)

    assert _deliveries(sub["id"])[0]["status"] == "delivered"
    with transaction() as s:
        push = s.execute(text("SELECT status, operation FROM usage_log WHERE consumer = :c"),
                         {"c": f"subscription:{sub['id']}"}).all()  # fmt: skip
        seen = s.execute(text("SELECT count(*) FROM audit_record WHERE action = 'exchange.record_push' "
                              "AND subject_person_id = :p"), {"p": person[2]}).scalar()  # fmt: skip
        secret_enc = s.execute(
            text("SELECT secret_enc FROM subscription WHERE id = :i"), {"i": sub["id"]}
        ).scalar()
    assert [tuple(p) for p in push] == [(200, "push")]
    assert seen == 1  # the person can see the push on their data-access page
    assert sub["secret"].encode() not in bytes(secret_enc)
    assert crypto.decrypt(bytes(secret_enc), delivery.SECRET_AAD) == sub["secret"]

    # the pull feed answers the same change through the same grant
    r = client.get(f"{API}/subscriptions/{sub['id']}/changes", params={"after": out["seq"] - 1},
                   headers=_bearer(sub["token"]))  # fmt: skip
    assert r.status_code == 200, r.text
    feed = r.json()
    assert [c["seq"] for c in feed["changes"]] == [out["seq"]] and feed["next_after"] == out["seq"]
    assert feed["changes"][0]["record"] == record


def test_failures_back_off_with_growing_waits_then_deliver(client, receiver, provider) -> None:
    rx = receiver(script=[500, 500])
    sub = _subscribe(client, rx.url)
    provider(_marriage(_resident("330106", 5), _resident("330106", 6)))
    (d,) = _deliveries(sub["id"])
    t0 = utcnow()
    assert delivery.deliver_due(now=t0).outcomes == {d["id"]: "pending"}
    first = _deliveries(sub["id"])[0]
    assert first["attempts"] == 1 and "500" in first["last_error"]
    assert d["id"] not in delivery.deliver_due(now=t0).outcomes  # not due yet: nothing sent
    assert len(rx.requests) == 1

    t1 = first["next_attempt_at"]
    assert delivery.deliver_due(now=t1).outcomes == {d["id"]: "pending"}
    second = _deliveries(sub["id"])[0]
    t2 = second["next_attempt_at"]
    assert (t2 - t1) > (t1 - t0) > timedelta(0)  # growing back-off
    assert delivery.deliver_due(now=t2).outcomes == {d["id"]: "delivered"}
    final = _deliveries(sub["id"])[0]
    assert final["status"] == "delivered" and final["attempts"] == 3 and final["last_error"] is None
    assert [r["headers"]["X-Yiwang-Attempt"] for r in rx.requests] == ["1", "2", "3"]
    assert {r["headers"]["X-Yiwang-Delivery"] for r in rx.requests} == {str(d["id"])}


def test_always_failing_goes_dead_is_listed_and_replay_redelivers(client, receiver, provider) -> None:
    rx = receiver(default=500)
    sub = _subscribe(client, rx.url)
    out = provider(_marriage(_resident("330106", 7), _resident("330106", 8)))
    (d,) = _deliveries(sub["id"])
    limit = get_settings().webhook_max_attempts
    now = utcnow()
    for _ in range(limit):
        delivery.deliver_due(now=now)
        now = _deliveries(sub["id"])[0]["next_attempt_at"]
    dead = _deliveries(sub["id"])[0]
    assert dead["status"] == "dead" and dead["attempts"] == limit and len(rx.requests) == limit
    delivery.deliver_due(now=now + timedelta(days=1))
    assert len(rx.requests) == limit  # dead stays dead

    h = _bearer(sub["token"])
    r = client.get(f"{API}/subscriptions/{sub['id']}/deliveries", params={"status": "dead"}, headers=h)
    assert r.status_code == 200, r.text
    assert [(x["id"], x["attempts"], x["status"]) for x in r.json()] == [(d["id"], limit, "dead")]

    rx.default = 200
    r = client.post(f"{API}/subscriptions/{sub['id']}/replay", json={"after_seq": out["seq"] - 1}, headers=h)
    assert r.status_code == 202, r.text
    assert r.json()["attempt_set"] == 1 and r.json()["enqueued"] == 1 and r.json()["last_seq"] == out["seq"]
    assert delivery.deliver_due().delivered == 1
    assert len(rx.requests) == limit + 1
    replayed = json.loads(rx.requests[-1]["body"])
    assert replayed["seq"] == out["seq"] and replayed["attempt_set"] == 1
    assert delivery.verify_signature(sub["secret"], rx.requests[-1]["headers"]["X-Yiwang-Signature"],
                                     rx.requests[-1]["body"])  # fmt: skip
    r = client.post(f"{API}/subscriptions/{sub['id']}/replay", json={"after_seq": out["seq"]}, headers=h)
    assert r.status_code == 409  # nothing after the newest change


def test_committed_changes_survive_a_crash_and_expired_claims_come_back(client, receiver, provider) -> None:
    rx = receiver()
    sub = _subscribe(client, rx.url)
    person, spouse = _resident("330106", 9), _resident("330106", 10)
    provider(_marriage(person, spouse))
    # the process dies after commit, before any delivery: drop every connection, start afresh
    reset_engine()
    register_jobs()
    results = jobs.run_once([DELIVER])
    assert results[DELIVER] >= 1
    assert len(rx.requests) == 1 and _deliveries(sub["id"])[0]["status"] == "delivered"

    # a worker claims a delivery and dies before sending: the lease runs out, it comes back
    provider(_marriage(person, spouse, marital_status="离婚", spouse_name=None, spouse_id_number=None))
    second = _deliveries(sub["id"])[1]
    now = utcnow()
    with transaction() as s:
        claimed, _ = delivery.claim(s, now)
    assert [o.delivery_id for o in claimed] == [second["id"]]
    assert _deliveries(sub["id"])[1]["status"] == "sending"
    assert second["id"] not in delivery.deliver_due(now=now).outcomes  # still leased
    after_lease = now + timedelta(seconds=get_settings().webhook_lease_seconds + 1)
    assert delivery.deliver_due(now=after_lease).outcomes == {second["id"]: "delivered"}
    row = _deliveries(sub["id"])[1]
    assert row["status"] == "delivered" and row["attempts"] == 2
    assert rx.requests[-1]["headers"]["X-Yiwang-Attempt"] == "2"
    assert json.loads(rx.requests[-1]["body"])["record"]["marital_status"] == "离婚"
    # the dead worker's late result is fenced off: it changes nothing
    assert delivery._record(claimed[0], 500, "too late", now, 1.0) == "superseded"
    assert _deliveries(sub["id"])[1]["status"] == "delivered"


def test_rows_outside_the_grant_scope_produce_no_delivery(client, receiver, provider) -> None:
    rx = receiver()
    sub = _subscribe(client, rx.url)
    outsider = _resident("330102", 3)  # 上城区, outside the 西湖区 grant
    out = provider(_marriage(outsider, _resident("330102", 4)))
    assert _deliveries(sub["id"]) == []
    delivery.deliver_due()
    assert rx.requests == []
    r = client.get(f"{API}/subscriptions/{sub['id']}/changes", params={"after": out["seq"] - 1},
                   headers=_bearer(sub["token"]))  # fmt: skip
    assert r.status_code == 200 and out["seq"] not in [c["seq"] for c in r.json()["changes"]]


def test_revoked_grant_or_row_moved_out_of_scope_drops_the_queued_delivery(
    client, receiver, provider
) -> None:
    rx = receiver()
    sub = _subscribe(client, rx.url)
    person, spouse = _resident("330106", 11), _resident("330106", 12)
    provider(_marriage(person, spouse))
    # the person moves to 上城区 before the push goes out: the current row is out of scope
    moved = provider(_marriage(person, spouse, region_code="330102001001"))
    assert moved["deliveries"] == 0
    (d,) = _deliveries(sub["id"])
    assert delivery.deliver_due().outcomes == {d["id"]: "dropped"}
    assert rx.requests == [] and "范围" in _deliveries(sub["id"])[0]["last_error"]

    provider(_marriage(person, spouse))  # back in 西湖区: queued again
    with transaction() as s:
        actions.grant_revoke(s, SYSTEM, sub["grant"], RevokeIn(reason="测试撤销授权"))
    latest = _deliveries(sub["id"])[-1]
    assert delivery.deliver_due().outcomes == {latest["id"]: "dropped"}
    assert rx.requests == [] and "撤销" in _deliveries(sub["id"])[-1]["last_error"]


def test_subscription_rules_callback_urls_and_management(client, receiver, provider) -> None:
    rx = receiver()
    grant_for(CONSUMER, REGION, MARRIAGE, FIELDS, MASKED)
    token = token_for(client, CONSUMER, REGION)
    h = _bearer(token)
    for url, code in (("ftp://127.0.0.1/x", "scheme"), ("file:///etc/passwd", "scheme"),
                      ("http://169.254.169.254/latest/meta-data", "host_not_allowed"),
                      ("https://intranet.example.gov/hook", "host_not_allowed"),
                      ("http://user:pw@127.0.0.1/x", "credentials")):  # fmt: skip
        r = client.post(
            f"{API}/subscriptions", json={"resource_code": MARRIAGE, "callback_url": url}, headers=h
        )
        assert r.status_code == 422, (url, r.text)
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("callback_url", code)]

    stranger = token_for(client, "330102-real_estate", "330102")  # holds no grant on the resource
    r = client.post(f"{API}/subscriptions", json={"resource_code": MARRIAGE, "callback_url": rx.url},
                    headers=_bearer(stranger))  # fmt: skip
    assert r.status_code == 403

    r = client.post(
        f"{API}/subscriptions", json={"resource_code": MARRIAGE, "callback_url": rx.url}, headers=h
    )
    assert r.status_code == 201
    sub = r.json()
    listed = client.get(f"{API}/subscriptions", headers=h).json()
    assert sub["id"] in [s["id"] for s in listed] and all("secret" not in s for s in listed)
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=_bearer(stranger)).status_code == 403

    provider(_marriage(_resident("330106", 13), _resident("330106", 14)))
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=h).status_code == 204
    assert sub["id"] not in [s["id"] for s in client.get(f"{API}/subscriptions", headers=h).json()]
    assert [d["status"] for d in _deliveries(sub["id"])] == ["dropped"]
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=h).status_code == 404


def test_only_the_provider_writes_source_data_and_bad_values_are_refused(client, provider) -> None:
    person, spouse = _resident("330106", 15), _resident("330106", 16)
    consumer = token_for(client, CONSUMER, REGION)
    r = client.put(
        f"{API}/resources/{MARRIAGE}/records", json=_marriage(person, spouse), headers=_bearer(consumer)
    )
    assert r.status_code == 403
    provider_token = token_for(client, PROVIDER, CITY)
    bad = _marriage(person, spouse, id_number=person[0][:-1] + ("0" if person[0][-1] != "0" else "1"),
                    registered_on="2024-13-45", salary="1")  # fmt: skip
    r = client.put(f"{API}/resources/{MARRIAGE}/records", json=bad, headers=_bearer(provider_token))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"id_number", "registered_on", "salary"}
    r = client.put(f"{API}/resources/{MARRIAGE}/records", json=_marriage(person, spouse, region_code="330200001001"),
                   headers=_bearer(provider_token))  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "region_code"

    out = provider(_marriage(person, spouse))
    with transaction() as s:
        row = s.execute(text("SELECT id_number_enc, id_number_idx, subject_person_id, spouse_id_number_enc "
                             "FROM src_marriage WHERE id = :i"), {"i": out["record_id"]}).one()  # fmt: skip
        audited = s.execute(text("SELECT count(*) FROM audit_record WHERE action = 'exchange.source_record_upsert' "
                                 "AND target_id = :i"), {"i": str(out["record_id"])}).scalar()  # fmt: skip
    assert row[1] == crypto.blind_index(person[0], "ric")
    assert crypto.decrypt(bytes(row[0]), row[1].encode()) == person[0]  # AAD = the blind index
    assert person[0].encode() not in bytes(row[0]) and spouse[0].encode() not in bytes(row[3])
    assert row[2] == person[2] and audited == 1


def test_the_delivery_and_deadline_jobs_are_registered_and_run() -> None:
    jobs.register_core_jobs(0.5)
    register_jobs()
    results = jobs.run_once([DELIVER, "workflow.timers", "events.sweep"])
    assert all(isinstance(v, int) for v in results.values()), results
