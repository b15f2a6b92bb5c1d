"""Pydantic inputs of customers, KYC, blacklists and file sections. Amounts are integer fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import FreeText, Name, ShortName

Fen = Annotated[int, Field(ge=0, le=10**14)]
Short = Annotated[str, StringConstraints(max_length=100)]
IdNumber = Annotated[str, StringConstraints(min_length=1, max_length=24)]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Area = Annotated[Decimal, Field(ge=0, le=10**7, max_digits=12, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=10**7)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerCreate(Input):
    kind: Literal["individual", "individual_business", "corporate"] = "individual"
    id_number: IdNumber | None = None
    name: Name | None = None
    ocr_token: Annotated[str, StringConstraints(max_length=2000)] | None = None
    mobile: Phone | None = None
    address: Annotated[str, StringConstraints(max_length=200)] | None = None


class CustomerUpdate(Input):
    mobile: Phone | None = None
    address: Annotated[str, StringConstraints(max_length=200)] | None = None


class AssignIn(Input):
    manager_id: int
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]


class InteractionIn(Input):
    kind: Literal["visit", "call", "note"]
    text: Annotated[FreeText, StringConstraints(min_length=1, max_length=2000)]


class RevealIn(Input):
    fields: list[Literal["name", "id_number", "mobile"]] = Field(min_length=1, max_length=3)


class IdCheckIn(Input):
    photo_image_id: int | None = None


class Card4StartIn(Input):
    card_number: Annotated[str, StringConstraints(min_length=13, max_length=23)]
    phone: Phone


class Card4ConfirmIn(Input):
    verification_id: int
    code: Annotated[str, StringConstraints(min_length=4, max_length=8)]


class LivenessIn(Input):
    image_id: int


class BlacklistIn(Input):
    list_code: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
    source: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    kind: Literal["internal", "external"] = "internal"
    id_number: IdNumber
    name: Name | None = None
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]
    expires_on: dt.date | None = None


class BlacklistRemoveIn(Input):
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]


# --- file sections -------------------------------------------------------------------------------

class BasicSection(Input):
    education: Short | None = None
    marital_status: Literal["single", "married", "divorced", "widowed"] | None = None
    occupation: Short | None = None
    employer: Short | None = None
    residence_years: Annotated[int, Field(ge=0, le=150)] | None = None
    health: Short | None = None
    notes: FreeText | None = None


class FamilyMember(Input):
    relation: ShortName
    name: Name
    id_number: IdNumber | None = None
    phone: Phone | None = None
    age: Annotated[int, Field(ge=0, le=150)] | None = None
    occupation: Short | None = None
    annual_income_fen: Fen | None = None


class FamilySection(Input):
    members: list[FamilyMember] = Field(default_factory=list, max_length=30)


class House(Input):
    location: Short
    area_m2: Area | None = None
    value_fen: Fen = 0


class Vehicle(Input):
    kind: Short
    value_fen: Fen = 0


class Livestock(Input):
    kind: Short
    head_count: Count = 0
    value_fen: Fen = 0


class AssetsSection(Input):
    houses: list[House] = Field(default_factory=list, max_length=20)
    land_area_mu: Area | None = None
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=20)
    livestock: list[Livestock] = Field(default_factory=list, max_length=20)
    deposits_elsewhere_fen: Fen = 0


class LoanElsewhere(Input):
    lender: Short
    balance_fen: Fen
    monthly_payment_fen: Fen = 0
    due_date: dt.date | None = None


class Guarantee(Input):
    for_whom: Short
    amount_fen: Fen


class LiabilitiesSection(Input):
    loans_elsewhere: list[LoanElsewhere] = Field(default_factory=list, max_length=20)
    guarantees_given: list[Guarantee] = Field(default_factory=list, max_length=20)


class IncomeSection(Input):
    farming_fen: Fen = 0
    wages_fen: Fen = 0
    business_fen: Fen = 0
    other_fen: Fen = 0


class ExpensesSection(Input):
    living_fen: Fen = 0
    production_fen: Fen = 0
    education_fen: Fen = 0
    medical_fen: Fen = 0
    other_fen: Fen = 0


class Crop(Input):
    crop: Short
    area_mu: Area


class Breeding(Input):
    kind: Short
    head_count: Count


class ProductionSection(Input):
    crops: list[Crop] = Field(default_factory=list, max_length=20)
    breeding: list[Breeding] = Field(default_factory=list, max_length=20)
    business_type: Short | None = None
    business_years: Annotated[int, Field(ge=0, le=100)] | None = None


class CreditRatingSection(Input):
    grade: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    score: Annotated[int, Field(ge=0, le=1000)] | None = None
    limit_fen: Fen | None = None
    model: Short | None = None
    rated_on: dt.date | None = None


class TagsSection(Input):
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(default_factory=list,
                                                                                          max_length=50)


SECTIONS: dict[str, type[Input]] = {
    "basic": BasicSection,
    "family": FamilySection,
    "assets": AssetsSection,
    "liabilities": LiabilitiesSection,
    "income": IncomeSection,
    "expenses": ExpensesSection,
    "production": ProductionSection,
    "credit_rating": CreditRatingSection,
    "tags": TagsSection,
}
SYSTEM_SECTIONS = {"credit_rating", "tags"}  # filled by the decision engine and tagging, not by hand
SECTION_NAMES = {
    "basic": ("基本信息", "Basic information"), "family": ("家庭成员", "Family members"),
    "assets": ("资产信息", "Assets"), "liabilities": ("负债信息", "Liabilities"),
    "income": ("收入信息", "Income"), "expenses": ("支出信息", "Expenses"),
    "production": ("生产经营", "Production and operations"), "credit_rating": ("评级信息", "Credit rating"),
    "tags": ("客户标签", "Tags"),
}
IMAGE_PURPOSES = {
    "id_front": ("身份证人像面", "ID card front"), "id_back": ("身份证国徽面", "ID card back"),
    "face": ("人脸照片", "Face"), "house": ("房屋", "House"), "land": ("土地", "Land"),
    "premises": ("经营场所", "Business premises"), "document": ("资料", "Document"),
    "inspection": ("贷后检查", "Post-loan inspection"),
}
