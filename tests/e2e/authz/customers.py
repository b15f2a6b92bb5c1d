"""Scope cases of the customer routes: objects of 柳河支行 (own) and 石桥支行 (other)."""

from __future__ import annotations

import datetime as dt
import io
import random

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES: set[tuple[str, str]] = set()
UNSAFE_ROUTES: set[tuple[str, str]] = set()

_cache: dict[int, dict[str, dict[str, int]]] = {}


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (200, 150), (120, 80, 40)).save(buf, "JPEG")
    return buf.getvalue()


def _objects(ctx: MatrixContext) -> dict[str, dict[str, int]]:
    """One customer (with a house image, a blacklist entry) per side, made once per database."""
    if id(ctx.db) in _cache:
        return _cache[id(ctx.db)]
    from zhanye.customers import images, kyc, service
    from zhanye.customers.demo import actor_for
    from zhanye.customers.validators import make_resident_id

    out: dict[str, dict[str, int]] = {}
    with ctx.db.unit_of_work() as s:
        for side, username in (("own", "manager1"), ("other", "manager3")):
            actor = actor_for(s, username)
            birth = dt.date(1970, 1, 1) + dt.timedelta(days=random.randrange(10000))
            cust, _ = service.create_customer(s, actor=actor, kind="individual", name="矩阵客户",
                                              id_number=make_resident_id("110101", birth, random.randrange(900)),
                                              mobile=f"135{random.randrange(10**7, 10**8)}")
            img = images.add_image(s, actor=actor, customer_id=cust.id, purpose="house", data=_jpeg())
            entry = kyc.add_blacklist_entry(s, actor=actor, list_code="internal", source="矩阵", kind="internal",
                                            id_number=make_resident_id("110101", birth, 901), reason="矩阵测试")
            out[side] = {"customer_id": cust.id, "image_id": img.id, "entry_id": entry.id,
                         "manager_id": actor.staff_id}
    _cache[id(ctx.db)] = out
    return out


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    o = _objects(ctx)
    own = {"customer_id": o["own"]["customer_id"]}
    other = {"customer_id": o["other"]["customer_id"]}
    api = "/api/v1/customers/{customer_id}"
    own_img = {**own, "image_id": o["own"]["image_id"]}
    other_img = {**other, "image_id": o["other"]["image_id"]}
    cases = [
        ScopeCase("GET", api, own, other),
        ScopeCase("PATCH", api, own, other, body={"address": "吉林省农安县矩阵路"}),
        ScopeCase("POST", api + "/assign", own, other, body={"manager_id": o["own"]["manager_id"], "reason": "矩阵"}),
        ScopeCase("POST", api + "/reveal", own, other, body={"fields": ["mobile"]}),
        ScopeCase("GET", api + "/precheck", own, other),
        ScopeCase("GET", api + "/interactions", own, other),
        ScopeCase("POST", api + "/interactions", own, other, body={"kind": "note", "text": "矩阵"}),
        ScopeCase("GET", api + "/verifications", own, other),
        ScopeCase("POST", api + "/verifications/id-check", own, other, body={}),
        ScopeCase("POST", api + "/verifications/mobile", own, other, body={}),
        ScopeCase("POST", api + "/verifications/liveness", own, other, body={"image_id": o["own"]["image_id"]}),
        ScopeCase("POST", api + "/verifications/card", own, other,
                  body={"card_number": "6228480012345678905", "phone": "13812345678"}),
        ScopeCase("POST", api + "/verifications/card/confirm", own, other,
                  body={"verification_id": 999999999, "code": "000000"}),
        ScopeCase("GET", api + "/sections", own, other),
        ScopeCase("GET", api + "/sections/{section}/history", {**own, "section": "income"},
                  {**other, "section": "income"}),
        ScopeCase("PUT", api + "/sections/{section}", {**own, "section": "income"}, {**other, "section": "income"},
                  body={"farming_fen": 100}),
        ScopeCase("GET", api + "/images", own, other),
        ScopeCase("POST", api + "/images", own, other, form={"purpose": "house"}),
        ScopeCase("GET", api + "/images/{image_id}/content", own_img, other_img),
        ScopeCase("POST", "/api/v1/blacklist/{entry_id}/remove", {"entry_id": o["own"]["entry_id"]},
                  {"entry_id": o["other"]["entry_id"]}, body={"reason": "矩阵测试"}),
        # pages
        ScopeCase("GET", "/customers/{customer_id}", own, other),
        ScopeCase("GET", "/customers/{customer_id}/wizard", own, other),
        ScopeCase("GET", "/customers/{customer_id}/wizard/verify", own, other),
        ScopeCase("POST", "/customers/{customer_id}/wizard/verify", own, other, form={"check": "id"}),
        ScopeCase("POST", "/customers/{customer_id}/wizard/face", own, other, form={}),
        ScopeCase("GET", "/customers/{customer_id}/wizard/file", own, other),
        ScopeCase("POST", "/customers/{customer_id}/wizard/file", own, other, form={"occupation": "农民"}),
        ScopeCase("GET", "/customers/{customer_id}/wizard/images", own, other),
        ScopeCase("POST", "/customers/{customer_id}/wizard/images", own, other, form={"purpose": "house"}),
        ScopeCase("POST", "/customers/{customer_id}/wizard/finish", own, other),
        ScopeCase("POST", "/customers/{customer_id}/interactions", own, other, form={"kind": "note", "text": "矩阵"}),
        ScopeCase("POST", "/customers/{customer_id}/assign", own, other,
                  form={"manager_id": o["own"]["manager_id"], "reason": "矩阵"}),
    ]
    return cases
