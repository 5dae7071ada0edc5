"""`yiwang oidc rotate-key` and `yiwang oidc client-create` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from yiwang.cli import app


def test_rotate_key_makes_a_new_kid_and_keeps_the_old_one_published() -> None:
    from yiwang.contexts.identity.oidc import keys
    from yiwang.core.db import transaction

    with transaction() as s:
        before = keys.signing(s)[0].kid
    result = CliRunner().invoke(app, ["oidc", "rotate-key", "--alg", "EdDSA"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["kid"] != before and before in out["retired"]
    with transaction() as s:
        published = {k["kid"]: k for k in keys.jwks(s)["keys"]}
        assert keys.signing(s)[0].kid == out["kid"]
    assert published[out["kid"]]["kty"] == "OKP" and before in published
    assert "d" not in published[out["kid"]]  # public halves only


def test_rotate_key_refuses_an_unknown_algorithm_in_one_chinese_line() -> None:
    result = CliRunner().invoke(app, ["oidc", "rotate-key", "--alg", "HS256"])
    assert result.exit_code == 2 and result.stderr.startswith("错误：签名算法有误")


def test_client_create_prints_the_secret_once_and_refuses_a_bad_redirect() -> None:
    ok = CliRunner().invoke(
        app, ["oidc", "client-create", "档案系统", "--redirect-uri", "https://da.example.gov.cn/cb"]
    )
    assert ok.exit_code == 0, ok.stderr
    assert set(json.loads(ok.stdout)) == {"client_id", "client_secret"}
    bad = CliRunner().invoke(
        app, ["oidc", "client-create", "档案系统", "--redirect-uri", "https://x.example/cb#frag"]
    )
    assert bad.exit_code == 2 and "--redirect-uri：" in bad.stderr and "片段" in bad.stderr


def test_the_demo_city_has_a_system_to_try_single_sign_on_with_and_seeding_again_adds_nothing() -> None:
    from yiwang.contexts.identity.oidc import repository as repo
    from yiwang.contexts.identity.oidc.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, seed_sso
    from yiwang.core import security
    from yiwang.core.db import transaction

    assert seed_sso() == 0  # the session's demo seed made them already
    with transaction() as s:
        demo = repo.client(s, DEMO_CLIENT_ID)
        assert demo is not None and demo.name == "演示业务系统" and "org" in demo.scopes.split()
        assert security.verify_password(demo.secret_hash, DEMO_CLIENT_SECRET)
