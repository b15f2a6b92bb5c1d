"""Customer images: type and size checks (JPEG, PNG, HEIC only), watermark stamped as the bank's
mobile camera does (customer, purpose, manager, time, GPS), a thumbnail, and storage through
``integrations.storage``. The stored picture is the watermarked JPEG; the original bytes are
not kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import uuid
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import BANK_TZ
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhanye.customers.errors import ImageTooLarge, UnsupportedImage
from zhanye.customers.models import CustomerImage
from zhanye.customers.schemas import IMAGE_PURPOSES
from zhanye.customers.service import get_customer
from zhanye.integrations.storage import storage

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMB_SIZE = (320, 320)
MAX_SIDE = 2560
_GPS_RE = re.compile(r"^-?\d{1,2}(\.\d{1,7})?,-?\d{1,3}(\.\d{1,7})?$")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
PII_PURPOSES = {"id_front", "id_back"}  # images that show the full ID number


def sniff(data: bytes) -> str | None:
    """The image type from its magic bytes (never from the file name or declared type)."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def _open(data: bytes, kind: str) -> Image.Image:
    if kind == "image/heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnsupportedImage("图片已损坏或无法读取", f"The image is damaged or unreadable ({exc.__class__.__name__})") \
            from None
    return ImageOps.exif_transpose(img)


def check_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    if not data:
        raise ValidationFailed.field(["body", "file"], "请选择图片", "Choose an image")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"图片不能超过 {max_bytes // 1048576} MB", f"An image may be at most {max_bytes // 1048576} MB")
    kind = sniff(data)
    if kind is None:
        raise UnsupportedImage("只支持 JPEG、PNG、HEIC 格式的图片", "Only JPEG, PNG and HEIC images are accepted")
    return kind


def readable_image(data: bytes) -> str:
    """``check_image`` and a full decode: what ``add_image`` will accept (its kind)."""
    kind = check_image(data)
    _open(data, kind)
    return kind


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def stamp(img: Image.Image, lines: list[str]) -> Image.Image:
    """Draw the watermark lines on a translucent band at the bottom of the picture."""
    img = img.convert("RGB")
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    size = max(12, img.width // 45)
    font = _font(size)
    band_h = int(size * 1.35 * len(lines) + size)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([0, img.height - band_h, img.width, img.height], fill=(0, 0, 0, 120))
    y = img.height - band_h + size // 2
    for line in lines:
        draw.text((size // 2, y), line, font=font, fill=(255, 255, 255, 235))
        y += int(size * 1.35)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def watermark_lines(*, customer_no: str, purpose: str, manager: str, at: dt.datetime, gps: str | None) -> list[str]:
    lines = [f"ZHANYE {customer_no} {purpose}", f"{manager} {at.astimezone(BANK_TZ):%Y-%m-%d %H:%M:%S} CST"]
    if gps:
        lines.append(f"GPS {gps}")
    return lines


def _jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def add_image(session: Session, *, actor: Principal, customer_id: int, purpose: str, data: bytes,
              gps: str | None = None) -> CustomerImage:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    if purpose not in IMAGE_PURPOSES:
        raise ValidationFailed.field(["body", "purpose"], "未知的影像用途", "Unknown image purpose")
    if gps is not None:
        gps = gps.replace(" ", "")
        if not _GPS_RE.match(gps):
            raise ValidationFailed.field(["body", "gps"], "GPS 坐标格式应为 纬度,经度", "GPS must be latitude,longitude")
    kind = check_image(data)
    img = _open(data, kind)
    now = utcnow()
    lines = watermark_lines(customer_no=cust.customer_no, purpose=purpose, manager=actor.username, at=now, gps=gps)
    stamped = stamp(img, lines)
    body = _jpeg(stamped, 85)
    thumb = stamped.copy()
    thumb.thumbnail(THUMB_SIZE)
    thumb_body = _jpeg(thumb, 75)
    key = f"customers/{cust.id}/{now:%Y%m}/{uuid.uuid4().hex}"
    store = storage()
    store.put(f"{key}.jpg", body, content_type="image/jpeg")
    store.put(f"{key}_t.jpg", thumb_body, content_type="image/jpeg")
    row = CustomerImage(customer_id=cust.id, purpose=purpose, content_type="image/jpeg", original_type=kind,
                        size_bytes=len(body), width=stamped.width, height=stamped.height,
                        sha256=hashlib.sha256(data).hexdigest(), storage_key=f"{key}.jpg", thumb_key=f"{key}_t.jpg",
                        watermark=" | ".join(lines)[:300], gps=gps, taken_by=actor.staff_id or None, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, action="customer.image.add", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"image_id": row.id, "purpose": purpose, "type": kind, "bytes": len(data)})
    return row


def list_images(session: Session, *, actor: Principal, customer_id: int) -> list[CustomerImage]:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    return list(session.execute(select(CustomerImage).where(CustomerImage.customer_id == cust.id)
                                .order_by(CustomerImage.id.desc())).scalars())


def image_content(session: Session, *, actor: Principal, customer_id: int, image_id: int,
                  thumb: bool = False) -> bytes:
    """The stored JPEG. ID-card pictures show the full number, so they need reveal permission."""
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    img = session.get(CustomerImage, image_id)
    if img is None or img.customer_id != cust.id:
        raise NotFound("图片不存在", "The image does not exist")
    if img.purpose in PII_PURPOSES:
        if not actor.can("customer.reveal_pii"):
            raise PermissionDenied("查看身份证影像需要权限 customer.reveal_pii",
                                   "Viewing ID-card images needs customer.reveal_pii")
        # seeing the card shows the full number: a reveal, audited like any other
        audit.record(session, action="customer.reveal_pii", object_type="customer", object_id=cust.id, actor=actor,
                     changes={"image_id": img.id, "purpose": img.purpose, "thumb": thumb})
    return storage().get(img.thumb_key if thumb else img.storage_key)


def needs_write(session: Session, *, image_id: int) -> bool:
    """Whether fetching the image records an audit (ID-card pictures): the caller then opens a
    write transaction."""
    img = session.get(CustomerImage, image_id)
    return img is not None and img.purpose in PII_PURPOSES


def image_view(img: CustomerImage) -> dict[str, Any]:
    return {"id": img.id, "purpose": img.purpose, "content_type": img.content_type,
            "original_type": img.original_type, "size_bytes": img.size_bytes, "width": img.width,
            "height": img.height, "watermark": img.watermark, "gps": img.gps, "taken_by": img.taken_by,
            "created_at": img.created_at, "url": f"/api/v1/customers/{img.customer_id}/images/{img.id}/content",
            "thumb_url": f"/api/v1/customers/{img.customer_id}/images/{img.id}/content?thumb=true"}
