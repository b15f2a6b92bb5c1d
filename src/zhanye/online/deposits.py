"""The customer's term deposits online: products and rates, a quote (试算), buying one from the
customer's own class II e-account, early withdrawal with its quote (the withdrawn part earns the
demand rate; one partial withdrawal). Objects come from the deposits feature's service and are
narrowed to the acting customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.core.money import format_yuan
from zhanye.deposits import service as deposits
from zhanye.online.service import customer_id_of

INSTRUCTION_NAMES = {"return": ("到期本息转回电子账户", "Pay back to the e-account at maturity"),
                     "renew_principal": ("本金自动续存", "Renew the principal"),
                     "renew_all": ("本息自动续存", "Renew principal and interest")}


def _pct(rate: Any) -> str:
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.01'))}%"


def products(session: Session) -> list[dict[str, Any]]:
    """Term products on sale, the ones anybody can buy first (large CDs last)."""
    return [{"code": p.code, "name": p.name, "kind": p.kind, "term_months": p.term_months,
             "annual_rate": _pct(p.annual_rate), "min_amount_fen": p.min_amount_fen,
             "min_amount_yuan": format_yuan(p.min_amount_fen), "increment_yuan": format_yuan(p.increment_fen),
             "early_withdrawal": p.early_withdrawal, "default_instruction": p.default_instruction}
            for p in sorted(deposits.list_products(session, active_only=True),
                            key=lambda p: (p.min_amount_fen, p.term_months or 0)) if p.kind != "demand"]


def _product(session: Session, code: str) -> Any:
    for p in deposits.list_products(session, active_only=True):
        if p.code == code and p.kind != "demand":
            return p
    raise ValidationFailed.field(["body", "product_code"], "该存款产品不存在或不可购买",
                                 "No such deposit product on sale")


def quote(session: Session, *, product_code: str, amount_fen: int) -> dict[str, Any]:
    p = _product(session, product_code)
    deposits.check_purchase(session, p.id, amount_fen)
    q = deposits.quote(p, amount_fen, get_business_date(session))
    return {**q, "annual_rate": _pct(p.annual_rate), "product_name": p.name,
            "interest_yuan": format_yuan(int(q["interest_fen"])), "total_yuan": format_yuan(int(q["total_fen"]))}


def buy(session: Session, *, actor: Principal, eaccount_id: int, product_code: str, amount_fen: int, key: str,
        instruction: str | None = None) -> Any:
    from zhanye.online.accounts import own_eaccount

    own_eaccount(session, actor, eaccount_id)
    p = _product(session, product_code)
    return deposits.purchase(session, actor=actor, eaccount_id=eaccount_id, product_id=p.id, amount_fen=amount_fen,
                             instruction=instruction, external_id=f"online:{customer_id_of(actor)}:{key}")


def list_terms(session: Session, *, actor: Principal) -> list[Any]:
    return deposits.list_terms(session, actor, customer_id=customer_id_of(actor), limit=50)


def get_term(session: Session, *, actor: Principal, deposit_id: int) -> Any:
    d = deposits.get_term(session, actor, deposit_id)
    if d.customer_id != customer_id_of(actor):
        raise NotFound("定期存款不存在", "The term deposit does not exist")
    return d


def term_view(session: Session, d: Any) -> dict[str, Any]:
    v = deposits.term_view(session, d)
    zh, en = INSTRUCTION_NAMES.get(str(v["instruction"]), (v["instruction"], v["instruction"]))
    return {**v, "annual_rate": _pct(v["annual_rate"]), "principal_yuan": format_yuan(int(v["principal_fen"])),
            "interest_at_maturity_yuan": format_yuan(int(v["interest_at_maturity_fen"])),
            "instruction_name": zh, "instruction_name_en": en,
            "account_number": f"****{str(v['account_number'])[-4:]}"}


def quote_withdrawal(session: Session, *, actor: Principal, deposit_id: int, amount_fen: int | None) -> dict[str, Any]:
    d = get_term(session, actor=actor, deposit_id=deposit_id)
    q = deposits.quote_withdrawal(session, d, amount_fen, get_business_date(session))
    return {**q, "demand_rate": _pct(q["demand_rate"]), "total_yuan": format_yuan(int(q["total_fen"])),
            "interest_yuan": format_yuan(int(q["interest_fen"]))}


def withdraw(session: Session, *, actor: Principal, deposit_id: int, amount_fen: int | None) -> Any:
    get_term(session, actor=actor, deposit_id=deposit_id)
    return deposits.withdraw(session, actor=actor, deposit_id=deposit_id, amount_fen=amount_fen)
