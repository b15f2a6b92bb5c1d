"""One-time SMS verification codes (e.g. the customer confirms a contract signature).

The code is sent through the SMS provider of ``zhanye.integrations.sms`` (sandbox by default,
whose outbox tests and demos read); only its SM3 hash is stored, bound to the purpose and the
object. A code lives 5 minutes, allows 5 wrong tries, is used once, and a new one can be asked
for after 60 seconds; at most 10 are sent for one purpose and object in 24 hours (so a script
can neither flood a customer's phone nor try more than 50 guesses a day).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from zhanye.core.crypto import constant_time_equal, sm3_hex
from zhanye.core.db import utcnow
from zhanye.core.errors import DomainError
from zhanye.lending.models import SmsCode

TTL = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5
MAX_PER_DAY = 10


class SmsCodeInvalid(DomainError):
    code = "sms_code_invalid"
    status = 422
    title_zh = "短信验证码错误或已失效"
    title_en = "The SMS code is wrong or no longer valid"


class SmsCodeTooSoon(DomainError):
    code = "sms_code_too_soon"
    status = 429
    title_zh = "验证码发送过于频繁"
    title_en = "A code was sent very recently"


class SmsCodeDailyLimit(SmsCodeTooSoon):
    code = "sms_code_daily_limit"
    title_zh = "今日验证码发送次数已达上限"
    title_en = "No more codes can be sent today"


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    error: DomainError | None = None


def _hash(purpose: str, object_id: str, code: str) -> str:
    return sm3_hex(f"zhanye-sms|{purpose}|{object_id}|{code}")


def _send(phone: str, code: str, purpose_text: str) -> None:
    from zhanye.integrations import sms

    sms.send_code(phone=phone, code=code, purpose=purpose_text)


def issue_code(session: Session, *, purpose: str, object_id: str, phone: str, purpose_text: str,
               now: dt.datetime | None = None) -> SmsCode:
    """Create a code, send it, and store its hash (in the caller's transaction)."""
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":  # one request at a time per object (SQLite serializes)
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"sms:{purpose}:{object_id}"})
    last = session.execute(select(SmsCode).where(SmsCode.purpose == purpose, SmsCode.object_id == object_id)
                           .order_by(SmsCode.id.desc()).limit(1)).scalar_one_or_none()
    if last is not None and last.used_at is None and now - last.created_at < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1
        raise SmsCodeTooSoon(f"请 {wait} 秒后再获取验证码", f"Ask for a new code in {wait} seconds", retry_after=wait)
    sent_today = session.execute(select(func.count()).select_from(SmsCode).where(
        SmsCode.purpose == purpose, SmsCode.object_id == object_id,
        SmsCode.created_at > now - dt.timedelta(hours=24))).scalar_one()
    if sent_today >= MAX_PER_DAY:
        raise SmsCodeDailyLimit(f"24 小时内最多发送 {MAX_PER_DAY} 条验证码，请稍后再试",
                                f"At most {MAX_PER_DAY} codes are sent in 24 hours; try again later")
    code = f"{secrets.randbelow(10**6):06d}"
    row = SmsCode(purpose=purpose, object_id=object_id, code_hash=_hash(purpose, object_id, code),
                  expires_at=now + TTL, attempts=0, created_at=now)
    session.add(row)
    session.flush()
    _send(phone, code, purpose_text)
    return row


def check_code(session: Session, *, purpose: str, object_id: str, code: str,
               now: dt.datetime | None = None) -> CodeCheck:
    """Check and consume the newest code. A wrong try is counted (the caller commits it)."""
    now = now or utcnow()
    row = session.execute(select(SmsCode).where(SmsCode.purpose == purpose, SmsCode.object_id == object_id)
                          .order_by(SmsCode.id.desc()).limit(1)).scalar_one_or_none()
    if row is None or row.used_at is not None:
        return CodeCheck(False, SmsCodeInvalid("请先获取短信验证码", "Ask for an SMS code first"))
    if row.expires_at <= now:
        return CodeCheck(False, SmsCodeInvalid("验证码已过期，请重新获取", "The code has expired; ask for a new one"))
    if row.attempts >= MAX_ATTEMPTS:
        return CodeCheck(False, SmsCodeInvalid("错误次数过多，请重新获取验证码",
                                               "Too many wrong tries; ask for a new code"))
    if not constant_time_equal(row.code_hash, _hash(purpose, object_id, code)):
        row.attempts += 1
        session.flush()
        left = MAX_ATTEMPTS - row.attempts
        return CodeCheck(False, SmsCodeInvalid(f"验证码错误，还可尝试 {left} 次", f"Wrong code; {left} tries left"))
    row.used_at = now
    session.flush()
    return CodeCheck(True)
