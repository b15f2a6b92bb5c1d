"""The principal cache (``org.principal_cache``): what it keeps, for how long, and what it never
serves. No database: answers are built by hand."""

from __future__ import annotations

import datetime as dt

from zhanye.core.context import Principal
from zhanye.org.principal_cache import PrincipalCache, token_key
from zhanye.org.service import TokenRead

NOW = dt.datetime.now(dt.UTC)


def _read(username: str = "admin") -> TokenRead:
    p = Principal(staff_id=1, username=username, display_name=username, institution_id=1, institution_name="总行",
                  roles=frozenset({"operations_admin"}), permissions=frozenset({"staff.read"}),
                  scope_ids=frozenset({1}))
    return TokenRead(p, dt.date(2026, 12, 7), 3)


def test_a_live_answer_is_served_while_its_stamp_stands() -> None:
    cache = PrincipalCache()
    key = token_key("t1")
    cache.put(key, (1, 7), _read(), NOW + dt.timedelta(hours=1), cache.generation)
    assert cache.get(key, (1, 7)).principal.username == "admin"
    assert cache.get(key, (1, 8)) is None  # another commit since: read again
    assert cache.get(key, (2, 7)) is None  # another connection's counter does not compare
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_token_itself_is_not_kept() -> None:
    cache = PrincipalCache()
    cache.put(token_key("secret-token"), None, _read(), NOW + dt.timedelta(hours=1), 0)
    assert all(b"secret-token" not in k for k in cache._entries)  # noqa: SLF001
    assert token_key("secret-token") != token_key("secret-tokem") and len(token_key("x")) == 20


def test_failed_and_expired_look_ups_are_never_kept() -> None:
    cache = PrincipalCache()
    cache.put(token_key("gone"), None, TokenRead(None, dt.date(2026, 12, 7), 3), NOW + dt.timedelta(hours=1), 0)
    cache.put(token_key("no-expiry"), None, _read(), None, 0)
    cache.put(token_key("expired"), None, _read(), NOW - dt.timedelta(seconds=1), 0)
    assert cache.get(token_key("gone"), None) is None and cache.get(token_key("no-expiry"), None) is None
    assert cache.get(token_key("expired"), None) is None  # kept, but past its expiry: never served
    naive = (NOW + dt.timedelta(hours=1)).replace(tzinfo=None)  # SQLite gives naive UTC
    cache.put(token_key("naive"), None, _read(), naive, 0)
    assert cache.get(token_key("naive"), None) is not None


def test_an_answer_read_before_a_flush_is_not_stored_after_it() -> None:
    cache = PrincipalCache()
    began = cache.generation
    cache.flush()  # a change committed while the look-up ran
    cache.put(token_key("t"), None, _read(), NOW + dt.timedelta(hours=1), began)
    assert len(cache) == 0 and cache.get(token_key("t"), None) is None


def test_entries_age_out_and_the_size_is_bounded() -> None:
    aged = PrincipalCache(max_age_s=0.0)
    aged.put(token_key("t"), None, _read(), NOW + dt.timedelta(hours=1), 0)
    assert aged.get(token_key("t"), None) is None
    small = PrincipalCache(maxsize=3)
    for i in range(5):
        small.put(token_key(f"t{i}"), None, _read(f"u{i}"), NOW + dt.timedelta(hours=1), 0)
    assert len(small) == 3
    assert small.get(token_key("t0"), None) is None and small.get(token_key("t4"), None) is not None


def test_flush_all_empties_every_cache_of_the_process() -> None:
    from zhanye.org.principal_cache import flush_all

    a, b = PrincipalCache(), PrincipalCache()
    for c in (a, b):
        c.put(token_key("t"), None, _read(), NOW + dt.timedelta(hours=1), c.generation)
    flush_all()
    assert len(a) == len(b) == 0 and a.generation == b.generation == 1



def test_an_answer_read_without_a_business_date_is_not_kept() -> None:
    """The answer then carries today's date, which no commit changes at midnight."""
    from zhanye.org.service import token_cache_until

    expires = NOW + dt.timedelta(hours=1)
    row = (expires, None, None, 1, "admin", "admin", 1, "active", False, 1, 0, dt.date(2026, 12, 7), 3)
    assert token_cache_until(row) == expires
    assert token_cache_until(row[:11] + (None, 3)) is None
