"""Pydantic inputs of villages, households, campaigns and reviews. Amounts are integer fen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import FreeText, Name

Fen = Annotated[int, Field(ge=0, le=10**14)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DivisionCreate(Input):
    code: Annotated[str, StringConstraints(min_length=2, max_length=16, pattern=r"^[0-9A-Za-z]+$")]
    name: Name
    level: Literal["province", "city", "county", "township", "village", "hamlet"]
    parent_id: int | None = None
    institution_id: int | None = None


class AssignVillageIn(Input):
    staff_id: int


class HouseholdCreate(Input):
    hamlet_id: int
    household_no: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9\-_]*$")]
    head_name: Name
    head_id_number: Annotated[str, StringConstraints(max_length=24)] | None = None
    phone: Annotated[str, StringConstraints(max_length=20)] | None = None
    address: Annotated[str, StringConstraints(max_length=200)] | None = None
    member_count: Annotated[int, Field(ge=1, le=30)] = 1


class MemberCreate(Input):
    relation: Literal["spouse", "child", "parent", "sibling", "grandchild", "other"]
    name: Name
    id_number: Annotated[str, StringConstraints(max_length=24)] | None = None
    customer_id: int | None = None


class MemberLink(Input):
    customer_id: int


class CampaignCreate(Input):
    village_id: int
    name: Name


class VisitIn(Input):
    status: Literal["not_visited", "visited", "filed", "refused"]


class ReviewIn(Input):
    members_present: Annotated[str, StringConstraints(min_length=2, max_length=500)]
    opinion: Literal["approve", "reject", "defer"]
    recommended_limit_fen: Fen | None = None
    minutes: FreeText | None = None


class PrecreditIn(Input):
    limit_fen: Fen
    source: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "manual"
