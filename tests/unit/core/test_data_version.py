"""The cache of rendered reads checked against a data version (``core.data_version``)."""

import datetime as dt

from zhanye.core.data_version import VersionedCache

NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)


def test_an_answer_serves_only_at_the_version_it_was_read_at() -> None:
    cache = VersionedCache()
    cache.put("k", 7, b"seven")
    assert cache.get("k", 7, NOW) == b"seven"
    assert cache.get("k", 8, NOW) is None  # something changed since
    assert cache.get("k", 6, NOW) is None  # a reader that saw an older version reads again
    assert cache.get("k", None, NOW) is None  # the version was not read: never from the cache
    assert cache.get("other", 7, NOW) is None
    assert (cache.hits, cache.misses) == (1, 4)


def test_an_unknown_version_is_not_kept() -> None:
    cache = VersionedCache()
    cache.put("k", None, b"x")
    assert len(cache) == 0


def test_an_answer_that_turns_with_the_clock_ends_at_its_moment() -> None:
    cache = VersionedCache()
    until = NOW + dt.timedelta(minutes=15)
    cache.put("k", 1, b"locked", until)
    assert cache.get("k", 1, until - dt.timedelta(microseconds=1)) == b"locked"
    assert cache.get("k", 1, until) is None


def test_least_recently_used_answers_go_first() -> None:
    cache = VersionedCache(maxsize=2)
    cache.put("a", 1, b"a")
    cache.put("b", 1, b"b")
    assert cache.get("a", 1, NOW) == b"a"  # a is now the most recent
    cache.put("c", 1, b"c")
    assert len(cache) == 2
    assert cache.get("b", 1, NOW) is None
    assert cache.get("a", 1, NOW) == b"a" and cache.get("c", 1, NOW) == b"c"


def test_a_newer_answer_replaces_the_older_one() -> None:
    cache = VersionedCache()
    cache.put("k", 1, b"old")
    cache.put("k", 2, b"new")
    assert cache.get("k", 2, NOW) == b"new" and len(cache) == 1
