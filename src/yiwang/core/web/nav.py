"""Navigation and home-page cards that contexts plug into the web shell."""

from __future__ import annotations

from dataclasses import dataclass


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
