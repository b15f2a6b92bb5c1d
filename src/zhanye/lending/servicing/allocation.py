"""Repayment allocation (pure, no database): an amount is applied installment by installment,
oldest first, and within an installment in the product's component order (default penalty,
compound interest, interest, principal). What is left over is returned, never applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

COMPONENTS = ("penalty", "compound", "interest", "principal")
DEFAULT_ORDER = ("penalty", "compound", "interest", "principal")


@dataclass
class Due:
    """What one installment still owes, by component (fen)."""

    key: int | None  # installment id; None for the current period's accrued interest
    number: int
    penalty: int = 0
    compound: int = 0
    interest: int = 0
    principal: int = 0

    def owed(self, component: str) -> int:
        return int(getattr(self, component))

    @property
    def total(self) -> int:
        return self.penalty + self.compound + self.interest + self.principal


@dataclass
class Result:
    parts: list[tuple[int | None, str, int]] = field(default_factory=list)  # (key, component, amount)
    remainder: int = 0

    @property
    def applied(self) -> int:
        return sum(a for _, _, a in self.parts)

    def by_component(self) -> dict[str, int]:
        out = dict.fromkeys(COMPONENTS, 0)
        for _, comp, amt in self.parts:
            out[comp] += amt
        return out


def parse_order(text: str | Sequence[str] | None) -> tuple[str, ...]:
    parts = [p for p in (text.split(",") if isinstance(text, str) else (text or ())) if p]
    if sorted(parts) != sorted(COMPONENTS):
        return DEFAULT_ORDER
    return tuple(parts)


def allocate(amount_fen: int, dues: Sequence[Due], order: Sequence[str] = DEFAULT_ORDER) -> Result:
    """Apply ``amount_fen`` to ``dues`` (already sorted oldest first)."""
    if amount_fen < 0:
        raise ValueError("amount must not be negative")
    left = amount_fen
    res = Result()
    for due in dues:
        for comp in order:
            if left == 0:
                break
            take = min(left, due.owed(comp))
            if take > 0:
                res.parts.append((due.key, comp, take))
                left -= take
    res.remainder = left
    return res
