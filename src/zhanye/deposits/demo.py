"""Demo deposit products (a 九惠存-like series) and a few funded e-accounts.

The demo customers are referenced by id only (910001...): the customers feature owns them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import SYSTEM
from zhanye.deposits import eaccounts, products, term

PRODUCTS = [
    # code, name, kind, months, rate, min fen, increment fen, early, instruction
    ("DEMAND", "个人活期存款", "demand", 0, "0.0010", 0, 1, True, "return"),
    ("JHC3M", "九惠存·3个月", "term", 3, "0.0115", 5_000, 100, True, "return"),
    ("JHC6M", "九惠存·6个月", "term", 6, "0.0135", 5_000, 100, True, "renew_principal"),
    ("JHC1Y", "九惠存·1年", "term", 12, "0.0145", 5_000, 100, True, "renew_all"),
    ("JHC3Y", "九惠存·3年", "term", 36, "0.0175", 5_000, 100, True, "return"),
    ("CD3Y", "大额存单·3年", "cd", 36, "0.0190", 20_000_000, 1_000_000, True, "return"),
]

# customer id, institution code, class, bound card (Luhn-valid test numbers), opening funds (fen)
EACCOUNTS = [
    (910001, "101", "II", "6222020200112233446", 5_000_000),
    (910002, "101", "III", "6228480012345678903", 100_000),
    (910003, "201", "II", "6217000010012345677", 3_000_000),
]


def seed(session: Session, ctx: Any) -> None:
    for code, name, kind, months, rate, min_fen, inc, early, instr in PRODUCTS:
        products.create_product(session, actor=SYSTEM, code=code, name=name, kind=kind, term_months=months,
                                annual_rate=Decimal(rate), min_amount_fen=min_fen, increment_fen=inc,
                                early_withdrawal=early, default_instruction=instr)
    for cid, inst, eclass, card, funds in EACCOUNTS:
        _ea, acc = eaccounts.open_eaccount(session, actor=SYSTEM, institution_id=ctx.institutions[inst],
                                           customer_id=cid, eclass=eclass, bound_card=card, customer_verified=True)
        order = eaccounts.start_clearing(session, actor=SYSTEM, account_id=acc.id, direction="in", amount_fen=funds,
                                         order_key=f"demo-{cid}")
        eaccounts.finish_clearing(session, actor=SYSTEM, order_id=order.id)
        if cid == 910001:  # a 1-year 九惠存 of 20,000 yuan, so the pages show a term deposit
            term.purchase(session, actor=SYSTEM, eaccount_id=acc.id,
                          product_id=products.product_by_code(session, "JHC1Y").id, amount_fen=2_000_000)
