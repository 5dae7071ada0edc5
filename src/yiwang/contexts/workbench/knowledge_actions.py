"""Use cases that write the knowledge base: save an article (new, or a new version when its
content changed). Each starts with authz.check; terms and the passage
vector are computed here, at write time, so a search only reads them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.workbench import knowledge_embed as embed
from yiwang.contexts.workbench import knowledge_repository as repo
from yiwang.contexts.workbench import knowledge_text as text
from yiwang.contexts.workbench.knowledge_events import ARTICLE_SAVED, ArticleSaved
from yiwang.contexts.workbench.knowledge_models import KnowledgeArticle, KnowledgeArticleVersion
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn, ArticleOut
from yiwang.core import audit, authz, events
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed


def view(session: Session, a: KnowledgeArticle, created: bool = False) -> ArticleOut:
    dept = identity.department(session, a.department_id) if a.department_id else None
    return ArticleOut(id=a.id, external_id=a.external_id, kind=a.kind, title=a.title, body=a.body,
                      tags=a.tags.split(), department=dept.code if dept else None, valid_from=a.valid_from,
                      valid_until=a.valid_until, version=a.version, updated_at=a.updated_at, created=created)  # fmt: skip


def _department_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    dept = identity.department_by_code(session, code)
    if dept is None:
        raise ValidationFailed("所属部门不存在", [FieldError("department", "没有该代码的部门", "unknown")])
    return dept.id


def _same(a: KnowledgeArticle, data: ArticleIn, dept_id: int | None) -> bool:
    return (a.title, a.body, a.tags, a.kind, a.department_id, a.valid_from, a.valid_until) == (
        data.title, data.body, " ".join(data.tags), data.kind, dept_id, data.valid_from, data.valid_until,
    )  # fmt: skip


def article_save(session: Session, actor: Actor, data: ArticleIn, vector: bytes | None = None) -> ArticleOut:
    """Create the article of `data.external_id`, or give it a new version; the same content
    again changes nothing. `vector`: the passage vector when the caller embedded a batch."""
    authz.check(actor, "workbench.article_write", None)
    dept_id = _department_id(session, data.department)
    existing = repo.by_external(session, data.external_id, for_update=True)
    if existing is not None and _same(existing, data, dept_id):
        return view(session, existing)
    return _write(session, actor, existing, data, dept_id, vector)


def article_update(session: Session, actor: Actor, article_id: int, data: ArticleIn) -> ArticleOut:
    """A member of staff edits an article on its page: a new version (its external id stays)."""
    authz.check(actor, "workbench.article_write", None)
    a = repo.article(session, article_id, for_update=True)
    if a is None:
        raise NotFound("知识库文章不存在")
    data = data.model_copy(update={"external_id": a.external_id})
    dept_id = _department_id(session, data.department)
    if _same(a, data, dept_id):
        return view(session, a)
    return _write(session, actor, a, data, dept_id, None)


def _write(session: Session, actor: Actor, a: KnowledgeArticle | None, data: ArticleIn, dept_id: int | None,
           vector: bytes | None) -> ArticleOut:  # fmt: skip
    now, tags = utcnow(), " ".join(data.tags)
    title_terms = text.index_text(f"{data.title} {' '.join(data.tags)}")
    body_terms = text.index_text(data.body)
    if vector is None and (a is None or (a.title, a.body) != (data.title, data.body) or a.vector is None):
        vector = embed.passages([embed.passage_text(data.title, data.body)])[0]
    created = a is None
    if a is None:
        a = repo.add(session, KnowledgeArticle(
            external_id=data.external_id, kind=data.kind, title=data.title, body=data.body, tags=tags,
            department_id=dept_id, valid_from=data.valid_from, valid_until=data.valid_until, version=1,
            title_terms=title_terms, body_terms=body_terms, n_terms=len((title_terms + " " + body_terms).split()),
            vector=vector, created_at=now, updated_at=now))  # fmt: skip
    else:
        repo.unindex(session, a)
        a.kind, a.title, a.body, a.tags, a.department_id = data.kind, data.title, data.body, tags, dept_id
        a.valid_from, a.valid_until, a.version, a.updated_at = (
            data.valid_from,
            data.valid_until,
            a.version + 1,
            now,
        )
        a.title_terms, a.body_terms = title_terms, body_terms
        a.n_terms = len((title_terms + " " + body_terms).split())
        if vector is not None:
            a.vector = vector
        session.flush()
    repo.index(session, a)
    repo.add_version(session, KnowledgeArticleVersion(
        article_id=a.id, version=a.version, title=a.title, body=a.body, tags=tags, valid_from=a.valid_from,
        valid_until=a.valid_until, note=data.note, edited_by=actor.name or actor.label, edited_at=now))  # fmt: skip
    audit.record(session, actor, "workbench.article_write", "knowledge_article", a.id,
                 detail={"external_id": a.external_id, "version": a.version, "created": created})  # fmt: skip
    events.emit(session, ARTICLE_SAVED, f"article/{a.id}", ArticleSaved(
        article_id=a.id, external_id=a.external_id, kind=a.kind, title=a.title, version=a.version,
        department_id=a.department_id))  # fmt: skip
    return view(session, a, created)


def article_read(session: Session, actor: Actor, article_id: int) -> KnowledgeArticle:
    authz.check(actor, "workbench.article_read", None)
    a = repo.article(session, article_id)
    if a is None:
        raise NotFound("知识库文章不存在")
    return a


def article_versions(session: Session, actor: Actor, article_id: int) -> list[KnowledgeArticleVersion]:
    authz.check(actor, "workbench.article_read", None)
    return repo.versions(session, article_id)


def article_list(session: Session, actor: Actor, kind: str | None, limit: int, offset: int
                 ) -> tuple[list[KnowledgeArticle], int]:  # fmt: skip
    authz.check(actor, "workbench.article_read", None)
    return repo.recent(session, kind, limit, offset)
