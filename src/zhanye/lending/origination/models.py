"""Origination tables: loan applications, credit lines (授信额度), drawdowns (用信) and payment
management (线下支付申请, 补录用途凭证).

Customers, products, decision records, workflow instances, contracts and loans belong to other
features: they are referenced by id (products by their immutable version id) and read only
through those features' services. Money is BIGINT fen, rates NUMERIC(12, 8).
"""

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

APPLICATION_STATES = ("draft", "submitted", "admission_refused", "deciding", "declined", "in_approval",
                      "approved", "rejected", "withdrawn", "credit_granted")
LINE_STATES = ("pending_signature", "active", "expired", "closed")


class Application(Base):
    """A loan application (贷款申请) and what admission, the decision and approval made of it."""

    __tablename__ = "origination_application"
    __table_args__ = (Index("ix_origination_application_inst_state", "institution_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("lending_product.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # tablet | online | counter
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="draft")
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    guarantee: Mapped[str] = mapped_column(String(16), nullable=False)
    purpose: Mapped[str] = mapped_column(String(200), nullable=False)
    payee_name: Mapped[str | None] = mapped_column(String(100))
    payee_account_enc: Mapped[str | None] = mapped_column(Text)
    payee_account_masked: Mapped[str | None] = mapped_column(String(32))
    payee_bank: Mapped[str | None] = mapped_column(String(100))
    image_refs: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON list of image ids
    declared_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # facts the manager entered
    bureau_json: Mapped[str | None] = mapped_column(Text)  # credit report summary
    facts_json: Mapped[str | None] = mapped_column(Text)  # admission facts as sent to the decision
    admission_record_id: Mapped[int | None] = mapped_column(BigInteger)
    rating_record_id: Mapped[int | None] = mapped_column(BigInteger)
    pricing_record_id: Mapped[int | None] = mapped_column(BigInteger)
    decision_json: Mapped[str | None] = mapped_column(Text)  # outcome, rating, limit, rate, reasons
    reasons: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON list of reason codes
    offered_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    offered_rate: Mapped[Decimal | None] = mapped_column(RATE)
    offered_spread_bp: Mapped[int | None] = mapped_column(Integer)
    offered_term_months: Mapped[int | None] = mapped_column(Integer)
    approval_instance_id: Mapped[int | None] = mapped_column(BigInteger)
    approval_returned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    approved_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    approved_rate: Mapped[Decimal | None] = mapped_column(RATE)
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    approval_comment: Mapped[str | None] = mapped_column(String(500))
    line_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # --- guards (the only places that say which transition is legal) ---------------------------
    def can_edit(self) -> bool:
        return self.state == "draft"

    def can_submit(self) -> bool:
        return self.state == "draft"

    def can_withdraw(self) -> bool:
        return self.state in ("draft", "submitted", "deciding", "in_approval")

    def can_take_outcome(self) -> bool:
        return self.state == "in_approval"

    def can_grant(self) -> bool:
        return self.state == "approved" and self.line_id is None


class CreditLine(Base):
    """A credit line (授信额度): from an approved application or a village pre-credit."""

    __tablename__ = "origination_line"
    __table_args__ = (Index("ix_origination_line_inst_status", "institution_id", "status"),
                      Index("ix_origination_line_valid_until", "status", "valid_until"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("lending_product.id"), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # application | precredit
    application_id: Mapped[int | None] = mapped_column(ForeignKey("origination_application.id"))
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    household_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="pending_signature")
    frozen: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    freeze_reason: Mapped[str | None] = mapped_column(String(200))
    frozen_by: Mapped[str | None] = mapped_column(String(64))
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    limit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    used_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    drawn_total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    rate_type: Mapped[str] = mapped_column(String(16), nullable=False)  # fixed | lpr
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)  # at grant (LPR lines re-price per drawdown)
    spread_bp: Mapped[int | None] = mapped_column(Integer)
    revolving: Mapped[bool] = mapped_column(Boolean, nullable=False)
    max_term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[dt.date] = mapped_column(Date, nullable=False)
    contract_id: Mapped[int | None] = mapped_column(BigInteger)
    decision_record_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def available_fen(self) -> int:
        return max(self.limit_fen - self.used_fen, 0)

    def can_sign(self) -> bool:
        return self.status == "pending_signature"

    def can_freeze(self) -> bool:
        return self.status in ("pending_signature", "active") and not self.frozen

    def can_unfreeze(self) -> bool:
        return self.frozen and self.status in ("pending_signature", "active")


class Drawdown(Base):
    """A drawdown (用信): one loan disbursed against a line."""

    __tablename__ = "origination_drawdown"
    __table_args__ = (UniqueConstraint("request_key"),
                      Index("ix_origination_drawdown_voucher", "voucher_status", "voucher_due_on"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    request_key: Mapped[str] = mapped_column(String(160), nullable=False)  # idempotency of the use case
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    line_id: Mapped[int] = mapped_column(ForeignKey("origination_line.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("lending_product.id"), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    payment_mode: Mapped[str] = mapped_column(String(16), nullable=False)  # entrusted | self
    payee_name: Mapped[str | None] = mapped_column(String(100))
    payee_account_enc: Mapped[str | None] = mapped_column(Text)
    payee_account_masked: Mapped[str | None] = mapped_column(String(32))
    payee_bank: Mapped[str | None] = mapped_column(String(100))
    repay_account_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    clearing_ref: Mapped[str | None] = mapped_column(String(64))
    clearing_status: Mapped[str | None] = mapped_column(String(16))  # submitted | confirmed | failed
    voucher_status: Mapped[str] = mapped_column(String(16), nullable=False)  # not_required | pending | provided
    voucher_due_on: Mapped[dt.date | None] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class OfflinePayment(Base):
    """线下支付申请: the borrower asks to pay a counterparty outside the bank's entrusted payment
    (e.g. cash to a farmer selling cattle); reviewed by an approver."""

    __tablename__ = "origination_offline_payment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    drawdown_id: Mapped[int] = mapped_column(ForeignKey("origination_drawdown.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    counterparty: Mapped[str] = mapped_column(String(100), nullable=False)
    purpose: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    image_refs: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="submitted")  # approved | rejected
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(String(500))


class UsageVoucher(Base):
    """补录用途凭证: evidence of how a self-paid drawdown was used (invoice, receipt photos)."""

    __tablename__ = "origination_usage_voucher"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    drawdown_id: Mapped[int] = mapped_column(ForeignKey("origination_drawdown.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    image_refs: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
