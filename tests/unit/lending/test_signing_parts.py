"""Signature image checks, the sandbox CA, the bank seal message and the HTML-to-PDF converter
(no database)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from zhanye.core.crypto import sm2_generate_keypair, sm2_sign, sm3
from zhanye.lending import contracts, esign
from zhanye.lending.pdf import html_to_pdf


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def test_signature_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(10, 100), (150, 20), (290, 100)], fill=(0, 0, 0, 255), width=5)
    out = Image.open(io.BytesIO(contracts.check_signature_png(_png(img))))
    assert out.mode == "RGB" and out.size == (300, 120)
    assert out.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("data", [
    b"",
    b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
    _png(Image.new("RGBA", (300, 120), (0, 0, 0, 0))),  # nothing drawn
    _png(Image.new("RGB", (20, 10), (0, 0, 0))),  # too small to be a signature
    # a header declaring a 60000 x 60000 image (decompression bomb)
    b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\0" * 100)) + _chunk(b"IEND", b""),
    b"\x89PNG\r\n\x1a\n" + b"x" * (contracts.MAX_SIGNATURE_BYTES + 1),
])
def test_bad_signature_images(data: bytes) -> None:
    with pytest.raises(contracts.SignatureImageInvalid):
        contracts.check_signature_png(data)


def test_sandbox_ca_signs_verifiably_and_keeps_no_private_key() -> None:
    digest = sm3(b"contract bytes")
    sig = esign.SandboxCA().sign_for_customer(subject_name="王建国", subject_id_hash="00" * 32, digest=digest,
                                              purpose="contract:T1")
    assert esign.verify(sig.public_key.hex(), digest, sig.signature.hex())
    assert not esign.verify(sig.public_key.hex(), sm3(b"other bytes"), sig.signature.hex())
    assert "private" not in sig.certificate and sig.public_key.hex() in sig.certificate


def test_verify_refuses_garbage() -> None:
    pub, priv = sm2_generate_keypair()
    good = sm2_sign(priv, pub, b"m" * 32)
    assert esign.verify(pub.hex(), b"m" * 32, good.hex())
    assert not esign.verify(pub.hex(), b"m" * 32, "zz")
    assert not esign.verify(pub.hex(), b"m" * 32, "00" * 70)


def test_html_to_pdf_subset() -> None:
    img = Image.new("RGB", (200, 80), (255, 255, 255))
    ImageDraw.Draw(img).line([(10, 70), (190, 10)], fill=(0, 0, 0), width=4)
    import base64

    src = "data:image/png;base64," + base64.b64encode(_png(img)).decode()
    html = (f"<h1>借款合同</h1><p>金额 <b>壹万元整</b> &amp; 利率 &lt;5%</p><hr>"
            f"<table><tr><th>期数</th><th>金额</th></tr><tr><td>1</td><td>¥1.00</td></tr></table>"
            f"<img src=\"{src}\" width=\"40\"><img src=\"http://example.com/x.png\">")
    pdf = html_to_pdf(html, title="T", subject="S")
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    assert pdf.count(b"/Subtype /Image") == 1  # only the data: image; nothing fetched from the network
