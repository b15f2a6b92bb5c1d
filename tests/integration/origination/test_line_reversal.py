"""A revolving line follows its loans through a repayment and the reversal of that repayment:
the limit a repayment returned is taken back by the reversal, in the reversal's transaction."""

from __future__ import annotations

import pytest

from tests.integration.origination.helpers import principal, snapshot
from tests.integration.origination.test_lines_drawdowns import draw, granted_line
from zhanye.ledger.check import check_ledger
from zhanye.lending.origination import service
from zhanye.lending.servicing import repayments


def _line(s, line_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    line = service.get_line(s, actor=principal(s, "manager1"), line_id=line_id)
    return line.used_fen, line.available_fen


def test_reversal_of_a_prepayment_takes_the_returned_limit_back(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    out = draw(demo_db, cust["line_id"], 7_000_000, f"rv-{cust['line_id']}")
    with demo_db.unit_of_work() as s:
        assert _line(s, cust["line_id"]) == (7_000_000, 13_000_000)
        rep = repayments.prepay(s, actor=principal(s, "manager1"), loan_id=out["loan_id"], kind="partial",
                                channel="eaccount", external_id=f"rv-pp-{out['id']}", principal_fen=2_000_000,
                                option="lower_installment")
        assert rep.principal_fen == 2_000_000
        assert _line(s, cust["line_id"]) == (5_000_000, 15_000_000)
        rep_id = rep.id
    with demo_db.unit_of_work() as s:
        repayments.reverse_repayment(s, actor=principal(s, "manager1"), repayment_id=rep_id)
        assert _line(s, cust["line_id"]) == (7_000_000, 13_000_000)
    with demo_db.unit_of_work(write=False) as s:
        assert _line(s, cust["line_id"]) == (7_000_000, 13_000_000)
        assert check_ledger(s).ok


def test_a_failed_reversal_leaves_the_line_as_it_was(demo_db) -> None:  # type: ignore[no-untyped-def]
    """The reversal and the limit change share one transaction: when the reversal fails after the
    event, neither survives."""
    cust = granted_line(demo_db)
    out = draw(demo_db, cust["line_id"], 6_000_000, f"rvf-{cust['line_id']}")
    with demo_db.unit_of_work() as s:
        rep_id = repayments.prepay(s, actor=principal(s, "manager1"), loan_id=out["loan_id"], kind="partial",
                                   channel="eaccount", external_id=f"rvf-pp-{out['id']}", principal_fen=1_000_000,
                                   option="lower_installment").id
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
        assert before["line"][3] == 5_000_000

    class Boom(Exception):
        pass

    with pytest.raises(Boom), demo_db.unit_of_work() as s:
        repayments.reverse_repayment(s, actor=principal(s, "manager1"), repayment_id=rep_id)
        assert _line(s, cust["line_id"])[0] == 6_000_000
        raise Boom
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"]) == before
        assert repayments.get_repayment(s, actor=principal(s, "manager1"), repayment_id=rep_id).status == "posted"


def test_non_revolving_line_is_not_touched_by_either(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core import events
    from zhanye.lending.origination.models import CreditLine

    cust = granted_line(demo_db)
    draw(demo_db, cust["line_id"], 4_000_000, f"nr-{cust['line_id']}")
    with demo_db.unit_of_work() as s:
        line = s.get(CreditLine, cust["line_id"])
        line.revolving = False
        s.flush()
        for amount in (1_000_000, -1_000_000):
            events.publish(s, "loan.principal_repaid", {"line_id": cust["line_id"], "amount_fen": amount})
        assert _line(s, cust["line_id"]) == (4_000_000, 16_000_000)
