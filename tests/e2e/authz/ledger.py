"""Scope cases of the ledger and EOD routes."""

from __future__ import annotations

from typing import Any

from tests.e2e.authz import MatrixContext, ScopeCase
from tests.e2e.authz.deposits import funded_eaccount

NO_OBJECT_ROUTES: set[tuple[str, str]] = set()
UNSAFE_ROUTES = {("POST", "/api/v1/eod/run"), ("POST", "/eod/run")}  # would roll the shared business date


def _entry(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from sqlalchemy import select

    from zhanye.ledger.models import JournalLine

    acc = funded_eaccount(ctx, institution_id)
    with ctx.db.unit_of_work(write=False) as s:
        entry_id = s.execute(select(JournalLine.entry_id).where(JournalLine.account_id == acc["account_id"])
                             .order_by(JournalLine.id)).scalars().first()
    return {"entry_id": entry_id}


def _hold(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.ledger import service
    from zhanye.org.service import system_principal

    acc = funded_eaccount(ctx, institution_id)
    with ctx.db.unit_of_work() as s:
        return {"hold_id": service.place_hold(s, actor=system_principal(s), account_id=acc["account_id"],
                                              amount_fen=100, reason="矩阵").id}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    own, other = funded_eaccount(ctx, ctx.own_institution_id), funded_eaccount(ctx, ctx.other_institution_id)
    a_own, a_other = {"account_id": own["account_id"]}, {"account_id": other["account_id"]}
    e_own, e_other = _entry(ctx, ctx.own_institution_id), _entry(ctx, ctx.other_institution_id)
    return [
        ScopeCase("GET", "/api/v1/ledger/entries/{entry_id}", e_own, e_other),
        ScopeCase("GET", "/ledger/journal/{entry_id}", e_own, e_other),
        ScopeCase("GET", "/api/v1/accounts/{account_id}", a_own, a_other),
        ScopeCase("GET", "/api/v1/accounts/{account_id}/statement", a_own, a_other),
        ScopeCase("POST", "/api/v1/accounts/{account_id}/holds", a_own, a_other,
                  body={"amount_fen": 1, "reason": "矩阵测试"}),
        ScopeCase("POST", "/api/v1/holds/{hold_id}/release", {}, {},
                  fresh=lambda c: (_hold(c, c.own_institution_id), _hold(c, c.other_institution_id))),
        ScopeCase("POST", "/api/v1/accounts/{account_id}/freeze", a_own, a_other, body={"freeze": "none", "reason": ""}),
        ScopeCase("POST", "/api/v1/accounts/{account_id}/reactivate", a_own, a_other),
    ]
