from __future__ import annotations

import pytest

from tests.integration.ledger.helpers import keep_only_my_steps, make_bank, restore_steps


@pytest.fixture()
def bank(empty_db):  # type: ignore[no-untyped-def]
    """(db, institution ids) of a small fresh bank with its own business date (2026-12-15).
    EOD runs here execute the ledger and deposit steps only (other features test their own)."""
    saved = keep_only_my_steps()
    try:
        yield empty_db, make_bank(empty_db)
    finally:
        restore_steps(saved)
