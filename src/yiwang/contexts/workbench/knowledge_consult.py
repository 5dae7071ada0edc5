"""智能咨询: a citizen's question answered with the best passages of valid articles, what other
contexts offer for it (service items, once the services context registers a source), and a
hand-off to a 12345 message when nothing fits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from yiwang.contexts.workbench import knowledge_search as search
from yiwang.contexts.workbench import knowledge_text as text
from yiwang.core import authz
from yiwang.core.actor import Actor

_handoff: list[Callable[[str], str]] = []


def register_handoff(url_for: Callable[[str], str]) -> None:
    """Where a citizen leaves a 12345 message with the question filled in: the hotline context
    registers its intake page. Until it does, the hand-off is the hotline's phone number."""
    _handoff[:] = [url_for]


def handoff_url(question: str) -> str:
    return _handoff[0](question) if _handoff else "tel:12345"


@dataclass(frozen=True)
class Suggestion:
    """Something another context offers for a question, e.g. a service item to apply for."""

    title: str
    url: str
    summary: str = ""


Source = Callable[[Session, Actor, str, int], list[Suggestion]]
_SOURCES: list[tuple[str, Source]] = []


def register_consult_source(heading: str, source: Source) -> None:
    """The extension point: a context (services: its matching service items) adds what it has
    for a question under its own heading. Nothing is registered until such a context exists."""
    if all(h != heading for h, _ in _SOURCES):
        _SOURCES.append((heading, source))


@dataclass(frozen=True)
class Passage:
    article_id: int
    title: str
    kind: str
    html: str  # the passage, escaped, the question's words in <mark>
    score: float


@dataclass
class Answer:
    question: str
    passages: list[Passage]
    suggestions: list[tuple[str, list[Suggestion]]] = field(default_factory=list)
    fits: bool = False  # False: offer the 12345 hand-off first


def _best_passage(body: str, terms: list[str]) -> str:
    parts = text.passages(body) or [body]
    weights = {t: len(t) for t in terms}
    best = max(parts, key=lambda p: sum(w for t, w in weights.items() if t in p))
    return text.highlight(best, terms, width=200)


def _matched(r: search.Ranked) -> int:
    own = set((r.article.title_terms + " " + r.article.body_terms).split())
    return len({t for t in r.terms if t in own and len(t) > 1})


FITS_SIMILARITY = 0.88  # e5 cosine of a question and a passage that answers it (0.84-0.87: unrelated)


def _fits(question: str, best: search.Ranked) -> bool:
    if best.similarity is not None:
        return best.similarity >= FITS_SIMILARITY
    wanted = min(2, len({t for t in text.query_terms(question) if len(t) > 1}) or 1)
    return _matched(best) >= wanted


def consult_ask(session: Session, actor: Actor, question: str, limit: int = 3) -> Answer:
    authz.check(actor, "workbench.consult_ask", None)
    ranked = search.rank(session, question, limit, valid_only=True)
    passages = [Passage(r.article.id, r.article.title, r.article.kind, _best_passage(r.article.body, r.terms), r.score)
                for r in ranked]  # fmt: skip
    answer = Answer(question, passages, fits=bool(ranked) and _fits(question, ranked[0]))
    for heading, source in _SOURCES:
        items = source(session, actor, question, 5)
        if items:
            answer.suggestions.append((heading, items))
    return answer
