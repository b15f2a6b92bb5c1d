"""The demo bank: created when the database is empty, then each feature adds its own demo data
once (tracked per feature, so a feature added later seeds an existing demo database too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhanye.core.calendar import DEFAULT_CALENDAR_FILE, import_calendar_file, set_business_date, today_local
from zhanye.core.db import Database
from zhanye.core.models import CalendarDay, KernelSetting
from zhanye.features import modules
from zhanye.org import security
from zhanye.org import service as org_service
from zhanye.org.demo import DEMO_PASSWORD, STAFF
from zhanye.org.models import Institution, Staff


@dataclass
class DemoContext:
    password: str
    institutions: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def demo_password(explicit: str | None = None) -> str:
    import os

    return explicit or os.environ.get("ZHANYE_DEMO_PASSWORD") or DEMO_PASSWORD


def _load_context(session: Session, password: str) -> DemoContext:
    ctx = DemoContext(password=password)
    for inst in session.execute(select(Institution)).scalars():
        ctx.institutions[inst.code] = inst.id
    for staff in session.execute(select(Staff)).scalars():
        ctx.staff[staff.username] = staff.id
    return ctx


def ensure_demo(db: Database, *, password: str | None = None) -> tuple[bool, list[str]]:
    """Create the demo bank if the database has no institution; seed features not yet seeded.
    Returns (created, features seeded now)."""
    password = demo_password(password)
    security.check_password_policy(password, username="", min_length=8)
    seeded: list[str] = []
    with db.unit_of_work() as session:
        org_service.sync_catalog(session)
        if session.execute(select(CalendarDay.day).limit(1)).first() is None:
            import_calendar_file(session, DEFAULT_CALENDAR_FILE)
        created = session.execute(select(Institution.id).limit(1)).first() is None
        if created:
            set_business_date(session, today_local())
    for feature, mod in modules("demo"):
        seed = getattr(mod, "seed", None)
        if seed is None:
            continue
        marker = f"demo_seeded:{feature}"
        with db.unit_of_work() as session:
            if session.get(KernelSetting, marker) is not None:
                continue
            if feature != "org" and not created and session.get(KernelSetting, "demo_seeded:org") is None:
                continue  # not a demo database: never add demo data to a real bank
            ctx = _load_context(session, password)
            seed(session, ctx)
            session.add(KernelSetting(key=marker, value="1"))
            seeded.append(feature)
    with db.unit_of_work() as session:
        # Demo accounts always answer to the password printed at start-up.
        if session.get(KernelSetting, "demo_seeded:org") is not None:
            demo_hash = security.hash_password(password)
            session.execute(update(Staff).where(Staff.is_demo.is_(True)).values(
                password_hash=demo_hash, must_change_password=False,
                failed_attempts=0, locked_until=None))
    return created, seeded


def demo_logins() -> list[tuple[str, str, str, list[str]]]:
    return STAFF
