"""Untrusted text stays text: the helpers in course.plain, each against the interpreter it protects from.

How Streamlit's browser code draws the escaped Markdown is tested in tests/test_untrusted_browser.py; here the
escaping itself, Plotly's and ReportLab's markup, CSV cells, openpyxl's formula cells and e-mail headers.
"""

from __future__ import annotations

import io
import re
import string
from email.message import EmailMessage
from email.utils import formataddr, getaddresses

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from reportlab.platypus import Paragraph
from streamlit.testing.v1 import AppTest

from course.documents import pdf
from course.plain import (WORD_JOINER, cell, mail_display_name, mail_text, md_escape, one_line, pdf_text,
                          plotly_text, safe_frame, safe_workbook)
from tests.untrusted_data import HOSTILE_STRINGS as HOSTILE



def unescaped(markdown: str) -> str:
    """What CommonMark makes of backslash escapes, and what a reader sees of word joiners."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("value", HOSTILE)
def test_md_escape_reads_back_as_the_text_itself(value):
    escaped = md_escape(value)
    assert unescaped(escaped) == one_line(value)  # nothing lost, nothing added that a reader sees
    assert "\n" not in escaped and "\r" not in escaped  # one paragraph: no block of its own
    # every ASCII punctuation character is escaped: nothing is left for Markdown to read as syntax
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)), escaped


def test_md_escape_breaks_what_is_rewritten_after_parsing():
    """Bare URLs, e-mail addresses, :shortcodes:, Material icons and arrows are found in the text after the
    escapes are resolved: a word joiner in each keeps them from matching."""
    for value in HOSTILE:
        seen = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md_escape(value))  # the parser's text node, joiners in it
        assert not re.search(r"https?://|www\.|mailto:\w", seen, re.IGNORECASE), seen
        assert not re.search(r"[\w.+-]@[\w-]", seen), seen
        assert not re.search(r":[\w+-]+:", seen), seen  # emoji, :streamlit:, :material_x:
        assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", seen), seen
    assert md_escape("Anna-Karin Öberg") == "Anna\\-Karin Öberg"  # an ordinary name: no joiner
    assert md_escape("Att öva: gåvor") == "Att öva\\: gåvor"
    assert md_escape(None) == ""
    assert md_escape(1001) == "1001"


def test_every_ascii_punctuation_character_is_escaped_once():
    escaped = md_escape(string.punctuation)
    assert unescaped(escaped) == string.punctuation
    assert escaped.replace(WORD_JOINER, "") == "".join("\\" + c for c in string.punctuation)


def test_streamlit_markdown_gets_the_escaped_text_verbatim():
    """AppTest: the page sends the escaped source, and Streamlit's own Python side changes nothing in it but
    leading spaces (its textwrap.dedent; HTML would not show them either). The browser's rendering of that
    source is in test_untrusted_browser.py."""
    def page():
        import streamlit as st

        from course.plain import md_escape
        from tests.untrusted_data import HOSTILE_STRINGS as HOSTILE

        for value in HOSTILE:
            st.markdown(md_escape(value))
        st.title(md_escape(HOSTILE[0]))
        st.button(md_escape(HOSTILE[1]))
        st.caption("Namn: " + md_escape(HOSTILE[2]))

    at = AppTest.from_function(page).run()
    assert not at.exception
    bodies = [element.value for element in at.markdown]
    assert [unescaped(body) for body in bodies[:len(HOSTILE)]] == [one_line(v).lstrip() for v in HOSTILE]
    assert unescaped(at.title[0].value) == HOSTILE[0]
    assert unescaped(at.button[0].label) == HOSTILE[1]
    assert unescaped(at.caption[0].value) == "Namn: " + HOSTILE[2]


def test_plotly_text_leaves_no_tag_and_no_entity():
    assert plotly_text('<a href="http://127.0.0.1:9/a">x</a> & <b>') == \
        '&lt;a href="http://127.0.0.1:9/a"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'
    assert plotly_text("&lt;br&gt;") == "&amp;lt;br&amp;gt;"  # an entity in a name is shown as typed
    assert plotly_text(None) == ""
    assert plotly_text("Bygglovsenheten") == "Bygglovsenheten"


def test_pdf_text_is_printed_as_written():
    """ReportLab reads <img src> (it would fetch the file), <a href>, <font> and entities in a Paragraph."""
    value = '<img src="http://127.0.0.1:9/i.png"/> <a href="http://127.0.0.1:9/a">x</a> &amp; <font size=40>Ek'
    assert Paragraph(pdf_text(value), pdf.STYLES["body"]).getPlainText() == value
    assert pdf.text(value).getPlainText() == value
    assert pdf_text("rad 1\nrad 2\r\nrad 3") == "rad 1<br/>rad 2<br/>rad 3"
    document = pdf.build([pdf.text(value), pdf.table(["Namn"], [[value]])], "t", "f")  # builds, fetches nothing
    assert document.startswith(b"%PDF")


def test_cell_neutralises_what_excel_reads_as_a_formula():
    for value in ("=1+1", '=HYPERLINK("http://x","y")', "+46 70", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert cell(value) == "'" + value
    for value in ("Anna", "", "1001", "'=redan", " =mellanslag"):
        assert cell(value) == value
    for value in (5, -5, 2.5, -0.5, None):
        assert cell(value) == value


def test_safe_frame_for_a_csv():
    frame = pd.DataFrame({"=namn": ["=HYPERLINK(\"x\")", "Bo"], "antal": [-3, 4]})
    text = safe_frame(frame).to_csv(index=False, sep=";")
    for line in text.splitlines():
        for value in line.split(";"):
            assert not value.strip('"').startswith(("=", "+", "@", "\t", "\r")), text
    assert "-3" in text  # a number stays a number
    assert list(frame.columns) == ["=namn", "antal"]  # the frame itself is untouched


def test_safe_workbook_keeps_text_as_text_in_xlsx():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(['=HYPERLINK("http://127.0.0.1:9/h","klicka")', "+46", "-2+3", "@SUM(A1)", "#N/A", "Anna", 7, -7])
    assert sheet["A1"].data_type == "f"  # what openpyxl does with such a string by itself
    safe_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    loaded = load_workbook(io.BytesIO(buffer.getvalue())).active
    row = list(loaded.iter_rows())[0]
    assert [c.data_type for c in row] == ["s", "s", "s", "s", "s", "s", "n", "n"]
    assert [c.value for c in row] == ['=HYPERLINK("http://127.0.0.1:9/h","klicka")', "+46", "-2+3", "@SUM(A1)",
                                      "#N/A", "Anna", 7, -7]
    assert [c.quotePrefix for c in row[:4]] == [True] * 4  # and editing the cell in Excel keeps it text
    assert b"<f>" not in _sheet_xml(buffer.getvalue())


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))


def test_a_name_cannot_add_a_recipient_or_a_line_to_a_mail():
    hostile = "Åsa <evil@127.0.0.1.nip.io>, Bo\r\nBcc: other@x.se"
    message = EmailMessage()
    message["To"] = formataddr((mail_display_name(hostile), "asa@kommun.se"))  # raises on CR/LF without it
    wire = message.as_string()
    assert "evil@" not in wire and "Bcc:" not in wire.split("\n", 1)[1] and "\nBcc" not in wire
    assert getaddresses([str(message["To"])]) == [(mail_display_name(hostile), "asa@kommun.se")]
    assert mail_display_name("Nora Nyström") == "Nora Nyström"
    line = mail_text("Bo\nKlicka: http://127.0.0.1:9/x www.x.se kalle@x.se")
    assert "\n" not in line and "http://" not in line and "www." not in line and "kalle@x" not in line
    assert line.replace(WORD_JOINER, "") == "Bo Klicka: http://127.0.0.1:9/x www.x.se kalle@x.se"
    assert mail_text("Olle Öberg") == "Olle Öberg"


def test_a_reminder_names_people_as_one_line_of_text_and_links_nothing(fixture_course):
    """The e-mails are plain text: a name or unit name cannot add lines, links, or a recipient."""
    from datetime import date, timedelta
    from types import SimpleNamespace

    from course import reminders
    from course.rules import Status
    from progress.reminders import _message

    today = date(2026, 3, 4)
    module_id = next(iter(fixture_course.modules))
    name = "Eva\r\nBcc: x@evil.se\n\nKlicka: http://127.0.0.1:9/x <evil@127.0.0.1.nip.io>"
    unit = "www.127.0.0.1.nip.io\nEnhet"
    rows = [SimpleNamespace(person_id="p1", name=name, email="eva@kommun.se", module_id=module_id,
                            status=Status.OVERDUE, due=today - timedelta(days=3), unit_name=unit)]
    digest = reminders.digest_mail(fixture_course, "c", name, "chef@kommun.se", rows, today)
    [mail] = reminders.person_mails(fixture_course, rows, today)
    for body in (digest.body, mail.body):
        assert "http://" not in body and "www." not in body and "evil@127" not in body
        assert not any(line.startswith(("Bcc", "Klicka")) for line in body.splitlines())
    assert "Hej Eva!" in mail.body
    message = _message(mail, "Gränsfall <utbildning@kommun.se>")
    assert getaddresses([str(message["To"])]) == [(mail_display_name(name), "eva@kommun.se")]
    assert "evil@" not in message.as_string().split("\n\n", 1)[0]  # the headers
