"""Tables of administrative divisions, households and members, manager assignments, whole-village
credit campaigns (per-household progress, committee reviews) and roster imports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow

LEVELS = ("province", "city", "county", "township", "village", "hamlet")
VISIT_STATUSES = ("not_visited", "visited", "filed", "refused")


class Division(Base):
    """A node of the administrative tree with its national division code; ``path`` holds the
    ancestor ids (``/1/5/9/``). Villages and hamlets carry the serving institution."""

    __tablename__ = "villages_division"
    __table_args__ = (Index("ix_villages_division_path", "path"), Index("ix_villages_division_inst", "institution_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("villages_division.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="/")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("org_institution.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ManagerVillage(Base):
    __tablename__ = "villages_manager_village"
    staff_id: Mapped[int] = mapped_column(ForeignKey("org_staff.id", ondelete="CASCADE"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages_division.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Household(Base):
    """户: belongs to a hamlet; ``household_no`` is the roster's number, unique in its village."""

    __tablename__ = "villages_household"
    __table_args__ = (UniqueConstraint("village_id", "household_no"),
                      Index("ix_villages_household_hamlet", "hamlet_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages_division.id"), nullable=False)
    hamlet_id: Mapped[int] = mapped_column(ForeignKey("villages_division.id"), nullable=False)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    household_no: Mapped[str] = mapped_column(String(32), nullable=False)
    head_name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    head_id_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    head_id_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    member_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Member(Base):
    """A member of a household: a customer already, or not yet (name and ID kept encrypted)."""

    __tablename__ = "villages_member"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("villages_household.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers_customer.id"), nullable=True, index=True)
    relation: Mapped[str] = mapped_column(String(16), nullable=False)  # head | spouse | child | parent | other
    name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    id_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    id_bidx: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Campaign(Base):
    """A whole-village credit campaign (整村授信) in one village."""

    __tablename__ = "villages_campaign"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages_division.id"), nullable=False, index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CampaignHousehold(Base):
    """A household's progress in a campaign: visit, filing, review, pre-credit, drawdown."""

    __tablename__ = "villages_campaign_household"
    __table_args__ = (UniqueConstraint("campaign_id", "household_id"),
                      Index("ix_villages_campaign_household_hh", "household_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("villages_campaign.id"), nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("villages_household.id"), nullable=False)
    visit_status: Mapped[str] = mapped_column(String(16), nullable=False, default="not_visited")
    visited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    filed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reviewed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    precredit_limit_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    precredit_source: Mapped[str | None] = mapped_column(String(64), nullable=True)
    precredited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    drawn: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    drawn_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Review(Base):
    """A village committee review (评议) of one household."""

    __tablename__ = "villages_review"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("villages_campaign.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("villages_household.id"), nullable=False, index=True)
    members_present: Mapped[str] = mapped_column(String(500), nullable=False)
    opinion: Mapped[str] = mapped_column(String(16), nullable=False)  # approve | reject | defer
    recommended_limit_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    minutes: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    minutes_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RosterImport(Base):
    __tablename__ = "villages_roster_import"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("villages_campaign.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    accepted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refused: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    report: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
