"""JSON API of e-accounts, transfers, deposit products and term deposits. Every money-moving POST
takes an Idempotency-Key."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.deposits import schemas, service
from zhanye.deposits.models import ClearingOrder, DepositProduct, EAccount
from zhanye.ledger import views_data as vd
from zhanye.ledger.models import Account
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["deposits"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def eaccount_out(ea: EAccount, acc: Account) -> dict[str, Any]:
    return vd.account_out(acc) | {"eclass": ea.eclass, "bound_card": ea.bound_card_masked, "bound_bank": ea.bound_bank}


def product_out(p: DepositProduct) -> dict[str, Any]:
    return {"id": p.id, "code": p.code, "name": p.name, "kind": p.kind, "term_months": p.term_months,
            "annual_rate": p.annual_rate, "min_amount": vd.money(p.min_amount_fen), "increment": vd.money(p.increment_fen),
            "early_withdrawal": p.early_withdrawal, "default_instruction": p.default_instruction, "active": p.active}


def order_out(o: ClearingOrder) -> dict[str, Any]:
    return {"id": o.id, "eaccount_id": o.eaccount_id, "direction": o.direction, "amount": vd.money(o.amount_fen),
            "status": o.status, "provider_ref": o.provider_ref, "entry_id": o.entry_id,
            "reversal_entry_id": o.reversal_entry_id, "failure_reason": o.failure_reason}


def customer_facts(session: Session, actor: Principal, body: schemas.EAccountOpenIn) -> tuple[int, bool]:
    """(institution id, verified): from the customers feature when it is installed, else as given."""
    if importlib.util.find_spec("zhanye.customers.service") is not None:
        from zhanye.customers import service as customers

        return (customers.customer_institution(session, actor=actor, customer_id=body.customer_id),
                customers.is_verified(session, actor=actor, customer_id=body.customer_id))
    if body.institution_id is None:
        raise ValidationFailed.field(["body", "institution_id"], "须指定开户机构", "institution_id is required")
    return body.institution_id, body.customer_verified


# --- e-accounts and transfers ------------------------------------------------------------------

@router.post("/eaccounts", status_code=201)
def api_open_eaccount(body: schemas.EAccountOpenIn, request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("account.open"))) -> Any:
    def action(s: Session) -> Any:
        inst, verified = customer_facts(s, principal, body)
        ea, acc = service.open_eaccount(s, actor=principal, institution_id=inst, customer_id=body.customer_id,
                                        eclass=body.eclass, bound_card=body.bound_card, customer_verified=verified)
        return eaccount_out(ea, acc)
    return run_write(request, principal, action, payload=body.model_dump(mode="json"), key=idempotency_key,
                     key_required=True, status_code=201)


@router.get("/eaccounts")
def api_list_eaccounts(request: Request, customer_id: int | None = None,
                       page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
                       principal: Principal = Depends(require("account.read"))) -> Any:
    return read(request, lambda s: {"items": [eaccount_out(ea, acc) for ea, acc in service.list_eaccounts(
        s, principal, customer_id=customer_id, limit=page_size, offset=(page - 1) * page_size)]})


@router.get("/eaccounts/{account_id}")
def api_eaccount(account_id: int, request: Request, principal: Principal = Depends(require("account.read"))) -> Any:
    def action(s: Session) -> Any:
        ea, acc = service.get_eaccount(s, principal, account_id)
        terms = [service.term_view(s, d) for d in service.list_terms(s, principal, eaccount_id=account_id)]
        return eaccount_out(ea, acc) | {"term_deposits": terms}
    return read(request, action)


@router.post("/transfers", status_code=201)
def api_transfer(body: schemas.TransferIn, request: Request, idempotency_key: IdemKey = None,
                 principal: Principal = Depends(require("account.transfer"))) -> Any:
    def action(s: Session) -> Any:
        entry_id = service.internal_transfer(s, actor=principal, from_account_id=body.from_account_id,
                                             to_account_id=body.to_account_id, amount_fen=body.amount_fen,
                                             memo=body.memo)
        from zhanye.ledger.service import get_entry

        entry, _lines = get_entry(s, principal, entry_id)
        return vd.entry_out(entry)
    return run_write(request, principal, action, payload=body.model_dump(mode="json"), key=idempotency_key,
                     key_required=True, status_code=201)


@router.post("/eaccounts/{account_id}/bound-transfers", status_code=201)
def api_bound_transfer(account_id: int, body: schemas.BoundTransferIn, request: Request,
                       idempotency_key: IdemKey = None,
                       principal: Principal = Depends(require("account.transfer"))) -> Any:
    """Transfer in from / out to the bound card; the order is pending until confirmed."""
    return run_write(request, principal, lambda s: order_out(service.start_clearing(
        s, actor=principal, account_id=account_id, direction=body.direction, amount_fen=body.amount_fen,
        order_key=f"{principal.staff_id}:{idempotency_key}")), payload={"account_id": account_id,
                                                                       **body.model_dump(mode="json")},
        key=idempotency_key, key_required=True, status_code=201)


@router.post("/clearing-orders/{order_id}/confirm")
def api_confirm_order(order_id: int, request: Request,
                      principal: Principal = Depends(require("account.transfer"))) -> Any:
    """Ask the clearing provider for the result; a failed confirmation reverses the posting."""
    return run_write(request, principal, lambda s: order_out(service.finish_clearing(
        s, actor=principal, order_id=order_id)))


# --- products and term deposits ----------------------------------------------------------------

@router.get("/deposit-products")
def api_products(request: Request, principal: Principal = Depends(require("deposit.read"))) -> Any:
    return read(request, lambda s: {"items": [product_out(p) for p in service.list_products(s)]})


@router.post("/deposit-products", status_code=201)
def api_create_product(body: schemas.ProductIn, request: Request, idempotency_key: IdemKey = None,
                       principal: Principal = Depends(require("deposit.product"))) -> Any:
    return run_write(request, principal, lambda s: product_out(service.create_product(
        s, actor=principal, **body.model_dump())), payload=body.model_dump(mode="json"), key=idempotency_key,
        key_required=True, status_code=201)


@router.post("/deposit-products/{product_id}/rate")
def api_set_rate(product_id: int, body: schemas.RateIn, request: Request,
                 principal: Principal = Depends(require("deposit.product"))) -> Any:
    """Change the rate for new deposits; existing deposits keep theirs."""
    return run_write(request, principal, lambda s: product_out(service.set_rate(
        s, actor=principal, product_id=product_id, annual_rate=body.annual_rate)))


@router.get("/term-deposits/quote")
def api_quote(request: Request, product_id: int, amount_fen: Annotated[int, Query(gt=0, le=10**15)],
              principal: Principal = Depends(require("deposit.read"))) -> Any:
    """试算: maturity date and interest at maturity, before confirming a purchase."""
    def action(s: Session) -> Any:
        from zhanye.deposits.term import check_purchase

        check_purchase(s, product_id, amount_fen)
        q = service.quote(service.get_product(s, product_id), amount_fen, get_business_date(s))
        return q | {"interest": vd.money(int(q["interest_fen"])), "total": vd.money(int(q["total_fen"]))}
    return read(request, action)


@router.post("/eaccounts/{account_id}/term-deposits", status_code=201)
def api_purchase(account_id: int, body: schemas.PurchaseIn, request: Request, idempotency_key: IdemKey = None,
                 principal: Principal = Depends(require("deposit.trade"))) -> Any:
    return run_write(request, principal, lambda s: service.term_view(s, service.purchase(
        s, actor=principal, eaccount_id=account_id, product_id=body.product_id, amount_fen=body.amount_fen,
        instruction=body.instruction)), payload={"account_id": account_id, **body.model_dump(mode="json")},
        key=idempotency_key, key_required=True, status_code=201)


@router.get("/term-deposits/{deposit_id}")
def api_term(deposit_id: int, request: Request, principal: Principal = Depends(require("deposit.read"))) -> Any:
    return read(request, lambda s: service.term_view(s, service.get_term(s, principal, deposit_id)))


@router.get("/term-deposits/{deposit_id}/withdrawal-quote")
def api_withdrawal_quote(deposit_id: int, request: Request,
                         amount_fen: Annotated[int | None, Query(gt=0, le=10**15)] = None,
                         principal: Principal = Depends(require("deposit.read"))) -> Any:
    def action(s: Session) -> Any:
        d = service.get_term(s, principal, deposit_id)
        q = service.quote_withdrawal(s, d, amount_fen, get_business_date(s))
        return q | {"interest": vd.money(int(q["interest_fen"])), "total": vd.money(int(q["total_fen"]))}
    return read(request, action)


@router.post("/term-deposits/{deposit_id}/withdraw")
def api_withdraw(deposit_id: int, body: schemas.WithdrawIn, request: Request, idempotency_key: IdemKey = None,
                 principal: Principal = Depends(require("deposit.trade"))) -> Any:
    return run_write(request, principal, lambda s: service.term_view(s, service.withdraw(
        s, actor=principal, deposit_id=deposit_id, amount_fen=body.amount_fen)),
        payload={"deposit_id": deposit_id, **body.model_dump(mode="json")}, key=idempotency_key, key_required=True)
