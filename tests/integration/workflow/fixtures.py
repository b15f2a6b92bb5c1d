"""Databases for the workflow tests holding only the demo bank's tree, staff and the workflow demo,
so that the workflow tests do not depend on other features' demo data. Parametrized over SQLite
and PostgreSQL like the shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, drop_pg_database, fresh_database_url, migrated_database


def seed_workflow_bank(db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.calendar import (
        DEFAULT_CALENDAR_FILE,
        import_calendar_file,
        set_business_date,
        today_local,
    )
    from zhanye.core.models import KernelSetting
    from zhanye.demo import DemoContext
    from zhanye.org import demo as org_demo
    from zhanye.org import service as org_service
    from zhanye.workflow import demo as workflow_demo

    with db.unit_of_work() as session:
        org_service.sync_catalog(session)
        import_calendar_file(session, DEFAULT_CALENDAR_FILE)
        set_business_date(session, today_local())
        ctx = DemoContext(password=DEMO_PASSWORD)
        org_demo.seed(session, ctx)
        workflow_demo.seed(session, ctx)
        session.add(KernelSetting(key="demo_seeded:org", value="1"))
        session.add(KernelSetting(key="demo_seeded:workflow", value="1"))


def make_db(backend: str, tmp: Path) -> tuple[object, str]:
    url = fresh_database_url(backend, tmp)
    db = migrated_database(url)
    seed_workflow_bank(db)
    return db, url


def dispose(db, backend: str, url: str) -> None:  # type: ignore[no-untyped-def]
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="session")
def wf_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    db, url = make_db(backend, tmp_path_factory.mktemp(f"wf-{backend}"))
    yield db
    dispose(db, backend, url)


@pytest.fixture()
def fresh_demo(backend: str, tmp_path: Path) -> Iterator[object]:
    """A database of its own (for tests that scan or race globally)."""
    db, url = make_db(backend, tmp_path)
    yield db
    dispose(db, backend, url)
