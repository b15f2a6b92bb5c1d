"""Extension slots of the customer 360 page. Other features (ledger accounts, deposits, loans and
credit lines) register a panel; the page shows those the user may see, in order.

    from zhanye.customers.panels import CustomerPanel, register

    register(CustomerPanel("loans", "Loans and credit lines", "loan.read", render_loans, order=30))

``render(session, actor, customer_id)`` returns ``{"template": "lending/_customer_panel.html", ...}``;
the template is included with that dict as its context (plus ``customer``). Panels must mask
personal data like every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import Principal


@dataclass(frozen=True)
class CustomerPanel:
    key: str
    title: str  # English message id (translate it in your feature's locale/zh_CN.po)
    permission: str
    render: Callable[[Session, Principal, int], dict[str, Any]]
    order: int = 100


_panels: dict[str, CustomerPanel] = {}


def register(panel: CustomerPanel) -> None:
    _panels[panel.key] = panel


def unregister(key: str) -> None:
    _panels.pop(key, None)


def panels_for(principal: Principal) -> list[CustomerPanel]:
    return sorted((p for p in _panels.values() if principal.can(p.permission)), key=lambda p: (p.order, p.key))
