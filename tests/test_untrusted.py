"""Untrusted text stays text, through the app (AppTest) over a demo database with hostile HR data imported
(tests/untrusted_data.py): no export holds a formula or a CSV cell that Excel would read as one, no PDF holds a
link, and no page hands Streamlit's Markdown a hostile value unescaped. The browser's side (no request to the
attacker's server, no link on any page) is tests/test_untrusted_browser.py."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import element_tree as et

from course.plain import FORMULA_START
from progress import importer
from tests.conftest import PROJECT_ROOT, loaded, open_app
from tests.untrusted_data import (HOSTILE_PEOPLE, HOSTILE_UNIT, RENAMED_PERSON, make_hostile_demo, markers, people_file,
                                  values)

PORT = 9  # the discard port: nothing listens, and nothing should try


@pytest.fixture(scope="module")
def course():
    return loaded(PROJECT_ROOT)


@pytest.fixture(scope="module")
def hostile(course, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('untrusted') / 'demo.sqlite'}"
    made = make_hostile_demo(url, course, PORT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_DATABASE_URL", url)
        patch.setenv("COURSE_AUTH", "demo")
        patch.delenv("COURSE_CONTENT_ROOT", raising=False)
        yield made


class Downloads(dict):
    """File name -> bytes; a file made on the click (a callable) is made when it is read."""

    def __getitem__(self, name: str) -> bytes:
        value = super().__getitem__(name)
        if callable(value):
            value = value()
            self[name] = value
        return value

    def items(self):
        return [(name, self[name]) for name in list(self)]


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    """What each download button would hand the browser, by file name (also those made on the click)."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files = Downloads()
    original, original_deferred = MemoryMediaFileStorage.load_and_get_id, MediaFileManager.add_deferred

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    def keep_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            files[file_name] = data_callable
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep_deferred)
    return files


# --- what reaches Markdown -----------------------------------------------------------------------------------

def markdown_sources(node) -> list[str]:
    """Every text on the page that Streamlit's browser code reads as Markdown: bodies of markdown, headings,
    captions and alerts; labels and help of widgets, metrics, expanders and tabs; st.radio's options. Not
    st.text, st.dataframe, st.selectbox options: those are plain."""
    found = []
    if isinstance(node, (et.Markdown, et.HeadingBase, et.AlertBase, et.Toast)):
        found.append(node.proto.body)
    for attribute in ("label", "help"):
        value = getattr(node, attribute, None)
        if isinstance(value, str):
            found.append(value)
    if isinstance(node, et.Radio):
        found += [str(option) for option in node.options]
    for child in getattr(node, "children", {}).values():
        found += markdown_sources(child)
    return found


def assert_no_raw_hostile_markdown(at: AppTest, where: str) -> list[str]:
    sources = markdown_sources(at._tree)
    for source in sources:
        for marker in markers(PORT):
            assert marker not in source, f"{where}: {marker!r} reaches Markdown unescaped in {source!r}"
    return sources


def test_no_page_hands_markdown_a_hostile_value(hostile):
    """A manager over the hostile subtree, an admin, and a hostile person themselves, on every page they see.
    The markers are substrings only the raw hostile values contain; escaped, none of them is left."""
    shown = []
    chef = open_app("demo-chef", "views/manager.py")
    shown += assert_no_raw_hostile_markdown(chef, "Min enhet")
    chef.selectbox(key="dash_unit").select(HOSTILE_UNIT).run()
    shown += assert_no_raw_hostile_markdown(chef, "Min enhet, the hostile unit")
    for person_id in (RENAMED_PERSON, *HOSTILE_PEOPLE):
        at = open_app("demo-chef", "views/talk.py", person=person_id)
        shown += assert_no_raw_hostile_markdown(at, f"talk page of {person_id}")
    apt = open_app("demo-chef", "views/apt.py")
    for index in range(len(apt.selectbox(key="apt_unit").options)):
        apt.selectbox(key="apt_unit").select_index(index).run()
        assert not apt.exception, apt.exception
        shown += assert_no_raw_hostile_markdown(apt, f"APT card {index}")
    for page in ("views/learner.py", "views/my_talk.py", "views/privacy.py"):
        for user in ("h-lank", RENAMED_PERSON):
            shown += assert_no_raw_hostile_markdown(open_app(user, page), f"{page} as {user}")

    for page in ("views/admin.py", "views/compliance.py", "views/audit_log.py"):
        shown += assert_no_raw_hostile_markdown(open_app("demo-admin", page), page)
    extract = open_app("demo-admin", "views/privacy_admin.py")
    extract.text_input(key="dp_extract_id").input(RENAMED_PERSON)
    extract.form_submit_button[0].click().run()
    assert not extract.exception, extract.exception
    shown += assert_no_raw_hostile_markdown(extract, "Dataskydd, a registerutdrag")
    annual = open_app("demo-admin", "views/annual_report.py")
    annual.form_submit_button[0].click().run()
    assert not annual.exception, annual.exception
    shown += assert_no_raw_hostile_markdown(annual, "Årsrapport")
    certificate = open_app("demo-admin", "views/certificates.py")
    certificate.text_input(key="cert_code").input(hostile.certificate_code)
    certificate.form_submit_button[0].click().run()
    shown += assert_no_raw_hostile_markdown(certificate, "Verifiera intyg")
    assert any("är äkta" in s.value for s in certificate.success)
    certificate.text_input(key="cert_code").input(values(PORT)["h-lank"][:40])
    certificate.form_submit_button[0].click().run()
    shown += assert_no_raw_hostile_markdown(certificate, "Verifiera intyg, a typed link")
    upload = open_app("demo-admin", "views/import_page.py")
    upload.file_uploader(key="import_file").upload("personal.csv", people_file(PORT, True, "ny-")).run()
    assert not upload.exception, upload.exception
    shown += assert_no_raw_hostile_markdown(upload, "Import, dry run")
    assert upload.dataframe, "the dry run lists the hostile people"

    # the check looked at the hostile values, escaped: it can fail
    joined = "\n".join(shown)
    for escaped_piece in ("127\\.0\\.0\\.1\\:", "HYPERLINK\\(", "\\<img", "\\[Logga in här\\]"):
        assert escaped_piece in joined, escaped_piece


# --- exports --------------------------------------------------------------------------------------------------

def assert_no_formula_in_xlsx(data: bytes, name: str) -> list[str]:
    """No formula cell; every text cell that starts like a formula is a string with Excel's quote prefix."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(member) and b"<f " not in archive.read(member), (name, member)
    texts = []
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (name, sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.startswith(FORMULA_START):
                        assert cell.data_type == "s" and cell.quotePrefix, (name, cell.coordinate, cell.value)
    return texts


def assert_no_formula_in_csv(data: bytes, name: str) -> list[str]:
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    cells = [value for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for value in row]
    for value in cells:
        if not value.lstrip("-").replace(".", "", 1).replace(",", "", 1).isdigit():  # a negative number is a number
            assert not value.startswith(FORMULA_START), (name, value)
    return cells


def assert_no_link_in_pdf(data: bytes, name: str) -> str:
    assert b"/URI" not in data and b"/Link" not in data, name  # no link annotation: the names are text
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_dashboard_exports_hold_no_formula(hostile, downloads):
    chef = open_app("demo-chef", "views/manager.py")
    chef.selectbox(key="dash_unit").select(HOSTILE_UNIT).run()
    assert not chef.exception, chef.exception
    expected = {"min-enhet.xlsx", "status_per_enhet.csv", "forsenade.csv"}
    assert expected <= set(downloads), sorted(downloads)
    for name, data in downloads.items():
        if name.endswith(".xlsx"):
            texts = assert_no_formula_in_xlsx(data, name)
            assert values(PORT)["h-formel"] in texts and values(PORT)["h-at"] in texts  # kept as written
            assert values(PORT)[HOSTILE_UNIT] in texts
        elif name.endswith(".csv"):
            assert_no_formula_in_csv(data, name)
    overdue = assert_no_formula_in_csv(downloads["forsenade.csv"], "forsenade.csv")
    assert "'" + values(PORT)["h-formel"] in overdue and "'@Kalle Anka" in overdue and "'-Minus Person" in overdue


def test_the_whole_dashboard_for_the_top_unit_exports_no_formula(hostile, downloads):
    open_app("demo-chef", "views/manager.py")
    texts = assert_no_formula_in_xlsx(downloads["min-enhet.xlsx"], "min-enhet.xlsx")
    assert values(PORT)["sbf-miljo"] in texts and "+46 Plus" in texts
    for name, data in downloads.items():
        if name.endswith(".csv"):
            assert_no_formula_in_csv(data, name)
    overdue = assert_no_formula_in_csv(downloads["forsenade.csv"], "forsenade.csv")
    assert "'+46 Plus" in overdue and "'" + values(PORT)["h-formel"] in overdue


def test_the_annual_report_and_item_statistics_hold_no_formula(hostile, downloads):
    annual = open_app("demo-admin", "views/annual_report.py")
    annual.form_submit_button[0].click().run()
    assert not annual.exception, annual.exception
    xlsx = next(data for name, data in downloads.items() if name.startswith("arsrapport") and name.endswith(".xlsx"))
    texts = assert_no_formula_in_xlsx(xlsx, "årsrapport")
    assert values(PORT)["sbf"] in texts  # the förvaltning whose name is a formula, as text
    pdf = next(data for name, data in downloads.items() if name.startswith("arsrapport") and name.endswith(".pdf"))
    assert "HYPERLINK" in assert_no_link_in_pdf(pdf, "årsrapport")

    open_app("demo-admin", "views/compliance.py")
    statistics = [name for name in downloads if name.startswith("fragestatistik")]
    assert statistics
    for name in statistics:
        assert_no_formula_in_csv(downloads[name], name)


def test_the_audit_log_exports_hold_no_formula(hostile, downloads):
    open_app("demo-chef", "views/talk.py", person="h-formel")  # a view of a hostile person's results, logged
    open_app("demo-admin", "views/audit_log.py")
    csv_name = next(name for name in downloads if name.startswith("granskningslogg") and name.endswith(".csv"))
    xlsx_name = next(name for name in downloads if name.startswith("granskningslogg") and name.endswith(".xlsx"))
    assert "'" + values(PORT)["h-formel"] in assert_no_formula_in_csv(downloads[csv_name], csv_name)
    assert values(PORT)["h-formel"] in assert_no_formula_in_xlsx(downloads[xlsx_name], xlsx_name)


def test_the_import_templates_hold_no_formula():
    for name, template in (("personal-mall.csv", importer.PEOPLE_TEMPLATE), ("enheter-mall.csv",
                                                                             importer.UNITS_TEMPLATE)):
        assert_no_formula_in_csv(template.encode("utf-8-sig"), name)


def test_the_pdfs_print_hostile_names_as_text(hostile, downloads):
    open_app("demo-chef", "views/talk.py", person=RENAMED_PERSON)
    assert f"medarbetarsamtal-{RENAMED_PERSON}.pdf" in downloads, sorted(downloads)
    talk_pdf = assert_no_link_in_pdf(downloads[f"medarbetarsamtal-{RENAMED_PERSON}.pdf"], "talk")
    assert "HYPERLINK" in talk_pdf and "Intranät" in talk_pdf
    apt = open_app("demo-chef", "views/apt.py")
    options = apt.selectbox(key="apt_unit").options
    apt.selectbox(key="apt_unit").select_index(next(i for i, o in enumerate(options) if "Miljö" in o)).run()
    card = next(data for name, data in downloads.items() if name.startswith("apt-kort-sbf-miljo"))
    assert "href" in assert_no_link_in_pdf(card, "APT card")  # the unit's name printed as the text it is
    certificate = open_app("demo-admin", "views/certificates.py")
    certificate.text_input(key="cert_code").input(hostile.certificate_code)
    certificate.form_submit_button[0].click().run()
    copy = next(data for name, data in downloads.items() if name.startswith("intyg-"))
    assert "HYPERLINK" in assert_no_link_in_pdf(copy, "certificate")
    extract = open_app("demo-admin", "views/privacy_admin.py")
    extract.text_input(key="dp_extract_id").input(RENAMED_PERSON)
    extract.form_submit_button[0].click().run()
    register = next(data for name, data in downloads.items() if name.startswith("registerutdrag")
                    and name.endswith(".pdf"))
    assert "HYPERLINK" in assert_no_link_in_pdf(register, "registerutdrag")
