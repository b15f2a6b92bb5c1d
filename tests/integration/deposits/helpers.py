from __future__ import annotations

import itertools
from typing import Any

from zhanye.deposits import eaccounts

_cid = itertools.count(700001)
CARD = "6222020200112233446"


def card_ending(suffix: str) -> str:
    """A Luhn-valid 19-digit card number ending in ``suffix`` (the sandbox keys on the last four)."""
    from stdnum import luhn

    for x in range(100_000):
        cand = f"6222020200{x:05d}{suffix}"
        if luhn.is_valid(cand):
            return cand
    raise AssertionError("unreachable")


CARD_FAILS = card_ending("4444")  # sandbox: confirmations fail
CARD_MISMATCH = card_ending("0000")  # sandbox: holder does not match
CARD_DOWN = card_ending("9999")  # sandbox: provider unavailable


def eaccount(s: Any, actor: Any, inst: int, *, eclass: str = "II", funds: int = 0, card: str = CARD) -> int:
    _ea, acc = eaccounts.open_eaccount(s, actor=actor, institution_id=inst, customer_id=next(_cid), eclass=eclass,
                                       bound_card=card, customer_verified=True)
    if funds:
        order = eaccounts.start_clearing(s, actor=actor, account_id=acc.id, direction="in", amount_fen=funds,
                                         order_key=f"fund-{acc.id}")
        eaccounts.finish_clearing(s, actor=actor, order_id=order.id)
    return acc.id
