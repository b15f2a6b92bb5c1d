"""A drawdown's rows as its statements leave them. On PostgreSQL the drawdown, its line's use and the
loan are written through the driver (``core.pg_writes``), the LPR and the inspection setting are
read inside other statements and the loan GL pools come from a cache of committed sets: each
answer must equal what a fresh read of the database says, on both databases."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tests.integration.origination.helpers import principal
from tests.integration.origination.test_lines_drawdowns import granted_line
from zhanye.core.calendar import get_business_date
from zhanye.core.models import KernelSetting
from zhanye.lending.origination import service
from zhanye.lending.origination.models import CreditLine, Drawdown
from zhanye.lending.servicing.models import Inspection, Loan

PAYEE = "6222020000000015"


def test_the_objects_returned_equal_the_rows_and_nothing_is_left_to_flush(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        before = s.get(CreditLine, cust["line_id"])
        used0, drawn0 = before.used_fen, before.drawn_total_fen
        dd = service.create_drawdown(s, actor=actor, line_id=cust["line_id"], amount_fen=6_000_000, term_months=12,
                                     method="equal_installment", request_key=f"t:{uuid.uuid4().hex}",
                                     payee_name="长春农资有限公司", payee_account=PAYEE)
        line, loan = s.get(CreditLine, cust["line_id"]), s.get(Loan, dd.loan_id)
        if not demo_db.is_sqlite:  # written through the driver: nothing waits for the flush at commit
            assert not s.new and not s.dirty
        mine = {"dd": service.drawdown_out(dd), "used": line.used_fen, "drawn": line.drawn_total_fen,
                "entry": loan.disbursement_entry_id, "loan": (loan.id, loan.drawdown_id, loan.principal_fen)}
    assert mine["used"] == used0 + 6_000_000 and mine["drawn"] == drawn0 + 6_000_000
    assert mine["dd"]["clearing_status"] == "submitted" and mine["dd"]["clearing_ref"]
    assert mine["dd"]["created_at"] is not None and mine["entry"] is not None
    with demo_db.unit_of_work(write=False) as s:
        fresh = s.get(Drawdown, mine["dd"]["id"])
        line, loan = s.get(CreditLine, cust["line_id"]), s.get(Loan, fresh.loan_id)
        assert service.drawdown_out(fresh) == mine["dd"]
        assert (line.used_fen, line.drawn_total_fen) == (mine["used"], mine["drawn"])
        assert loan.disbursement_entry_id == mine["entry"]
        assert (loan.id, loan.drawdown_id, loan.principal_fen) == mine["loan"]


def test_the_first_inspection_follows_the_setting(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        rec = s.get(KernelSetting, "servicing.inspection")
        old = rec.value if rec is not None else None
        if rec is None:
            s.add(KernelSetting(key="servicing.inspection", value=json.dumps({"first_days": 23})))
        else:
            rec.value = json.dumps({**json.loads(rec.value), "first_days": 23})
    try:
        out = draw(demo_db, cust["line_id"])
        with demo_db.unit_of_work(write=False) as s:
            insp = s.execute(select(Inspection).where(Inspection.loan_id == out["loan_id"])).scalar_one()
            assert insp.kind == "first"
            assert insp.due_date == out["business_date"] + dt.timedelta(days=23)
    finally:
        with demo_db.unit_of_work() as s:
            rec = s.get(KernelSetting, "servicing.inspection")
            if old is None:
                s.delete(rec)
            else:
                rec.value = old


def test_the_rate_is_the_lpr_in_force_on_the_business_date_plus_the_spread(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.lending import lpr

    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        line = s.get(CreditLine, cust["line_id"])
        assert line.rate_type == "lpr"
        today = get_business_date(s)
        expected = lpr.rate_from_lpr(Decimal(lpr.lpr_in_force(s, "1y", today).rate), line.spread_bp or 0)
    out = draw(demo_db, cust["line_id"])
    assert Decimal(out["annual_rate"]) == expected


def test_pools_opened_in_a_rolled_back_transaction_are_not_remembered(empty_db) -> None:  # type: ignore[no-untyped-def]
    """The cache of committed pool sets: a set opened by a transaction that rolls back must be
    opened again (its account ids no longer exist); once committed, it is not read again."""
    from zhanye.core.context import SYSTEM
    from zhanye.demo import ensure_demo
    from zhanye.lending.servicing import accounting
    from zhanye.lending.servicing.models import GLPool
    from zhanye.org.models import Institution

    ensure_demo(empty_db, password="Test#2026pass")
    with empty_db.unit_of_work(write=False) as s:
        inst = s.execute(select(Institution.id).order_by(Institution.id.desc())).scalars().first()
    with pytest.raises(RuntimeError), empty_db.unit_of_work() as s:
        accounting.ensure_pools(s, actor=SYSTEM, institution_id=inst)
        raise RuntimeError("rolled back")
    with empty_db.unit_of_work() as s:
        assert s.execute(select(GLPool).where(GLPool.institution_id == inst)).first() is None
        pools = accounting.ensure_pools(s, actor=SYSTEM, institution_id=inst)
    statements: list[str] = []
    listen = event.listens_for(empty_db.engine, "before_cursor_execute")(
        lambda conn, cur, statement, *a: statements.append(statement))
    try:
        with empty_db.unit_of_work() as s:
            assert accounting.ensure_pools(s, actor=SYSTEM, institution_id=inst) == pools
            assert dict(s.execute(select(GLPool.purpose, GLPool.account_id)
                                  .where(GLPool.institution_id == inst)).all()) == pools
    finally:
        event.remove(empty_db.engine, "before_cursor_execute", listen)
    assert sum("servicing_gl_pool" in st for st in statements) == 1  # the test's own read only


def draw(db, line_id: int) -> dict:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        dd = service.create_drawdown(s, actor=principal(s, "manager1"), line_id=line_id, amount_fen=300_000,
                                     term_months=6, method="interest_first", request_key=f"t:{uuid.uuid4().hex}")
        return service.drawdown_out(dd)
