from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def contract_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Signed PDFs go to a temporary folder instead of ./var/storage."""
    from zhanye.lending import contracts

    root = tmp_path_factory.mktemp("contracts")
    old = contracts.STORAGE_OVERRIDE
    contracts.STORAGE_OVERRIDE = root
    yield root
    contracts.STORAGE_OVERRIDE = old


@pytest.fixture()
def pending_contract(demo_db):  # type: ignore[no-untyped-def]
    """A loan contract of 柳河支行 (manager1's institution) waiting for signature: (id, phone)."""
    from tests.integration.lending.helpers import make_loan_contract, unique_phone
    from tests.integration.org.helpers import principal_of

    actor = principal_of(demo_db, "manager1")
    phone = unique_phone()
    with demo_db.unit_of_work() as s:
        contract = make_loan_contract(s, actor, phone=phone)
        return contract.id, phone


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``--database-url`` makes the CLI set ZHANYE_DATABASE_URL; put the environment and the cached
    settings back afterwards."""
    import os

    from zhanye.core.config import get_settings

    monkeypatch.setenv("ZHANYE_DATABASE_URL", os.environ.get("ZHANYE_DATABASE_URL", ""))
    if not os.environ["ZHANYE_DATABASE_URL"]:
        monkeypatch.delenv("ZHANYE_DATABASE_URL")
    yield
    get_settings.cache_clear()
