"""Customers through the API: filing, scope (404), masking scan, reveal, provider faults,
images (type checks, thumbnail), sections, blacklists."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import uuid

import pytest
from PIL import Image

from tests.conftest import count_rows
from zhanye.customers.validators import make_card, make_resident_id
from zhanye.integrations import base, identity


def _id(seq: int | None = None) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=random.randrange(15000))
    return make_resident_id("110101", birth, seq if seq is not None else random.randrange(990))


def _phone() -> str:
    return f"13{random.randrange(5, 9)}{random.randrange(10**7, 10**8)}"


def _create(client, headers, **kw):  # type: ignore[no-untyped-def]
    body = {"kind": "individual", "id_number": _id(), "name": "测试客户", "mobile": _phone(), **kw}
    resp = client.post("/api/v1/customers", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text
    return resp.json(), body


def _jpeg(size=(640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def _fresh_identity():
    for kind in (*identity.KINDS, "sms"):
        base.registry.reset(kind)
    yield
    for kind in (*identity.KINDS, "sms"):
        base.registry.reset(kind)


def test_create_is_idempotent_and_dedupes(client, auth) -> None:
    h = auth("manager1")
    body = {"kind": "individual", "id_number": _id(), "name": "幂等客户", "mobile": _phone()}
    key = uuid.uuid4().hex
    r1 = client.post("/api/v1/customers", json=body, headers={**h, "Idempotency-Key": key})
    r2 = client.post("/api/v1/customers", json=body, headers={**h, "Idempotency-Key": key})
    assert r1.status_code == r2.status_code == 201 and r1.json()["id"] == r2.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    r3 = client.post("/api/v1/customers", json=body, headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    assert r3.json()["id"] == r1.json()["id"] and r3.json()["existing"] is True
    r4 = client.post("/api/v1/customers", json=body, headers={**auth("manager3"), "Idempotency-Key": uuid.uuid4().hex})
    assert r4.status_code == 409 and r4.json()["code"] == "customer_exists_elsewhere"


def test_bad_input_is_problem_json_and_writes_nothing(client, auth, demo_db) -> None:
    h = {**auth("manager1"), "Idempotency-Key": uuid.uuid4().hex}
    before = count_rows(demo_db, "customers_customer")
    bad = _id()[:-1] + "Z"
    r = client.post("/api/v1/customers", json={"kind": "individual", "id_number": bad, "name": "错"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "body.id_number"
    r = client.post("/api/v1/customers", json={"kind": "individual", "id_number": _id(), "name": "错", "x": 1},
                    headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422
    r = client.post("/api/v1/customers", json={"kind": "individual", "id_number": _id(), "name": "<script>"},
                    headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422
    assert count_rows(demo_db, "customers_customer") == before


def test_scope_other_institution_404_in_api_and_pages(client, auth) -> None:
    cust, _ = _create(client, auth("manager3"))
    h1 = auth("manager1")
    for url in (f"/api/v1/customers/{cust['id']}", f"/api/v1/customers/{cust['id']}/sections",
                f"/api/v1/customers/{cust['id']}/images", f"/api/v1/customers/{cust['id']}/verifications",
                f"/customers/{cust['id']}"):
        assert client.get(url, headers=h1).status_code == 404, url
    r = client.patch(f"/api/v1/customers/{cust['id']}", json={"address": "越权"}, headers=h1)
    assert r.status_code == 404
    r = client.put(f"/api/v1/customers/{cust['id']}/sections/income", json={"farming_fen": 1}, headers=h1)
    assert r.status_code == 404
    listing = client.get("/api/v1/customers", params={"q": "测试客户", "page_size": 200}, headers=h1).json()
    assert cust["id"] not in [c["id"] for c in listing["items"]]
    assert client.get(f"/api/v1/customers/{cust['id']}", headers=auth("branch2")).status_code == 200


def test_no_response_contains_full_numbers_unless_revealed(client, auth) -> None:
    h = auth("manager1")
    number, phone = _id(), _phone()
    cust, _ = _create(client, h, id_number=number, mobile=phone, name="掩码测试")
    cid = cust["id"]
    client.put(f"/api/v1/customers/{cid}/sections/family", headers=h, json={"members": [
        {"relation": "配偶", "name": "配偶甲", "id_number": number, "phone": phone}]})
    card = make_card("622848009876543")
    client.post(f"/api/v1/customers/{cid}/verifications/card", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                json={"card_number": card, "phone": phone})
    client.post(f"/api/v1/customers/{cid}/images", headers=h, data={"purpose": "house"},
                files=[("files", ("a.jpg", _jpeg(), "image/jpeg"))])
    urls = [f"/api/v1/customers/{cid}", f"/api/v1/customers/{cid}/sections", f"/api/v1/customers/{cid}/images",
            f"/api/v1/customers/{cid}/verifications", f"/api/v1/customers/{cid}/interactions",
            f"/api/v1/customers?q={number}", f"/api/v1/customers?q={phone}", f"/api/v1/customers/{cid}/precheck",
            f"/customers/{cid}", f"/customers?q={number}", "/customers"]
    for url in urls:
        resp = client.get(url, headers=h)
        assert resp.status_code == 200, url
        for secret in (number, phone, card, "掩码测试", "配偶甲"):
            assert secret not in resp.text, f"{secret} leaked in {url}"
    assert re.search(r"1\*{16}\w", client.get(f"/api/v1/customers/{cid}", headers=h).text)
    # revealing needs the permission and is audited
    r = client.post(f"/api/v1/customers/{cid}/reveal", json={"fields": ["id_number", "mobile"]}, headers=h)
    assert r.status_code == 403
    r = client.post(f"/api/v1/customers/{cid}/reveal", json={"fields": ["id_number", "mobile"]},
                    headers=auth("sub101"))
    assert r.status_code == 200 and r.json() == {"id_number": number, "mobile": phone}
    audit = client.get("/api/v1/audit", params={"object_type": "customer", "object_id": str(cid),
                                                 "action": "customer.reveal_pii"}, headers=auth("auditor")).json()
    assert audit["total"] >= 1


def test_provider_timeout_and_breaker_through_api(client, auth, monkeypatch) -> None:
    h = auth("manager1")
    monkeypatch.setenv("ZHANYE_IDENTITY_TIMEOUT_S", "0.3")
    base.registry.set("identity.id_check", identity.SandboxIdCheck(hang_s=2))
    hang, _ = _create(client, h, id_number=_id(999))
    import time

    start = time.perf_counter()
    r = client.post(f"/api/v1/customers/{hang['id']}/verifications/id-check", json={}, headers=h)
    assert time.perf_counter() - start < 1.5
    assert r.status_code == 503 and r.json()["code"] == "provider_timeout"
    vers = client.get(f"/api/v1/customers/{hang['id']}/verifications", headers=h).json()["items"]
    assert vers[0]["result"] == "error" and vers[0]["reason"] == "provider_timeout"
    err, _ = _create(client, h, id_number=_id(998))
    codes = [client.post(f"/api/v1/customers/{err['id']}/verifications/id-check", json={}, headers=h).json()["code"]
             for _ in range(5)]
    assert codes[:4] == ["provider_error"] * 4
    good, _ = _create(client, h)
    r = client.post(f"/api/v1/customers/{good['id']}/verifications/id-check", json={}, headers=h)
    assert r.status_code == 503 and r.json()["code"] == "provider_circuit_open"
    breaker = base.registry.breaker("identity.id_check")
    breaker.opened_at = breaker.clock() - 31  # the reset period has passed
    r = client.post(f"/api/v1/customers/{good['id']}/verifications/id-check", json={}, headers=h)
    assert r.status_code == 201 and r.json()["result"] == "pass"
    assert client.get(f"/api/v1/customers/{good['id']}", headers=h).json()["identity_verified"] is True


def test_images_upload_several_thumbnail_and_type_checks(client, auth, demo_db) -> None:
    h = auth("manager1")
    cust, _ = _create(client, h)
    cid = cust["id"]
    r = client.post(f"/api/v1/customers/{cid}/images", headers=h, data={"purpose": "house", "gps": "43.88,125.32"},
                    files=[("files", ("a.jpg", _jpeg(), "image/jpeg")), ("files", ("b.jpg", _jpeg((300, 900)), "x"))])
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert len(items) == 2 and "GPS 43.88,125.32" in items[0]["watermark"]
    thumb = client.get(items[0]["thumb_url"], headers=h)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    before = count_rows(demo_db, "customers_image")
    gif = b"GIF89a" + b"\x00" * 200
    r = client.post(f"/api/v1/customers/{cid}/images", headers=h, data={"purpose": "house"},
                    files=[("files", ("ok.jpg", _jpeg(), "image/jpeg")), ("files", ("x.jpg", gif, "image/jpeg"))])
    assert r.status_code == 415 and r.json()["code"] == "unsupported_image_type"
    assert count_rows(demo_db, "customers_image") == before
    # an ID-card picture needs the reveal permission to be seen
    r = client.post(f"/api/v1/customers/{cid}/images", headers=h, data={"purpose": "id_front"},
                    files=[("files", ("id.jpg", _jpeg(), "image/jpeg"))])
    url = r.json()["items"][0]["url"]
    assert client.get(url, headers=h).status_code == 403
    assert client.get(url, headers=auth("sub101")).status_code == 200
    audit = client.get("/api/v1/audit", params={"object_type": "customer", "object_id": str(cid),
                                                 "action": "customer.reveal_pii"}, headers=auth("auditor")).json()
    assert audit["total"] == 1 and '"purpose":"id_front"' in audit["items"][0]["changes"]


def test_ocr_token_files_a_customer_without_the_number_in_clear(client, auth) -> None:
    import json

    from PIL.PngImagePlugin import PngInfo

    number = _id()
    info = PngInfo()
    info.add_text("zhanye_ocr", json.dumps({"name": "识别客户", "id_number": number, "address": "吉林"},
                                           ensure_ascii=False))
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buf, "PNG", pnginfo=info)
    h = auth("manager1")
    r = client.post("/api/v1/customers/ocr", headers=h, files={"file": ("id.png", buf.getvalue(), "image/png")})
    assert r.status_code == 200 and number not in r.text and r.json()["name"] == "识***"
    r = client.post("/api/v1/customers", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"kind": "individual", "ocr_token": r.json()["ocr_token"]})
    assert r.status_code == 201 and r.json()["id_number"] == number[0] + "*" * 16 + number[-1]
    r = client.post("/api/v1/customers", headers={**h, "Idempotency-Key": uuid.uuid4().hex},
                    json={"kind": "individual", "ocr_token": "forged"})
    assert r.status_code == 422


def test_blacklisted_customer_is_blocked_with_reason_for_permitted_users(client, auth) -> None:
    number = _id()
    cust, _ = _create(client, auth("manager1"), id_number=number)
    r = client.post("/api/v1/blacklist", headers={**auth("risk"), "Idempotency-Key": uuid.uuid4().hex},
                    json={"list_code": "internal", "source": "风险部", "id_number": number, "reason": "骗贷"})
    assert r.status_code == 201 and number not in r.text
    pre = client.get(f"/api/v1/customers/{cust['id']}/precheck", headers=auth("manager1")).json()
    assert pre["blacklisted"] and not pre["passed"] and pre["hits"][0]["reason"] == "骗贷"
    r = client.post(f"/api/v1/blacklist/{r.json()['id']}/remove", headers=auth("risk"), json={"reason": "误报"})
    assert r.status_code == 200 and r.json()["active"] is False


def test_transfer_between_managers_with_reason(client, auth, demo_db) -> None:
    from sqlalchemy import select

    from zhanye.org.models import Staff

    with demo_db.unit_of_work(write=False) as s:
        manager2 = s.execute(select(Staff.id).where(Staff.username == "manager2")).scalar_one()
    cust, _ = _create(client, auth("manager1"))
    cid = cust["id"]
    r = client.post(f"/api/v1/customers/{cid}/assign", headers=auth("manager1"),
                    json={"manager_id": manager2, "reason": "调岗"})
    assert r.status_code == 403
    page = client.get(f"/customers/{cid}", headers=auth("branch1"))
    assert 'data-testid="assign"' in page.text
    r = client.post(f"/customers/{cid}/assign", headers=auth("branch1"), data={"manager_id": manager2, "reason": "x"})
    assert "assigned=invalid" in str(r.url)  # a reason of at least 2 characters is needed
    r = client.post(f"/customers/{cid}/assign", headers=auth("branch1"),
                    data={"manager_id": manager2, "reason": "客户经理调岗"})
    assert r.status_code == 200 and "assigned=ok" in str(r.url)
    got = client.get(f"/api/v1/customers/{cid}", headers=auth("manager2")).json()
    assert got["manager_id"] == manager2 and got["manager_name"] == "客户经理李娜"
    assert client.get(f"/api/v1/customers/{cid}", headers=auth("manager1")).status_code == 404
    history = client.get(f"/api/v1/customers/{cid}/interactions", headers=auth("manager2")).json()["items"]
    assert history[0]["kind"] == "transfer" and "客户经理调岗" in history[0]["text"]


def test_wizard_card_and_face_checks_on_the_page(client, auth) -> None:
    h = auth("manager1")
    cust, body = _create(client, h)
    cid = cust["id"]
    url = f"/customers/{cid}/wizard/verify"
    r = client.post(url, headers=h, data={"check": "card", "card_number": make_card("622848001111222"),
                                          "phone": "13812345678"})
    assert r.status_code == 200 and 'data-testid="card-confirm"' in r.text
    vid = re.search(r'name="verification_id" value="(\d+)"', r.text).group(1)
    code = base.registry.get("sms").last_code("13812345678")
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(url, headers=h, data={"check": "card_confirm", "verification_id": vid, "code": wrong})
    assert 'data-testid="card-confirm"' in r.text and 'data-testid="error"' in r.text
    r = client.post(url, headers=h, data={"check": "card_confirm", "verification_id": vid, "code": code})
    assert 'data-testid="ok"' in r.text
    assert client.get(f"/api/v1/customers/{cid}", headers=h).json()["card_verified"] is True
    r = client.post(f"/customers/{cid}/wizard/face", headers=h, files={"file": ("me.jpg", _jpeg(), "image/jpeg")})
    assert r.status_code == 200 and 'data-testid="ok"' in r.text
    got = client.get(f"/api/v1/customers/{cid}", headers=h).json()
    assert got["face_verified"] is True
    kinds = [v["kind"] for v in client.get(f"/api/v1/customers/{cid}/verifications", headers=h).json()["items"]]
    assert kinds.count("card4") == 1 and "liveness" in kinds


def test_blacklist_pages(client, auth, demo_db) -> None:
    number = _id()
    assert client.get("/blacklist", headers=auth("approver")).status_code == 200
    assert client.post("/blacklist", headers=auth("manager1"), data={}).status_code == 403
    h = auth("risk")
    before = count_rows(demo_db, "customers_blacklist")
    r = client.post("/blacklist", headers=h, data={"id_number": number[:-1] + "Z", "source": "风险部", "reason": "测试"})
    assert r.status_code == 422 and count_rows(demo_db, "customers_blacklist") == before
    r = client.post("/blacklist", headers=h, data={"id_number": number, "name": "黑名单页", "source": "风险部",
                                                  "reason": "页面测试"})
    assert r.status_code == 200 and number not in r.text and "页面测试" in r.text
    csv_data = f"id_number,name,reason\n{_id()},外部一,失信\nbad,外部二,失信\n".encode()
    r = client.post("/blacklist/import", headers=h, data={"list_code": "court_dishonest", "source": "法院"},
                    files={"file": ("list.csv", csv_data, "text/csv")})
    assert r.status_code == 200 and "accepted 1" in r.text and "refused 1" in r.text
