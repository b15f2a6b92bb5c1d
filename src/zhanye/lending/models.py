"""Lending tables of the origination foundation: loan product versions, LPR values, contracts,
the bank's seal key and SMS verification codes.

Product versions and LPR values are immutable once written: editing a product adds a version.
Applications, credit lines and drawdowns (a later round) reference ``LoanProduct.id`` (one version).
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


class LoanProduct(Base):
    """One immutable version of a loan product's configuration."""

    __tablename__ = "lending_product"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | suspended
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    purpose_category: Mapped[str] = mapped_column(String(32), nullable=False)
    customer_type: Mapped[str] = mapped_column(String(32), nullable=False)
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    max_term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_type: Mapped[str] = mapped_column(String(16), nullable=False)  # fixed | lpr
    lpr_tenor: Mapped[str | None] = mapped_column(String(8))  # 1y | 5y
    fixed_rate_min: Mapped[Decimal | None] = mapped_column(RATE)
    fixed_rate_max: Mapped[Decimal | None] = mapped_column(RATE)
    spread_min_bp: Mapped[int | None] = mapped_column(Integer)
    spread_max_bp: Mapped[int | None] = mapped_column(Integer)
    repayment_methods: Mapped[str] = mapped_column(String(128), nullable=False)  # comma list
    repayment_day_rule: Mapped[str] = mapped_column(String(32), nullable=False)  # loan_date | fixed_day:N
    grace_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    penalty_uplift: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    compound_interest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    allocation_order: Mapped[str] = mapped_column(String(128), nullable=False)  # comma list
    guarantee_types: Mapped[str] = mapped_column(String(128), nullable=False)  # comma list
    revolving: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    line_validity_months: Mapped[int] = mapped_column(Integer, nullable=False)
    entrusted_threshold_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    prepayment_fee_rule: Mapped[str] = mapped_column(String(64), nullable=False, default="none")
    admission_decision_key: Mapped[str] = mapped_column(String(64), nullable=False)
    pricing_decision_key: Mapped[str] = mapped_column(String(64), nullable=False)
    approval_process_key: Mapped[str] = mapped_column(String(64), nullable=False)
    approval_mode: Mapped[str] = mapped_column(String(16), nullable=False, default="referred")  # referred | always
    change_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)


class LprRate(Base):
    """A published Loan Prime Rate value and the date from which it applies."""

    __tablename__ = "lending_lpr"
    __table_args__ = (UniqueConstraint("tenor", "effective_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenor: Mapped[str] = mapped_column(String(8), nullable=False)  # 1y | 5y
    rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    effective_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)


class SealKey(Base):
    """The bank's contract seal key pair (SM2); the private key is stored SM4-encrypted."""

    __tablename__ = "lending_seal_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    public_key_hex: Mapped[str] = mapped_column(String(130), nullable=False)
    private_key_enc: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Contract(Base):
    """A loan or credit-line contract: rendered terms, then the signed PDF and its signatures."""

    __tablename__ = "lending_contract"
    __table_args__ = (Index("ix_lending_contract_inst_status", "institution_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # loan | line
    status: Mapped[str] = mapped_column(String(24), nullable=False)  # pending_signature | signed | void
    template_code: Mapped[str] = mapped_column(String(32), nullable=False)
    template_version: Mapped[int] = mapped_column(Integer, nullable=False)
    template_sm3: Mapped[str] = mapped_column(String(64), nullable=False)
    # Links to the later application / credit line / loan objects (no foreign key across features).
    source_type: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    customer_ref: Mapped[str | None] = mapped_column(String(64))
    customer_name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    customer_name_masked: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id_no_enc: Mapped[str] = mapped_column(Text, nullable=False)
    customer_id_no_masked: Mapped[str] = mapped_column(String(32), nullable=False)
    customer_phone_enc: Mapped[str] = mapped_column(Text, nullable=False)
    customer_phone_masked: Mapped[str] = mapped_column(String(20), nullable=False)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("lending_product.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    method: Mapped[str | None] = mapped_column(String(32))
    terms_json: Mapped[str] = mapped_column(Text, nullable=False)  # everything the template renders
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    # Filled at signing
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pdf_path: Mapped[str | None] = mapped_column(String(300))
    pdf_sm3: Mapped[str | None] = mapped_column(String(64))
    pdf_bytes: Mapped[int | None] = mapped_column(BigInteger)
    customer_public_key_hex: Mapped[str | None] = mapped_column(String(130))
    customer_cert: Mapped[str | None] = mapped_column(Text)  # the CA's certificate (sandbox: JSON)
    customer_signature_hex: Mapped[str | None] = mapped_column(String(300))
    seal_key_id: Mapped[int | None] = mapped_column(ForeignKey("lending_seal_key.id"))
    bank_signature_hex: Mapped[str | None] = mapped_column(String(300))
    signed_by: Mapped[str | None] = mapped_column(String(64))


class SmsCode(Base):
    """A one-time SMS verification code (kept as an SM3 hash), e.g. to confirm a signature."""

    __tablename__ = "lending_sms_code"
    __table_args__ = (Index("ix_lending_sms_code_obj", "purpose", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
