"""No database: the credit-bureau sandbox, its protection, and the entity guards."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import ric

from zhanye.integrations import credit_bureau
from zhanye.integrations.base import ProviderError, ProviderTimeout, registry
from zhanye.lending.origination.drawdowns import check_can_draw
from zhanye.lending.origination.errors import (
    CreditLineExpired,
    CreditLineFrozen,
    CreditLineNotActive,
    InsufficientLimit,
)
from zhanye.lending.origination.models import Application, CreditLine


def rid(seq: str) -> str:
    body = f"22010219850612{seq}"
    return body + ric.calc_check_digit(body + "0")


def test_sandbox_is_deterministic_and_realistic() -> None:
    a = credit_bureau.query(id_number=rid("123"), name="王建国", authorization_ref="t")
    b = credit_bureau.query(id_number=rid("123"), name="王建国", authorization_ref="t")
    assert a.report_no == b.report_no and a.summary()["details"] == b.summary()["details"]
    assert a.has_history and 620 <= a.score <= 800 and a.current_overdue_days == 0
    assert all(x.balance_fen <= x.credit_limit_fen for x in a.accounts)


def test_sandbox_special_identities() -> None:
    assert credit_bureau.query(id_number=rid("196"), name="x", authorization_ref="t").current_overdue_days == 45
    thin = credit_bureau.query(id_number=rid("197"), name="x", authorization_ref="t")
    assert not thin.has_history and thin.score is None and thin.outstanding_fen == 0
    heavy = credit_bureau.query(id_number=rid("195"), name="x", authorization_ref="t")
    assert heavy.outstanding_fen == 90_000_000 and heavy.monthly_payment_fen == 2_200_000
    registry.reset("credit_bureau.query")
    with pytest.raises(ProviderError):
        credit_bureau.query(id_number=rid("199"), name="x", authorization_ref="t")


def test_slow_bureau_times_out() -> None:
    registry.set(credit_bureau.KIND, credit_bureau.SandboxCreditBureau(slow_seconds=1.0))
    try:
        registry.reset("credit_bureau.query")
        with pytest.raises(ProviderTimeout):
            credit_bureau.query(id_number=rid("198"), name="x", authorization_ref="t", timeout_s=0.1)
    finally:
        registry.reset(credit_bureau.KIND)
        registry.reset("credit_bureau.query")


def _line(**kw: object) -> CreditLine:
    base = dict(status="active", frozen=False, limit_fen=1_000_000, used_fen=0, valid_until=dt.date(2027, 1, 1),
                freeze_reason=None)
    base.update(kw)
    return CreditLine(**base)


@pytest.mark.parametrize(("kw", "amount", "error"), [
    ({"status": "pending_signature"}, 1, CreditLineNotActive),
    ({"frozen": True, "freeze_reason": "x"}, 1, CreditLineFrozen),
    ({"valid_until": dt.date(2026, 1, 1)}, 1, CreditLineExpired),
    ({"status": "expired"}, 1, CreditLineExpired),
    ({"used_fen": 600_000}, 400_001, InsufficientLimit),
])
def test_line_guard_refusals(kw: dict, amount: int, error: type) -> None:
    with pytest.raises(error):
        check_can_draw(_line(**kw), amount, dt.date(2026, 6, 1))


def test_line_guard_allows_exactly_the_available_amount() -> None:
    check_can_draw(_line(used_fen=600_000), 400_000, dt.date(2026, 6, 1))


@pytest.mark.parametrize(("state", "submit", "withdraw", "edit"), [
    ("draft", True, True, True), ("submitted", False, True, False), ("in_approval", False, True, False),
    ("credit_granted", False, False, False), ("declined", False, False, False), ("withdrawn", False, False, False),
])
def test_application_guards(state: str, submit: bool, withdraw: bool, edit: bool) -> None:
    app = Application(state=state)
    assert (app.can_submit(), app.can_withdraw(), app.can_edit()) == (submit, withdraw, edit)
