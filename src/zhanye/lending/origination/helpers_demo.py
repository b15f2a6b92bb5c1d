"""A drawn signature for demo seeding (what the tablet's pad would post)."""

from __future__ import annotations

import io


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(30, 120), (100, 50), (170, 130), (250, 60), (330, 135), (440, 70)], fill=(20, 20, 60, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
