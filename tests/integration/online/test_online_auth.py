"""Online login rules on the database: who may get a code, sessions that end, and the customer
principal's scope and idempotency lane."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.integration.origination.helpers import last_sms_code, principal, verified_customer
from zhanye.core.config import get_settings
from zhanye.integrations.base import registry
from zhanye.online import auth
from zhanye.online.models import OnlineSession


def _sent_count() -> int:
    return len(registry.get("sms").outbox)


def test_codes_go_only_to_verified_customers_with_that_mobile(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        unverified = verified_customer(s, actor, verify=False, eaccount=False)
        ok = verified_customer(s, actor, eaccount=False)
    sent = _sent_count()
    with demo_db.unit_of_work() as s:
        assert auth.request_code(s, id_number=unverified["id_number"], mobile=unverified["mobile"]) is None
        assert auth.request_code(s, id_number=ok["id_number"], mobile="13800000002") is None
        assert auth.request_code(s, id_number="110101199003071233", mobile=ok["mobile"]) is None
    assert _sent_count() == sent  # nothing went out
    with demo_db.unit_of_work() as s:
        assert auth.request_code(s, id_number=ok["id_number"].lower(), mobile=ok["mobile"]) is not None
    assert _sent_count() == sent + 1


def _logged_in(demo_db) -> tuple[dict, str]:  # type: ignore[no-untyped-def,type-arg]
    with demo_db.unit_of_work() as s:
        cust = verified_customer(s, principal(s, "manager1"), eaccount=False)
    with demo_db.unit_of_work() as s:
        auth.request_code(s, id_number=cust["id_number"], mobile=cust["mobile"])
    with demo_db.unit_of_work() as s:
        outcome = auth.login(s, id_number=cust["id_number"], mobile=cust["mobile"], code=last_sms_code(cust["mobile"]),
                             user_agent="pytest")
    assert outcome.ok and outcome.token
    return cust, outcome.token


def test_session_principal_and_its_end(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust, token = _logged_in(demo_db)
    with demo_db.read_connection() as conn:
        p = auth.resolve_token(conn, token)
    assert p is not None and p.customer_id == cust["customer_id"] and p.staff_id == 0
    assert p.roles == {"customer"} and len(p.scope_ids) == 1 and p.idempotency_scope == f"customer:{p.customer_id}"
    assert "*" in p.display_name
    with demo_db.unit_of_work() as s:
        row = s.execute(select(OnlineSession).where(OnlineSession.customer_id == cust["customer_id"])).scalar_one()
        assert row.token_hash != token and len(row.token_hash) == 64  # only the hash is kept
        assert row.expires_at - row.created_at == dt.timedelta(minutes=get_settings().online_session_minutes)
        row.expires_at = row.created_at  # time passes
    with demo_db.read_connection() as conn:
        assert auth.resolve_token(conn, token) is None


def test_logout_and_closed_file_end_the_session(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.customers.models import Customer

    cust, token = _logged_in(demo_db)
    with demo_db.unit_of_work() as s:
        s.get(Customer, cust["customer_id"]).status = "closed"
    with demo_db.read_connection() as conn:
        assert auth.resolve_token(conn, token) is None
    with demo_db.unit_of_work() as s:
        s.get(Customer, cust["customer_id"]).status = "active"
    with demo_db.read_connection() as conn:
        assert auth.resolve_token(conn, token) is not None
    with demo_db.unit_of_work() as s:
        auth.logout(s, token)
    with demo_db.read_connection() as conn:
        assert auth.resolve_token(conn, token) is None


def test_wrong_codes_are_counted_and_lock_the_code(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        cust = verified_customer(s, principal(s, "manager1"), eaccount=False)
    with demo_db.unit_of_work() as s:
        auth.request_code(s, id_number=cust["id_number"], mobile=cust["mobile"])
    right = last_sms_code(cust["mobile"])
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with demo_db.unit_of_work() as s:
            assert not auth.login(s, id_number=cust["id_number"], mobile=cust["mobile"], code=wrong).ok
    with demo_db.unit_of_work() as s:  # five wrong tries: even the right code no longer opens
        outcome = auth.login(s, id_number=cust["id_number"], mobile=cust["mobile"], code=right)
    assert not outcome.ok and outcome.error is not None and outcome.error.code == "sms_code_invalid"


def test_at_most_ten_codes_a_day(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Past the resend pause, still no more than ``MAX_PER_DAY`` codes in 24 hours; the refusal
    sends nothing and, online, answers like any other request."""
    import pytest

    from zhanye.lending import sms_codes

    with demo_db.unit_of_work() as s:
        cust = verified_customer(s, principal(s, "manager1"), eaccount=False)
    start = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    obj = f"customer:{cust['customer_id']}"
    with demo_db.unit_of_work() as s:
        for n in range(sms_codes.MAX_PER_DAY):
            sms_codes.issue_code(s, purpose=auth.LOGIN_PURPOSE, object_id=obj, phone=cust["mobile"],
                                 purpose_text="登录", now=start + dt.timedelta(minutes=2 * n))
    sent = _sent_count()
    late = start + dt.timedelta(hours=23)
    with demo_db.unit_of_work() as s, pytest.raises(sms_codes.SmsCodeDailyLimit):
        sms_codes.issue_code(s, purpose=auth.LOGIN_PURPOSE, object_id=obj, phone=cust["mobile"], purpose_text="登录",
                             now=late)
    assert _sent_count() == sent
    with demo_db.unit_of_work() as s:  # a day after the first, one more may go
        sms_codes.issue_code(s, purpose=auth.LOGIN_PURPOSE, object_id=obj, phone=cust["mobile"], purpose_text="登录",
                             now=start + dt.timedelta(hours=24, minutes=1))
    assert _sent_count() == sent + 1


def test_an_active_session_slides_under_its_cap_and_an_idle_one_ends(demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Less than half the idle time left: the next request moves the end to now + idle time, never
    past login + the maximum; without requests the session ends."""
    from zhanye.core.db import utcnow

    cust, token = _logged_in(demo_db)
    idle = dt.timedelta(minutes=get_settings().online_session_minutes)
    cap = dt.timedelta(hours=get_settings().online_session_max_hours)

    def row(s):  # type: ignore[no-untyped-def]
        return s.execute(select(OnlineSession).where(OnlineSession.customer_id == cust["customer_id"])).scalar_one()

    with demo_db.read_connection() as conn:
        assert auth.RENEW not in auth.resolve_token(conn, token).extra  # type: ignore[union-attr]  # fresh: nothing to do
    now = utcnow()
    with demo_db.unit_of_work() as s:
        r = row(s)
        r.created_at, r.expires_at = now - dt.timedelta(hours=1), now + idle / 4  # active for an hour
    with demo_db.read_connection() as conn:
        p = auth.resolve_token(conn, token)
    assert p is not None and auth.RENEW in p.extra
    with demo_db.unit_of_work() as s:
        auth.extend(s, token, dt.datetime.fromisoformat(p.extra[auth.RENEW]))
    with demo_db.unit_of_work(write=False) as s:
        assert abs(row(s).expires_at - (now + idle)) < dt.timedelta(seconds=30)
    with demo_db.unit_of_work() as s:  # near the cap: the end stops at login + the maximum
        r = row(s)
        r.created_at, r.expires_at = now - cap + idle / 4, now + idle / 8
    with demo_db.read_connection() as conn:
        p = auth.resolve_token(conn, token)
    assert p is not None
    assert abs(dt.datetime.fromisoformat(p.extra[auth.RENEW]) - (now + idle / 4)) < dt.timedelta(seconds=30)
    with demo_db.unit_of_work() as s:  # idle past the end: gone
        row(s).expires_at = now - dt.timedelta(seconds=1)
    with demo_db.read_connection() as conn:
        assert auth.resolve_token(conn, token) is None


def test_codes_asked_for_at_once_send_one(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Parallel requests for the same customer: one code goes out, the others wait for the pause."""
    import threading

    from zhanye.lending import sms_codes

    with demo_db.unit_of_work() as s:
        cust = verified_customer(s, principal(s, "manager1"), eaccount=False)
    sent = _sent_count()
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def ask() -> None:
        barrier.wait()
        try:
            with demo_db.unit_of_work() as s:
                auth.request_code(s, id_number=cust["id_number"], mobile=cust["mobile"])
            outcomes.append("sent")
        except sms_codes.SmsCodeTooSoon:
            outcomes.append("too soon")

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["sent"] + ["too soon"] * 5, outcomes
    assert _sent_count() == sent + 1
