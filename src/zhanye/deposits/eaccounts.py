"""E-accounts (电子账户, class II and III): opening for a verified customer with a bound class I
card, transfers with the bound card through the clearing provider, transfers within the bank,
and the regulatory limits on non-bound movements.

The customers feature is built separately: an e-account names ``customer_id`` (no FK) and its
institution; the caller states that the customer is verified (``customer_verified=True``) and
passes the customer's ID-number blind index for the card-holder check.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.crypto import field_cipher
from zhanye.core.db import utcnow
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.masking import mask_card
from zhanye.core.models import KernelSetting
from zhanye.core.money import format_yuan
from zhanye.deposits.errors import CardBindingRefused, CustomerNotVerified, LimitExceeded
from zhanye.deposits.models import ClearingOrder, DemandInterest, EAccount, LimitUsage
from zhanye.deposits.products import demand_rate
from zhanye.integrations import clearing
from zhanye.ledger import posting
from zhanye.ledger import service as ledger
from zhanye.ledger.models import Account
from zhanye.ledger.service import sees

EACCOUNT_GL = "2011"
CLEARING_GL = "1131"

# Regulatory limits on non-bound movements (fen); override with kernel setting "deposits.limits".
DEFAULT_LIMITS: dict[str, dict[str, int]] = {
    "II": {"in_day": 1_000_000, "in_year": 20_000_000, "out_day": 1_000_000, "out_year": 20_000_000},
    "III": {"balance_cap": 200_000, "out_day": 200_000, "out_year": 5_000_000},
}


def limits(session: Session) -> dict[str, dict[str, int]]:
    rec = session.get(KernelSetting, "deposits.limits")
    if rec is None:
        return DEFAULT_LIMITS
    merged = {k: dict(v) for k, v in DEFAULT_LIMITS.items()}
    for cls, vals in json.loads(rec.value).items():
        merged.setdefault(cls, {}).update({k: int(v) for k, v in vals.items()})
    return merged


def get_eaccount(session: Session, actor: Principal, account_id: int) -> tuple[EAccount, Account]:
    ea = session.get(EAccount, account_id)
    if ea is None or not sees(actor, ea.institution_id):
        raise NotFound("电子账户不存在", "The e-account does not exist")
    return ea, ledger.get_account(session, actor, account_id)


def list_eaccounts(session: Session, actor: Principal, *, customer_id: int | None = None, limit: int = 100,
                   offset: int = 0) -> list[tuple[EAccount, Account]]:
    stmt = (select(EAccount, Account).join(Account, Account.id == EAccount.account_id)
            .where(EAccount.institution_id.in_(sorted(actor.scope_ids)) if "system" not in actor.roles else True))
    if customer_id is not None:
        stmt = stmt.where(EAccount.customer_id == customer_id)
    return [(r[0], r[1]) for r in session.execute(stmt.order_by(EAccount.account_id.desc())
                                                  .limit(limit).offset(offset)).all()]


def repayment_account(session: Session, actor: Principal, customer_id: int) -> Account | None:
    """The customer's newest e-account in the actor's scope that can take and pay money (active,
    not frozen), the one loans are repaid from; None without any. The first such account of
    ``list_eaccounts``, read alone."""
    if "system" in actor.roles:
        return session.execute(_REPAYMENT_ACCOUNT[0], {"ze_customer_id": customer_id}).scalar_one_or_none()
    return session.execute(_REPAYMENT_ACCOUNT[1], {"ze_customer_id": customer_id,
                                                   "ze_scope": sorted(actor.scope_ids)}).scalar_one_or_none()


def _repayment_account_statements() -> tuple[Any, Any]:
    """Built once: for the system (every institution) and for a scope (an expanding IN list)."""
    stmt = (select(Account).join(EAccount, EAccount.account_id == Account.id)
            .where(EAccount.customer_id == bindparam("ze_customer_id"), Account.status == "active",
                   Account.freeze == "none").order_by(EAccount.account_id.desc()).limit(1))
    return stmt, stmt.where(EAccount.institution_id.in_(bindparam("ze_scope", expanding=True)))


_REPAYMENT_ACCOUNT = _repayment_account_statements()


def open_eaccount(session: Session, *, actor: Principal, institution_id: int, customer_id: int, eclass: str,
                  bound_card: str, customer_verified: bool, holder_index: str = "", name: str = "",
                  business_date: dt.date | None = None) -> tuple[EAccount, Account]:
    if eclass not in ("II", "III"):
        raise ValidationFailed.field(["eclass"], "电子账户类别须为 II 或 III", "The class must be II or III")
    if not customer_verified:
        raise CustomerNotVerified("客户须先完成实名核验", "The customer must be verified first")
    card = bound_card.replace(" ", "")
    if not clearing.valid_card_number(card):
        raise ValidationFailed.field(["bound_card"], "绑定卡号无效（校验位不符）",
                                     "The bound card number is not valid (check digit)")
    cipher = field_cipher()
    card_index = cipher.blind_index(card, kind="card")
    dup = session.execute(select(EAccount.account_id).join(Account, Account.id == EAccount.account_id).where(
        EAccount.customer_id == customer_id, EAccount.eclass == eclass, Account.status != "closed")).first()
    if dup is not None:
        raise InvalidTransition(f"客户已有 {eclass} 类电子账户", f"The customer already has a class {eclass} e-account")
    result = clearing.check_binding(card, holder_index)
    if not result.ok:
        raise CardBindingRefused(f"绑定卡校验未通过：{result.reason}", f"Card binding refused: {result.reason}")
    lim = limits(session)
    bdate = business_date or get_business_date(session)
    acc = ledger.open_account(session, actor=actor, institution_id=institution_id, kind=f"eaccount_{eclass.lower()}",
                              gl_code=EACCOUNT_GL, customer_id=customer_id, name=name or f"{eclass}类电子账户",
                              max_balance_fen=lim["III"]["balance_cap"] if eclass == "III" else None,
                              business_date=bdate)
    ea = EAccount(account_id=acc.id, institution_id=institution_id, customer_id=customer_id, eclass=eclass,
                  bound_card_cipher=cipher.encrypt(card), bound_card_index=card_index,
                  bound_card_masked=mask_card(card), bound_bank=result.bank_name)
    session.add(ea)
    session.add(DemandInterest(account_id=acc.id, annual_rate=demand_rate(session), accrual_base_fen=0,
                               accrued_through=bdate - dt.timedelta(days=1)))
    session.flush()
    audit.record(session, action="deposit.eaccount.open", object_type="deposit_eaccount", object_id=acc.id,
                 changes={"class": eclass, "customer_id": customer_id, "card": ea.bound_card_masked}, actor=actor)
    return ea, acc


# --- limits ------------------------------------------------------------------------------------

def _use(session: Session, account_id: int, direction: str, amount: int, bdate: dt.date, cap_day: int | None,
         cap_year: int | None, label: str) -> None:
    for period, cap, zh, en in ((f"D{bdate.isoformat()}", cap_day, "日", "daily"),
                                (f"Y{bdate.year}", cap_year, "年", "yearly")):
        rec = session.get(LimitUsage, (account_id, period, direction))
        used = rec.amount_fen if rec else 0
        if cap is not None and used + amount > cap:
            raise LimitExceeded(
                f"{label}非绑定账户{'转入' if direction == 'in' else '转出'}{zh}累计限额 {format_yuan(cap)}，"
                f"已用 {format_yuan(used)}",
                f"{label} non-bound {direction} {en} limit {format_yuan(cap)}, used {format_yuan(used)}",
                limit=cap, used=used)
        if rec is None:
            session.add(LimitUsage(account_id=account_id, period=period, direction=direction, amount_fen=amount))
        else:
            rec.amount_fen = used + amount
    session.flush()


def consume_limit(session: Session, ea: EAccount, direction: str, amount: int, bdate: dt.date) -> None:
    """Count a non-bound movement against the class limits (the account row is locked by the caller)."""
    lim = limits(session)[ea.eclass]
    label = f"{ea.eclass}类户"
    _use(session, ea.account_id, direction, amount, bdate, lim.get(f"{direction}_day"), lim.get(f"{direction}_year"),
         label)


# --- transfers ---------------------------------------------------------------------------------

def internal_transfer(session: Session, *, actor: Principal, from_account_id: int, to_account_id: int,
                      amount_fen: int, external_id: str | None = None, memo: str = "行内转账") -> int:
    """Transfer between two accounts of this bank; e-account limits count as non-bound movements."""
    ledger.check_amount(amount_fen)
    if external_id:
        from zhanye.ledger.models import JournalEntry

        prior = session.execute(select(JournalEntry.id).where(JournalEntry.external_id == external_id)).scalar()
        if prior is not None:
            return int(ledger.transfer(session, actor=actor, from_account_id=from_account_id,
                                       to_account_id=to_account_id, amount_fen=amount_fen,
                                       source_type="eaccount.transfer", external_id=external_id).id)
    # one statement locks both rows (id order) and reads the business date; one more finds the e-accounts
    accs, bdate = posting.lock_rows(session, {from_account_id, to_account_id}, want_date=True)
    if not sees(actor, accs[from_account_id].institution_id):  # the payer must be in the actor's scope
        raise NotFound("账户不存在", "The account does not exist")
    assert bdate is not None
    eas = {ea.account_id: ea for ea in session.execute(
        select(EAccount).where(EAccount.account_id.in_([from_account_id, to_account_id]))).scalars()}
    for acc_id, direction in ((from_account_id, "out"), (to_account_id, "in")):
        ea = eas.get(acc_id)
        if ea is not None:
            consume_limit(session, ea, direction, amount_fen, bdate)
    entry = ledger.transfer(session, actor=actor, from_account_id=from_account_id, to_account_id=to_account_id,
                            amount_fen=amount_fen, description=memo, source_type="eaccount.transfer",
                            external_id=external_id, business_date=bdate)
    return int(entry.id)


def _bound_card(ea: EAccount) -> str:
    return field_cipher().decrypt(ea.bound_card_cipher)


def start_clearing(session: Session, *, actor: Principal, account_id: int, direction: str, amount_fen: int,
                   order_key: str) -> ClearingOrder:
    """Transfer in from / out to the bound card (not limited). Out: the e-account is debited now
    against clearing-in-transit. In: the e-account is credited now with a hold on the amount until
    the provider confirms. A failed confirmation reverses (``finish_clearing``)."""
    if direction not in ("in", "out"):
        raise ValidationFailed.field(["direction"], "方向须为 in 或 out", "direction must be in or out")
    ledger.check_amount(amount_fen)
    ea, _acc = get_eaccount(session, actor, account_id)
    ledger.lock_accounts(session, [account_id])
    card = _bound_card(ea)
    if direction == "out":
        lines = [ledger.debit(amount_fen, account_id=account_id), ledger.credit(amount_fen, gl=CLEARING_GL)]
    else:
        lines = [ledger.debit(amount_fen, gl=CLEARING_GL), ledger.credit(amount_fen, account_id=account_id)]
    entry = ledger.post_entry(session, actor=actor, institution_id=ea.institution_id, lines=lines,
                              source_type=f"eaccount.bound_{direction}", source_id=order_key,
                              description="转出至绑定卡" if direction == "out" else "绑定卡转入",
                              customer_initiated=True)
    ack = clearing.submit_transfer(card, direction, amount_fen, order_key)
    hold_id = None
    if direction == "in":
        hold_id = ledger.place_hold(session, actor=actor, account_id=account_id, amount_fen=amount_fen,
                                    reason="绑定卡转入待清算确认").id
    order = ClearingOrder(eaccount_id=account_id, institution_id=ea.institution_id, direction=direction,
                          amount_fen=amount_fen, status="pending", provider_ref=ack.ref, entry_id=entry.id,
                          hold_id=hold_id)
    session.add(order)
    session.flush()
    entry.source_id = str(order.id) if not entry.source_id else entry.source_id
    audit.record(session, action="deposit.clearing.start", object_type="deposit_clearing_order", object_id=order.id,
                 changes={"direction": direction, "amount_fen": amount_fen, "ref": ack.ref}, actor=actor)
    return order


def get_order(session: Session, actor: Principal, order_id: int) -> ClearingOrder:
    order = session.get(ClearingOrder, order_id)
    if order is None or (not sees(actor, order.institution_id)):
        raise NotFound("清算指令不存在", "The clearing order does not exist")
    return order


def finish_clearing(session: Session, *, actor: Principal, order_id: int) -> ClearingOrder:
    """Ask the provider to confirm a pending order; on failure reverse the posting."""
    order = get_order(session, actor, order_id)
    ledger.lock_accounts(session, [order.eaccount_id])
    session.refresh(order)
    if order.status != "pending":
        return order
    ea = session.get(EAccount, order.eaccount_id)
    assert ea is not None
    result = clearing.confirm(order.provider_ref, _bound_card(ea))
    if order.hold_id is not None:
        ledger.release_hold(session, actor=actor, hold_id=order.hold_id)
    if result.confirmed:
        order.status = "confirmed"
        ledger.settle_clearing(session, actor=actor, institution_id=order.institution_id, amount_fen=order.amount_fen,
                               direction=order.direction, source_type="eaccount.clearing", source_id=str(order.id))
    else:
        rev = ledger.reverse_entry(session, actor=actor, entry_id=order.entry_id, reason=result.reason[:100])
        order.status, order.reversal_entry_id, order.failure_reason = "failed", rev.id, result.reason[:200]
    order.finished_at = utcnow()
    session.flush()
    audit.record(session, action="deposit.clearing.finish", object_type="deposit_clearing_order",
                 object_id=order.id, changes={"status": order.status}, actor=actor)
    return order


def pending_orders(session: Session, limit: int = 1000) -> list[int]:
    return list(session.execute(select(ClearingOrder.id).where(ClearingOrder.status == "pending")
                                .order_by(ClearingOrder.id).limit(limit)).scalars())
