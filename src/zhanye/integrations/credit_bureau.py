"""Credit bureau (人行征信 / 百行征信): a personal credit report for loan admission. The default is a
deterministic sandbox; a bank plugs its real provider in with ``ZHANYE_PROVIDER_CREDIT_BUREAU``.

Every query goes through ``integrations.base`` (timeout, circuit breaker, typed errors) and needs
the customer's authorization reference (the signed 征信查询授权书).

Sandbox rules, by the last three digits before the check digit of the resident ID (the sequence
number), so tests and demos are reproducible:

* ``…999x``: the bureau is down (raises; the breaker counts it);
* ``…998x``: the bureau answers slowly (longer than the timeout);
* ``…997x``: no credit history ("白户": no accounts, no score);
* ``…996x``: currently 45 days overdue on a card, 2 overdue episodes in 24 months;
* ``…995x``: heavily indebted (outstanding 900,000 yuan, monthly payments 22,000 yuan);
* anything else: a realistic thin-file rural borrower derived from the SM3 of the ID number
  (0-2 loans, small balances, no current overdue, occasional short past overdue).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from zhanye.integrations.base import call_with_protection, registry

KIND = "credit_bureau"
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CreditAccount:
    kind: str  # loan | card
    lender: str
    opened_on: dt.date
    credit_limit_fen: int
    balance_fen: int
    monthly_payment_fen: int
    overdue_days: int  # current
    worst_overdue_days_24m: int


@dataclass(frozen=True)
class CreditReport:
    report_no: str
    provider: str
    queried_at: dt.datetime
    has_history: bool
    score: int | None  # bureau score 350-950, None without history
    accounts: list[CreditAccount] = field(default_factory=list)
    queries_last_3m: int = 0

    @property
    def outstanding_fen(self) -> int:
        return sum(a.balance_fen for a in self.accounts)

    @property
    def monthly_payment_fen(self) -> int:
        return sum(a.monthly_payment_fen for a in self.accounts)

    @property
    def current_overdue_days(self) -> int:
        return max((a.overdue_days for a in self.accounts), default=0)

    @property
    def worst_overdue_days_24m(self) -> int:
        return max((a.worst_overdue_days_24m for a in self.accounts), default=0)

    def summary(self) -> dict[str, Any]:
        """The JSON kept with an application (no personal data beyond the report number)."""
        return {
            "report_no": self.report_no, "provider": self.provider, "queried_at": self.queried_at.isoformat(),
            "has_history": self.has_history, "score": self.score, "accounts": len(self.accounts),
            "outstanding_fen": self.outstanding_fen, "monthly_payment_fen": self.monthly_payment_fen,
            "current_overdue_days": self.current_overdue_days,
            "worst_overdue_days_24m": self.worst_overdue_days_24m, "queries_last_3m": self.queries_last_3m,
            "details": [{**asdict(a), "opened_on": a.opened_on.isoformat()} for a in self.accounts],
        }


class CreditBureauProvider(Protocol):
    def query(self, *, id_number: str, name: str, authorization_ref: str, purpose: str) -> CreditReport: ...


_LENDERS = ["吉林农商银行", "中国邮政储蓄银行", "中国农业银行", "长春农村信用社", "建设银行信用卡中心"]


class SandboxCreditBureau:
    name = "sandbox.credit_bureau"

    def __init__(self, *, slow_seconds: float = 10.0) -> None:
        self.slow_seconds = slow_seconds

    def query(self, *, id_number: str, name: str, authorization_ref: str, purpose: str) -> CreditReport:
        seq = id_number[14:17] if len(id_number) == 18 else "000"
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        digest = hashlib.sha256(f"zhanye-bureau|{id_number}".encode()).digest()
        report_no = "SBXCR" + digest[:8].hex().upper()
        if seq.endswith("99"):
            raise ConnectionError("sandbox credit bureau unavailable")
        if seq.endswith("98"):
            time.sleep(self.slow_seconds)
        if seq.endswith("97"):
            return CreditReport(report_no, self.name, now, False, None, [], 0)
        opened = dt.date(2019 + digest[0] % 5, 1 + digest[1] % 12, 1 + digest[2] % 28)
        if seq.endswith("96"):
            accounts = [
                CreditAccount("card", _LENDERS[4], opened, 2_000_000, 1_850_000, 95_000, 45, 45),
                CreditAccount("loan", _LENDERS[0], opened, 5_000_000, 3_200_000, 160_000, 0, 60),
            ]
            return CreditReport(report_no, self.name, now, True, 520, accounts, 5)
        if seq.endswith("95"):
            accounts = [
                CreditAccount("loan", _LENDERS[1], opened, 60_000_000, 60_000_000, 1_500_000, 0, 0),
                CreditAccount("loan", _LENDERS[2], opened, 30_000_000, 30_000_000, 700_000, 0, 0),
            ]
            return CreditReport(report_no, self.name, now, True, 610, accounts, 7)
        accounts = []
        for i in range(digest[3] % 3):
            limit = (2 + digest[4 + i] % 9) * 1_000_000  # 20,000 - 100,000 yuan
            balance = limit * (digest[6 + i] % 60) // 100
            payment = balance // 24
            worst = (0, 0, 0, 5, 12)[digest[8 + i] % 5]
            accounts.append(CreditAccount("loan" if i == 0 else "card", _LENDERS[(digest[9] + i) % 4], opened,
                                          limit, balance, payment, 0, worst))
        score = 620 + digest[10] % 180
        return CreditReport(report_no, self.name, now, True, score, accounts, digest[11] % 3)


registry.register_default(KIND, SandboxCreditBureau)


def provider() -> CreditBureauProvider:
    return registry.get(KIND)


def query(*, id_number: str, name: str, authorization_ref: str, purpose: str = "loan_admission",
          timeout_s: float = TIMEOUT_S) -> CreditReport:
    """Query a report through the breaker with a timeout (``ProviderUnavailable`` subclasses on failure)."""
    p = provider()
    return call_with_protection(registry.breaker("credit_bureau.query"),
                                lambda: p.query(id_number=id_number, name=name, authorization_ref=authorization_ref,
                                                purpose=purpose),
                                timeout_s=timeout_s)
