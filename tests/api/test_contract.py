"""The API keeps its contract whatever it is sent: a missing target is 404 before any policy
runs, numbers beyond 64 bits never reach the database as a crash, a 500 says so, a wrong method
names the right ones, an oversized body is refused unread, and the OpenAPI document declares all
of it for every operation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.contexts.exchange.helpers import token_for
from yiwang.core import authz, db
from yiwang.core.actor import Actor
from yiwang.core.errors import PROBLEM_JSON, NotFound
from yiwang.core.web import body_limit, contract, errors
from yiwang.core.web.body_limit import BodyLimit

STAFF = Actor(kind="user", id=1, roles=frozenset({"admin"}), region_code="330100")


def _thing_update(actor: Actor, thing: Any) -> authz.Decision:
    return authz.ALLOW if thing.owner == actor.id else authz.deny("不是本人的")


def _thing_list(actor: Actor, region_code: str | None) -> authz.Decision:
    return authz.ALLOW


def _thing_count(actor: Actor, _target: Any) -> authz.Decision:
    return authz.ALLOW


@pytest.fixture
def thing_policies() -> Any:
    """Registered as a context's policies are, for these tests only (no labels, so not kept)."""
    names = {
        "test.thing_update": _thing_update,
        "test.thing_list": _thing_list,
        "test.thing_count": _thing_count,
    }
    for name, fn in names.items():
        authz.policy(name)(fn)
    yield
    for name in names:
        authz._POLICIES.pop(name, None)
        authz._NEEDS_TARGET.discard(name)


def test_a_missing_target_is_404_before_its_policy_runs(thing_policies: None) -> None:
    with pytest.raises(NotFound):
        authz.check(STAFF, "test.thing_update", None)  # the policy would fail on None.owner
    authz.check(STAFF, "test.thing_list", None)  # a policy that takes None judges it
    authz.check(STAFF, "test.thing_count", None)  # and one that ignores its target
    assert authz.needs_target("test.thing_update") and not authz.needs_target("test.thing_list")


def test_a_client_without_the_scope_is_refused_before_the_target_is_looked_at(thing_policies: None) -> None:
    client = Actor(kind="client", client_id="c", scopes=frozenset({"catalog"}))
    with pytest.raises(authz.Forbidden):
        authz.check(client, "test.thing_update", None)


@pytest.fixture
def identity_headers(client: TestClient) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token_for(client, '330100-civil_affairs', '330100')}",
        "X-User": "test",
    }


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers
    body = r.json()
    assert body["status"] == status and body["detail"], body
    return dict(body)


def test_patching_a_person_that_does_not_exist_is_404(
    client: TestClient, identity_headers: dict[str, str]
) -> None:
    r = client.patch("/api/v1/persons/987654321", json={"address": "西湖区"}, headers=identity_headers)
    assert _problem(r, 404)["type"].endswith("/not-found")


@pytest.mark.parametrize("path", ["/api/v1/persons/{n}", "/api/v1/exchange/requests/{n}", "/api/v1/tasks/{n}",
                                  "/api/v1/enterprises/{n}", "/api/v1/exchange/subscriptions/{n}/deliveries"])  # fmt: skip
@pytest.mark.parametrize("n", [2**63, 2**64 + 5, 10**40, -(2**63) - 1])
def test_ids_beyond_64_bits_are_404_or_422_never_500(
    client: TestClient, identity_headers: dict[str, str], path: str, n: int
) -> None:
    r = client.get(path.format(n=n), headers=identity_headers)
    assert r.status_code in (403, 404, 422), r.text
    _problem(r, r.status_code)


def _toy_app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/toy/{n}")
    def toy(n: int) -> dict[str, int]:
        with db.transaction() as s:
            return {"n": int(s.execute(text("SELECT CAST(:n AS BIGINT)"), {"n": n}).scalar_one())}

    @app.post("/api/v1/toy")
    def toy_body(body: dict[str, int]) -> dict[str, int]:
        with db.transaction() as s:
            return {"n": int(s.execute(text("SELECT CAST(:n AS BIGINT)"), {"n": body["n"]}).scalar_one())}

    @app.get("/api/v1/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    return app


def test_a_number_the_database_cannot_hold_is_refused_on_either_database() -> None:
    with TestClient(_toy_app(), raise_server_exceptions=False) as c:
        assert c.get("/api/v1/toy/12").json() == {"n": 12}
        assert _problem(c.get(f"/api/v1/toy/{2**64}"), 404)["type"].endswith("/not-found")
        body = _problem(c.post("/api/v1/toy", json={"n": 2**70}), 422)
        assert body["errors"][0]["code"] == "out_of_range"


def test_a_server_error_does_not_call_itself_a_bad_request() -> None:
    with TestClient(_toy_app(), raise_server_exceptions=False) as c:
        body = _problem(c.get("/api/v1/crash"), 500)
    assert body["type"].endswith("/server-error") and "bad-request" not in body["type"]


def test_an_undeclared_method_is_405_with_every_allowed_method(client: TestClient) -> None:
    r = client.delete("/api/v1/persons/1")
    _problem(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "PATCH"}
    r = client.put("/api/v1/catalog/resources")
    _problem(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}


def test_an_oversized_body_is_413_before_it_is_parsed(
    client: TestClient, identity_headers: dict[str, str]
) -> None:
    big = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    r = client.post(
        "/api/v1/persons", content=big, headers={**identity_headers, "content-type": "application/json"}
    )
    assert _problem(r, 413)["type"].endswith("/payload-too-large")

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"x" * 65_536

    r = client.post(
        "/api/v1/persons", content=chunks(), headers={**identity_headers, "content-type": "application/json"}
    )
    _problem(r, 413)


async def _size(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


def test_an_upload_route_raises_its_own_limit() -> None:
    app = FastAPI()
    errors.install(app)
    app.add_api_route("/api/v1/uploads", _size, methods=["POST"])
    app.add_api_route("/api/v1/notes", _size, methods=["POST"])
    app.add_middleware(BodyLimit, default_limit=1_000)
    body_limit.allow_larger(r"/api/v1/uploads", 100_000)
    try:
        with TestClient(app) as c:
            assert c.post("/api/v1/uploads", content=b"x" * 50_000).json() == {"size": 50_000}
            assert c.post("/api/v1/notes", content=b"x" * 500).json() == {"size": 500}
            assert c.post("/api/v1/notes", content=b"x" * 5_000).status_code == 413
            assert c.post("/api/v1/uploads", content=b"x" * 200_000).status_code == 413
    finally:
        body_limit._LARGER.pop()


def test_every_operation_declares_its_problem_answers(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldProblem"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    operations = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]
    assert len(operations) > 30
    for path, method, op in operations:
        for status in ("400", "401", "403", "404", "405", "409", "413", "422", "429"):
            declared = op["responses"].get(status)
            assert declared and PROBLEM_JSON in declared["content"], (method, path, status)
        assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)
        for param in op.get("parameters", []):
            if param["schema"].get("type") == "integer":
                assert param["schema"]["maximum"] <= contract.INT64_MAX, (method, path, param)


def test_rules_that_were_only_in_code_are_in_the_schema(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    person = schemas["PersonIn"]["properties"]
    assert person["id_number"]["format"] == "cn-ric" and person["id_number"]["pattern"].startswith("^")
    assert person["phone"]["anyOf"][0]["pattern"]
    assert schemas["EnterpriseIn"]["properties"]["credit_code"]["format"] == "cn-uscc"
    assert "oneOf" in schemas["AssigneeIn"]
