"""Helpers for ledger tests: accounts funded from cash, institution ids, principals, snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from zhanye.core.context import Principal
from zhanye.ledger import service as ledger
from zhanye.ledger.models import Account, Hold, JournalEntry, JournalLine

_seq = itertools.count(1)


def inst_id(session: Any, code: str) -> int:
    return int(session.execute(text("SELECT id FROM org_institution WHERE code = :c"), {"c": code}).scalar_one())


def system(session: Any) -> Principal:
    from zhanye.org.service import system_principal

    return system_principal(session)


def staff_principal(session: Any, code: str, perms: set[str] | None = None) -> Principal:
    from zhanye.org.service import subtree_ids

    iid = inst_id(session, code)
    return Principal(staff_id=990000 + next(_seq), username=f"t{uuid.uuid4().hex[:6]}", display_name="test",
                     institution_id=iid, institution_name=code, roles=frozenset({"manager"}),
                     permissions=frozenset(perms or {"account.read", "account.transfer"}),
                     scope_ids=subtree_ids(session, iid))


def funded_account(session: Any, *, funds: int = 0, code: str = "101", kind: str = "eaccount_ii", gl: str = "2011",
                   overdraft: int = 0, cap: int | None = None) -> Account:
    actor = system(session)
    acc = ledger.open_account(session, actor=actor, institution_id=inst_id(session, code), kind=kind, gl_code=gl,
                              customer_id=800000 + next(_seq), overdraft_limit_fen=overdraft, max_balance_fen=cap)
    if funds:
        ledger.post_entry(session, actor=actor, institution_id=acc.institution_id,
                          lines=[ledger.debit(funds, gl="1001"), ledger.credit(funds, account_id=acc.id)],
                          source_type="test.fund", source_id=acc.number)
    return acc


def snapshot(session: Any, account_ids: list[int]) -> dict[str, Any]:
    """Balances, holds and journal counts: what a refused operation must leave unchanged."""
    accs = session.execute(select(Account.id, Account.balance_fen, Account.held_fen, Account.status, Account.freeze)
                           .where(Account.id.in_(account_ids)).order_by(Account.id)).all()
    return {
        "accounts": [tuple(a) for a in accs],
        "entries": session.execute(select(func.count()).select_from(JournalEntry)).scalar_one(),
        "lines": session.execute(select(func.count()).select_from(JournalLine)).scalar_one(),
        "holds": session.execute(select(func.count()).select_from(Hold)).scalar_one(),
    }


def make_bank(db: Any) -> dict[str, int]:
    """On an empty database: a head office with two sub-branches, the chart, the demo products.
    Returns institution ids by code ("000", "101", "201")."""
    from zhanye.core.calendar import set_business_date
    from zhanye.core.context import SYSTEM
    from zhanye.deposits.demo import PRODUCTS
    from zhanye.deposits.products import create_product
    from zhanye.ledger import chart
    from zhanye.org import service as org

    ids: dict[str, int] = {}
    with db.unit_of_work() as s:
        org.sync_catalog(s)
        set_business_date(s, dt.date(2026, 12, 15))
        actor = org.system_principal(s)
        ho = org.create_institution(s, actor, code="000", name="测试总行", kind="head_office", parent_id=None)
        ids["000"] = ho.id
        actor = org.system_principal(s)
        for code in ("101", "201"):
            ids[code] = org.create_institution(s, actor, code=code, name=f"测试支行{code}", kind="sub_branch",
                                               parent_id=ho.id).id
        chart.ensure_standard_chart(s, actor=SYSTEM, book_id=ho.id)
        for code, name, kind, months, rate, min_fen, inc, early, instr in PRODUCTS:
            create_product(s, actor=SYSTEM, code=code, name=name, kind=kind, term_months=months,
                           annual_rate=Decimal(rate), min_amount_fen=min_fen, increment_fen=inc,
                           early_withdrawal=early, default_instruction=instr)
    return ids


MY_STEP_PREFIXES = ("ledger.", "deposits.", "business_date.", "test.")


def keep_only_my_steps() -> dict[str, Any]:
    """Unregister other features' EOD steps (their own tests cover them); returns what to restore."""
    from zhanye.batch import service as batch

    batch.load_feature_steps()
    saved = dict(batch._steps)
    for name in list(batch._steps):
        if not name.startswith(MY_STEP_PREFIXES):
            batch.unregister_step(name)
    return saved


def restore_steps(saved: dict[str, Any]) -> None:
    from zhanye.batch import service as batch

    batch._steps.clear()
    batch._steps.update(saved)
