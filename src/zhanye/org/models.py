"""Tables of institutions, staff, roles, permissions and login sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow


class Institution(Base):
    """A node of the bank's tree. ``path`` is the materialized path of ids: ``/1/3/7/``."""

    __tablename__ = "org_institution"
    __table_args__ = (Index("ix_org_institution_path", "path"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # head_office | branch | sub_branch
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_institution.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="/")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | closed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")


class Role(Base):
    __tablename__ = "org_role"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64), nullable=False)
    name_en: Mapped[str] = mapped_column(String(64), nullable=False)


class Permission(Base):
    __tablename__ = "org_permission"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False)


class RolePermission(Base):
    __tablename__ = "org_role_permission"
    role_code: Mapped[str] = mapped_column(ForeignKey("org_role.code", ondelete="CASCADE"), primary_key=True)
    permission_code: Mapped[str] = mapped_column(ForeignKey("org_permission.code", ondelete="CASCADE"),
                                                 primary_key=True)


class Staff(Base):
    __tablename__ = "org_staff"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    employee_no: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False, index=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active | disabled
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    authz_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    institution: Mapped[Institution] = relationship(lazy="joined")
    role_links: Mapped[list[StaffRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> list[str]:
        return sorted(link.role_code for link in self.role_links)


class StaffRole(Base):
    __tablename__ = "org_staff_role"
    staff_id: Mapped[int] = mapped_column(ForeignKey("org_staff.id", ondelete="CASCADE"), primary_key=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("org_role.code"), primary_key=True)


class StaffSession(Base):
    """A login session: cookie for pages or bearer token for the API. Only the SM3 of the token
    is stored."""

    __tablename__ = "org_session"
    __table_args__ = (UniqueConstraint("token_hash"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    staff_id: Mapped[int] = mapped_column(ForeignKey("org_staff.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # cookie | bearer
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


# Kept for features that need a plain BIGINT staff reference without a relationship.
StaffId = BigInteger
