"""Villages through the API and pages: scope (404), roster upload report and re-import, coverage,
review and pre-credit, masking of household members."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.conftest import count_rows
from zhanye.villages.models import Division


def _demo_village(db, code: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        v = s.execute(select(Division).where(Division.code == code)).scalar_one()
        h = s.execute(select(Division).where(Division.parent_id == v.id).order_by(Division.code)).scalars().first()
        return v.id, h.id


def test_pages_render_and_mask(client, auth, demo_db) -> None:
    h = auth("manager1")
    vid, hamlet = _demo_village(demo_db, "220122101201")
    for url in ("/", "/villages", "/villages/coverage", "/villages/coverage?by=institution", f"/villages/{vid}",
                f"/villages/hamlets/{hamlet}"):
        r = client.get(url, headers=h)
        assert r.status_code == 200, url
    assert "陈家店村" in client.get("/villages", headers=h).text
    hh = client.get("/api/v1/households", params={"hamlet_id": hamlet}, headers=h).json()["items"][0]
    page = client.get(f"/villages/households/{hh['id']}", headers=h)
    assert page.status_code == 200 and hh["head_name"] in page.text
    assert hh["head_id_number"].count("*") == 16


def test_other_institution_village_is_404(client, auth, demo_db) -> None:
    vid, hamlet = _demo_village(demo_db, "220122102201")  # 石桥村, 石桥支行
    h = auth("manager1")
    for url in (f"/api/v1/villages/{vid}", f"/villages/{vid}", f"/villages/hamlets/{hamlet}"):
        assert client.get(url, headers=h).status_code == 404, url
    assert client.get(f"/api/v1/villages/{vid}", headers=auth("manager3")).status_code == 200
    listing = client.get("/api/v1/villages", headers=h).json()["items"]
    assert vid not in [v["id"] for v in listing]


def test_roster_upload_report_and_reimport(client, auth, demo_db) -> None:
    h = auth("manager1")
    vid, _ = _demo_village(demo_db, "220122101202")
    camp = client.get("/api/v1/campaigns", params={"village_id": vid}, headers=h).json()["items"][0]
    tag = uuid.uuid4().hex[:6]
    csv_text = ("户号,屯/组,户主姓名,家庭人数\n"
                f"R{tag}1,一组,测试甲,3\n"
                f"R{tag}2,五组,测试乙,2\n"
                f"R{tag}3,二组,测试丙,x\n")
    files = {"file": ("roster.csv", csv_text.encode(), "text/csv")}
    r = client.post(f"/api/v1/campaigns/{camp['id']}/roster", headers=h, files=files)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["accepted"] == 1 and [x["line"] for x in rep["refused"]] == [3, 4]
    before = count_rows(demo_db, "villages_household")
    r = client.post(f"/api/v1/campaigns/{camp['id']}/roster", headers=h, files=files)
    assert r.json()["accepted"] == 0 and r.json()["unchanged"] == 1
    assert count_rows(demo_db, "villages_household") == before
    # the page shows the report too
    r = client.post(f"/villages/{vid}/roster", headers=h, data={"campaign_id": camp["id"]}, files=files)
    assert r.status_code == 200 and "五组" in r.text


def test_review_precredit_and_coverage(client, auth, demo_db) -> None:
    h = auth("manager1")
    tag = uuid.uuid4().hex[:6]
    town = _demo_village(demo_db, "220122101201")
    with demo_db.unit_of_work(write=False) as s:
        town_id = s.get(Division, town[0]).parent_id
    vid = client.post("/api/v1/divisions", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                      json={"code": f"E{tag}", "name": "评议村", "level": "village", "parent_id": town_id}).json()["id"]
    hamlet = client.post("/api/v1/divisions", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                         json={"code": f"E{tag}01", "name": "一组", "level": "hamlet", "parent_id": vid}).json()["id"]
    r = client.post("/api/v1/households", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"hamlet_id": hamlet, "household_no": f"N{tag}", "head_name": "评议户"})
    assert r.status_code == 201
    hid = r.json()["id"]
    camp = client.post("/api/v1/campaigns", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                       json={"village_id": vid, "name": f"第二期{tag}"}).json()
    assert client.post(f"/api/v1/campaigns/{camp['id']}/households/{hid}/visit", headers=h,
                       json={"status": "filed"}).json()["visit_status"] == "filed"
    # managers may not record committee reviews; the sub-branch head may
    body = {"members_present": "村委5人", "opinion": "approve", "recommended_limit_fen": 3_000_000}
    assert client.post(f"/api/v1/campaigns/{camp['id']}/households/{hid}/reviews", headers=h,
                       json=body).status_code == 403
    sub = auth("sub101")
    r = client.post(f"/api/v1/campaigns/{camp['id']}/households/{hid}/reviews",
                    headers={**sub, "Idempotency-Key": uuid.uuid4().hex}, json=body)
    assert r.status_code == 201
    r = client.post(f"/api/v1/campaigns/{camp['id']}/precredit", headers={**sub, "Idempotency-Key": uuid.uuid4().hex})
    # the registered engine (lending's decision, or the committee's recommendation) decides each candidate
    counts = r.json()
    assert r.status_code == 200 and counts["candidates"] >= 1
    assert counts["credited"] + counts["declined"] == counts["candidates"]
    cov = client.get(f"/api/v1/campaigns/{camp['id']}", headers=h).json()["coverage"]
    assert cov["reviewed"] == 1 and cov["households"] == 1 and cov["filed"] == 1
    # one open campaign per village: a second is refused until the first is closed
    r = client.post("/api/v1/campaigns", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"village_id": vid, "name": "第三期"})
    assert r.status_code == 409
    assert client.post(f"/api/v1/campaigns/{camp['id']}/close", headers=h).json()["status"] == "closed"
    r = client.post("/api/v1/campaigns", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"village_id": vid, "name": "第三期"})
    assert r.status_code == 201
    ranking = client.get("/api/v1/coverage", params={"by": "township"}, headers=auth("branch1")).json()["items"]
    assert ranking and all(set(x) >= {"filed_rate", "credited_rate", "drawn_rate"} for x in ranking)


def test_filing_a_household_member_links_the_new_customer(client, auth, demo_db) -> None:
    import datetime as dt
    import random

    from zhanye.customers.validators import make_resident_id

    h = auth("manager1")
    vid, hamlet = _demo_village(demo_db, "220122101202")
    r = client.post("/api/v1/households", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"hamlet_id": hamlet, "household_no": f"L{uuid.uuid4().hex[:6]}", "head_name": "建档户主"})
    hid = r.json()["id"]
    member = client.get(f"/api/v1/households/{hid}", headers=h).json()["members"][0]
    assert member["customer_id"] is None
    number = make_resident_id("220122", dt.date(1975, 5, 5) + dt.timedelta(days=random.randrange(3000)),
                              random.randrange(900))
    page = client.get(f"/customers/new?member_id={member['id']}", headers=h)
    assert f'name="member_id" value="{member["id"]}"' in page.text
    r = client.post("/customers/new", headers=h, data={"kind": "individual", "id_number": number, "name": "建档户主",
                                                      "member_id": str(member["id"])})
    assert r.status_code == 200 and "/wizard/verify" in str(r.url)
    member = client.get(f"/api/v1/households/{hid}", headers=h).json()["members"][0]
    assert member["customer_id"] is not None
    # a member of another institution's household cannot be linked: nothing is filed
    other_vid, other_hamlet = _demo_village(demo_db, "220122102201")
    other_hh = client.get("/api/v1/households", params={"hamlet_id": other_hamlet},
                          headers=auth("manager3")).json()["items"][0]
    other_member = client.get(f"/api/v1/households/{other_hh['id']}", headers=auth("manager3")).json()["members"][0]
    before = count_rows(demo_db, "customers_customer")
    r = client.post("/customers/new", headers=h, data={"kind": "individual", "name": "越权建档",
                                                      "id_number": make_resident_id("220122", dt.date(1981, 1, 1),
                                                                                    random.randrange(900)),
                                                      "member_id": str(other_member["id"])})
    assert r.status_code == 422 and count_rows(demo_db, "customers_customer") == before


def test_review_minutes_attachment(client, auth, demo_db) -> None:
    import io

    from PIL import Image

    vid, hamlet = _demo_village(demo_db, "220122101203")  # 青山村, 青山支行 (102)
    hh = client.get("/api/v1/households", params={"hamlet_id": hamlet}, headers=auth("manager2")).json()["items"][0]
    review = client.get(f"/api/v1/households/{hh['id']}", headers=auth("manager2")).json()["reviews"][0]
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(buf, "PNG")
    files = {"file": ("minutes.png", buf.getvalue(), "image/png")}
    assert client.post(f"/api/v1/reviews/{review['id']}/minutes", headers=auth("manager2"), files=files).status_code == 403
    assert client.post(f"/api/v1/reviews/{review['id']}/minutes", headers=auth("sub101"), files=files).status_code == 404
    r = client.post(f"/api/v1/reviews/{review['id']}/minutes", headers=auth("branch1"),
                    files={"file": ("m.txt", b"not a picture", "text/plain")})
    assert r.status_code == 415
    r = client.post(f"/api/v1/reviews/{review['id']}/minutes", headers=auth("branch1"), files=files)
    assert r.status_code == 200 and r.json()["minutes_url"]
    got = client.get(r.json()["minutes_url"], headers=auth("manager2"))
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"


def test_precredit_from_the_village_page(client, auth, demo_db) -> None:
    vid, _ = _demo_village(demo_db, "220122101201")
    page = client.get(f"/villages/{vid}", headers=auth("sub101"))
    assert 'data-testid="run-precredit"' in page.text
    assert 'data-testid="run-precredit"' not in client.get(f"/villages/{vid}", headers=auth("manager1")).text
    camp = client.get("/api/v1/campaigns", params={"village_id": vid}, headers=auth("sub101")).json()["items"][-1]
    r = client.post(f"/villages/{vid}/precredit", headers=auth("sub101"), data={"campaign_id": camp["id"]})
    assert r.status_code == 200 and 'data-testid="precredit-result"' in r.text
    assert client.post(f"/villages/{vid}/precredit", headers=auth("manager1"),
                       data={"campaign_id": camp["id"]}).status_code == 403
