"""Tables of customers, identity verifications, blacklists, file sections, images, interactions.

Personal data (name, ID number, mobile, card number, and every file section) is stored
encrypted (SM4-GCM, ``*_enc``) and found by a keyed SM3 blind index (``*_bidx``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow

WIZARD_STEPS = ("identity", "verify", "file", "images", "done")


class Customer(Base):
    __tablename__ = "customers_customer"
    __table_args__ = (
        UniqueConstraint("id_number_bidx", name="uq_customers_customer_id_number_bidx"),
        # (bidx, id, institution): a search reads the newest 20 matches in the actor's scope, and counts
        # up to 1,000 of them, from the index alone, however common the name
        Index("ix_customers_customer_name_search", "name_bidx", "id", "institution_id"),
        Index("ix_customers_customer_mobile_search", "mobile_bidx", "id", "institution_id"),
        Index("ix_customers_customer_inst_created", "institution_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_no: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # individual | individual_business | corporate
    id_type: Mapped[str] = mapped_column(String(8), nullable=False)  # ric | uscc
    id_number_enc: Mapped[str] = mapped_column(Text, nullable=False)
    id_number_bidx: Mapped[str] = mapped_column(String(64), nullable=False)
    name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    name_bidx: Mapped[str] = mapped_column(String(64), nullable=False)
    mobile_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    mobile_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(1), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    region_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("org_staff.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | closed
    identity_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mobile_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    face_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    card_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    wizard_step: Mapped[str] = mapped_column(String(16), nullable=False, default="identity")
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Verification(Base):
    """One identity check against a provider: who asked, what, which provider, what it said."""

    __tablename__ = "customers_verification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)  # id_check | card4 | mobile | liveness | ocr
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    result: Mapped[str] = mapped_column(String(16), nullable=False)  # pass | fail | pending | error
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[str | None] = mapped_column(String(16), nullable=True)
    card_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    card_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    code_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    operator_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class BlacklistEntry(Base):
    """An entry of an internal or imported external list, matched by the ID-number blind index."""

    __tablename__ = "customers_blacklist"
    __table_args__ = (Index("ix_customers_blacklist_bidx", "id_number_bidx", "active"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_code: Mapped[str] = mapped_column(String(32), nullable=False)  # internal | court_dishonest | ...
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="internal")  # internal | external
    id_number_bidx: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number_enc: Mapped[str] = mapped_column(Text, nullable=False)
    name_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FileSection(Base):
    """One version of one section of a customer's file (信息采集); the data is encrypted JSON."""

    __tablename__ = "customers_section"
    __table_args__ = (UniqueConstraint("customer_id", "section", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"), nullable=False)
    section: Mapped[str] = mapped_column(String(24), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data_enc: Mapped[str] = mapped_column(Text, nullable=False)
    changed_fields: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    changed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    changed_by_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CustomerImage(Base):
    __tablename__ = "customers_image"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(24), nullable=False)
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    original_type: Mapped[str] = mapped_column(String(32), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False)
    thumb_key: Mapped[str] = mapped_column(String(200), nullable=False)
    watermark: Mapped[str] = mapped_column(String(300), nullable=False)
    gps: Mapped[str | None] = mapped_column(String(64), nullable=True)
    taken_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Interaction(Base):
    """History of contacts: visits, calls, notes, manager transfers."""

    __tablename__ = "customers_interaction"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # visit | call | note | transfer | system
    text: Mapped[str] = mapped_column(String(2000), nullable=False)
    staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    staff_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
