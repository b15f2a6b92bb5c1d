"""Clearing in transit (1131) holds exactly the bound-card transfers not yet confirmed: a
confirmation moves the amount to the settlement account (1011) once; a failure is reversed and
settles nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.deposits.helpers import CARD, CARD_FAILS, eaccount
from tests.integration.ledger.helpers import system
from zhanye.deposits import eaccounts
from zhanye.ledger import service as ledger
from zhanye.ledger.check import check_ledger


def gl(s, code: str) -> int:  # type: ignore[no-untyped-def]
    """Debit-minus-credit total of a GL code over all lines."""
    return int(s.execute(text(
        "SELECT coalesce(sum(l.debit_fen - l.credit_fen), 0) FROM ledger_line l "
        "JOIN ledger_gl_account g ON g.id = l.gl_account_id WHERE g.code = :c"), {"c": code}).scalar_one())


def test_confirmations_settle_and_failures_do_not(bank) -> None:  # type: ignore[no-untyped-def]
    db, ids = bank
    with db.unit_of_work() as s:
        a = eaccount(s, system(s), ids["101"], card=CARD)
        base = (gl(s, "1131"), gl(s, "1011"))
        order = eaccounts.start_clearing(s, actor=system(s), account_id=a, direction="in", amount_fen=300_000,
                                         order_key="settle-in")
        assert (gl(s, "1131"), gl(s, "1011")) == (base[0] + 300_000, base[1])  # in transit
        eaccounts.finish_clearing(s, actor=system(s), order_id=order.id)
        assert (gl(s, "1131"), gl(s, "1011")) == (base[0], base[1] + 300_000)  # arrived in the settlement account
        eaccounts.finish_clearing(s, actor=system(s), order_id=order.id)  # a second confirmation settles nothing
        out = eaccounts.start_clearing(s, actor=system(s), account_id=a, direction="out", amount_fen=100_000,
                                       order_key="settle-out")
        assert gl(s, "1131") == base[0] - 100_000
        eaccounts.finish_clearing(s, actor=system(s), order_id=out.id)
        assert (gl(s, "1131"), gl(s, "1011")) == (base[0], base[1] + 200_000)
        # the entry is idempotent by the order: settling the same order again returns the first entry
        first = ledger.settle_clearing(s, actor=system(s), institution_id=ids["101"], amount_fen=100_000,
                                       direction="out", source_type="eaccount.clearing", source_id=str(out.id))
        assert (gl(s, "1131"), gl(s, "1011")) == (base[0], base[1] + 200_000) and first.id

        b = eaccount(s, system(s), ids["101"], card=CARD_FAILS)
        failed = eaccounts.start_clearing(s, actor=system(s), account_id=b, direction="in", amount_fen=50_000,
                                          order_key="settle-fail")
        eaccounts.finish_clearing(s, actor=system(s), order_id=failed.id)
        assert failed.status == "failed"
        assert (gl(s, "1131"), gl(s, "1011")) == (base[0], base[1] + 200_000)  # reversed, nothing settled
        res = check_ledger(s)
        assert res.ok, res.breaches
