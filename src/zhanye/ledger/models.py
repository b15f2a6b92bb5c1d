"""Ledger tables: chart of accounts (GL), journal entries and lines, customer accounts
(sub-ledgers of a GL control account) and holds.

GL balances are not stored: they are the sums of journal lines, so a posting never updates a
hot GL row. Customer accounts keep ``balance_fen`` on their normal side; ``zhanye ledger
check`` proves that the customer balances under each control account equal its line sum.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow
from zhanye.core.models import institution_fk

GL_TYPES = ("asset", "liability", "equity", "income", "expense")
DEBIT_NORMAL = ("asset", "expense")

ACCOUNT_STATUSES = ("active", "dormant", "closed")
FREEZE_STATES = ("none", "debit", "credit", "full")  # 止付 / 只付不收 / 不收不付


class GLAccount(Base):
    __tablename__ = "ledger_gl_account"
    __table_args__ = (UniqueConstraint("institution_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    is_control: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL


class Account(Base):
    """A customer (or internal) account: a sub-ledger of its GL control account."""

    __tablename__ = "ledger_account"
    __table_args__ = (
        Index("ix_ledger_account_customer", "customer_id"),
        Index("ix_ledger_account_gl", "gl_account_id"),
        CheckConstraint("held_fen >= 0", name="held_nonneg"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # customers feature, no FK
    gl_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_gl_account.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # eaccount_ii, eaccount_iii, term, loan, ...
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    debit_normal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    balance_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    held_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    overdraft_limit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    max_balance_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # e.g. class III cap
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    freeze: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    freeze_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    opened_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    last_activity_on: Mapped[dt.date] = mapped_column(Date, nullable=False)  # customer-initiated
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.held_fen + self.overdraft_limit_fen


class JournalEntry(Base):
    """An immutable, balanced journal entry; a mistake is corrected by a reversal entry."""

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_date", "business_date"),
                      Index("ix_ledger_entry_source", "source_type", "source_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    serial_no: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, institution_fk(), nullable=False)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    source_type: Mapped[str] = mapped_column(String(48), nullable=False)
    source_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    payload_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reversal_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_entry.id"), nullable=True,
                                                      unique=True)
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class JournalLine(Base):
    __tablename__ = "ledger_line"
    __table_args__ = (
        Index("ix_ledger_line_entry", "entry_id"),
        Index("ix_ledger_line_gl", "gl_account_id"),
        Index("ix_ledger_line_account_date", "account_id", "business_date"),
        CheckConstraint("debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0) <> (credit_fen = 0)",
                        name="one_side"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_entry.id"), nullable=False)
    gl_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_gl_account.id"), nullable=False)
    account_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), nullable=True)
    business_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    debit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    credit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # customer account
    memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class Hold(Base):
    """An amount reserved on an account (冻结金额): reduces the available balance until released
    or expired."""

    __tablename__ = "ledger_hold"
    __table_args__ = (Index("ix_ledger_hold_account", "account_id", "status"),
                      CheckConstraint("amount_fen > 0", name="positive"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_account.id"), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active|released|expired
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerSetting(Base):
    """Per-book settings (e.g. dormancy days)."""

    __tablename__ = "ledger_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)

