"""The house style of every PDF: A4, one family of fonts, the municipality's name in the footer.

ReportLab's built-in Helvetica covers Swedish (å, ä, ö, é) and the punctuation our texts use (– “ ” •), so no
font file is shipped or downloaded.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Iterable, Sequence

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from course.plain import pdf_text
from i18n import translate

# Month names written out (not the locale's: a server's locale is no choice of the reader)
_MONTHS = {"sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
                  "november", "december"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")}

ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5f6b73")

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], fontName="Helvetica-Bold", fontSize=18, leading=22,
                            textColor=ACCENT, alignment=0, spaceAfter=4 * mm),
    "centred_title": ParagraphStyle("centred_title", parent=_base["Title"], fontName="Helvetica-Bold", fontSize=24,
                                    leading=30, textColor=ACCENT, alignment=TA_CENTER),
    "heading": ParagraphStyle("heading", parent=_base["Heading2"], fontName="Helvetica-Bold", fontSize=12,
                              leading=15, textColor=ACCENT, spaceBefore=4 * mm, spaceAfter=1.5 * mm),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5),
    "small": ParagraphStyle("small", parent=_base["BodyText"], fontName="Helvetica", fontSize=8, leading=10,
                            textColor=MUTED),
    "centred": ParagraphStyle("centred", parent=_base["BodyText"], fontName="Helvetica", fontSize=12, leading=16,
                              alignment=TA_CENTER),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontName="Helvetica", fontSize=8.5, leading=10.5),
}


def words(language: str):
    """The documents' texts in `language` (i18n/*.yaml, keys pdf_*; Swedish where a key has no translation):
    `words("en")("pdf_cert_title")`."""
    return lambda key, **values: translate(language, key, **values)


def long_date(day: date, language: str = "sv") -> str:
    """A date as a reader writes it: "2 december 2026", "2 December 2026"."""
    return f"{day.day} {_MONTHS.get(language, _MONTHS['sv'])[day.month - 1]} {day.year}"


def text(value: object, style: str = "body") -> Paragraph:
    """A paragraph of plain text: escaped, so a name like "Ek & Son" or "<img src=...>" prints as written."""
    return Paragraph(pdf_text(value), STYLES[style])


def markup(value: str, style: str = "body") -> Paragraph:
    """A paragraph with ReportLab's own tags (<b>, <i>); only for text this code writes, never user input."""
    return Paragraph(value, STYLES[style])


def table(header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float] | None = None) -> Table:
    """A table with a coloured header row; every cell wraps."""
    data = [[text(cell, "cell") for cell in header]] + [[text("" if c is None else c, "cell") for c in row]
                                                         for row in rows]
    result = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    result.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return result


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


def build(story: list[Flowable], title: str, footer: str, generated: date | None = None) -> bytes:
    """Render `story` to PDF bytes, A4 with margins, `footer` and the page number on every page."""
    buffer = io.BytesIO()
    generated_text = f" · {generated.isoformat()}" if generated else ""

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(18 * mm, 10 * mm, f"{footer}{generated_text}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(document.page))
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=18 * mm, title=title, author="Gränsfall")
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


CONTENT_WIDTH = A4[0] - 36 * mm
