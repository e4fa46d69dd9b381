"""A certificate for a completed track: one landscape A4 page in the house style, in Swedish or English (the
texts are i18n's pdf_cert_* keys). Pure: data in, bytes out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from course.documents import pdf
from course.plain import pdf_text

PAGE = landscape(A4)
SMALL_CENTRED = ParagraphStyle("small_centred", parent=pdf.STYLES["small"], alignment=TA_CENTER, fontSize=9,
                               leading=12)


@dataclass(frozen=True)
class CertificateText:
    organisation: str
    name: str
    track: str
    completed_on: date
    content_version: str
    code: str  # as printed, e.g. ABCDE-FGHJK


def verification_line(certificate: CertificateText, language: str = "sv") -> str:
    word = pdf.words(language)
    return word("pdf_cert_verification", organisation=certificate.organisation, code=certificate.code,
                page=word("page_certificates"))


def certificate_pdf(certificate: CertificateText, language: str = "sv") -> bytes:
    """The certificate in `language` (sv or en): the facts as given, the words and the date in that language."""
    word = pdf.words(language)
    buffer = io.BytesIO()

    def frame(canvas, _document):
        canvas.saveState()
        canvas.setStrokeColor(pdf.ACCENT)
        canvas.setLineWidth(2.5)
        canvas.rect(12 * mm, 12 * mm, PAGE[0] - 24 * mm, PAGE[1] - 24 * mm)
        canvas.setLineWidth(0.6)
        canvas.rect(15 * mm, 15 * mm, PAGE[0] - 30 * mm, PAGE[1] - 30 * mm)
        canvas.restoreState()

    story = [pdf.spacer(6),
             pdf.text(certificate.organisation, "centred"),
             pdf.spacer(8),
             pdf.text(word("pdf_cert_title"), "centred_title"),
             pdf.spacer(10),
             pdf.text(word("pdf_cert_certifies"), "centred"),
             pdf.spacer(3),
             pdf.text(certificate.name, "centred_title"),
             pdf.spacer(6),
             pdf.text(word("pdf_cert_completed_course"), "centred"),
             pdf.spacer(3),
             pdf.text(certificate.track, "centred_title"),
             pdf.spacer(6),
             pdf.text(word("pdf_cert_completed_on", date=pdf.long_date(certificate.completed_on, language)),
                      "centred"),
             pdf.spacer(14),
             pdf.text(word("pdf_cert_code", code=certificate.code), "centred"),
             _small(word("pdf_cert_version", version=certificate.content_version)),
             pdf.spacer(4),
             _small(verification_line(certificate, language))]
    document = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=30 * mm, rightMargin=30 * mm,
                                 topMargin=22 * mm, bottomMargin=20 * mm, author="Gränsfall",
                                 title=word("pdf_cert_document_title", track=certificate.track,
                                            name=certificate.name))
    document.build(story, onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


def _small(value: str) -> Paragraph:
    return Paragraph(pdf_text(value), SMALL_CENTRED)
