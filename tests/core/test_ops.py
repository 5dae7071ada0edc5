"""Operating the service: health, readiness, metrics, request ids, OpenAPI, error pages, settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_request_id_is_echoed_and_reaches_the_audit_record(as_user) -> None:
    from sqlalchemy import text

    from yiwang.core.db import transaction

    c = as_user("clerk")
    r = c.get("/api/v1/persons", params={"limit": 1}, headers={"X-Request-ID": "req-test-12345678"})
    assert r.headers["x-request-id"] == "req-test-12345678"
    with transaction() as s:
        n = s.execute(
            text("SELECT count(*) FROM audit_record WHERE request_id = 'req-test-12345678'")
        ).scalar()
    assert n == 1


def test_metrics_count_requests_per_route(client) -> None:
    client.get("/healthz")
    body = client.get("/metrics").text
    assert 'yiwang_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "yiwang_http_request_duration_seconds_bucket" in body
    assert "yiwang_db_pool_checked_out" in body
    assert "yiwang_audit_records" in body and "yiwang_audit_unsealed" in body


def test_openapi_31_and_docs_load_only_local_assets(client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/persons/{person_id}" in spec["paths"]
    docs = client.get("/api/v1/docs").text
    assert "/static/vendor/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/static/vendor/swagger-ui-bundle.js").status_code == 200


def test_unknown_pages_show_a_chinese_404_and_api_gets_problem_json(client) -> None:
    page = client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "页面或资源不存在" in page.text
    api = client.get("/api/v1/no-such")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


def test_a_staff_page_refuses_a_citizen_with_a_403_page(as_user) -> None:
    c = as_user("citizen")
    r = c.get("/persons", headers={"accept": "text/html"})
    assert r.status_code == 403
    assert "无权" in r.text


def test_production_refuses_the_default_secret() -> None:
    from yiwang.settings import Settings

    with pytest.raises(ValidationError, match="YIWANG_SECRET_KEY"):
        Settings(env="production", secret_key="dev-insecure-change-me")
    with pytest.raises(ValidationError, match="YIWANG_DATA_KEY"):
        Settings(env="production", secret_key="x" * 40)
    ok = {"secret_key": "x" * 40, "data_key": "a" * 44, "audit_signing_key": "b" * 44, "cookie_secure": True,
          "webhook_allowed_hosts": "hooks.example.gov.cn"}  # fmt: skip
    Settings(env="production", **ok)
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        Settings(env="production", **{**ok, "cookie_secure": False})


def test_benchmark_baselines_are_off_by_default_and_refused_in_production(client) -> None:
    from yiwang.settings import Settings

    assert client.get("/api/v1/_bench/pk/person/1").status_code == 404
    with pytest.raises(ValidationError, match="BENCH"):
        Settings(
            env="production", secret_key="x" * 40, bench_endpoints=True, data_key="a", audit_signing_key="b"
        )


def test_identity_numbers_never_reach_the_access_log_or_error_bodies(client, caplog) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="yiwang.access"):
        r = client.get("/api/v1/exchange/resources/330100-MZ-0001/records/11010519491231002X")
    assert "11010519491231002X" not in r.text
    logged = " ".join(str(getattr(rec, "path", "")) + rec.getMessage() for rec in caplog.records)
    assert "110105********002X" in logged and "11010519491231002X" not in logged
