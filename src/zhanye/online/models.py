"""Customer sessions of the online channel (kept apart from staff sessions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow


class OnlineSession(Base):
    """One login of a customer: only the SM3 hash of the token is stored."""

    __tablename__ = "online_session"
    __table_args__ = (Index("ix_online_session_customer", "customer_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"), nullable=False)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
