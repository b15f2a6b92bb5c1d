"""Drawdowns (用信/出账): one loan against an active line, in ONE transaction with the ledger
posting, the loan and its schedule (``lending.servicing.service.open_loan``) and the limit change.

Payment:
* above the product's entrusted-payment threshold the money goes to the payee (受托支付): the
  disbursement credits clearing in transit (GL 1131) and a transfer to the payee's account is
  submitted to the clearing provider under the drawdown number — the borrower's e-account never
  holds it;
* at or below it the borrower may take self-payment (自主支付) into their e-account; a usage
  voucher (补录用途凭证) is then due within ``VOUCHER_DAYS``.

Idempotent: a repeat of the same ``request_key`` with the same terms returns the first drawdown;
with different terms it is refused (409).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zhanye.core import audit
from zhanye.core.calendar import business_date_or_today, business_date_subquery
from zhanye.core.context import Principal
from zhanye.core.crypto import field_cipher, sm3_hex
from zhanye.core.db import is_postgresql, lock_for_update
from zhanye.core.errors import FieldError, IdempotencyConflict, NotFound, ValidationFailed
from zhanye.core.masking import mask_card
from zhanye.core.money import format_yuan
from zhanye.core.pg_writes import insert_instance
from zhanye.core.scope import in_scope
from zhanye.integrations import clearing
from zhanye.ledger import service as ledger
from zhanye.lending import lpr, products
from zhanye.lending.models import LoanProduct
from zhanye.lending.origination import lines as lines_service
from zhanye.lending.origination.errors import (
    CreditLineExpired,
    CreditLineFrozen,
    CreditLineNotActive,
    DrawdownRefused,
    InsufficientLimit,
    PayeeRequired,
    RepaymentAccountMissing,
    ServicingUnavailable,
    check_terms,
)
from zhanye.lending.origination.models import Application, CreditLine, Drawdown

CLEARING_GL = "1131"
VOUCHER_DAYS = 30


def _number() -> str:
    return f"YX{dt.date.today():%Y%m%d}{secrets.token_hex(5).upper()}"


def check_can_draw(line: CreditLine, amount_fen: int, today: dt.date) -> None:
    """The line's guard for a drawdown, most fundamental refusal first."""
    if line.status == "expired" or (line.status in ("active", "pending_signature") and line.valid_until <= today):
        raise CreditLineExpired(f"额度已于 {line.valid_until} 到期", f"The line expired on {line.valid_until}")
    if line.status != "active":
        raise CreditLineNotActive("额度未生效（合同未签署或已关闭）", "The line is not active (contract not signed or closed)",
                                  status=line.status)
    if line.frozen:
        raise CreditLineFrozen(f"额度已冻结：{line.freeze_reason}", f"The line is frozen: {line.freeze_reason}")
    if amount_fen > line.available_fen:
        raise InsufficientLimit(f"可用额度 {format_yuan(line.available_fen)}，不足 {format_yuan(amount_fen)}",
                                f"Available {format_yuan(line.available_fen)} is less than {format_yuan(amount_fen)}",
                                available_fen=line.available_fen)


def _repay_account(session: Session, actor: Principal, customer_id: int) -> Any:
    """The account loans are repaid from. The caller keeps the returned row referenced, so the
    session's identity map still holds it when ``open_loan`` checks its owner (no second read)."""
    from zhanye.deposits import eaccounts

    acc = eaccounts.repayment_account(session, actor, customer_id)
    if acc is not None:
        return acc
    raise RepaymentAccountMissing("客户须有正常状态的电子账户用于还款", "The customer needs an active e-account for repayments")


def _request_hash(**terms: Any) -> str:
    return sm3_hex(json.dumps(terms, sort_keys=True, default=str))


def _servicing() -> Any:
    try:
        from zhanye.lending.servicing import service as servicing
    except ModuleNotFoundError as exc:
        raise ServicingUnavailable("贷款核算模块尚未安装，无法放款", "Loan servicing is not installed") from exc
    return servicing


def create_drawdown(session: Session, *, actor: Principal, line_id: int, amount_fen: int, term_months: int,
                    method: str, request_key: str, payee_name: str | None = None, payee_account: str | None = None,
                    payee_bank: str | None = None, purpose: str = "", repayment_day: int | None = None) -> Drawdown:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationFailed.field(["body", "amount_fen"], "金额须为正整数（分）", "The amount is a positive fen amount")
    card = payee_account.replace(" ", "") if payee_account else None
    req_hash = _request_hash(line_id=line_id, amount_fen=amount_fen, term_months=term_months, method=method,
                             payee_name=payee_name, payee_account=card, purpose=purpose)
    line, product, prior, app_facts, bdate, lpr_rate, next_id = _lock_line(session, line_id, request_key)
    if prior is not None:
        if prior.request_hash != req_hash or not actor.sees_institution(prior.institution_id):
            raise IdempotencyConflict("该请求号已用于另一笔用信", "This request key was already used for another drawdown")
        return prior
    if line is None or not actor.sees_institution(line.institution_id):
        raise NotFound("授信额度不存在", "The credit line does not exist")
    today = business_date_or_today(bdate)
    check_can_draw(line, amount_fen, today)
    product = products.get_product(session, product_id=product.id)
    check_terms(product, amount_fen=amount_fen, months=term_months, method=method)
    if term_months > line.max_term_months:
        raise ValidationFailed.field(["body", "term_months"], f"期限不能超过授信的 {line.max_term_months} 个月",
                                     f"The term cannot exceed the line's {line.max_term_months} months")
    entrusted = amount_fen > product.entrusted_threshold_fen or bool(card)
    if entrusted:
        if not card or not payee_name:
            raise PayeeRequired(
                f"金额超过自主支付限额 {format_yuan(product.entrusted_threshold_fen)}，须填写收款人",
                f"Above the self-payment threshold of {format_yuan(product.entrusted_threshold_fen)} a payee is required",
                errors=[FieldError(["body", "payee_account"], "须填写收款人账号", "The payee's account is required",
                                   "missing")])
        if not clearing.valid_card_number(card):
            raise ValidationFailed.field(["body", "payee_account"], "收款账号无效（校验位不符）",
                                         "The payee account number is not valid (check digit)")
    recheck = _admission_recheck(session, actor, line, product, term_months=term_months, today=today,
                                 app_facts=app_facts)
    repay_account = _repay_account(session, actor, line.customer_id)
    repay_account_id = int(repay_account.id)
    if line.rate_type == "lpr":  # fixed at drawdown: the LPR in force plus the line's spread
        rate = products.price(session, product, on_date=today, spread_bp=line.spread_bp,
                              lpr_rate=lpr_rate if bdate is not None else None)
    else:
        rate = Decimal(line.annual_rate)
    day = repayment_day or _repayment_day(product.repayment_day_rule, today)
    dd = Drawdown(
        number=_number(), request_key=request_key, request_hash=req_hash, line_id=line.id,
        institution_id=line.institution_id, customer_id=line.customer_id, product_id=product.id,
        amount_fen=amount_fen, term_months=term_months, method=method, annual_rate=rate,
        payment_mode="entrusted" if entrusted else "self", payee_name=payee_name if entrusted else None,
        payee_account_enc=field_cipher().encrypt(card) if entrusted and card else None,
        payee_account_masked=mask_card(card) if entrusted and card else None,
        payee_bank=payee_bank if entrusted else None, repay_account_id=repay_account_id, business_date=today,
        voucher_status="not_required" if entrusted else "pending",
        voucher_due_on=None if entrusted else today + dt.timedelta(days=VOUCHER_DAYS),
        purpose=purpose[:200], created_by=actor.username)
    lines_service.consume(line, amount_fen)
    if next_id is None:  # SQLite: the row now, for its id; the ORM writes the rest at the flush
        session.add(dd)
        session.flush()
    else:  # PostgreSQL: the id taken with the line's lock; the row is written last, complete
        dd.id = next_id
    loan = _servicing().open_loan(
        session, actor=actor, customer_id=line.customer_id, institution_id=line.institution_id,
        product_version_id=product.id, line_id=line.id, drawdown_id=dd.id, principal_fen=amount_fen,
        annual_rate=rate, method=method, term_months=term_months, start_date=today, repayment_day=day,
        repay_account_id=repay_account_id, disburse_to_account_id=None if entrusted else repay_account_id,
        disburse_to_gl=CLEARING_GL if entrusted else None, external_id=f"drawdown:{dd.number}",
        business_date=today, new_external_id=True)
    dd.loan_id = loan.id
    if entrusted:
        assert card is not None
        ack = clearing.submit_transfer(card, "out", amount_fen, dd.number)
        dd.clearing_ref, dd.clearing_status = ack.ref, "submitted"
    if next_id is not None:
        _insert_drawdown_pg(session, dd, line)
    if line.household_id:
        from zhanye.villages import service as villages

        villages.mark_drawn(session, actor=actor, household_id=line.household_id, amount_fen=amount_fen,
                            campaign_id=line.campaign_id)
    audit.record(session, action="drawdown.create", object_type="drawdown", object_id=dd.id, actor=actor,
                 changes={"number": dd.number, "line_id": line.id, "loan_id": loan.id, "amount_fen": amount_fen,
                          "annual_rate": str(rate), "mode": dd.payment_mode, "payee": dd.payee_account_masked,
                          "clearing_ref": dd.clearing_ref, "available_after_fen": line.available_fen,
                          "recheck_record_id": recheck.record_id})
    return dd


def _insert_drawdown_pg(session: Session, dd: Drawdown, line: CreditLine) -> None:
    """The drawdown row and the line's new use (``consume`` has changed ``line``) in one statement
    through the driver, the line's update a CTE of the drawdown's insert."""
    insert_instance(session, dd, with_sql=_PG_LINE_USE_SQL,
                    with_params={"zl_id": line.id, "zl_used": line.used_fen, "zl_drawn": line.drawn_total_fen})
    set_committed_value(line, "used_fen", line.used_fen)  # (written by the statement: nothing to flush)
    set_committed_value(line, "drawn_total_fen", line.drawn_total_fen)


_PG_LINE_USE_SQL = ("WITH zl AS (UPDATE origination_line SET used_fen = CAST(%(zl_used)s AS BIGINT), "
                    "drawn_total_fen = CAST(%(zl_drawn)s AS BIGINT) WHERE id = CAST(%(zl_id)s AS BIGINT))")


def _lock_line(session: Session, line_id: int, request_key: str) -> tuple[
        CreditLine | None, LoanProduct | None, Drawdown | None, str | None, dt.date | None, Decimal | None,
        int | None]:
    """One round trip: the line locked ``FOR UPDATE`` (the line only, not its product), its product
    version (then in the session for ``products.get_product``), an earlier drawdown under the same
    request key, if any, the admission facts of the line's application, the business date, the
    LPR of the product's tenor in force on it (None without a business date) and, on PostgreSQL,
    the id of the drawdown to write, from its sequence (None on SQLite)."""
    pg = is_postgresql(session)
    row = session.execute(_lock_line_statement(pg), {"zl_line_id": line_id, "zl_request_key": request_key}).first()
    if row is None:
        found = session.execute(select(Drawdown.id).where(Drawdown.request_key == request_key)).scalar()
        return None, None, session.get(Drawdown, found) if found is not None else None, None, None, None, None
    prior = session.get(Drawdown, row[2]) if row[2] is not None else None
    return (row[0], row[1], prior, row[3], row[4], None if row[5] is None else Decimal(row[5]),
            int(row[6]) if pg else None)


@functools.cache
def _lock_line_statement(for_update: bool) -> Any:
    """The statement of ``_lock_line``, built once (building it cost more CPU than running it)."""
    prior_id = select(Drawdown.id).where(Drawdown.request_key == bindparam("zl_request_key")).scalar_subquery()
    app_facts = select(Application.facts_json).where(Application.id == CreditLine.application_id).scalar_subquery()
    bdate = business_date_subquery()
    cols = [CreditLine, LoanProduct, prior_id, app_facts, bdate, lpr.in_force_subquery(LoanProduct.lpr_tenor, bdate)]
    if for_update:  # PostgreSQL: and the new drawdown's id
        cols.append(func.nextval(func.pg_get_serial_sequence(Drawdown.__tablename__, "id")))
    stmt = (select(*cols).join(LoanProduct, LoanProduct.id == CreditLine.product_id)
            .where(CreditLine.id == bindparam("zl_line_id")))
    return stmt.with_for_update(of=CreditLine) if for_update else stmt


def _admission_recheck(session: Session, actor: Principal, line: CreditLine, product: Any, *, term_months: int,
                       today: dt.date, app_facts: str | None) -> Any:
    """用信前准入复核: the product's admission decision again, on today's blacklist, verification
    and overdue in this bank (the income and debt figures of the grant). A decline refuses."""
    from zhanye.customers import service as customers
    from zhanye.decisions import service as decisions
    from zhanye.lending.origination import admission

    cf = customers.customer_facts(session, actor=actor, customer_id=line.customer_id, on=today)
    worst_dpd = admission.max_dpd(session, customer_id=line.customer_id)
    base: dict[str, Any] = json.loads(app_facts).get("admission", {}) if app_facts else {}
    if not base:
        fig = admission._file_figures(session, actor, line.customer_id)
        base = {"monthly_income_fen": int(fig.get("annual_income_fen", 0)) // 12,
                "monthly_debt_payment_fen": int(fig.get("debt_payment_elsewhere_fen", 0))}
    facts = {"age": cf.age or 0, "term_months": term_months, "blacklisted": cf.blacklisted,
             "identity_verified": cf.identity_verified, "current_overdue_days": worst_dpd,
             "monthly_income_fen": int(base.get("monthly_income_fen", 0)),
             "monthly_debt_payment_fen": int(base.get("monthly_debt_payment_fen", 0)),
             "customer_id": line.customer_id}
    key = admission.decision_key(session, actor, product.admission_decision_key, admission.GENERIC_ADMISSION)
    res = decisions.decide(session, key, facts, caller=f"credit_line:{line.id}", institution_id=line.institution_id)
    hard = {"BLACKLISTED", "CURRENT_OVERDUE", "AGE_UNDER_18", "AGE_OVER_65_AT_MATURITY"}
    if res.output["decision"] == "decline" and hard & set(res.output["reasons"]):
        raise DrawdownRefused(f"准入复核拒绝：{'、'.join(res.output['reasons'])}",
                              f"Refused by the admission re-check: {', '.join(res.output['reasons'])}",
                              reasons=res.output["reasons"], record_id=res.record_id)
    return res


def _repayment_day(rule: str, today: dt.date) -> int:
    if rule.startswith("fixed_day:"):
        return int(rule.split(":", 1)[1])
    return min(today.day, 28)


def confirm_payment(session: Session, *, actor: Principal, drawdown_id: int) -> Drawdown:
    """Ask the clearing provider whether the entrusted payment reached the payee; a rejected
    payment undoes the disbursement (``entrusted.payment_failed``: drawdown ``returned``)."""
    get_drawdown(session, actor=actor, drawdown_id=drawdown_id)
    dd = session.execute(lock_for_update(select(Drawdown).where(Drawdown.id == drawdown_id), session)
                         .execution_options(populate_existing=True)).scalar_one()
    if dd.payment_mode != "entrusted" or dd.clearing_status != "submitted" or not dd.clearing_ref:
        return dd
    card = field_cipher().decrypt(dd.payee_account_enc or "")
    conf = clearing.confirm(dd.clearing_ref, card)
    if not conf.confirmed:
        from zhanye.lending.origination.entrusted import payment_failed

        return payment_failed(session, actor=actor, dd=dd, reason=conf.reason)
    dd.clearing_status = "confirmed"
    session.flush()
    # the payment has left the bank's settlement account: 1131 in transit → 1011
    ledger.settle_clearing(session, actor=actor, institution_id=dd.institution_id, amount_fen=dd.amount_fen,
                           direction="out", source_type="drawdown.entrusted", source_id=str(dd.id))
    audit.record(session, action=f"drawdown.payment_{dd.clearing_status}", object_type="drawdown", object_id=dd.id,
                 actor=actor, changes={"ref": dd.clearing_ref, "reason": conf.reason})
    return dd


def get_drawdown(session: Session, *, actor: Principal, drawdown_id: int) -> Drawdown:
    dd = session.get(Drawdown, drawdown_id)
    if dd is None or not actor.sees_institution(dd.institution_id):
        raise NotFound("用信记录不存在", "The drawdown does not exist")
    return dd


def list_drawdowns(session: Session, *, actor: Principal, line_id: int | None = None, customer_id: int | None = None,
                   page: int = 1, page_size: int = 20) -> tuple[list[Drawdown], int]:
    stmt = select(Drawdown).where(in_scope(Drawdown.institution_id, actor))
    if line_id is not None:
        stmt = stmt.where(Drawdown.line_id == line_id)
    if customer_id is not None:
        stmt = stmt.where(Drawdown.customer_id == customer_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Drawdown.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return list(rows.scalars()), int(total)


def drawdown_out(dd: Drawdown) -> dict[str, Any]:
    return {
        "id": dd.id, "number": dd.number, "line_id": dd.line_id, "institution_id": dd.institution_id,
        "customer_id": dd.customer_id, "product_id": dd.product_id, "loan_id": dd.loan_id,
        "amount_fen": dd.amount_fen, "amount_yuan": format_yuan(dd.amount_fen), "term_months": dd.term_months,
        "method": dd.method, "annual_rate": str(Decimal(dd.annual_rate).normalize()),
        "payment_mode": dd.payment_mode,
        "payee": {"name": dd.payee_name, "account": dd.payee_account_masked, "bank": dd.payee_bank}
        if dd.payment_mode == "entrusted" else None,
        "repay_account_id": dd.repay_account_id, "business_date": dd.business_date,
        "clearing_ref": dd.clearing_ref, "clearing_status": dd.clearing_status,
        "voucher_status": dd.voucher_status, "voucher_due_on": dd.voucher_due_on, "purpose": dd.purpose,
        "created_by": dd.created_by, "created_at": dd.created_at,
    }
