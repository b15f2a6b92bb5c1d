"""Image type sniffing, watermark and thumbnail; masking of personal fields in sections."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from zhanye.customers import images, pii
from zhanye.customers.errors import ImageTooLarge, UnsupportedImage


def _jpeg(w: int = 800, h: int = 600) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (30, 120, 60)).save(buf, "JPEG")
    return buf.getvalue()


def test_sniff_by_magic_bytes() -> None:
    assert images.sniff(_jpeg()) == "image/jpeg"
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    assert images.sniff(buf.getvalue()) == "image/png"
    assert images.sniff(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20) == "image/heic"
    assert images.sniff(b"GIF89a....") is None
    assert images.sniff(b"%PDF-1.7") is None


def test_check_refuses_other_types_and_big_files() -> None:
    with pytest.raises(UnsupportedImage):
        images.check_image(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(ImageTooLarge):
        images.check_image(b"\xff\xd8\xff" + b"\x00" * 100, max_bytes=50)


def test_heic_roundtrip() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    try:
        Image.new("RGB", (64, 48), "blue").save(buf, "HEIF")
    except (KeyError, OSError, ValueError):
        pytest.skip("this libheif build has no HEVC encoder")
    data = buf.getvalue()
    assert images.check_image(data) == "image/heic"
    assert images._open(data, "image/heic").size == (64, 48)


def test_watermark_changes_the_bottom_band_only() -> None:
    img = Image.new("RGB", (900, 600), (200, 200, 200))
    lines = images.watermark_lines(customer_no="C0000000001", purpose="house", manager="manager1",
                                   at=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC), gps="43.88,125.32")
    assert lines[1].startswith("manager1 2026-11-22 10:00:00")  # shown in Asia/Shanghai
    out = images.stamp(img, lines)
    assert out.getpixel((450, 10)) == (200, 200, 200)
    assert out.getpixel((2, 598)) != (200, 200, 200)


def test_mask_tree() -> None:
    data = {"members": [{"relation": "spouse", "name": "李秀兰", "id_number": "11010519491231002X",
                         "phone": "13812340001", "annual_income_fen": 100}]}
    masked = pii.mask_tree(data)
    m = masked["members"][0]
    assert m["name"] == "李**"
    assert m["id_number"] == "1****************X"
    assert m["phone"] == "138****0001"
    assert m["annual_income_fen"] == 100
