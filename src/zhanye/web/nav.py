"""Navigation entries that features register; the layout shows those the user may use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # English message id, translated at render
    href: str
    permission: str
    icon: str = "circle"
    order: int = 100
    group: str = "main"


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def visible(permissions: frozenset[str]) -> list[NavItem]:
    return sorted((i for i in _items.values() if i.permission == "authenticated" or i.permission in permissions),
                  key=lambda i: (i.order, i.key))
