"""Lines: signing, freeze/unfreeze/reduce/expire; drawdowns: entrusted and self payment, refusals
that change nothing, idempotency, revolving restore; the ledger stays balanced."""

from __future__ import annotations

import pytest

from tests.integration.origination.helpers import (
    last_sms_code,
    principal,
    signature_png,
    snapshot,
    verified_customer,
)
from zhanye.core.errors import IdempotencyConflict, InvalidTransition, ValidationFailed
from zhanye.ledger.check import check_ledger
from zhanye.lending.origination import service
from zhanye.lending.origination.errors import (
    CreditLineExpired,
    CreditLineFrozen,
    CreditLineNotActive,
    InsufficientLimit,
    PayeeRequired,
)

PAYEE = "6222020000000015"  # Luhn-valid sandbox card (confirms)


def granted_line(db, *, amount_fen: int = 20_000_000, sign: bool = True,  # type: ignore[no-untyped-def]
                 username: str = "manager1") -> dict:
    with db.unit_of_work() as s:
        actor = principal(s, username)
        cust = verified_customer(s, actor)
        app = service.create_application(s, actor=actor, customer_id=cust["customer_id"], product_code="NHXYD",
                                         amount_fen=amount_fen, term_months=12, method="interest_first",
                                         guarantee="credit", purpose="购买化肥种子")
        service.submit(s, actor=actor, application_id=app.id)
        assert app.state == "credit_granted", app.reasons
        cust["line_id"] = app.line_id
        if sign:
            service.request_signing_code(s, actor=actor, line_id=app.line_id)
    if sign:
        with db.unit_of_work() as s:
            actor = principal(s, username)
            res = service.sign(s, actor=actor, line_id=cust["line_id"], signature_png=signature_png(),
                               sms_code=last_sms_code(cust["mobile"]))
            assert res.ok, res.error
    return cust


def draw(db, line_id: int, amount_fen: int, key: str, *, username: str = "manager1", **kw):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        actor = principal(s, username)
        dd = service.create_drawdown(s, actor=actor, line_id=line_id, amount_fen=amount_fen, term_months=12,
                                     method="interest_first", request_key=key, **kw)
        return service.drawdown_out(dd)


def test_signing_activates_the_line_and_a_wrong_code_does_not(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db, sign=False)
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        service.request_signing_code(s, actor=actor, line_id=cust["line_id"])
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        res = service.sign(s, actor=actor, line_id=cust["line_id"], signature_png=signature_png(), sms_code="000000"
                           if last_sms_code(cust["mobile"]) != "000000" else "111111")
        assert not res.ok
        assert service.get_line(s, actor=actor, line_id=cust["line_id"]).status == "pending_signature"
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        res = service.sign(s, actor=actor, line_id=cust["line_id"], signature_png=signature_png(),
                           sms_code=last_sms_code(cust["mobile"]))
        assert res.ok
        line = service.get_line(s, actor=actor, line_id=cust["line_id"])
        assert line.status == "active" and line.activated_at
        from zhanye.lending import contracts

        report = contracts.verify_contract(s, contract_id=line.contract_id)
        assert all(c.ok for c in report.checks), report.checks
    with demo_db.unit_of_work() as s, pytest.raises(InvalidTransition):
        service.sign(s, actor=principal(s, "manager1"), line_id=cust["line_id"], signature_png=signature_png(),
                     sms_code="123456")


def test_entrusted_drawdown_pays_the_payee_not_the_borrower(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    out = draw(demo_db, cust["line_id"], 12_000_000, f"t-{cust['line_id']}-1", payee_name="长春农资有限公司",
               payee_account=PAYEE)
    assert out["payment_mode"] == "entrusted" and out["clearing_ref"].startswith("SBX")
    assert out["loan_id"] and out["voucher_status"] == "not_required"
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
        assert after["balance"] == before["balance"], "the borrower's e-account never holds entrusted money"
        assert after["gl_1131"] - before["gl_1131"] == -12_000_000, "clearing in transit credited"
        assert after["line"][3] == before["line"][3] + 12_000_000  # used
        line = service.get_line(s, actor=principal(s, "manager1"), line_id=cust["line_id"])
        assert line.available_fen == 20_000_000 - 12_000_000
        assert check_ledger(s).ok
    with demo_db.unit_of_work() as s:
        dd = service.confirm_payment(s, actor=principal(s, "manager1"), drawdown_id=out["id"])
        assert dd.clearing_status == "confirmed"
    for _ in range(2):  # a second confirmation settles nothing more
        with demo_db.unit_of_work() as s:
            service.confirm_payment(s, actor=principal(s, "manager1"), drawdown_id=out["id"])
            settled = snapshot(s)
            assert settled["gl_1131"] == before["gl_1131"], "no longer in transit"
            assert settled["gl_1011"] == before["gl_1011"] - 12_000_000, "paid out of the settlement account"
            assert check_ledger(s).ok


def test_self_payment_below_threshold_credits_the_eaccount_and_needs_a_voucher(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=cust["account_id"])
    out = draw(demo_db, cust["line_id"], 5_000_000, f"t-{cust['line_id']}-self")
    assert out["payment_mode"] == "self" and out["voucher_status"] == "pending" and out["voucher_due_on"]
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=cust["account_id"])["balance"] == before["balance"] + 5_000_000
        assert check_ledger(s).ok


def test_idempotent_repeat_returns_the_first_drawdown(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    key = f"t-{cust['line_id']}-idem"
    first = draw(demo_db, cust["line_id"], 3_000_000, key)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    again = draw(demo_db, cust["line_id"], 3_000_000, key)
    assert again["id"] == first["id"] and again["loan_id"] == first["loan_id"]
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"]) == before
    with pytest.raises(IdempotencyConflict):
        draw(demo_db, cust["line_id"], 4_000_000, key)


@pytest.mark.parametrize("case", ["over_limit", "frozen", "expired", "no_payee", "unsigned", "bad_term"])
def test_refused_drawdowns_change_nothing(demo_db, case: str) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db, sign=case != "unsigned")
    line_id = cust["line_id"]
    with demo_db.unit_of_work() as s:
        risk = principal(s, "risk")
        if case == "frozen":
            service.freeze_line(s, actor=risk, line_id=line_id, reason="反欺诈预警：设备异常")
        if case == "expired":
            line = service.get_line(s, actor=risk, line_id=line_id)
            assert service.expire_lines(s, line.valid_until) >= 1
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=line_id, account_id=cust["account_id"])
    expected, kw, amount = {
        "over_limit": (InsufficientLimit, {"payee_name": "某农资店", "payee_account": PAYEE}, 20_000_001),
        "frozen": (CreditLineFrozen, {}, 1_000_000),
        "expired": (CreditLineExpired, {}, 1_000_000),
        "no_payee": (PayeeRequired, {}, 10_000_001),
        "unsigned": (CreditLineNotActive, {}, 1_000_000),
        "bad_term": (ValidationFailed, {}, 1_000_000),
    }[case]
    with pytest.raises(expected):
        with demo_db.unit_of_work() as s:
            service.create_drawdown(s, actor=principal(s, "manager1"), line_id=line_id, amount_fen=amount,
                                    term_months=48 if case == "bad_term" else 12, method="interest_first",
                                    request_key=f"t-{line_id}-{case}", **kw)
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=line_id, account_id=cust["account_id"]) == before


def test_freeze_unfreeze_reduce_and_their_guards(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    line_id = cust["line_id"]
    with demo_db.unit_of_work() as s:
        risk = principal(s, "risk")
        service.freeze_line(s, actor=risk, line_id=line_id, reason="涉嫌电诈")
        with pytest.raises(InvalidTransition):
            service.freeze_line(s, actor=risk, line_id=line_id, reason="again")
        service.unfreeze_line(s, actor=risk, line_id=line_id, reason="核实无误")
        with pytest.raises(InvalidTransition):
            service.unfreeze_line(s, actor=risk, line_id=line_id, reason="again")
    draw(demo_db, cust["line_id"], 6_000_000, f"t-{line_id}-r")
    with demo_db.unit_of_work() as s:
        risk = principal(s, "risk")
        with pytest.raises(ValidationFailed):
            service.reduce_line(s, actor=risk, line_id=line_id, new_limit_fen=5_000_000, reason="压降")
        line = service.reduce_line(s, actor=risk, line_id=line_id, new_limit_fen=8_000_000, reason="压降")
        assert line.available_fen == 2_000_000
    with pytest.raises(InsufficientLimit):
        draw(demo_db, line_id, 3_000_000, f"t-{line_id}-r2")


def test_revolving_line_limit_returns_on_principal_repaid(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core import events

    cust = granted_line(demo_db)
    draw(demo_db, cust["line_id"], 7_000_000, f"t-{cust['line_id']}-rev")
    with demo_db.unit_of_work() as s:
        events.publish(s, "loan.principal_repaid", {"line_id": cust["line_id"], "amount_fen": 2_000_000})
        line = service.get_line(s, actor=principal(s, "manager1"), line_id=cust["line_id"])
        assert line.used_fen == 5_000_000 and line.available_fen == 15_000_000


def test_other_institution_cannot_draw_or_see_the_line(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.errors import NotFound

    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        with pytest.raises(NotFound):
            service.create_drawdown(s, actor=principal(s, "manager3"), line_id=cust["line_id"], amount_fen=1_000_000,
                                    term_months=12, method="interest_first", request_key=f"x-{cust['line_id']}")


def test_blacklisted_after_the_grant_is_refused_at_drawdown(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.customers import kyc
    from zhanye.lending.origination.errors import DrawdownRefused

    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        kyc.add_blacklist_entry(s, actor=principal(s, "risk"), list_code="internal", source="测试",
                                kind="person", id_number=cust["id_number"], reason="涉诈")
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    with pytest.raises(DrawdownRefused) as exc:
        draw(demo_db, cust["line_id"], 1_000_000, f"bl-{cust['line_id']}")
    assert "BLACKLISTED" in exc.value.extra["reasons"]
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"]) == before


def test_eod_step_expires_lines_at_the_end_of_validity(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.batch import service as batch
    from zhanye.lending.origination.batch_steps import line_expiry

    assert "origination.line_expiry" in [st.name for st in batch.steps()]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work() as s:
        line = service.get_line(s, actor=principal(s, "manager1"), line_id=cust["line_id"])
        day_before = line.valid_until.fromordinal(line.valid_until.toordinal() - 1)
        line_expiry(s, day_before, lambda *a: None)
        s.refresh(line)
        assert line.status == "active"
        assert line_expiry(s, line.valid_until, lambda *a: None) >= 1
        s.refresh(line)
        assert line.status == "expired"


def test_clearing_failure_after_the_loan_is_booked_rolls_everything_back(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Atomicity: the provider fails after open_loan posted the disbursement: no loan, no entry,
    no limit change survive."""
    from zhanye.core.errors import ProviderUnavailable
    from zhanye.integrations.base import registry

    cust = granted_line(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    try:
        with pytest.raises(ProviderUnavailable):
            draw(demo_db, cust["line_id"], 12_000_000, f"t-{cust['line_id']}-down", payee_name="某农机公司",
                 payee_account="6222020000019999")  # sandbox: the clearing provider is down
    finally:
        registry.reset("clearing.transfer")
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"]) == before
