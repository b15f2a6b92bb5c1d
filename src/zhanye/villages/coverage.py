"""Coverage statistics of whole-village credit per village, township and institution:
households, filed (建档), reviewed (评议), credited (授信), drawn (用信), and the rates
filed / households, credited / filed, drawn / credited. One grouped query, scoped."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.core.scope import in_scope
from zhanye.villages.models import CampaignHousehold, Division, Household, ManagerVillage


@dataclass
class CoverageRow:
    key: int
    name: str
    households: int
    filed: int
    reviewed: int
    credited: int
    drawn: int
    filed_rate: Decimal
    credited_rate: Decimal
    drawn_rate: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def rate(part: int, whole: int) -> Decimal:
    """A ratio to 4 decimal places, ROUND_HALF_UP; 0 when the whole is 0."""
    if not whole:
        return Decimal("0.0000")
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _flag(col: Any) -> Any:
    return func.max(case((col, 1), else_=0))


def coverage(session: Session, *, actor: Principal, by: str = "village", village_ids: list[int] | None = None,
             mine: bool = False) -> list[CoverageRow]:
    """Rows ranked by filed rate (then credited rate, then name)."""
    if by not in ("village", "township", "institution"):
        raise ValidationFailed.field(["query", "by"], "分组须为 village、township 或 institution",
                                     "Group by village, township or institution")
    per_household = (
        select(CampaignHousehold.household_id.label("hid"),
               _flag(CampaignHousehold.filed).label("filed"),
               _flag(CampaignHousehold.reviewed).label("reviewed"),
               _flag(CampaignHousehold.precredit_limit_fen > 0).label("credited"),
               _flag(CampaignHousehold.drawn).label("drawn"))
        .group_by(CampaignHousehold.household_id).subquery()
    )
    village = aliased(Division)
    if by == "village":
        key, name_col = village.id, village.name
    elif by == "township":
        township = aliased(Division)
        key, name_col = township.id, township.name
    else:
        from zhanye.org.models import Institution

        key, name_col = Institution.id, Institution.name
    stmt = (
        select(key.label("key"), name_col.label("name"), func.count(Household.id),
               func.coalesce(func.sum(per_household.c.filed), 0), func.coalesce(func.sum(per_household.c.reviewed), 0),
               func.coalesce(func.sum(per_household.c.credited), 0), func.coalesce(func.sum(per_household.c.drawn), 0))
        .select_from(Household)
        .join(village, village.id == Household.village_id)
        .outerjoin(per_household, per_household.c.hid == Household.id)
        .where(in_scope(Household.institution_id, actor))
    )
    if by == "township":
        stmt = stmt.join(township, township.id == village.parent_id)
    elif by == "institution":
        stmt = stmt.join(Institution, Institution.id == Household.institution_id)
    if village_ids is not None:
        stmt = stmt.where(Household.village_id.in_(village_ids))
    if mine:
        stmt = stmt.where(Household.village_id.in_(
            select(ManagerVillage.village_id).where(ManagerVillage.staff_id == actor.staff_id)))
    stmt = stmt.group_by(key, name_col)
    rows = []
    for k, name, households, filed, reviewed, credited, drawn in session.execute(stmt):
        households, filed, reviewed, credited, drawn = (int(x) for x in (households, filed, reviewed, credited, drawn))
        rows.append(CoverageRow(k, name, households, filed, reviewed, credited, drawn, rate(filed, households),
                                rate(credited, filed), rate(drawn, credited)))
    rows.sort(key=lambda r: (-r.filed_rate, -r.credited_rate, r.name))
    return rows
