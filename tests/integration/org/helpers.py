from zhanye.core.context import Principal
from zhanye.org import security, service
from zhanye.org.models import StaffSession


def live_token(db, username: str) -> str:  # type: ignore[no-untyped-def]
    """A bearer token of a live session of ``username`` (as a login makes it), valid for an hour."""
    import datetime as dt

    from zhanye.core.db import utcnow

    token, digest = security.new_token()
    with db.unit_of_work() as s:
        staff = service.find_staff_by_username(s, username)
        s.add(StaffSession(token_hash=digest, staff_id=staff.id, kind="bearer",
                           expires_at=utcnow() + dt.timedelta(hours=1)))
    return token


def principal_of(db, username: str) -> Principal:  # type: ignore[no-untyped-def]
    """The principal a real login of ``username`` resolves to."""
    token = live_token(db, username)
    with db.unit_of_work(write=False) as s:
        p = service.resolve_token(s, token)
    assert p is not None
    return p
