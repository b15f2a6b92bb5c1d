"""Helpers shared by the lending integration and e2e tests."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from zhanye.core.context import Principal


def valid_id_number(seed: int | None = None) -> str:
    """A resident ID with a correct GB 11643 check digit (Jilin, Changchun, born 1985-06-12)."""
    seq = (seed if seed is not None else uuid.uuid4().int) % 1000
    first = f"22010219850612{seq:03d}"
    return first + ric.calc_check_digit(first + "0")


def signature_png(width: int = 480, height: int = 180) -> bytes:
    """A handwritten-looking stroke on a transparent canvas, as the signature pad posts it."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(20, 120), (90, 40), (160, 130), (240, 50), (320, 140), (450, 60)], fill=(20, 20, 60, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def make_loan_contract(session: Any, actor: Principal, *, product_code: str = "NJD", amount_fen: int = 12_000_000,
                       months: int = 24, phone: str | None = None) -> Any:
    from zhanye.lending import contracts, products

    product = products.current_product(session, code=product_code)
    party = contracts.PartyData(name="王建国", id_number=valid_id_number(), phone=phone or "13800138000",
                                address="吉林省长春市柳河镇")
    return contracts.create_loan_contract(
        session, actor=actor, party=party, product=product, amount_fen=amount_fen, months=months,
        annual_rate=Decimal("0.0410"), method="equal_installment", start=dt.date(2026, 1, 5),
        day_rule="fixed_day:20", purpose="购买拖拉机", payee_name="长春农机销售有限公司",
        payee_account="6222020000000001", source_type="test", source_id=uuid.uuid4().hex[:12])


def last_sms_code(phone: str) -> str:
    from zhanye.integrations.base import registry

    code = registry.get("sms").last_code(phone)
    assert code is not None, "the sandbox SMS outbox has no code for this phone"
    return code


def unique_phone() -> str:
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"
