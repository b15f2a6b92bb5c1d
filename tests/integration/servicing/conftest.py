from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import drop_pg_database, fresh_database_url, migrated_database
from tests.integration.servicing.helpers import make_bank


@pytest.fixture(scope="session")
def bank_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A servicing bank shared by the tests of one backend (each test makes its own loans)."""
    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"srv-{backend}"))
    db = migrated_database(url)
    make_bank(db)
    yield db
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture()
def fresh_bank(backend: str, tmp_path: Path) -> Iterator[object]:
    """A servicing bank of its own (EOD tests move the business date)."""
    url = fresh_database_url(backend, tmp_path)
    db = migrated_database(url)
    make_bank(db)
    yield db
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)
