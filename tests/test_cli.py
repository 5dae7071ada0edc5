"""The command line answers bad input with one clear Chinese line and a non-zero exit code."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from yiwang.cli import app


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_unknown_region_is_one_line_and_exit_2(cli: CliRunner) -> None:
    code, out, err = _run(cli, "client", "create", "测试系统", "--scopes", "identity", "--region", "999999")
    assert code == 2
    assert err.strip() == "错误：接入系统信息有误。--region：行政区划代码 999999 不存在"
    assert "Traceback" not in out + err and out == ""


def test_an_unknown_scope_is_refused_and_the_known_ones_are_named(cli: CliRunner) -> None:
    code, _, err = _run(
        cli, "client", "create", "测试系统", "--scopes", "identiy,exchange", "--region", "330106"
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--scopes：未知的授权范围：identiy" in err and "exchange、identity" in err


def test_known_scopes_are_actions_contexts_or_everything(cli: CliRunner) -> None:
    for scopes in ("identity exchange", "exchange.record_read", "*"):
        code, out, err = _run(cli, "client", "create", "测试系统", "--scopes", scopes, "--region", "330106")
        assert code == 0, err
        assert '"client_id"' in out


def test_a_client_of_an_unknown_department_is_refused(cli: CliRunner) -> None:
    code, _, err = _run(cli, "client", "create", "测试系统", "--scopes", "exchange", "--region", "330106",
                        "--department", "330106-nope")  # fmt: skip
    assert code == 2 and err.strip() == "错误：接入系统信息有误。--department：部门代码 330106-nope 不存在"


def test_user_create_names_each_wrong_option(cli: CliRunner) -> None:
    code, _, err = _run(cli, "user", "create", "newbie", "--name", "新人", "--roles", "clerk", "--password",
                        "short", "--department", "x", "--region", "999")  # fmt: skip
    assert code == 2
    line = err.strip()
    assert len(line.splitlines()) == 1 and line.startswith("错误：账号信息有误。")
    for part in ("--roles：未知角色：clerk", "window_clerk（综合窗口）", "--password：密码至少 8 位",
                 "--department：部门代码 x 不存在", "--region：行政区划代码 999 不存在"):  # fmt: skip
        assert part in line, part


def test_a_taken_username_is_a_conflict_exit_1(cli: CliRunner) -> None:
    code, _, err = _run(cli, "user", "create", "clerk", "--name", "重名", "--roles", "window_clerk",
                        "--password", "long-enough-1")  # fmt: skip
    assert code == 1 and err.strip() == "错误：账号信息有误。USERNAME：用户名已被使用"
