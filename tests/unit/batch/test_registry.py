"""The step registry orders steps and keeps the business-date roll last."""

from __future__ import annotations

from zhanye.batch import service


def test_steps_ordered_roll_last() -> None:
    names = [s.name for s in service.steps()]
    assert names[-1] == "business_date.roll"
    orders = [s.order for s in service.steps()]
    assert orders == sorted(orders)
    for expected in ("ledger.hold_expiry", "ledger.dormancy", "deposits.demand_accrual",
                     "deposits.demand_settlement", "deposits.term_maturity"):
        assert expected in names


def test_register_and_replace() -> None:
    service.register_step("test.noop", 5, lambda s, d, p: 0, chunked=False)
    try:
        assert any(s.name == "test.noop" and s.order == 5 for s in service.steps())
        service.register_step("test.noop", 6, lambda s, d, p: 0, chunked=False)
        assert [s.order for s in service.steps() if s.name == "test.noop"] == [6]
    finally:
        service.unregister_step("test.noop")
    assert all(s.name != "test.noop" for s in service.steps())
