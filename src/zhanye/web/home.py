"""Panels on the home page that features register (todos, cockpit, my villages, ...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import Principal


@dataclass(frozen=True)
class HomePanel:
    key: str
    title: str  # English message id
    permission: str
    render: Callable[[Session, Principal], dict[str, Any]]  # -> {"template": ..., **context}
    order: int = 100


_panels: dict[str, HomePanel] = {}


def register(panel: HomePanel) -> None:
    _panels[panel.key] = panel


def panels_for(principal: Principal) -> list[HomePanel]:
    return sorted((p for p in _panels.values() if p.permission == "authenticated" or principal.can(p.permission)),
                  key=lambda p: (p.order, p.key))
