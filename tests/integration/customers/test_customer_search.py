"""The result list of a search (search_views): one statement for the page, the managers' names and the
capped total; masked values; scope; paging past the end."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from zhanye.customers import service
from zhanye.customers.demo import actor_for
from zhanye.customers.validators import make_resident_id


def _file(db, username: str, name: str, count: int, mobile: str | None = None) -> list[int]:
    rnd = random.Random()
    ids = []
    with db.unit_of_work() as s:
        actor = actor_for(s, username)
        for _ in range(count):
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=rnd.randrange(0, 15000))
            cust, _ = service.create_customer(s, actor=actor, kind="individual", name=name, mobile=mobile,
                                              id_number=make_resident_id("110101", birth, rnd.randrange(0, 990)))
            ids.append(cust.id)
    return ids


def test_name_search_pages_newest_first_with_total_and_manager(demo_db) -> None:
    name = "查" + uuid.uuid4().hex[:6]  # a name no other test files
    ids = _file(demo_db, "manager1", name, 7)
    with demo_db.unit_of_work(write=False) as s:
        actor = actor_for(s, "manager1")
        first, total = service.search_views(s, actor=actor, q=name, page_size=3)
        second, total2 = service.search_views(s, actor=actor, q=f" {name} ", page=3, page_size=3)
        beyond, total3 = service.search_views(s, actor=actor, q=name, page=9, page_size=3)
        rows, _ = service.search_customers(s, actor=actor, q=name, page_size=3)
    assert [v["id"] for v in first] == sorted(ids, reverse=True)[:3] == [r.id for r in rows]
    assert [v["id"] for v in second] == [min(ids)]
    assert (total, total2, total3, beyond) == (7, 7, 7, [])
    view = first[0]
    assert view["name"] == name[0] + "*" * (len(name) - 1)
    assert view["manager_name"] and view["manager_name"] != str(view["manager_id"])
    assert len(view["id_number"]) == 18 and view["id_number"][1:17] == "*" * 16


def test_views_match_the_single_customer_view(demo_db) -> None:
    mobile = f"136{random.randrange(10**7, 10**8)}"
    [cid] = _file(demo_db, "manager2", "对照客户", 1, mobile=mobile)
    with demo_db.unit_of_work(write=False) as s:
        actor = actor_for(s, "manager2")
        items, total = service.search_views(s, actor=actor, q=mobile)
        one = service.customer_view(s, service.get_customer(s, actor=actor, customer_id=cid))
    assert total == 1 and items == [one]
    assert mobile not in str(items) and items[0]["mobile"] == mobile[:3] + "****" + mobile[-4:]


def test_count_is_capped_and_scope_applies(demo_db, monkeypatch) -> None:
    name = "限" + uuid.uuid4().hex[:6]
    _file(demo_db, "manager1", name, 4)
    monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 3)
    with demo_db.unit_of_work(write=False) as s:
        items, total = service.search_views(s, actor=actor_for(s, "manager1"), q=name, page_size=2)
        assert (len(items), total) == (2, 3)
        assert service.search_views(s, actor=actor_for(s, "manager3"), q=name) == ([], 0)
        assert service.search_views(s, actor=actor_for(s, "manager3"), q=name, page=2) == ([], 0)
