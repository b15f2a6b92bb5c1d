"""The wizard's customer-file page edits family members, assets and liabilities as rows: saved
rows plus a blank one, amounts in yuan, personal fields masked on the page and kept when left
empty, rows removed by their box; bad input writes nothing."""

from __future__ import annotations

from tests.conftest import count_rows
from tests.e2e.customers.test_customers_api import _create, _id, _phone


def _saved(demo_db, customer_id: int) -> dict:  # type: ignore[no-untyped-def]
    from tests.integration.org.helpers import principal_of
    from zhanye.customers import sections

    actor = principal_of(demo_db, "manager1")
    with demo_db.unit_of_work(write=False) as s:
        return sections.saved_data(s, actor=actor, customer_id=customer_id,
                                   names=("family", "assets", "liabilities"))


def _form(**extra: str) -> dict[str, str]:
    rows = {"family.members.rows": "2", "assets.houses.rows": "1", "assets.vehicles.rows": "1",
            "assets.livestock.rows": "1", "liabilities.loans_elsewhere.rows": "1",
            "liabilities.guarantees_given.rows": "1"}
    return {"occupation": "种植户", **rows, **extra}


def test_rows_are_saved_merged_and_removed(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    h = auth("manager1")
    spouse_id, spouse_phone = _id(), _phone()
    cust, _ = _create(client, h, name="档案客户")
    cid = cust["id"]
    r = client.put(f"/api/v1/customers/{cid}/sections/family", headers=h, json={"members": [
        {"relation": "配偶", "name": "李秀兰", "id_number": spouse_id, "phone": spouse_phone, "age": 41}]})
    assert r.status_code == 200, r.text

    page = client.get(f"/customers/{cid}/wizard/file", headers=h)
    assert page.status_code == 200
    assert 'name="family.members.0.relation" value="配偶"' in page.text
    assert "李秀兰" not in page.text and spouse_id not in page.text and spouse_phone not in page.text
    assert 'data-testid="members-1-name"' in page.text  # the blank row for a new member

    r = client.post(f"/customers/{cid}/wizard/file", headers=h, data=_form(**{
        "family.members.0.relation": "妻子", "family.members.0.age": "42",  # name left empty: kept
        "family.members.1.relation": "儿子", "family.members.1.name": "王小明", "family.members.1.age": "15",
        "assets.land_area_mu": "12.5", "assets.deposits_elsewhere_fen": "30,000",
        "assets.houses.0.location": "柳河村三组", "assets.houses.0.area_m2": "120",
        "assets.houses.0.value_fen": "250000",
        "assets.livestock.0.kind": "肉牛", "assets.livestock.0.head_count": "8",
        "assets.livestock.0.value_fen": "96000",
        "liabilities.loans_elsewhere.0.lender": "某村镇银行", "liabilities.loans_elsewhere.0.balance_fen": "12,500.50",
        "liabilities.loans_elsewhere.0.due_date": "2027-06-30"}), follow_redirects=False)
    assert r.status_code == 303, r.text
    saved = _saved(demo_db, cid)
    wife, son = saved["family"]["members"]
    assert (wife["relation"], wife["name"], wife["age"]) == ("妻子", "李秀兰", 42)
    assert wife["id_number"] == spouse_id and wife["phone"] == spouse_phone  # not on the page, kept
    assert (son["relation"], son["name"], son["age"]) == ("儿子", "王小明", 15)
    assets = saved["assets"]
    assert assets["deposits_elsewhere_fen"] == 3_000_000 and str(assets["land_area_mu"]) in ("12.5", "12.50")
    assert assets["houses"][0]["value_fen"] == 25_000_000 and assets["livestock"][0]["head_count"] == 8
    assert saved["liabilities"]["loans_elsewhere"][0]["balance_fen"] == 1_250_050

    # the son's row is removed by its box; the wife's row and everything else stay
    page = client.get(f"/customers/{cid}/wizard/file", headers=h)
    assert 'name="family.members.1.remove"' in page.text and 'name="family.members.2.name"' in page.text
    r = client.post(f"/customers/{cid}/wizard/file", headers=h, data=_form(**{
        "family.members.rows": "3", "family.members.0.relation": "妻子", "family.members.0.age": "42",
        "family.members.1.relation": "儿子", "family.members.1.age": "15", "family.members.1.remove": "1",
        "assets.land_area_mu": "12.5", "assets.deposits_elsewhere_fen": "30000",
        "assets.houses.rows": "2", "assets.houses.0.location": "柳河村三组", "assets.houses.0.area_m2": "120",
        "assets.houses.0.value_fen": "250000",
        "assets.livestock.rows": "2", "assets.livestock.0.kind": "肉牛", "assets.livestock.0.head_count": "8",
        "assets.livestock.0.value_fen": "96000",
        "liabilities.loans_elsewhere.rows": "2", "liabilities.loans_elsewhere.0.lender": "某村镇银行",
        "liabilities.loans_elsewhere.0.balance_fen": "12500.50",
        "liabilities.loans_elsewhere.0.due_date": "2027-06-30"}), follow_redirects=False)
    assert r.status_code == 303, r.text
    after = _saved(demo_db, cid)
    assert [m["name"] for m in after["family"]["members"]] == ["李秀兰"]
    assert after["assets"] == saved["assets"] and after["liabilities"] == saved["liabilities"]


def test_bad_rows_are_refused_and_nothing_is_written(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    h = auth("manager1")
    cust, _ = _create(client, h, name="坏数据客户")
    cid = cust["id"]
    before = count_rows(demo_db, "customers_section")
    for bad in ({"assets.livestock.0.kind": "羊", "assets.livestock.0.head_count": "很多"},
                {"liabilities.loans_elsewhere.0.lender": "某行", "liabilities.loans_elsewhere.0.balance_fen": "-5"},
                {"family.members.0.name": "无关系"},  # relation is required
                {"assets.houses.0.location": "村里", "assets.houses.0.value_fen": "1e400"}):
        r = client.post(f"/customers/{cid}/wizard/file", headers=h, data=_form(**bad), follow_redirects=False)
        assert r.status_code == 422, (bad, r.status_code)
        assert 'role="alert"' in r.text or "flash" in r.text
    assert count_rows(demo_db, "customers_section") == before
