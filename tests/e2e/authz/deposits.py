"""Scope cases of the e-account, transfer and deposit routes (API and pages)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES = {
    ("POST", "/api/v1/deposit-products/{product_id}/rate"),  # products are bank-wide configuration
}
UNSAFE_ROUTES: set[tuple[str, str]] = set()

CARD = "6222020200112233446"
_cid = itertools.count(960_000 + uuid.uuid4().int % 10_000 * 10)


def funded_eaccount(ctx: MatrixContext, institution_id: int, funds: int = 1_000_000) -> dict[str, Any]:
    """A class II e-account at ``institution_id`` funded from the bound card (confirmed)."""
    from zhanye.deposits import eaccounts
    from zhanye.org.service import system_principal

    with ctx.db.unit_of_work() as s:
        actor = system_principal(s)
        _ea, acc = eaccounts.open_eaccount(s, actor=actor, institution_id=institution_id, customer_id=next(_cid),
                                           eclass="II", bound_card=CARD, customer_verified=True)
        order = eaccounts.start_clearing(s, actor=actor, account_id=acc.id, direction="in", amount_fen=funds,
                                         order_key=f"mx-{acc.id}")
        eaccounts.finish_clearing(s, actor=actor, order_id=order.id)
        return {"account_id": acc.id, "number": acc.number}


def _pair(ctx: MatrixContext, make: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return make(ctx, ctx.own_institution_id), make(ctx, ctx.other_institution_id)


def _product_id(ctx: MatrixContext, code: str) -> int:
    from zhanye.deposits.products import product_by_code

    with ctx.db.unit_of_work(write=False) as s:
        return product_by_code(s, code).id


def _term(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.deposits import term
    from zhanye.org.service import system_principal

    acc = funded_eaccount(ctx, institution_id)
    with ctx.db.unit_of_work() as s:
        d = term.purchase(s, actor=system_principal(s), eaccount_id=acc["account_id"],
                          product_id=_product_id(ctx, "JHC3M"), amount_fen=500_000)
        return {"deposit_id": d.id}


def _order(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.deposits import eaccounts
    from zhanye.org.service import system_principal

    acc = funded_eaccount(ctx, institution_id)
    with ctx.db.unit_of_work() as s:
        order = eaccounts.start_clearing(s, actor=system_principal(s), account_id=acc["account_id"],
                                         direction="out", amount_fen=100, order_key=uuid.uuid4().hex)
        return {"order_id": order.id}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    own = funded_eaccount(ctx, ctx.own_institution_id, funds=50_000_000)
    other = funded_eaccount(ctx, ctx.other_institution_id)
    own_t, other_t = _pair(ctx, _term)
    acc_own, acc_other = {"account_id": own["account_id"]}, {"account_id": other["account_id"]}
    payee = funded_eaccount(ctx, ctx.own_institution_id, funds=100)
    jhc = _product_id(ctx, "JHC3M")

    def fresh_accounts(c: MatrixContext) -> tuple[dict[str, Any], dict[str, Any]]:
        a, b = _pair(c, funded_eaccount)
        return {"account_id": a["account_id"]}, {"account_id": b["account_id"]}

    return [
        ScopeCase("GET", "/api/v1/eaccounts/{account_id}", acc_own, acc_other),
        ScopeCase("POST", "/api/v1/eaccounts/{account_id}/bound-transfers", acc_own, acc_other,
                  body={"direction": "in", "amount_fen": 100}),
        ScopeCase("POST", "/api/v1/clearing-orders/{order_id}/confirm", {}, {}, fresh=lambda c: _pair(c, _order)),
        ScopeCase("POST", "/api/v1/eaccounts/{account_id}/term-deposits", acc_own, acc_other,
                  body={"product_id": jhc, "amount_fen": 5_000}),
        ScopeCase("GET", "/api/v1/term-deposits/{deposit_id}", own_t, other_t),
        ScopeCase("GET", "/api/v1/term-deposits/{deposit_id}/withdrawal-quote", own_t, other_t),
        ScopeCase("POST", "/api/v1/term-deposits/{deposit_id}/withdraw", {}, {}, body={},
                  fresh=lambda c: _pair(c, _term)),
        ScopeCase("GET", "/accounts/{account_id}", acc_own, acc_other),
        ScopeCase("GET", "/accounts/{account_id}/statement", acc_own, acc_other),
        ScopeCase("GET", "/accounts/{account_id}/quote", acc_own | {}, acc_other),
        ScopeCase("POST", "/accounts/{account_id}/bound", acc_own, acc_other,
                  form={"direction": "in", "amount": "1.00", "idem": ""}),
        ScopeCase("POST", "/accounts/{account_id}/transfer", acc_own, acc_other,
                  form={"to_account": payee["number"], "amount": "0.01", "idem": ""}),
        ScopeCase("POST", "/accounts/{account_id}/buy", {}, {}, form={"product_id": str(jhc), "amount": "50",
                                                                     "idem": ""}, fresh=fresh_accounts),
        ScopeCase("GET", "/term-deposits/{deposit_id}/quote", own_t, other_t),
        ScopeCase("POST", "/term-deposits/{deposit_id}/withdraw", {}, {}, form={"amount": "", "idem": ""},
                  fresh=lambda c: _pair(c, _term)),
    ]
