"""Helpers for origination tests: demo principals, a verified customer with a file and an
e-account, an approved line, and snapshots that prove a refusal changed nothing."""

from __future__ import annotations

import io
import random
import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from stdnum.cn import ric

from zhanye.core.context import Principal
from zhanye.org import service as org_service
from zhanye.org.models import RolePermission


def principal(session: Session, username: str) -> Principal:
    staff = org_service.find_staff_by_username(session, username)
    assert staff is not None, username
    roles = frozenset(staff.roles)
    perms = frozenset(session.execute(select(RolePermission.permission_code)
                                      .where(RolePermission.role_code.in_(sorted(roles)))).scalars())
    return Principal(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                     institution_id=staff.institution_id, institution_name=staff.institution.name, roles=roles,
                     permissions=perms, scope_ids=org_service.subtree_ids(session, staff.institution_id))


def id_number(*, bureau: str | None = None, born: str | None = None) -> str:
    """A valid resident ID. ``bureau``: None (clean report) or a two-digit sandbox code ("96": overdue)."""
    import datetime as dt

    born = born or (dt.date(1984, 1, 1) + dt.timedelta(days=random.randrange(0, 4000))).strftime("%Y%m%d")
    n = random.randrange(0, 900)
    if bureau is None:
        while f"{n:03d}"[-2:] in ("95", "96", "97", "98", "99"):
            n = (n + 1) % 900
        seq = f"{n:03d}"
    else:
        seq = f"{n % 9}{bureau}"
    body = f"220102{born}{seq}"
    return body + ric.calc_check_digit(body + "0")


def phone() -> str:
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"


SANDBOX_ENDINGS = ("0000", "9999", "4444")  # the sandbox clearing refuses, fails or hangs on these (clearing.py)


def card(prefix: str = "622202") -> str:
    """A random Luhn-valid card the sandbox accepts: never one of its reserved endings."""
    from stdnum import luhn

    while True:
        body = prefix + f"{uuid.uuid4().int % 10**12:012d}"
        number = body + luhn.calc_check_digit(body)
        if not number.endswith(SANDBOX_ENDINGS):
            return number


def verified_customer(session: Session, actor: Principal, *, bureau: str | None = None, income_fen: int = 12_000_000,
                      verify: bool = True, eaccount: bool = True) -> dict[str, Any]:
    """A customer of the actor's institution: verified, with income and assets on file and a class II e-account."""
    from zhanye.customers import kyc, sections
    from zhanye.customers import service as customers

    mobile = phone()
    for _attempt in range(20):  # the demo bank shares the database: retry an ID number already filed
        number = id_number(bureau=bureau)
        cust, created = customers.create_customer(session, actor=actor, kind="individual", id_number=number,
                                                  name="王建国", mobile=mobile, address="吉林省长春市柳河镇")
        if created:
            break
    else:
        raise AssertionError("could not find a fresh ID number")
    if verify:
        kyc.verify_id(session, actor=actor, customer_id=cust.id)
    sections.save_section(session, actor=actor, customer_id=cust.id, section="income",
                          data={"farming_fen": income_fen, "wages_fen": 0, "business_fen": 0, "other_fen": 0})
    sections.save_section(session, actor=actor, customer_id=cust.id, section="assets",
                          data={"land_area_mu": 15, "livestock": [{"kind": "牛", "head_count": 6, "value_fen": 6_000_000}],
                                "houses": [{"location": "柳河村", "value_fen": 20_000_000}]})
    acc_id = None
    if eaccount:
        from zhanye.deposits import eaccounts

        _, acc = eaccounts.open_eaccount(session, actor=actor, institution_id=cust.institution_id,
                                         customer_id=cust.id, eclass="II", bound_card=card(),
                                         customer_verified=True, holder_index=cust.id_number_bidx)
        acc_id = acc.id
    session.flush()
    return {"customer_id": cust.id, "mobile": mobile, "id_number": number, "account_id": acc_id}


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(20, 120), (90, 40), (160, 130), (240, 50), (320, 140), (450, 60)], fill=(20, 20, 60, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def last_sms_code(mobile: str) -> str:
    from zhanye.integrations.base import registry

    code = registry.get("sms").last_code(mobile)
    assert code is not None
    return code


def snapshot(session: Session, *, line_id: int | None = None, application_id: int | None = None,
             account_id: int | None = None) -> dict[str, Any]:
    """Everything a refused action must leave unchanged."""
    snap: dict[str, Any] = {}
    from sqlalchemy import inspect

    present = set(inspect(session.connection()).get_table_names())
    for table in ("origination_drawdown", "origination_line", "origination_application", "ledger_entry",
                  "servicing_loan", "origination_offline_payment", "origination_usage_voucher"):
        if table not in present:
            continue
        snap[table] = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
    if line_id is not None:
        snap["line"] = tuple(session.execute(text(
            "SELECT status, frozen, limit_fen, used_fen, drawn_total_fen FROM origination_line WHERE id = :i"),
            {"i": line_id}).one())
    if application_id is not None:
        snap["application"] = session.execute(text("SELECT state FROM origination_application WHERE id = :i"),
                                              {"i": application_id}).scalar_one()
    if account_id is not None:
        snap["balance"] = session.execute(text("SELECT balance_fen FROM ledger_account WHERE id = :i"),
                                          {"i": account_id}).scalar_one()
    for code in ("1131", "1011"):  # clearing in transit, settlement account
        snap[f"gl_{code}"] = session.execute(text(
            "SELECT coalesce(sum(l.debit_fen - l.credit_fen), 0) FROM ledger_line l "
            "JOIN ledger_gl_account g ON g.id = l.gl_account_id WHERE g.code = :c"), {"c": code}).scalar_one()
    return snap


def count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def image(session: Session, actor: Principal, customer_id: int, purpose: str = "document") -> int:
    """A real customer image (a small JPEG) for image refs."""
    from PIL import Image

    from zhanye.customers import images

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 180, 120)).save(buf, format="JPEG")
    return images.add_image(session, actor=actor, customer_id=customer_id, purpose=purpose, data=buf.getvalue()).id
