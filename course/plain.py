"""Untrusted text stays text: names, titles and unit names from the HR file, query parameters and sign-in claims
are shown and exported as written, never as Markdown, HTML, a link, an image or a spreadsheet formula.

One helper per place where text is interpreted:

- `md_escape` for anything Streamlit draws as Markdown (st.markdown, st.write, st.title/header/subheader/caption,
  st.info/success/warning/error, and widget labels: st.button, st.selectbox's label, st.tabs, st.expander,
  st.metric, st.download_button, st.page_link ...). Options of st.selectbox and st.multiselect, st.text,
  st.dataframe cells and headers are plain already and need nothing.
- `plotly_text` for Plotly labels, category values and hover texts (Plotly reads a few HTML tags in text).
- `pdf_text` for ReportLab's Paragraph markup.
- `cell` for a CSV value; `safe_cell` / `safe_workbook` for openpyxl cells; `safe_frame` for a pandas frame
  that becomes a CSV.
- `mail_text` for a name in a plain-text e-mail, `mail_display_name` for a name in its To: header.

Pure functions; no streamlit import (course/ never draws).
"""

from __future__ import annotations

import html
import re
from xml.sax.saxutils import escape as _xml_escape

WORD_JOINER = "\u2060"  # invisible, no line break: splits a pattern without changing what a reader sees

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and then stands for itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Line and paragraph breaks, tabs and other control characters: a name is one line of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Streamlit and remark rewrite some patterns in the text after the Markdown is parsed, when backslash escapes
# are already gone: bare URLs and e-mail addresses become links (mdast-util-gfm-autolink-literal), `:name:`
# becomes an emoji, a Material icon or the Streamlit logo, and `->`, `--`, `>=` ... between spaces become
# arrows and dashes. A word joiner in each keeps the text as it is and the pattern from matching.
_AFTER_PARSE = (
    (re.compile(r"([:@])(?=\S)"), r"\1" + WORD_JOINER),  # http://  mailto:  :smile:  :material_x:  a@b.se
    (re.compile(r"(www)(?=\.)", re.IGNORECASE), r"\1" + WORD_JOINER),  # www.example.se
    (re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)"),
     lambda match: match[0][0] + WORD_JOINER + match[0][1:]),  # -> <- <-> -- >= <= ~= between spaces
)

# A CSV or spreadsheet cell starting with one of these is a formula to Excel and LibreOffice (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md_escape(value: object) -> str:
    """`value` as Markdown that Streamlit shows exactly as the text it is: every ASCII punctuation character
    backslash-escaped (links, images, emphasis, code, headings, lists, tables, HTML, `$` maths, `:red[...]`
    directives), line breaks and control characters turned into spaces, and a word joiner in what is rewritten
    after parsing (bare URLs, e-mail addresses, `:shortcodes:`, arrows). None is the empty string."""
    text = one_line(value)
    for pattern, replacement in _AFTER_PARSE:
        text = pattern.sub(replacement, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def plotly_text(value: object) -> str:
    """`value` for a Plotly label, category or hover text: Plotly draws <a href>, <b>, <br> and entities in
    text, so & < > are written as entities (which Plotly shows as the characters)."""
    return "" if value is None else html.escape(str(value), quote=False)


def pdf_text(value: object) -> str:
    """`value` for a ReportLab Paragraph: its tags (<a href>, <img src>, <font>) and entities are escaped, and
    a line break is a <br/>."""
    text = "" if value is None else str(value)
    return _xml_escape(text).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br/>")


def cell(value: object) -> object:
    """A value for a CSV cell: a string that Excel would read as a formula gets a leading apostrophe (OWASP's
    advice for CSV injection); numbers, dates and None are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame):
    """A copy of a pandas DataFrame for a CSV: `cell` applied to every value and to every column name."""
    safe = frame.map(cell) if len(frame.columns) else frame.copy()
    safe.columns = [cell(column) for column in frame.columns]
    return safe


def safe_cell(xl_cell) -> None:
    """Make an openpyxl cell holding a string a plain string cell. openpyxl stores a string starting with "=" as
    a formula and "#N/A" and the like as an error; here they stay text (data type "s"), and a string starting
    with = + - @ tab or CR is marked with Excel's quote prefix so that editing the cell keeps it text too. The
    value itself is kept as written."""
    value = xl_cell.value
    if not isinstance(value, str):
        return
    xl_cell.data_type = "s"
    if value.startswith(FORMULA_START):
        xl_cell.quotePrefix = True


def safe_workbook(workbook) -> None:
    """`safe_cell` on every cell of every sheet: call it just before saving. This code never writes a formula,
    so a formula cell can only have come from a text."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for xl_cell in row:
                safe_cell(xl_cell)


_MAIL_LINKS = (
    (re.compile(r"(:)(?=//)"), r"\1" + WORD_JOINER),  # http://  (mail programs link these in plain text)
    (re.compile(r"(www)(?=\.)", re.IGNORECASE), r"\1" + WORD_JOINER),  # www.example.se
    (re.compile(r"(@)(?=\S)"), r"\1" + WORD_JOINER),  # a@b.se
)
_ADDRESS_SPECIALS = re.compile(r"[<>@,;:\"()\[\]\\]")


def typed_code(value: object) -> str:
    """A code as a person typed it (a certificate's, a group session's join code), read as such codes are stored:
    upper case, without spaces and dashes; anything but text reads as no code."""
    return re.sub(r"[\s\-–]", "", value if isinstance(value, str) else "").upper()


def one_line(value: object) -> str:
    """`value` as one line: control characters, line and paragraph breaks become spaces."""
    return "" if value is None else _CONTROL.sub(" ", str(value))


def mail_text(value: object) -> str:
    """A name or unit name in a plain-text e-mail: one line (a name cannot add lines of its own to the mail), with
    a word joiner in what mail programs turn into links (http://, www., an e-mail address)."""
    text = one_line(value)
    for pattern, replacement in _MAIL_LINKS:
        text = pattern.sub(replacement, text)
    return text


def mail_display_name(value: object) -> str:
    """A name for the display-name part of a To: header: one line, and without the characters that make up an
    address (< > @ , ; : " ( ) [ ] \\), which Python's encoder may leave unencoded beside an encoded word, so
    that no name can read as a second recipient."""
    return " ".join(_ADDRESS_SPECIALS.sub(" ", one_line(value)).split())
