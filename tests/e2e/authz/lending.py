"""Scope cases of the lending routes. Products and LPR values are bank-wide configuration (not
objects of an institution); contracts belong to the institution that made them."""

from __future__ import annotations

import base64

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES = {
    ("GET", "/api/v1/loan-products/{code}"),
    ("GET", "/api/v1/loan-products/{code}/versions/{version}"),
    ("POST", "/api/v1/loan-products/{code}/versions"),
    ("DELETE", "/api/v1/lpr/{lpr_id}"),
    ("GET", "/loan-products/{code}"),
    ("POST", "/loan-products/{code}"),
}
UNSAFE_ROUTES: set[tuple[str, str]] = set()


def _contracts(ctx: MatrixContext, *, signed: bool) -> tuple[dict, dict]:
    """One contract of the matrix users' institution (柳河支行) and one of 石桥支行."""
    from tests.integration.lending.helpers import (
        last_sms_code,
        make_loan_contract,
        signature_png,
        unique_phone,
    )
    from tests.integration.org.helpers import principal_of
    from zhanye.lending import contracts

    if contracts.STORAGE_OVERRIDE is None:  # keep signed test PDFs out of ./var/storage
        import tempfile
        from pathlib import Path

        contracts.STORAGE_OVERRIDE = Path(tempfile.mkdtemp(prefix="zhanye-authz-contracts-"))
    ids = []
    for username in ("manager1", "manager3"):
        actor = principal_of(ctx.db, username)
        phone = unique_phone()
        with ctx.db.unit_of_work() as s:
            cid = make_loan_contract(s, actor, phone=phone).id
            if signed:
                contracts.request_signing_code(s, actor=actor, contract_id=cid)
        if signed:
            with ctx.db.unit_of_work() as s:
                assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                               sms_code=last_sms_code(phone)).ok
        ids.append(cid)
    return {"contract_id": ids[0]}, {"contract_id": ids[1]}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    from tests.integration.lending.helpers import signature_png

    pending_own, pending_other = _contracts(ctx, signed=False)
    signed_own, signed_other = _contracts(ctx, signed=True)
    sign_body = {"signature_png_base64": base64.b64encode(signature_png()).decode(), "sms_code": "000000"}
    return [
        ScopeCase("GET", "/api/v1/contracts/{contract_id}", pending_own, pending_other),
        ScopeCase("GET", "/api/v1/contracts/{contract_id}/pdf", signed_own, signed_other),
        ScopeCase("GET", "/api/v1/contracts/{contract_id}/verify", signed_own, signed_other),
        ScopeCase("POST", "/api/v1/contracts/{contract_id}/sms-code", {}, {},
                  fresh=lambda c: _contracts(c, signed=False)),
        ScopeCase("POST", "/api/v1/contracts/{contract_id}/sign", pending_own, pending_other, body=sign_body),
        ScopeCase("GET", "/contracts/{contract_id}", pending_own, pending_other),
        ScopeCase("GET", "/contracts/{contract_id}/sign", pending_own, pending_other),
    ]
