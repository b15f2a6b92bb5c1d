"""Sandbox identity providers: documented identities pass, fail, error and time out; the
breaker opens after repeated failures and closes after recovery."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from zhanye.customers.validators import make_resident_id
from zhanye.integrations import base, identity

GOOD = make_resident_id("110101", dt.date(1990, 3, 7), 123)
MISMATCH = make_resident_id("110101", dt.date(1990, 3, 7), 997)
ERROR = make_resident_id("110101", dt.date(1990, 3, 7), 998)
HANG = make_resident_id("110101", dt.date(1990, 3, 7), 999)


@pytest.fixture(autouse=True)
def fresh_registry():
    for kind in identity.KINDS:
        base.registry.reset(kind)
    yield
    for kind in identity.KINDS:
        base.registry.reset(kind)


def test_id_check_outcomes() -> None:
    ok = identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=GOOD))
    assert ok.passed and ok.provider == "sandbox.id_check"
    bad = identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=MISMATCH))
    assert not bad.passed and bad.reason == "name_mismatch"
    with pytest.raises(base.ProviderError):
        identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=ERROR))


def test_timeout_answers_within_the_configured_time() -> None:
    base.registry.set("identity.id_check", identity.SandboxIdCheck(hang_s=3))
    start = time.perf_counter()
    with pytest.raises(base.ProviderTimeout) as exc:
        identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=HANG), timeout=0.2)
    assert time.perf_counter() - start < 1.0
    assert exc.value.code == "provider_timeout"
    assert "0.2" in exc.value.detail("en")


def test_breaker_opens_after_repeated_failures_then_recovers() -> None:
    breaker = base.registry.breaker("identity.id_check", failure_threshold=5, reset_after_s=30)
    now = [1000.0]
    breaker.clock = lambda: now[0]
    for _ in range(5):
        with pytest.raises(base.ProviderError):
            identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=ERROR))
    assert breaker.state == "open"
    start = time.perf_counter()
    with pytest.raises(base.ProviderCircuitOpen):  # fails fast, even for a good identity
        identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=GOOD))
    assert time.perf_counter() - start < 0.1
    now[0] += 31
    assert breaker.state == "half_open"
    assert identity.call("identity.id_check", lambda p: p.check(name="张三", id_number=GOOD)).passed
    assert breaker.state == "closed"


def test_mobile_card_liveness_sandboxes() -> None:
    mob = identity.call("identity.mobile", lambda p: p.check(name="张三", id_number=GOOD, phone="13812340000"))
    assert not mob.passed and mob.reason == "not_owner"
    assert identity.call("identity.mobile", lambda p: p.check(name="张三", id_number=GOOD, phone="13812341234")).passed
    card = identity.call("identity.card4", lambda p: p.check(name="张三", id_number=GOOD,
                                                              card_number="6228480012345678905", phone="13812341234"))
    assert card.passed
    face = identity.call("identity.liveness", lambda p: p.compare(id_number=GOOD, face_image=b"x" * 2048))
    assert face.passed and face.score == pytest.approx(0.93)
    tiny = identity.call("identity.liveness", lambda p: p.compare(id_number=GOOD, face_image=b"x" * 10))
    assert not tiny.passed and tiny.reason == "no_live_face"


def test_ocr_reads_the_png_text_chunk() -> None:
    import io
    import json

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("zhanye_ocr", json.dumps({"name": "王五", "id_number": GOOD}, ensure_ascii=False))
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG", pnginfo=info)
    res = identity.call("identity.ocr", lambda p: p.read_id_front(image=buf.getvalue()))
    assert (res.name, res.id_number) == ("王五", GOOD)
    default = identity.call("identity.ocr", lambda p: p.read_id_front(image=b"not an image"))
    assert default.id_number == identity.SANDBOX_OCR_DEFAULT["id_number"]
