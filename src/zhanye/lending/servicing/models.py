"""Servicing tables. Money is BIGINT fen; rates are kept both as the contract Decimal and as an
integer scaled by 10^8 (``rate_e8``) so that end-of-day SQL computes interest in exact integer
arithmetic. Day columns named ``*_day`` hold ``date.toordinal()`` integers (dialect-free date
arithmetic in set-based SQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow

RATE = Numeric(12, 8, asdecimal=True)

# Five-level classification ranks (五级分类).
CLASS_CODES = ("normal", "special_mention", "substandard", "doubtful", "loss")
CLASS_NAMES_ZH = ("正常", "关注", "次级", "可疑", "损失")
CLASS_GL = ("1301", "1302", "1303", "1304", "1305")


class Loan(Base):
    __tablename__ = "servicing_loan"
    __table_args__ = (
        Index("ix_servicing_loan_customer", "customer_id"),
        Index("ix_servicing_loan_inst_status", "institution_id", "status"),
        Index("ix_servicing_loan_oldest", "oldest_unpaid_day"),
        Index("ix_servicing_loan_dpd", "dpd"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    external_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    manager_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    product_version_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    product_code: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    line_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    drawdown_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    repayment_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    maturity_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    rate_e8: Mapped[int] = mapped_column(BigInteger, nullable=False)
    penalty_rate_e8: Mapped[int] = mapped_column(BigInteger, nullable=False)
    grace_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    compound: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    allocation_order: Mapped[str] = mapped_column(String(64), nullable=False)
    prepayment_fee_rule: Mapped[str] = mapped_column(String(64), nullable=False, default="none")
    installment_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # M or P/n
    repay_account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | closed
    cls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0..4, CLASS_CODES
    cls_floor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # manual downgrade floor
    dpd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    oldest_unpaid_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outstanding_principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    interest_receivable_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_receivable_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compound_receivable_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    accrued_interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # current period
    accrual_base_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # principal not yet due
    overdue_start_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # first day of this overdue episode
    accrued_day: Mapped[int] = mapped_column(Integer, nullable=False)  # last day accrued (ordinal)
    period_no: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    period_due_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_day: Mapped[int] = mapped_column(Integer, nullable=False)  # last penalty day processed
    cls_day: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    overdue_task_day: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # schedule generation
    disbursement_entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Installment(Base):
    __tablename__ = "servicing_installment"
    __table_args__ = (
        Index("ix_servicing_installment_loan", "loan_id", "number"),
        Index("ix_servicing_installment_overdue", "settled", "due_day"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    superseded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_day: Mapped[int] = mapped_column(Integer, nullable=False)
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    principal_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    interest_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compound_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compound_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_rate_e8: Mapped[int] = mapped_column(BigInteger, nullable=False)
    compound: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    penalty_day: Mapped[int] = mapped_column(Integer, nullable=False)  # last penalty day processed
    today_penalty_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    today_compound_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    settled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    settled_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class LoanTxn(Base):
    """The loan ledger (贷款明细账): every movement with running balances."""

    __tablename__ = "servicing_loan_txn"
    __table_args__ = (Index("ix_servicing_loan_txn_loan", "loan_id", "id"),
                      Index("ix_servicing_loan_txn_date_kind", "business_date", "kind"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # signed deltas
    interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compound_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    principal_after_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    interest_after_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    penalty_after_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    compound_after_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    repayment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Repayment(Base):
    __tablename__ = "servicing_repayment"
    __table_args__ = (Index("ix_servicing_repayment_loan", "loan_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # regular | auto_debit | prepay_partial | prepay_full
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # eaccount | cash | transfer | field
    account_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # e-account debited/credited
    tendered_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)  # applied to the loan
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    penalty_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    compound_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    fee_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cls_at_posting: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    entry_shared: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="posted")  # posted | reversal_pending | reversed
    snapshot: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # loan state before (prepayments)
    reversal_entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reversal_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    reversal_instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Allocation(Base):
    """How one repayment was applied: installment (or the current period's accrued interest when
    ``installment_id`` is null), component, amount."""

    __tablename__ = "servicing_allocation"
    __table_args__ = (Index("ix_servicing_allocation_repayment", "repayment_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repayment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_repayment.id"), nullable=False)
    installment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    component: Mapped[str] = mapped_column(String(16), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)


class GLPool(Base):
    """The institution's sub-ledger accounts under the loan control GLs (principal per
    classification, interest / penalty / compound receivable). Per-loan detail lives in the
    loan ledger; ``reconcile`` proves the pools equal the sums over loans."""

    __tablename__ = "servicing_gl_pool"
    __table_args__ = (UniqueConstraint("institution_id", "purpose"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)  # principal:0..4 | interest | penalty | compound
    account_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ClassificationChange(Base):
    __tablename__ = "servicing_classification"
    __table_args__ = (Index("ix_servicing_classification_loan", "loan_id"),
                      Index("ix_servicing_classification_date", "business_date"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    from_cls: Mapped[int] = mapped_column(Integer, nullable=False)
    to_cls: Mapped[int] = mapped_column(Integer, nullable=False)
    dpd: Mapped[int] = mapped_column(Integer, nullable=False)
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="eod")  # eod | manual
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class OverdueInspection(Base):
    """逾期检视督办: one per loan per overdue episode, linked to the workflow instance."""

    __tablename__ = "servicing_overdue_inspection"
    __table_args__ = (Index("ix_servicing_overdue_inspection_loan", "loan_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    details: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # lines, overdue, exposure
    disposal_plan: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | submitted | closed
    error: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CollectionRule(Base):
    __tablename__ = "servicing_collection_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    institution_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # null: any
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    max_amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    min_dpd: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    max_dpd: Mapped[int | None] = mapped_column(Integer, nullable=True)
    collector_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CollectionCase(Base):
    """催收: at most one open case per customer (a partial unique index enforces it)."""

    __tablename__ = "servicing_collection_case"
    __table_args__ = (Index("ix_servicing_collection_case_customer", "customer_id", "status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    open_key: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)  # = customer_id while open
    collector_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    opened_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed
    overdue_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    max_dpd: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False, default="")  # repaid | written_off | ...


class CollectionContact(Base):
    __tablename__ = "servicing_collection_contact"
    __table_args__ = (Index("ix_servicing_collection_contact_case", "case_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_collection_case.id"), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # phone | visit | sms | letter
    result: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    promise_amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    promise_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    promise_status: Mapped[str] = mapped_column(String(16), nullable=False, default="")  # pending | kept | broken
    promise_made_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # business date of the promise
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Inspection(Base):
    """贷后检查: scheduled, then performed on the tablet (questionnaire, images, GPS)."""

    __tablename__ = "servicing_inspection"
    __table_args__ = (Index("ix_servicing_inspection_loan", "loan_id"),
                      Index("ix_servicing_inspection_due", "status", "due_date"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    manager_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # first | periodic
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")  # scheduled | late | done
    performed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    performed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    answers: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    images: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 6), nullable=True)
    conclusion: Mapped[str] = mapped_column(String(16), nullable=False, default="")  # normal | attention | risk
    note: Mapped[str] = mapped_column(String(1000), nullable=False, default="")


class RiskWarning(Base):
    __tablename__ = "servicing_risk_warning"
    __table_args__ = (Index("ix_servicing_risk_warning_loan", "loan_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("servicing_loan.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    inspection_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)  # low | medium | high
    disposal: Mapped[str] = mapped_column(String(24), nullable=False)  # monitor | freeze_line | demand_repayment
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed
    effect: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
