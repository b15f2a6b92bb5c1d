"""``zhanye ledger check`` passes on a sound ledger and exits non-zero naming each breach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from tests.integration.ledger.helpers import funded_account, make_bank
from zhanye.ledger.check import check_ledger
from zhanye.ledger.models import Account, JournalLine

ROOT = Path(__file__).resolve().parents[3]


def _cli(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zhanye.cli", "ledger", "check", "--database-url", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_check_detects_breaches(empty_db) -> None:
    make_bank(empty_db)
    with empty_db.unit_of_work() as s:
        a = funded_account(s, funds=10_000, code="101")
        b = funded_account(s, funds=5_000, code="201")
    ok = _cli(empty_db.url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ledger check passed" in ok.stdout
    with empty_db.unit_of_work() as s:  # tamper: a balance without a line, and a one-sided line
        s.execute(update(Account).where(Account.id == a.id).values(balance_fen=10_001))
        s.execute(update(JournalLine).where(JournalLine.account_id == b.id).values(credit_fen=5_001))
    with empty_db.unit_of_work(write=False) as s:
        res = check_ledger(s)
    assert not res.ok
    text = "\n".join(res.breaches)
    assert "trial balance" in text and f"account {a.id}" in text and f"account {b.id}" in text
    bad = _cli(empty_db.url)
    assert bad.returncode == 1
    assert "ledger check failed" in bad.stdout
