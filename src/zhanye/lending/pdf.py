"""HTML to PDF for contracts, with reportlab (pure Python, on PyPI, no system packages).

Contract templates are plain HTML (Jinja2) using a small, documented subset: ``h1 h2 h3 p table
tr th td img hr br b strong div``. The same HTML is shown on screen and converted here into
reportlab flowables. Chinese text uses reportlab's built-in Adobe CID font ``STSong-Light``
(UniGB-UCS2-H encoding): no font file is needed, and every PDF reader substitutes its own Song/Ming
face for it (Acrobat, pdf.js, PDFium, Poppler with poppler-data). A bank that wants the glyphs
embedded registers a TrueType CJK font and sets ``FONT_NAME``.

``img`` takes a ``data:image/png;base64,...`` source only (the signature image); nothing is
fetched from the network.
"""

from __future__ import annotations

import base64
import io
from html import escape
from html.parser import HTMLParser
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import HRFlowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_NAME = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT_NAME))
        _registered = True
    return FONT_NAME


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("p", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK", spaceAfter=4)
    return {
        "p": base,
        "h1": ParagraphStyle("h1", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=10),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontSize=11.5, leading=18, spaceBefore=6),
        "td": ParagraphStyle("td", parent=base, fontSize=8.5, leading=11, spaceAfter=0),
    }


class _Builder(HTMLParser):
    BLOCKS = {"h1", "h2", "h3", "p"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.styles = _styles()
        self.flow: list[Any] = []
        self.text: list[str] | None = None
        self.block: str | None = None
        self.table: list[list[str]] | None = None
        self.row: list[str] | None = None
        self.header_rows = 0
        self.in_th = False

    # text collection (inline markup kept as reportlab mini-markup)
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in self.BLOCKS and self.table is None:
            self.block, self.text = tag, []
        elif tag == "table":
            self.table = []
            self.header_rows = 0
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.text = []
            self.in_th = tag == "th"
        elif tag in ("b", "strong") and self.text is not None:
            self.text.append("<b>")
        elif tag == "br" and self.text is not None:
            self.text.append("<br/>")
        elif tag == "hr":
            self.flow.append(HRFlowable(width="100%", thickness=0.5, color=colors.grey, spaceBefore=4, spaceAfter=4))
        elif tag == "img":
            self._image(a)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong") and self.text is not None:
            self.text.append("</b>")
        elif tag in self.BLOCKS and self.block == tag and self.text is not None:
            content = "".join(self.text).strip()
            if content:
                self.flow.append(Paragraph(content, self.styles[tag]))
            self.block, self.text = None, None
        elif tag in ("td", "th") and self.row is not None and self.text is not None:
            self.row.append("".join(self.text).strip())
            self.text = None
        elif tag == "tr" and self.table is not None and self.row is not None:
            if self.in_th and not self.table:
                self.header_rows = 1
            self.table.append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            self._flush_table()

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(escape(" ".join(data.split()) if data.strip() else data.strip(), quote=False))

    def _image(self, attrs: dict[str, str | None]) -> None:
        src = attrs.get("src") or ""
        if not src.startswith("data:image/png;base64,"):
            return
        raw = base64.b64decode(src.split(",", 1)[1])
        width = float(attrs.get("width") or 60) * mm
        img = Image(io.BytesIO(raw))
        ratio = img.imageHeight / img.imageWidth if img.imageWidth else 0.5
        img.drawWidth, img.drawHeight = width, width * ratio
        img.hAlign = "LEFT"
        self.flow.append(img)

    def _flush_table(self) -> None:
        rows = self.table or []
        self.table = None
        if not rows:
            return
        width = max(len(r) for r in rows)
        data = [[Paragraph(c, self.styles["td"]) for c in r] + [""] * (width - len(r)) for r in rows]
        table = Table(data, repeatRows=self.header_rows, hAlign="LEFT")
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        if self.header_rows:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")))
        table.setStyle(TableStyle(style))
        self.flow += [table, Spacer(1, 4)]


def html_to_pdf(html: str, *, title: str, subject: str = "") -> bytes:
    """Render the contract HTML subset to PDF bytes (A4)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=title, subject=subject, author="Zhanye",
                            creator="Zhanye 展业")

    def footer(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{title} · 第 {doc_.page} 页")
        canvas.restoreState()

    doc.build(builder.flow or [Spacer(1, 1)], onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
