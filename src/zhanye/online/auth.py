"""Customer login for the online channel: resident ID number + the mobile on file + an SMS code.

* Asking for a code answers the same whether or not the details match a customer (no way to learn
  who banks here); a code is sent only to the mobile already on the customer's file, and only
  for an active, identity-verified individual customer.
* A code lives 5 minutes, allows 5 wrong tries and is used once (``lending.sms_codes``); a new one
  can be asked for after 60 seconds.
* A session token is random; only its SM3 hash is stored. Sessions are short
  (``ZHANYE_ONLINE_SESSION_MINUTES``, default 30) and kept apart from staff sessions: a customer
  token never opens a staff route and a staff token never opens a customer route.
* The customer acts as a :class:`Principal` with no staff id, the role ``customer``, the scope of
  their own institution and ``extra["customer_id"]``; the online service narrows every read and
  write to that customer's own objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.config import Settings, get_settings
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import DomainError
from zhanye.lending import sms_codes
from zhanye.online.models import OnlineSession
from zhanye.org import security

LOGIN_PURPOSE = "online.login"
CUSTOMER_ROLE = "customer"
CUSTOMER_PERMISSION = "online.self"


class OnlineLoginFailed(DomainError):
    code = "online_login_failed"
    status = 401
    title_zh = "登录失败：证件号、手机号或验证码不正确"
    title_en = "Login failed: the ID number, mobile or code is not right"


@dataclass(frozen=True)
class LoginOutcome:
    ok: bool
    token: str | None = None
    expires_at: dt.datetime | None = None
    customer_id: int | None = None
    error: DomainError | None = None


def _object_id(customer_id: int) -> str:
    return f"customer:{customer_id}"


def _stub(customer_id: int, customer_no: str, institution_id: int) -> Principal:
    return Principal(staff_id=0, username=f"customer:{customer_no}", display_name=customer_no,
                     institution_id=institution_id, institution_name="", roles=frozenset({CUSTOMER_ROLE}),
                     permissions=frozenset({CUSTOMER_PERMISSION}), scope_ids=frozenset({institution_id}),
                     extra={"customer_id": str(customer_id), "channel": "online"})


def request_code(session: Session, *, id_number: str, mobile: str) -> dt.datetime | None:
    """Send a login code to the customer's mobile if the details match; the caller answers the
    same either way. Returns the code's expiry (None when nothing was sent)."""
    from zhanye.customers import service as customers

    cust = customers.find_for_self_service(session, id_number=id_number, mobile=mobile)
    if cust is None:
        return None
    row = sms_codes.issue_code(session, purpose=LOGIN_PURPOSE, object_id=_object_id(cust.id), phone=mobile,
                               purpose_text="登录手机银行")
    audit.record(session, action="online.login_code", object_type="customer", object_id=cust.id,
                 actor=_stub(cust.id, cust.customer_no, cust.institution_id))
    return row.expires_at


def sandbox_code(mobile: str) -> str | None:
    """With the sandbox SMS provider only, the code just sent to ``mobile`` (demo without a phone)."""
    from zhanye.integrations.base import registry

    provider = registry.get("sms")
    if type(provider).__name__ != "SandboxSms" or not hasattr(provider, "last_code"):
        return None
    return provider.last_code(mobile)


def login(session: Session, *, id_number: str, mobile: str, code: str, user_agent: str | None = None,
          settings: Settings | None = None) -> LoginOutcome:
    """Check the code and open a session. A wrong code is counted and returned (not raised) so that
    the caller commits the count before answering."""
    from zhanye.customers import service as customers

    settings = settings or get_settings()
    cust = customers.find_for_self_service(session, id_number=id_number, mobile=mobile)
    if cust is None or not code.isdigit() or len(code) != 6:
        return LoginOutcome(False, error=OnlineLoginFailed())
    actor = _stub(cust.id, cust.customer_no, cust.institution_id)
    check = sms_codes.check_code(session, purpose=LOGIN_PURPOSE, object_id=_object_id(cust.id), code=code)
    if not check.ok:
        audit.record(session, action="online.login_failed", object_type="customer", object_id=cust.id, actor=actor)
        return LoginOutcome(False, error=check.error or OnlineLoginFailed())
    token, digest = security.new_token()
    now = utcnow()
    expires = now + dt.timedelta(minutes=settings.online_session_minutes)
    session.add(OnlineSession(token_hash=digest, customer_id=cust.id, institution_id=cust.institution_id,
                              user_agent=(user_agent or "")[:200] or None, created_at=now, expires_at=expires))
    audit.record(session, action="online.login", object_type="customer", object_id=cust.id, actor=actor)
    session.flush()
    return LoginOutcome(True, token=token, expires_at=expires, customer_id=cust.id)


def logout(session: Session, token: str) -> None:
    row = session.execute(select(OnlineSession).where(OnlineSession.token_hash == security.token_hash(token))
                          ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    audit.record(session, action="online.logout", object_type="customer", object_id=row.customer_id,
                 actor=_stub(row.customer_id, f"#{row.customer_id}", row.institution_id))


_RESOLVE = (select(OnlineSession.customer_id, OnlineSession.institution_id, OnlineSession.expires_at,
                   OnlineSession.revoked_at, OnlineSession.created_at)
            .where(OnlineSession.token_hash == bindparam("digest")))
RENEW = "session_renew"  # Principal.extra key (web.deps reads it): the session's new end, when it is due for renewal


def renewal(created_at: dt.datetime, expires_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """Sliding idle timeout under an absolute cap: once less than half of the idle time is left,
    a request moves the end to ``now`` + idle time (never past login + the maximum). So an active
    customer is not sent back to the login in the middle of a form, and the session row is written
    at most once per half idle time."""
    settings = get_settings()
    idle = dt.timedelta(minutes=settings.online_session_minutes)
    new_end = min(now + idle, created_at + dt.timedelta(hours=settings.online_session_max_hours))
    if expires_at - now >= idle / 2 or new_end <= expires_at:
        return None
    return new_end


def extend(session: Session, token: str, until: dt.datetime) -> None:
    """Move a live session's end to ``until`` (never earlier, never for a revoked one)."""
    session.execute(update(OnlineSession).where(OnlineSession.token_hash == security.token_hash(token),
                                                OnlineSession.revoked_at.is_(None), OnlineSession.expires_at > utcnow(),
                                                OnlineSession.expires_at < until).values(expires_at=until))


def resolve_token(conn: Session | Connection, token: str) -> Principal | None:
    """The customer principal of a live online session, or None (unknown, expired, revoked, or the
    customer's file no longer active). Two indexed lookups per request."""
    from zhanye.customers import service as customers

    row = conn.execute(_RESOLVE, {"digest": security.token_hash(token)}).first()
    if row is None:
        return None
    customer_id, institution_id, expires_at, revoked_at, created_at = row
    now = utcnow()
    if revoked_at is not None or expires_at <= now:
        return None
    ident = customers.self_service_identity(conn, customer_id=customer_id)
    if ident is None:
        return None
    customer_no, masked_name = ident
    p = _stub(customer_id, customer_no, institution_id)
    renew = renewal(created_at, expires_at, now)
    extra = {**p.extra, RENEW: renew.isoformat()} if renew else p.extra
    return Principal(staff_id=0, username=p.username, display_name=masked_name, institution_id=institution_id,
                     institution_name="", roles=p.roles, permissions=p.permissions, scope_ids=p.scope_ids,
                     extra=extra)
