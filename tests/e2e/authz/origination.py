"""Scope cases of the origination routes: objects made by manager1 (柳河支行, own) and manager3
(石桥支行, other) through the services."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES: set[tuple[str, str]] = set()
UNSAFE_ROUTES: set[tuple[str, str]] = set()

PAYEE = "6222020000000015"


def _side(ctx: MatrixContext, username: str) -> dict[str, Any]:
    from tests.integration.origination.helpers import principal, verified_customer
    from tests.integration.origination.test_lines_drawdowns import draw, granted_line
    from zhanye.lending.origination import service

    cust = granted_line(ctx.db, username=username)
    dd = draw(ctx.db, cust["line_id"], 2_000_000, f"authz-{uuid.uuid4().hex}", username=username)
    with ctx.db.unit_of_work() as s:
        actor = principal(s, username)
        pay = service.create_offline_payment(s, actor=actor, drawdown_id=dd["id"], amount_fen=500_000,
                                             counterparty="李四", purpose="购买牛犊", reason="现金交易")
        other = verified_customer(s, actor, eaccount=False)
        app = service.create_application(s, actor=actor, customer_id=other["customer_id"], product_code="NHXYD",
                                         amount_fen=5_000_000, term_months=12, method="interest_first",
                                         guarantee="credit", purpose="矩阵测试")
        return {"line_id": cust["line_id"], "drawdown_id": dd["id"], "payment_id": pay.id, "application_id": app.id}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    from tests.e2e.authz.villages import _fresh_campaigns
    from tests.integration.origination.helpers import signature_png
    from zhanye.lending import contracts

    if contracts.STORAGE_OVERRIDE is None:  # keep signed test PDFs out of ./var/storage
        import tempfile
        from pathlib import Path

        contracts.STORAGE_OVERRIDE = Path(tempfile.mkdtemp(prefix="zhanye-authz-origination-"))
    own, other = _side(ctx, "manager1"), _side(ctx, "manager3")

    def pick(key: str) -> tuple[dict[str, int], dict[str, int]]:
        return {key: own[key]}, {key: other[key]}

    a, ln, dd, p = pick("application_id"), pick("line_id"), pick("drawdown_id"), pick("payment_id")
    reason = {"reason": "矩阵测试"}
    return [
        ScopeCase("GET", "/api/v1/loan-applications/{application_id}", *a),
        ScopeCase("PATCH", "/api/v1/loan-applications/{application_id}", *a, body={"purpose": "矩阵修改"}),
        ScopeCase("POST", "/api/v1/loan-applications/{application_id}/submit", *a),
        ScopeCase("POST", "/api/v1/loan-applications/{application_id}/withdraw", *a, body=reason),
        ScopeCase("GET", "/api/v1/credit-lines/{line_id}", *ln),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/freeze", *ln, body=reason),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/unfreeze", *ln, body=reason),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/reduce", *ln,
                  body={"new_limit_fen": 19_000_000, "reason": "矩阵压降"}),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/signing-code", *ln),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/sign", *ln,
                  body={"sms_code": "000000", "signature_png_base64": base64.b64encode(signature_png()).decode()}),
        ScopeCase("POST", "/api/v1/credit-lines/{line_id}/drawdowns", *ln,
                  body={"amount_fen": 1_000_000, "term_months": 6, "method": "interest_first"}),
        ScopeCase("GET", "/api/v1/drawdowns/{drawdown_id}", *dd),
        ScopeCase("POST", "/api/v1/drawdowns/{drawdown_id}/confirm-payment", *dd),
        ScopeCase("POST", "/api/v1/drawdowns/{drawdown_id}/offline-payments", *dd,
                  body={"amount_fen": 100_000, "counterparty": "王五", "purpose": "饲料", "reason": "现金"}),
        ScopeCase("POST", "/api/v1/drawdowns/{drawdown_id}/vouchers", *dd,
                  body={"amount_fen": 100_000, "description": "发票", "image_refs": [1]}),
        ScopeCase("POST", "/api/v1/offline-payments/{payment_id}/review", *p, body={"approve": False, "comment": "否"}),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/precredit-lines", {}, {}, body={},
                  fresh=_fresh_campaigns),
        # pages
        ScopeCase("GET", "/origination/campaigns/{campaign_id}/precredit", {}, {}, fresh=_fresh_campaigns),
        ScopeCase("POST", "/origination/campaigns/{campaign_id}/precredit", {}, {}, form={},
                  fresh=_fresh_campaigns),
        ScopeCase("GET", "/origination/applications/{application_id}", *a),
        ScopeCase("POST", "/origination/applications/{application_id}/submit", *a, form={}),
        ScopeCase("POST", "/origination/applications/{application_id}/withdraw", *a, form={"reason": "矩阵"}),
        ScopeCase("GET", "/origination/lines/{line_id}", *ln),
        ScopeCase("POST", "/origination/lines/{line_id}/freeze", *ln, form=reason),
        ScopeCase("POST", "/origination/lines/{line_id}/unfreeze", *ln, form=reason),
        ScopeCase("POST", "/origination/lines/{line_id}/reduce", *ln,
                  form={"new_limit_yuan": "190000", "reason": "矩阵压降"}),
        ScopeCase("GET", "/origination/lines/{line_id}/sign", *ln),
        ScopeCase("GET", "/origination/lines/{line_id}/drawdown", *ln),
        ScopeCase("POST", "/origination/lines/{line_id}/drawdown", *ln,
                  form={"request_token": uuid.uuid4().hex, "amount_yuan": "10000", "term_months": "6",
                        "method": "interest_first"}),
        ScopeCase("GET", "/origination/drawdowns/{drawdown_id}", *dd),
        ScopeCase("POST", "/origination/drawdowns/{drawdown_id}/vouchers", *dd,
                  form={"amount_yuan": "100", "description": "发票", "image_refs": "1"}),
        ScopeCase("POST", "/origination/drawdowns/{drawdown_id}/offline-payments", *dd,
                  form={"amount_yuan": "100", "counterparty": "王五", "purpose": "饲料", "reason": "现金"}),
        ScopeCase("POST", "/origination/offline-payments/{payment_id}/review", *p,
                  form={"approve": "0", "comment": "否"}),
    ]
