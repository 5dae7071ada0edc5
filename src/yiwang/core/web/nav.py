"""Navigation and home-page cards that contexts plug into the web shell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[str]  # empty = everyone logged in
    order: int = 100
    badge: str | None = None  # a fragment with a count, loaded after the page (htmx)


@dataclass(frozen=True)
class HomeCard:
    role: str
    title: str
    body: str
    href: str
    order: int = 100


_nav: list[NavItem] = []
_cards: list[HomeCard] = []


def add_nav(
    label: str,
    href: str,
    roles: set[str] | frozenset[str] = frozenset(),
    order: int = 100,
    badge: str | None = None,
) -> None:
    if all(n.href != href for n in _nav):
        _nav.append(NavItem(label, href, frozenset(roles), order, badge))


def add_card(role: str, title: str, body: str, href: str, order: int = 100) -> None:
    if all((c.role, c.href) != (role, href) for c in _cards):
        _cards.append(HomeCard(role, title, body, href, order))


def nav_for(roles: frozenset[str]) -> list[NavItem]:
    return sorted((n for n in _nav if not n.roles or n.roles & roles), key=lambda n: n.order)


def cards_for(roles: frozenset[str]) -> list[HomeCard]:
    return sorted((c for c in _cards if c.role in roles), key=lambda c: c.order)


@dataclass(frozen=True)
class Figure:
    """A number a home page leads with: the person's work (待办 12, 已超期 2, 督办 1 …)."""

    label: str
    value: int
    href: str
    alert: bool = False  # shown in red when not zero


FigureSource = Callable[[Any, Any], list[Figure]]  # (session, actor) -> figures
_figures: list[tuple[frozenset[str], FigureSource]] = []


def add_figures(roles: set[str] | frozenset[str], source: FigureSource) -> None:
    """A context's figures for the home page of these roles (empty: everyone logged in)."""
    if all(fn is not source for _, fn in _figures):
        _figures.append((frozenset(roles), source))


def figures_for(session: Any, actor: Any) -> list[Figure]:
    out: list[Figure] = []
    for roles, source in _figures:
        if not roles or roles & actor.roles:
            out += source(session, actor)
    return out
