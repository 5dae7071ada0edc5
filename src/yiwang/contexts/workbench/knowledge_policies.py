"""Who may use the knowledge base: staff search, read and write articles; calling systems with
the `knowledge` scope search and load them through the API; anyone may ask 智能咨询; only an
administrator imports files."""

from __future__ import annotations

from typing import Any

from yiwang.core import authz
from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy

authz.scope("knowledge", "workbench.article_")


def _staff_or_client(actor: Actor) -> bool:
    return actor.kind == "client" or (actor.kind == "user" and actor.is_staff)


@policy("workbench.article_search")
def article_search(actor: Actor, _t: Any) -> Decision:
    return ALLOW if _staff_or_client(actor) else deny("知识库检索只对工作人员和接入系统开放")


@policy("workbench.article_read")
def article_read(actor: Actor, _t: Any) -> Decision:
    return ALLOW if _staff_or_client(actor) else deny("知识库文章只对工作人员和接入系统开放")


@policy("workbench.article_write")
def article_write(actor: Actor, _t: Any) -> Decision:
    return ALLOW if _staff_or_client(actor) else deny("只有工作人员和接入系统可以编写知识库文章")


@policy("workbench.article_import")
def article_import(actor: Actor, _t: Any) -> Decision:
    return ALLOW if actor.kind == "user" and actor.has("admin") else deny("只有管理员可以批量导入知识库")


@policy("workbench.consult_ask")
def consult_ask(actor: Actor, _t: Any) -> Decision:
    return ALLOW if not actor.disabled else deny("账号已停用")
