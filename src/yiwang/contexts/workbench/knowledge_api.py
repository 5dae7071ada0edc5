"""JSON routes of the knowledge base (scope `knowledge`): load articles, search them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from yiwang.contexts.identity import Caller
from yiwang.contexts.workbench import knowledge_actions as actions
from yiwang.contexts.workbench import knowledge_search as search
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn, ArticleOut, HitOut
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
ArticleId = Annotated[int, Path(ge=1, le=2**63 - 1, description="文章编号")]


@router.post(
    "/articles",
    response_model=ArticleOut,
    summary="新建或更新一篇知识库文章（按 external_id；内容有变即存为新版本）",
    responses={200: {"description": "已更新（或内容未变）"}, 201: {"description": "已新建"}},
)
def article_upsert(body: ArticleIn, db: DB, actor: Caller, response: Response) -> ArticleOut:
    out = actions.article_save(db, actor, body)
    response.status_code = 201 if out.created else 200
    response.headers["Location"] = f"/api/v1/knowledge/articles/{out.id}"
    return out


@router.get("/articles/{article_id}", response_model=ArticleOut, summary="读取一篇知识库文章")
def article_read(article_id: ArticleId, db: DB, actor: Caller) -> ArticleOut:
    return actions.view(db, actions.article_read(db, actor, article_id))


@router.get("/search", response_model=list[HitOut], summary="检索知识库：BM25 召回，语义重排")
def article_search(
    db: DB,
    actor: Caller,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="问题或关键词")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[HitOut]:
    return [
        HitOut(id=r.article.id, external_id=r.article.external_id, kind=r.article.kind,
               title=r.article.title, score=round(r.score, 4), snippet=search.snippet(r))
        for r in search.article_search(db, actor, q, limit)
    ]  # fmt: skip
