"""Deposit tables: products, e-accounts (class II/III with the bound card), demand interest
accrual (积数), term deposits, clearing orders with the bound card, and limit usage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow
from zhanye.core.models import institution_fk

PRODUCT_KINDS = ("demand", "term", "cd")
INSTRUCTIONS = ("return", "renew_principal", "renew_all")  # 本息转回 / 本金续存 / 本息续存


class DepositProduct(Base):
    __tablename__ = "deposit_product"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(12, 8), nullable=False)
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    increment_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=1)
    early_withdrawal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    default_instruction: Mapped[str] = mapped_column(String(20), nullable=False, default="return")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class EAccount(Base):
    """Class II/III e-account (电子账户) over a ledger account, bound to a class I card elsewhere."""

    __tablename__ = "deposit_eaccount"
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)  # customers feature, no FK
    eclass: Mapped[str] = mapped_column(String(4), nullable=False)  # II | III
    bound_card_cipher: Mapped[str] = mapped_column(String(200), nullable=False)
    bound_card_index: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    bound_card_masked: Mapped[str] = mapped_column(String(32), nullable=False)
    bound_bank: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DemandInterest(Base):
    """Daily accrual of a demand account: 积数 (sum of end-of-day balances) since the last
    settlement; interest = round_half_up(base × rate / 360) on the quarterly settlement day."""

    __tablename__ = "deposit_demand"
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), primary_key=True)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(12, 8), nullable=False)
    accrual_base_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    accrued_through: Mapped[dt.date] = mapped_column(Date, nullable=False)
    last_settled_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    settled_interest_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class TermDeposit(Base):
    __tablename__ = "deposit_term"
    __table_args__ = (Index("ix_deposit_term_due", "status", "maturity_date"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), nullable=False, unique=True)
    eaccount_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    product_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("deposit_product.id"), nullable=False)
    principal_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(12, 8), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    maturity_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    instruction: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | closed
    partial_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    interest_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    renewals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ClearingOrder(Base):
    """A transfer with the bound card through the clearing provider: pending until confirmed;
    a failed confirmation reverses the posting."""

    __tablename__ = "deposit_clearing_order"
    __table_args__ = (Index("ix_deposit_clearing_status", "status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    eaccount_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False)
    direction: Mapped[str] = mapped_column(String(4), nullable=False)  # in | out
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # pending|confirmed|failed
    provider_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_entry.id"), nullable=False)
    reversal_entry_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_entry.id"), nullable=True)
    hold_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_hold.id"), nullable=True)
    failure_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LimitUsage(Base):
    """Non-bound movement of an e-account per period (``D2026-11-22`` / ``Y2026``) and direction."""

    __tablename__ = "deposit_limit_usage"
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    direction: Mapped[str] = mapped_column(String(4), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
