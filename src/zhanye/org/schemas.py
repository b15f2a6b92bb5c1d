"""Input and output shapes of the org API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhanye.core.text import Code, Name, Password, ShortName, Username

InstitutionKind = Literal["head_office", "branch", "sub_branch"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: Password
    device_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


class LoginOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    must_change_password: bool


class PasswordChangeIn(Strict):
    old_password: Password
    new_password: Password


class InstitutionCreate(Strict):
    code: Code
    name: Name
    kind: InstitutionKind
    parent_id: int | None = Field(default=None, ge=1)


class InstitutionRename(Strict):
    name: Name


class InstitutionMove(Strict):
    parent_id: int = Field(ge=1)


class InstitutionOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    status: str
    depth: int


class StaffCreate(Strict):
    username: Username
    display_name: ShortName
    institution_id: int = Field(ge=1)
    roles: list[str] = Field(min_length=1, max_length=9)
    employee_no: Code | None = None


class StaffUpdate(Strict):
    display_name: ShortName | None = None
    institution_id: int | None = Field(default=None, ge=1)
    roles: list[str] | None = Field(default=None, min_length=1, max_length=9)


class StaffOut(BaseModel):
    id: int
    username: str
    display_name: str
    employee_no: str | None
    institution_id: int
    institution_name: str
    roles: list[str]
    status: str
    must_change_password: bool
    locked: bool
    last_login_at: dt.datetime | None


class StaffCreated(StaffOut):
    temporary_password: str


class PasswordReset(BaseModel):
    staff_id: int
    temporary_password: str


class RolePermissionsIn(Strict):
    permissions: list[str] = Field(max_length=500)


class RoleOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    permissions: list[str]


class MeOut(BaseModel):
    staff_id: int
    username: str
    display_name: str
    institution_id: int
    institution_name: str
    roles: list[str]
    permissions: list[str]
    must_change_password: bool
    business_date: dt.date


class Page(BaseModel):
    total: int
    page: int
    page_size: int
