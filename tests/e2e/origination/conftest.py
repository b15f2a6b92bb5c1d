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
