"""Staff import: people and units from an HR system's CSV or XLSX export.

`parse` reads the file into rows (pure), `make_plan` compares them with what the store holds (pure) and
`apply` plans again and writes inside one transaction: all or nothing, and a second import of the same file
finds nothing to do. A personnummer column is skipped as the file is read and never kept or stored; a
personnummer found by its pattern in any column that is read makes its row a row error, so it is never stored.

The file is untrusted (an HR export, or something posing as one): its size, an XLSX's unpacked size and shape,
and a CSV's encoding are checked before anything is parsed, and reading stops at the first bound it passes,
with a Swedish sentence (`Parsed.refused`) instead of rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from progress import audit, daily_counts
from progress.access import SYSTEM, Viewer, require_admin_in
from progress.db import Database
from progress.models import Person, PersonRole, Unit
from progress.org import ROLE_ORDER

ADD, CHANGE, END, UNCHANGED = "lägga till", "ändra", "avsluta", "oförändrad"
ACTIONS = (ADD, CHANGE, END, UNCHANGED)
UNITS_SHEET = "Enheter"
UNIT_KINDS = {"forvaltning": "förvaltning", "avdelning": "avdelning", "enhet": "enhet", "bolag": "bolag",
              "namnd": "nämnd"}
ROLE_NAMES = {"medarbetare": "medarbetare", "chef": "chef", "fortroendevald": "förtroendevald",
              "upphandlare": "upphandlare", "myndighetsutovare": "myndighetsutövare", "admin": "admin"}
# Header (normalised: lower case, å/ä/ö as a/a/o, letters and digits only) -> column. Swedish first.
PERSON_HEADERS = {"anstallningsid": "anstallningsid", "anstallningsnummer": "anstallningsid",
                  "anstnr": "anstallningsid", "employeeid": "anstallningsid", "namn": "namn", "name": "namn",
                  "epost": "epost", "epostadress": "epost", "email": "epost", "enhet": "enhet", "unit": "enhet",
                  "chef": "chef", "manager": "chef", "roll": "roll", "roller": "roll", "role": "roll",
                  "roles": "roll", "startdatum": "startdatum", "startdate": "startdatum",
                  "slutdatum": "slutdatum", "enddate": "slutdatum", "befattning": "befattning",
                  "titel": "befattning", "title": "befattning"}
PERSON_REQUIRED = ("anstallningsid", "namn", "epost", "enhet", "roll", "startdatum")
UNIT_HEADERS = {"enhet": "enhet", "enhetsid": "enhet", "unit": "enhet", "namn": "namn", "name": "namn",
                "typ": "typ", "type": "typ", "overordnad": "overordnad", "parent": "overordnad", "chef": "chef",
                "manager": "chef"}
UNIT_REQUIRED = ("enhet", "namn", "typ")
PERSONNUMMER_HEADERS = {"personnummer", "personnr", "pnr", "samordningsnummer"}
DATE_HINT = "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2025-01-31."
# A plain address: no spaces, quotes, brackets or other characters that would let a name or a second address into
# a mail header (the HR file is untrusted).
EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+$")
PLAIN_LETTERS = str.maketrans("åäöé", "aaoe")
NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
VALID_ROLES = ", ".join(ROLE_NAMES.values())
FIELD_LABELS = {"name": "namn", "email": "e-post", "unit_id": "enhet", "title": "befattning",
                "start_date": "startdatum", "end_date": "slutdatum", "roles": "roller", "kind": "typ",
                "parent_id": "överordnad", "manager_id": "chef"}
PEOPLE_TEMPLATE = ("anstallningsid;namn;epost;enhet;chef;roll;startdatum;slutdatum\r\n"
                   "1001;Anna Andersson;anna.andersson@kommun.se;sbf;;chef,medarbetare;2019-08-01;\r\n"
                   "1002;Bo Berg;bo.berg@kommun.se;sbf-bygglov;1001;medarbetare;2024-03-15;\r\n")
UNITS_TEMPLATE = ("enhet;namn;typ;overordnad;chef\r\n"
                  "sbf;Samhällsbyggnadsförvaltningen;förvaltning;;1001\r\n"
                  "sbf-bygglov;Bygglovsenheten;enhet;sbf;1001\r\n")

# --- bounds on what one file may cost -------------------------------------------------------------------------
# A staff list has one row per person: Sweden's largest municipality employs about 45 000 people and the bench
# runs at 60 000, so 100 000 rows (the header included) is room for any of them. An HR export has 10 to 40
# columns; 60 leaves room and bounds a row. Both hold for CSV and XLSX, for the people and the units.
MAX_ROWS = 100_000
MAX_COLUMNS = 60
DEFAULT_MAX_MB = 20  # the file itself; COURSE_IMPORT_MAX_MB changes it (keep server.maxUploadSize in step)
# An XLSX is a zip of XML. The sheet of 100 000 people with 12 columns that openpyxl writes (inline strings)
# unpacks to 60 MB; Excel's, with shared strings, to less. 1 000 bytes a row at the row limit, 100 MB in all, is
# what an honest file needs; the bomb from issue 9 (1.1 MB packed) declares 292 MB. openpyxl streams a sheet,
# but reads the other parts (shared strings, styles, the workbook) whole into memory: 20 MB of shared strings
# took 150 MB and 8 s here, so any one of them is bounded more tightly.
UNPACKED_BYTES_PER_ROW = 1_000
MAX_WHOLE_PART_MB = 20
# Deflate packs a real sheet 5 to 20 times (9 for the 100 000 people above); past 100 a large part is built to
# be small on the wire, whatever its declared size.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1_000_000  # bytes unpacked: tiny parts may pack oddly and cost nothing
MAX_MEMBERS = 1_000  # a workbook has a dozen parts; each member is an object in memory before any check
MAX_LINE_CHARS = 100_000  # one CSV line: 60 columns of text are a few hundred characters
ACCEPTED_ENCODINGS = "UTF-8, UTF-16 eller Windows-1252"


@dataclass(frozen=True)
class Limits:
    """What one import may cost. The defaults are the constants above; the file size comes from
    COURSE_IMPORT_MAX_MB (`from_env`), so that the command line is bounded as the upload is."""

    max_mb: float = DEFAULT_MAX_MB
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1_000_000)

    @property
    def max_unpacked(self) -> int:
        return self.max_rows * UNPACKED_BYTES_PER_ROW

    @property
    def max_whole_part(self) -> int:
        return min(self.max_unpacked, MAX_WHOLE_PART_MB * 1_000_000)

    @classmethod
    def from_env(cls, environ=os.environ) -> Limits:
        text = (environ.get("COURSE_IMPORT_MAX_MB") or "").strip()
        if not text:
            return cls()
        try:
            max_mb = float(text.replace(",", "."))
        except ValueError:
            max_mb = 0.0
        if not max_mb > 0:
            raise FileRefused(f"Inställningen COURSE_IMPORT_MAX_MB är \"{text}\", men ska vara filens största "
                              f"storlek i megabyte, till exempel {DEFAULT_MAX_MB}. Be driften rätta den.")
        return cls(max_mb=max_mb)


class FileRefused(ValueError):
    """The whole file is refused (too large, not text, a zip bomb ...): one sentence for the admin, no rows."""



def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",") + " MB"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class ImportProblem:
    """One bad row (or, with no row, the whole file or sheet), told as a sentence for the admin."""

    sheet: str  # "" for the people, UNITS_SHEET for the units
    row: int | None  # as Excel numbers it: the header is row 1
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.sheet or 'Filen'}: {self.message}"
        return f"{self.sheet}, rad {self.row}: {self.message}" if self.sheet else f"Rad {self.row}: {self.message}"


@dataclass(frozen=True)
class Row:
    """A valid row: the id and the values of the columns the file has, as the store keeps them."""

    row: int
    id: str
    values: dict
    manager_id: str | None = None  # a person row's manager: checked, not stored (a unit's manager is)


@dataclass
class Parsed:
    people: list[Row] = field(default_factory=list)
    units: list[Row] = field(default_factory=list)
    person_ids: set[str] = field(default_factory=set)  # every id in the file, bad rows too: no follow-on errors
    unit_ids: set[str] = field(default_factory=set)
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: bool = False  # the whole file was refused (its one problem says why): nothing in it was read


@dataclass(frozen=True)
class Change:
    action: str
    id: str
    row: int | None  # None: someone in the database who is not in the file
    name: str
    diff: tuple[tuple[str, object, object], ...]  # (field, old, new); for an addition every field, old None
    sheet: str = ""

    def changes(self) -> str:
        if self.action == ADD:
            return "; ".join(f"{FIELD_LABELS[f]} {show(new)}" for f, _, new in self.diff if f != "name")
        return "; ".join(f"{FIELD_LABELS[f]} {show(old)} → {show(new)}" for f, old, new in self.diff)

    def __str__(self) -> str:
        where = str(ImportProblem(self.sheet, self.row, "")).removesuffix(": ") if self.row else "Finns inte i filen"
        return f"{where}: {self.action} {self.id} {self.name}" + (f": {self.changes()}" if self.diff else "")


@dataclass(frozen=True)
class Plan:
    units: list[Change]
    people: list[Change]
    problems: list[ImportProblem]
    notes: list[str]
    refused: bool = False  # see Parsed.refused

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return any(c.action != UNCHANGED for c in self.units + self.people)

    @staticmethod
    def counts(changes: list[Change]) -> dict[str, int]:
        return {action: sum(c.action == action for c in changes) for action in ACTIONS}

    def lines(self) -> list[str]:
        """The plan as the command line prints it: counts, notes, problems, then every row that changes."""
        lines = [f"{label}: " + ", ".join(f"{n} {action}" for action, n in self.counts(changes).items())
                 for label, changes in (("Personer", self.people), (UNITS_SHEET, self.units))]
        lines += self.notes + [str(problem) for problem in self.problems]
        return lines + [str(c) for c in self.units + self.people if c.action != UNCHANGED]


def show(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, tuple):
        return ", ".join(ROLE_NAMES.get(v, v) for v in value)
    return str(value)


# --- reading files --------------------------------------------------------------------------------------------

def parse(filename: str, data: bytes, units_filename: str | None = None, units_data: bytes | None = None,
          limits: Limits | None = None) -> Parsed:
    """Rows and problems from the people file and, when given, a units file (otherwise an XLSX file's
    "Enheter" sheet). Reads nothing from the database. A file past `limits` (by default `Limits.from_env()`)
    is refused whole: one problem, no rows, `refused` set."""
    parsed = Parsed()
    try:
        limits = limits or Limits.from_env()
        people_rows, units_rows = _tables(filename, data, limits)
        if units_data is not None:
            units_rows, _ = _tables(units_filename or "", units_data, limits)
        if units_rows is not None:
            units = list(_records(units_rows, UNIT_HEADERS, UNIT_REQUIRED, UNITS_SHEET, parsed))
            for number, record, rows_with_id in _with_duplicates(units, "enhet"):
                _unit_row(number, record, rows_with_id, parsed)
        people = list(_records(people_rows, PERSON_HEADERS, PERSON_REQUIRED, "", parsed))
    except FileRefused as error:
        return Parsed(problems=[ImportProblem("", None, str(error))], refused=True)
    for number, record, rows_with_id in _with_duplicates(people, "anstallningsid"):
        _person_row(number, record, rows_with_id, parsed)
    parsed.problems.sort(key=_problem_order)
    return parsed


def _with_duplicates(records: list[tuple[int, dict]], id_column: str) -> Iterator[tuple[int, dict, list[int]]]:
    """Each record with the numbers of every row that has its id (only its own when the id is unique)."""
    rows = defaultdict(list)
    for number, record in records:
        rows[_text(record[id_column])].append(number)
    for number, record in records:
        yield number, record, rows[_text(record[id_column])]


def _problem_order(problem: ImportProblem) -> tuple:
    return problem.row is not None, problem.sheet != "", problem.row or 0


def _and(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + " och " + words[-1] if len(words) > 1 else words[0]


def _tables(filename: str, data: bytes, limits: Limits) -> tuple[Iterator[tuple[int, Sequence]], Iterator | None]:
    """(people rows, units rows or None), each row numbered as Excel numbers it. Raises FileRefused, here or
    as the rows are read, when the file passes one of `limits`."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileRefused(f"Filen \"{filename}\" är varken CSV (.csv) eller Excel (.xlsx). Spara den som något av "
                          "dem.")
    _check_size(len(data), limits)
    if suffix == ".csv":
        return _bounded(_csv_rows(data), limits, ""), None
    return _xlsx_tables(data, limits)


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise FileRefused(f"Filen är {_megabytes(size)}; den största fil som tas emot är "
                          f"{_megabytes(limits.max_bytes)} (inställningen COURSE_IMPORT_MAX_MB). Dela upp den, till "
                          "exempel i en fil per förvaltning.")


def _bounded(rows: Iterator[tuple[int, Sequence]], limits: Limits, sheet: str) -> Iterator[tuple[int, Sequence]]:
    """The rows as they are read, refused at the first one past the row or column limit: whatever a sheet
    declares about its size, this is where the real size is counted."""
    where = f"Bladet \"{sheet}\"" if sheet else "Filen"
    for number, cells in rows:
        if number > limits.max_rows + 1:  # the header is row 1
            raise FileRefused(f"{where} har fler än {_thousands(limits.max_rows)} rader under rubrikraden, det "
                              "största antal som läses in. Dela upp den, till exempel i en fil per förvaltning.")
        if len(cells) > limits.max_columns:
            if any(_text(cell) for cell in cells[limits.max_columns:]):
                raise FileRefused(f"{where} har fler än {limits.max_columns} kolumner (rad {number} har något "
                                  f"längre till höger). Exportera bara kolumnerna som importen läser.")
            cells = cells[:limits.max_columns]
        yield number, cells


# --- CSV: the encoding, then the rows -------------------------------------------------------------------------

# A byte order mark names its encoding for sure; UTF-32 before UTF-16, whose little-endian mark begins UTF-32's.
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
                    (codecs.BOM_UTF8, "utf-8", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
                    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not in any text an HR system writes


def _not_text(reason: str) -> FileRefused:
    return FileRefused(f"Filen kunde inte läsas som text: {reason}. Spara den som CSV med teckenkodningen "
                       f"{ACCEPTED_ENCODINGS} (i Excel: Spara som → CSV UTF-8), eller som Excel-arbetsbok (.xlsx).")


def _decode(data: bytes) -> str:
    """The file as text: by its byte order mark when it has one, otherwise UTF-8 or else Windows-1252 (Excel's
    "CSV (semikolonavgränsad)"). Anything else is refused with one sentence, not read as rows of garbage."""
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused("Filen heter .csv men är en Excel-arbetsbok (eller en annan zip-fil). Ge den filändelsen "
                          ".xlsx, eller spara den som CSV.")
    for mark, codec, name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data[len(mark):].decode(codec)
            except UnicodeDecodeError:
                raise _not_text(f"den börjar som {name} men resten är inte giltig {name}") from None
            break
    else:
        if b"\x00" in data:  # text in UTF-16 without a byte order mark has a NUL in every other byte
            raise _not_text("den ser ut som UTF-16 utan byteordningsmärke (BOM)" if data.count(0) * 4 > len(data)
                            else "den innehåller binära data, inte text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise _not_text("den är varken UTF-8 eller Windows-1252") from None
    text = text.removesuffix("\x1a")  # an old DOS end-of-file mark
    if CONTROL_CHARACTERS.search(text):
        raise _not_text("den innehåller styrtecken, som inte finns i en textfil")
    return text


def _csv_rows(data: bytes) -> Iterator[tuple[int, Sequence]]:
    text = _decode(data)
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    return _csv_records(csv.reader(_csv_lines(text), delimiter=delimiter))


def _csv_lines(text: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise FileRefused(f"Rad {number} i filen är längre än {_thousands(MAX_LINE_CHARS)} tecken. En rad i en "
                              "personalfil är några hundra tecken: är det verkligen en CSV-fil från "
                              "personalsystemet?")
        yield line


def _csv_records(reader) -> Iterator[tuple[int, Sequence]]:
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:  # an unclosed quote makes one field of the rest of the file
        reason = ("ett fält är orimligt långt, kanske för att ett citattecken (\") aldrig stängs"
                  if "field larger" in str(error) else "den är inte giltig CSV")
        raise FileRefused(f"Rad {number + 1} kunde inte läsas: {reason}. Rätta raden eller spara filen på nytt som "
                          "CSV.") from None


# --- XLSX: the zip and its parts first, then openpyxl streams the sheets ---------------------------------------

# Each tag that matters, as bytes in the part: a DTD (entity tricks need one), a row, a cell, the dimension,
# with any namespace prefix (XML allows non-ASCII and long ones). Real tags always match (a name follows "<"
# directly); text in comments or CDATA may match too, which can only count more, never less.
XML_TAG = re.compile(rb"<(!DOCTYPE|!ENTITY)|<(?:[^\s<>/!?:=\"']*:)?(row|c|dimension)(?=[\s/>])")
DIMENSION_REF = re.compile(rb"""\s+ref\s*=\s*["']([A-Za-z0-9:$]{1,40})["']""")
CELL_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
UNPACK_HINT = "Dela upp den eller exportera som CSV."


def _inspect_xlsx(data: bytes, limits: Limits) -> None:
    """Refuse a workbook that would cost more than `limits` to read, before openpyxl parses any of it: the
    sizes its zip declares (zipfile never unpacks a member past its declared size: the rest fails the CRC),
    the packing ratio, and each part's bytes streamed (never held whole) for a DTD, the sheet's declared
    <dimension> and its real rows and cells."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("Filen är en äldre Excel-fil (.xls) eller lösenordsskyddad. Spara den som Excel-arbetsbok "
                          "(.xlsx) utan lösenord, eller som CSV.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise FileRefused(f"Filen kunde inte läsas som en Excel-fil ({type(error).__name__}). Spara den på nytt "
                          "som .xlsx eller som CSV.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise FileRefused(f"Filen har {_thousands(len(members))} delar; en arbetsbok har ett tiotal. Spara den "
                              "på nytt som .xlsx eller som CSV.")
        total = sum(member.file_size for member in members)
        if total > limits.max_unpacked:
            raise FileRefused(f"Filen är för stor när den packas upp ({_megabytes(total)}; högst "
                              f"{_megabytes(limits.max_unpacked)}). {UNPACK_HINT}")
        for member in members:
            if not _is_sheet(member) and member.file_size > limits.max_whole_part:
                raise FileRefused(f"Filen är för stor när den packas upp: delen {member.filename} är "
                                  f"{_megabytes(member.file_size)} (högst {_megabytes(limits.max_whole_part)}). "
                                  f"{UNPACK_HINT}")
            if member.file_size >= RATIO_CHECKED_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise FileRefused(f"Filen packas upp till {member.file_size // max(member.compress_size, 1)} gånger "
                                  "sin storlek, vilket ingen vanlig Excel-fil gör: den kan vara skadad eller gjord för "
                                  f"att tynga servern. {UNPACK_HINT}")
        for member in members:
            try:
                _scan_part(archive, member, limits)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as error:
                raise FileRefused(f"Filen är skadad och kunde inte packas upp ({type(error).__name__}). Spara den på "
                                  "nytt som .xlsx eller som CSV.") from None


def _is_sheet(member: zipfile.ZipInfo) -> bool:
    return member.filename.startswith("xl/worksheets/")


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> None:
    rows = cells = 0
    in_row = seen_dimension = False
    tail = b""
    with archive.open(member) as stream:
        first = True
        while True:
            chunk = stream.read(1 << 20)
            if first:
                _check_prolog(chunk, member)
                first = False
            buffer = tail + chunk
            end = len(buffer) - 256 if chunk else len(buffer)  # a tag that may go on in the next chunk waits
            for match in XML_TAG.finditer(buffer):
                if match.start() >= end:
                    break
                if match[1]:
                    raise FileRefused("Filen innehåller en DTD (<!DOCTYPE eller <!ENTITY), som Excel aldrig skriver "
                                      "och som kan användas för att tynga servern. Spara den på nytt som .xlsx eller "
                                      "som CSV.")
                if match[2] == b"row":
                    rows += 1
                    cells, in_row = 0, True
                    if rows > limits.max_rows + 1:
                        raise FileRefused(f"Ett blad i filen har fler än {_thousands(limits.max_rows)} rader under "
                                          f"rubrikraden, det största antal som läses in. {UNPACK_HINT}")
                elif match[2] == b"c":
                    cells += in_row
                    if cells > limits.max_columns:
                        raise FileRefused(f"Ett blad i filen har fler än {limits.max_columns} kolumner på en rad. "
                                          "Exportera bara kolumnerna som importen läser.")
                elif _is_sheet(member) and not seen_dimension:
                    seen_dimension = True
                    _check_dimension(buffer[match.end():match.end() + 100], limits)
            tail = buffer[max(end, 0):]
            if not chunk:
                return


def _check_prolog(start: bytes, member: zipfile.ZipInfo) -> None:
    """An XML part must be UTF-8 (or ASCII), as every spreadsheet program writes it: a part in UTF-16 or in an
    8-bit encoding that is not ASCII would hide its tags from the scan above."""
    start = start.removeprefix(codecs.BOM_UTF8)
    # XML in UTF-16 or UTF-32 without a byte order mark: a NUL beside its first "<" or space (as the XML parser
    # guesses it); a NUL never occurs in XML in UTF-8, and a binary part (an image) does not begin that way
    utf16_or_32 = start[:4].startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)) or (
        b"\x00" in start[:2] and start[:8].replace(b"\x00", b"")[:1] in (b"<", b" ", b"\t", b"\r", b"\n"))
    declared = XML_ENCODING.match(start)
    if utf16_or_32 or (declared and declared[1].lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii")):
        raise FileRefused(f"Delen {member.filename} i filen är inte skriven i UTF-8, som Excel alltid gör. Spara den "
                          "på nytt som .xlsx eller som CSV.")


def _check_dimension(attributes: bytes, limits: Limits) -> None:
    """The size a sheet declares (<dimension ref="A1:Z99999">), refused at once when it is past the limits.
    A sheet may lie or say nothing: the real rows are counted as well."""
    ref = DIMENSION_REF.match(attributes)
    if not ref:
        return
    corners = CELL_REF.findall(ref[1])
    if not corners:
        return
    rows = max(int(row) for _, row in corners)
    columns = max(_column_number(letters.decode()) for letters, _ in corners)
    if rows > limits.max_rows + 1 or columns > limits.max_columns:
        raise FileRefused(f"Ett blad i filen säger sig ha {_thousands(rows)} rader och {columns} kolumner "
                          f"({ref[1].decode()}); högst {_thousands(limits.max_rows)} rader under rubrikraden och "
                          f"{limits.max_columns} kolumner läses in. {UNPACK_HINT}")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _xlsx_tables(data: bytes, limits: Limits):
    from openpyxl import load_workbook  # here, not at the top: every `python -m course` command imports this module

    _inspect_xlsx(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # streams each sheet's rows
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        cause = error.__cause__ or error  # openpyxl wraps what the XML parser (defusedxml) raised
        raise FileRefused(f"Filen kunde inte läsas som en Excel-fil ({type(cause).__name__}). "
                          "Spara den på nytt som .xlsx eller som CSV.") from error
    sheets = {_header_key(sheet.title): sheet for sheet in book.worksheets}
    units = sheets.pop(_header_key(UNITS_SHEET), None)
    people = next((sheets[name] for name in ("personal", "personer") if name in sheets),
                  next(iter(sheets.values()), None))
    if people is None:
        raise FileRefused("Arbetsboken har inget blad med personer.")

    def rows(sheet):  # lazily, so that cells we do not use are dropped row by row as they are read
        sheet.reset_dimensions()  # the declared size may lie: read the rows there are, bounded by `_bounded`
        try:  # one column past the limit, so that a value there is seen and refused
            yield from enumerate(sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1), start=1)
        except FileRefused:
            raise
        except Exception as error:  # broken XML or a bad zip member, found only when its rows are read
            raise FileRefused(f"Bladet \"{sheet.title}\" kunde inte läsas ({type(error).__name__}). Spara filen på "
                              "nytt som .xlsx eller som CSV.") from error

    return (_bounded(rows(people), limits, people.title),
            _bounded(rows(units), limits, units.title) if units is not None else None)


def _header_key(title) -> str:
    return NOT_ALPHANUMERIC.sub("", str(title or "").lower().translate(PLAIN_LETTERS))


HIDDEN_PERSONNUMMER = "(ett personnummer)"


def _records(rows: Iterator[tuple[int, Sequence]], headers: dict[str, str], required: Sequence[str], sheet: str,
             parsed: Parsed) -> Iterable[tuple[int, dict]]:
    """Each non-empty row as {column: cell}, only for the columns we use: any other cell, a personnummer
    above all, is left behind as the row is read."""
    first = next(rows, None)
    if first is None:
        parsed.problems.append(ImportProblem(sheet, None, "Filen är tom. Första raden ska ha kolumnernas namn."))
        return
    header = [HIDDEN_PERSONNUMMER if looks_like_personnummer(title) else title for title in first[1]]
    titles = [str(title).strip() for title in header if title is not None and str(title).strip()]
    columns: dict[str, int] = {}
    for position, title in enumerate(header):  # a personnummer in the first row (no header?) is never repeated
        key = _header_key(title)
        if key in PERSONNUMMER_HEADERS or key.startswith("personnummer"):
            parsed.notes.append(f"Kolumnen \"{title}\" ignorerades: personnummer behövs inte, så den lästes inte in "
                                "och ingenting ur den sparas.")
        elif headers.get(key) and headers[key] not in columns:
            columns[headers[key]] = position
        elif key:
            parsed.notes.append(f"Kolumnen \"{title}\"{' på bladet ' + sheet if sheet else ''} används inte "
                                "och lästes inte in.")
    missing = [column for column in required if column not in columns]
    for column in missing:
        parsed.problems.append(ImportProblem(sheet, None, f"Kolumnen \"{column}\" saknas. Kolumnerna i filen är: "
                                                    f"{', '.join(titles) or 'inga'}."))
    if missing:
        return
    for number, cells in rows:
        record = {column: cells[position] if position < len(cells) else None for column, position in columns.items()}
        if any(_text(value) for value in record.values()):
            yield number, record


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # an id typed into an Excel cell as a number
        value = int(value)
    return str(value).strip()


def _date(value) -> date:
    """A date from YYYY-MM-DD text or an Excel date cell; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):  # a date cell without a date format: Excel's day number
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = _text(value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


# --- personnummer by value -----------------------------------------------------------------------------------
# YYYYMMDD-NNNN, YYMMDD-NNNN, YYMMDD+NNNN (a hundred years or older) or the digits alone, anywhere in a value
# but not cut out of a longer number. A samordningsnummer is the same with the day plus 60.
PERSONNUMMER_VALUE = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})[-+]?(\d{3})(\d)(?!\d)")


def looks_like_personnummer(value) -> bool:
    """Whether `value` holds a Swedish personnummer or samordningsnummer: a real date of birth (or day + 60)
    and the right check digit (Luhn over the ten digits). A date cell is a date, never a personnummer."""
    if isinstance(value, (date, datetime)):
        return False
    for match in PERSONNUMMER_VALUE.finditer(_text(value)):
        century, year, month, day, serial, check = match.groups()
        if _born_on_a_real_day(century, year, int(month), int(day)) and _luhn(year + month + day + serial + check):
            return True
    return False


def _born_on_a_real_day(century: str | None, year: str, month: int, day: int) -> bool:
    if day > 60:  # samordningsnummer
        day -= 60
    if century is not None and century not in ("18", "19", "20"):
        return False
    for full_year in [int(century + year)] if century else [1900 + int(year), 2000 + int(year)]:
        try:
            date(full_year, month, day)
            return True
        except ValueError:
            continue
    return False


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(digits):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return total % 10 == 0


PERSONNUMMER_IN = {
    "anstallningsid": "Anställnings-id ser ut som ett personnummer. Personnummer får inte sparas: använd "
                      "anställningsnumret från personalsystemet.",
    "chef": "Chefens anställnings-id (kolumnen chef) ser ut som ett personnummer. Personnummer får inte sparas: "
            "använd chefens anställningsnummer.",
}


def _personnummer_problems(record: dict, sheet: str, number: int) -> list[ImportProblem]:
    """A personnummer in any column that is read refuses the row, so that it is never stored: dropping only
    the value would import a person without the name, address or id the file meant (a personnummer where a
    name should be is a sign that the export's columns are wrong). The value itself is never repeated."""
    problems = []
    for column, value in record.items():
        if not looks_like_personnummer(value):
            continue
        if sheet == UNITS_SHEET and column == "enhet":
            message = "Enhetens id ser ut som ett personnummer. Personnummer får inte sparas: ge enheten ett annat id."
        else:
            message = PERSONNUMMER_IN.get(column) or (
                f"Kolumnen {column} innehåller något som ser ut som ett personnummer. Personnummer får inte sparas, "
                "så raden läses inte in: ta bort personnumret ur filen.")
        problems.append(ImportProblem(sheet, number, message))
    return problems


# --- rows -----------------------------------------------------------------------------------------------------

def _person_row(number: int, record: dict, rows_with_id: list[int], parsed: Parsed) -> None:
    problems = _personnummer_problems(record, "", number)
    if problems:  # nothing else is checked: another message could quote the personnummer
        parsed.problems += problems
        return

    def bad(message: str) -> None:
        problems.append(ImportProblem("", number, message))

    person_id, name = _id_and_name(record, "anstallningsid", rows_with_id, bad,
                                   "Anställnings-id saknas. Varje person behöver sitt id från personalsystemet.",
                                   "Anställnings-id {id} finns på flera rader (rad {rows}). Varje person får bara "
                                   "finnas på en rad.")
    parsed.person_ids.add(person_id)
    email = _text(record["epost"])
    if email and not EMAIL.match(email):
        bad(f"E-postadressen \"{email}\" ser inte ut som en e-postadress (till exempel namn@kommun.se).")
    unit_id = _text(record["enhet"])
    if not unit_id:
        bad("Enhet saknas. Ange id för enheten där personen arbetar.")
    roles = _roles(_text(record["roll"]), bad)
    dates = {}
    for column, label in (("startdatum", "Startdatumet"), ("slutdatum", "Slutdatumet")):
        if column not in record:
            continue
        if not _text(record[column]):
            dates[column] = None
            if column == "startdatum":
                bad(f"Startdatum saknas. {DATE_HINT}")
            continue
        try:
            dates[column] = _date(record[column])
        except (ValueError, OverflowError):
            bad(f"{label} \"{_text(record[column])}\" är inget giltigt datum. {DATE_HINT}")
    if dates.get("startdatum") and dates.get("slutdatum") and dates["slutdatum"] < dates["startdatum"]:
        bad(f"Slutdatumet {dates['slutdatum']} är före startdatumet {dates['startdatum']}.")
    if problems:
        parsed.problems += problems
        return
    values = {"name": name, "email": email or None, "unit_id": unit_id, "start_date": dates["startdatum"],
              "roles": roles}
    if "slutdatum" in record:
        values["end_date"] = dates["slutdatum"]
    if "befattning" in record:
        values["title"] = _text(record["befattning"]) or None
    parsed.people.append(Row(number, person_id, values, _text(record.get("chef")) or None))


def _id_and_name(record: dict, id_column: str, rows_with_id: list[int], bad: Callable[[str], None], missing: str,
                 repeated: str) -> tuple[str, str]:
    """A person's or a unit's id and name, which every row needs: `missing` when the id is empty, `repeated` (its
    {id} and {rows} filled in) when other rows have the same id."""
    row_id = _text(record[id_column])
    if not row_id:
        bad(missing)
    elif len(rows_with_id) > 1:
        bad(repeated.format(id=row_id, rows=_and(rows_with_id)))
    name = _text(record["namn"])
    if not name:
        bad("Namn saknas.")
    return row_id, name


def _roles(cell: str, bad) -> tuple[str, ...]:
    names = [name.strip() for name in re.split(r"[,;]", cell) if name.strip()]
    if not names:
        bad(f"Roll saknas. Ange minst en av: {VALID_ROLES}.")
    roles = set()
    for name in names:
        role = _header_key(name)
        if role in ROLE_NAMES:
            roles.add(role)
        else:
            bad(f"Rollen \"{name}\" finns inte. Giltiga roller: {VALID_ROLES}.")
    return tuple(sorted(roles, key=ROLE_ORDER.index))


def _unit_row(number: int, record: dict, rows_with_id: list[int], parsed: Parsed) -> None:
    problems = _personnummer_problems(record, UNITS_SHEET, number)
    if problems:
        parsed.problems += problems
        return

    def bad(message: str) -> None:
        problems.append(ImportProblem(UNITS_SHEET, number, message))

    unit_id, name = _id_and_name(record, "enhet", rows_with_id, bad, "Enhetens id saknas.",
                                 "Enheten {id} finns på flera rader (rad {rows}). Varje enhet får bara finnas på en "
                                 "rad.")
    parsed.unit_ids.add(unit_id)
    kind = UNIT_KINDS.get(_header_key(record["typ"]))
    if kind is None:
        bad(f"Typen \"{_text(record['typ'])}\" finns inte. Giltiga typer: {', '.join(UNIT_KINDS.values())}.")
    if problems:
        parsed.problems += problems
        return
    values = {"name": name, "kind": kind}
    if "overordnad" in record:
        values["parent_id"] = _text(record["overordnad"]) or None
    if "chef" in record:
        values["manager_id"] = _text(record["chef"]) or None
    parsed.units.append(Row(number, unit_id, values))


# --- the plan -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """What the store holds, in the shape of a row's values."""

    people: dict[str, dict]
    units: dict[str, dict]


def snapshot(session: Session) -> Snapshot:
    units = {row.id: {"name": row.name, "kind": row.kind, "parent_id": row.parent_id, "manager_id": row.manager_id}
             for row in session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id, Unit.manager_id))}
    roles = defaultdict(list)
    for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles[person_id].append(role)
    people = {person_id: {"name": name, "email": email, "unit_id": unit_id, "title": title, "start_date": start,
                          "end_date": end, "roles": tuple(sorted(roles[person_id], key=_role_rank))}
              for person_id, name, email, unit_id, title, start, end in session.execute(
                  select(Person.id, Person.name, Person.email, Person.unit_id, Person.title, Person.start_date,
                         Person.end_date))}
    return Snapshot(people, units)


def _role_rank(role: str) -> int:
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def make_plan(parsed: Parsed, current: Snapshot, today: date, end_missing: bool = False) -> Plan:
    """Each row as an addition, a change, an ending or no change, and every reference the file makes to a unit
    or a person checked against the file and the store."""
    problems = list(parsed.problems)
    known_units = parsed.unit_ids | set(current.units)
    known_people = parsed.person_ids | set(current.people)
    for row in parsed.units:
        parent, manager = row.values.get("parent_id"), row.values.get("manager_id")
        if parent and parent not in known_units:
            problems.append(ImportProblem(UNITS_SHEET, row.row, f"Den överordnade enheten \"{parent}\" finns varken "
                                                          "bland enheterna i filen eller i databasen."))
        if manager and manager not in known_people:
            problems.append(ImportProblem(UNITS_SHEET, row.row, f"Chefen \"{manager}\" finns varken i filen eller i "
                                                          "databasen. Ange chefens anställnings-id."))
    problems += _cycles(parsed.units, current.units)
    problems += _email_conflicts(parsed, current, today, end_missing)
    for row in parsed.people:
        if row.values["unit_id"] not in known_units:
            problems.append(ImportProblem("", row.row, f"Enheten \"{row.values['unit_id']}\" finns varken bland "
                                                       "enheterna i filen eller i databasen. Rätta id:t eller lägg "
                                                       "till enheten."))
        if row.manager_id and row.manager_id not in known_people:
            problems.append(ImportProblem("", row.row, f"Chefen \"{row.manager_id}\" finns varken i filen eller i "
                                                 "databasen. Ange chefens anställnings-id."))
    problems.sort(key=_problem_order)
    bad = {(problem.sheet, problem.row) for problem in problems}  # a bad row is shown as a problem, not a change

    people = [_change(row, current.people.get(row.id)) for row in parsed.people if ("", row.row) not in bad]
    if end_missing:
        people += [Change(END, person_id, None, values["name"], (("end_date", None, today),))
                   for person_id, values in sorted(current.people.items())
                   if person_id not in parsed.person_ids and values["end_date"] is None]
    units = [_change(row, current.units.get(row.id), UNITS_SHEET) for row in parsed.units
             if (UNITS_SHEET, row.row) not in bad]
    return Plan(units, people, problems, parsed.notes, parsed.refused)


def _change(row: Row, stored: dict | None, sheet: str = "") -> Change:
    if stored is None:
        return Change(ADD, row.id, row.row, row.values["name"],
                      tuple((f, None, v) for f, v in row.values.items() if v not in (None, ())), sheet)
    diff = tuple((f, stored[f], new) for f, new in row.values.items() if stored[f] != new)
    ending = any(f == "end_date" and old is None and new is not None for f, old, new in diff)
    return Change(END if ending else CHANGE if diff else UNCHANGED, row.id, row.row, row.values["name"], diff, sheet)


def email_key(email: str | None) -> str:
    """An address as sign-in compares it: case and surrounding spaces do not count."""
    return (email or "").strip().lower()


def _email_conflicts(parsed: Parsed, current: Snapshot, today: date, end_missing: bool) -> list[ImportProblem]:
    """Two people employed at the same time, today or later, may not have one e-mail address: signing in by it
    could not tell them apart. Each row is checked against the file's other rows and against the people in the
    store who are not in the file (they keep their address). Someone in the file will have the file's address,
    so the one the store has for them now does not count; people who have left do not count either."""
    def period(row: Row) -> tuple[date, date | None]:
        stored = current.people.get(row.id) or {}
        return row.values["start_date"], row.values["end_date"] if "end_date" in row.values else stored.get("end_date")

    in_file = defaultdict(list)
    for row in parsed.people:
        if row.values.get("email"):
            in_file[email_key(row.values["email"])].append(row)
    in_store = defaultdict(list)
    for person_id, values in current.people.items():
        if values["email"] and person_id not in parsed.person_ids:
            end = today if end_missing and values["end_date"] is None else values["end_date"]  # as the plan ends them
            in_store[email_key(values["email"])].append((person_id, values["name"], values["start_date"], end))
    problems = []
    for key, rows in in_file.items():
        for row in rows:
            email = row.values["email"]
            others = [other.row for other in rows
                      if other is not row and _together(*period(row), *period(other), today)]
            if others:
                problems.append(ImportProblem("", row.row, f"E-postadressen {email} finns också på rad {_and(others)}. "
                                                     f"{SAME_EMAIL}"))
            for person_id, name, start, end in in_store.get(key, ()):
                if _together(*period(row), start, end, today):
                    problems.append(ImportProblem("", row.row, f"E-postadressen {email} tillhör redan {name} "
                                                               f"({person_id}) i databasen, som inte finns i filen. "
                                                               f"{SAME_EMAIL}"))
    return problems


SAME_EMAIL = ("Två personer som är anställda samtidigt kan inte ha samma adress: inloggningen skulle inte veta vem "
              "det är. Rätta adressen, eller ge den som har slutat ett slutdatum.")


def _together(start: date, end: date | None, other_start: date, other_end: date | None, today: date) -> bool:
    """Whether two employments share a day, today or later (an end date is the last day)."""
    first = max(start, other_start, today)
    return all(last is None or first <= last for last in (end, other_end))


def _cycles(rows: list[Row], stored: dict[str, dict]) -> list[ImportProblem]:
    parent = {unit_id: values["parent_id"] for unit_id, values in stored.items()}
    parent |= {row.id: row.values["parent_id"] for row in rows if "parent_id" in row.values}
    problems = []
    for row in rows:
        path, current = [row.id], parent.get(row.id)
        while current and current not in path:
            path.append(current)
            current = parent.get(current)
        if current == row.id:
            problems.append(ImportProblem(UNITS_SHEET, row.row, f"Enheten {row.id} hamnar under sig själv "
                                                          f"({' → '.join(path + [row.id])}). Rätta kolumnen "
                                                          "overordnad."))
    return problems


# --- applying it ----------------------------------------------------------------------------------------------

def plan_for(db: Database, viewer_id: Viewer, parsed: Parsed, today: date, end_missing: bool = False) -> Plan:
    """The dry run: the plan against the store as it is now; nothing is written. For admins (it lists people)."""
    with db.read() as session:
        require_admin_in(session, viewer_id, today)
        return make_plan(parsed, snapshot(session), today, end_missing)


def apply(db: Database, viewer_id: Viewer, parsed: Parsed, today: date, end_missing: bool = False, *,
          file_name: str | None = None) -> Plan:
    """Plan again inside one transaction (the store may have changed since the dry run) and write it, all or
    nothing. With problems nothing is written; the returned plan says what was done. For admins (or the operator
    at the command line, access.SYSTEM); an applied import is in the audit log in the same transaction."""

    def use_case(session: Session) -> Plan:
        require_admin_in(session, viewer_id, today)
        plan = make_plan(parsed, snapshot(session), today, end_missing)
        if plan.ok and plan.has_changes:
            rows = {row.id: row for row in parsed.people}
            _write_units(session, plan.units, {row.id: row for row in parsed.units})
            _write_people(session, plan.people, rows)
            _write_roles(session, plan.people, rows)
            daily_counts.forget(session)  # units, people or roles changed: the dashboard's day counts again
            _audit_import(session, viewer_id, plan, file_name, end_missing)  # nothing to change: nothing written
        return plan

    return db.write(use_case)


def _audit_import(session: Session, viewer_id: Viewer, plan: Plan, file_name: str | None, end_missing: bool) -> None:
    """One IMPORT event with the counts and the file name; a ROLE_CHANGE for each person already known whose roles
    the file changes, and for each new person given the admin role (who may do what is what an auditor asks)."""
    people, units = plan.counts(plan.people), plan.counts(plan.units)
    audit.record(session, viewer_id, audit.IMPORT, None, file=file_name, end_missing=end_missing,
                 added=people[ADD], changed=people[CHANGE], ended=people[END],
                 units_added=units[ADD], units_changed=units[CHANGE])
    for change in plan.people:
        for field_, old, new in change.diff:
            if field_ == "roles" and (change.action != ADD or "admin" in (new or ())):
                audit.record(session, viewer_id, audit.ROLE_CHANGE, change.id, file=file_name,
                             old=list(old or ()), new=list(new or ()))


def _write_units(session: Session, changes: list[Change], rows: dict[str, Row]) -> None:
    # New units go in without a parent first, then every parent is set: no need to order parents before children.
    added = [c.id for c in changes if c.action == ADD]
    if added:
        session.execute(insert(Unit), [{"id": i, **rows[i].values, "parent_id": None} for i in added])
    updated = [{"id": c.id, **rows[c.id].values} for c in changes if c.action != UNCHANGED]
    if updated:
        session.execute(update(Unit), updated)


def _write_people(session: Session, changes: list[Change], rows: dict[str, Row]) -> None:
    def columns(person_id: str) -> dict:
        return {k: v for k, v in rows[person_id].values.items() if k != "roles"}

    added = [{"id": c.id, **columns(c.id)} for c in changes if c.action == ADD]
    if added:
        session.execute(insert(Person), added)
    updated = [{"id": c.id, **(columns(c.id) if c.row else {"end_date": c.diff[0][2]})}
               for c in changes if c.action in (CHANGE, END)]
    for same_columns in _grouped_by_keys(updated):
        session.execute(update(Person), same_columns)


def _write_roles(session: Session, changes: list[Change], rows: dict[str, Row]) -> None:
    """A person's roles are replaced by the file's."""
    replaced = [c.id for c in changes if c.action != ADD and any(f == "roles" for f, _, _ in c.diff)]
    for start in range(0, len(replaced), 1000):
        session.execute(delete(PersonRole).where(PersonRole.person_id.in_(replaced[start:start + 1000])))
    new = [{"person_id": c.id, "role": role} for c in changes
           if c.action == ADD or c.id in replaced for role in rows[c.id].values["roles"]]
    if new:
        session.execute(insert(PersonRole), new)


def _grouped_by_keys(rows: list[dict]) -> list[list[dict]]:
    """Bulk UPDATE by primary key wants the same columns in every row of a batch."""
    groups = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    return list(groups.values())


# --- python -m course import ----------------------------------------------------------------------------------

def add_command(commands) -> None:
    parser = commands.add_parser("import", help="importera personal och enheter från en CSV- eller XLSX-fil")
    parser.add_argument("file", type=Path, help="personalfilen (.csv eller .xlsx; en .xlsx kan ha bladet Enheter)")
    parser.add_argument("--units", type=Path, help="enheterna som en egen fil (till en CSV-personalfil)")
    parser.add_argument("--dry-run", action="store_true", help="visa vad som skulle ändras; spara inget")
    # Off by default: a partial export (one förvaltning) would otherwise end everyone else's employment.
    parser.add_argument("--end-missing", action="store_true",
                        help="personer i databasen som inte finns i filen får dagens datum som slutdatum")
    parser.add_argument("--database-url", help="annars COURSE_DATABASE_URL eller demodatabasen")
    parser.set_defaults(run=import_command)


def import_command(args) -> int:
    from progress.db import command_store

    try:
        limits = Limits.from_env()
        for path in (args.file, args.units):
            if path is not None:
                _check_size(path.stat().st_size, limits)  # before reading: a huge file is never read into memory
        units = (args.units.name, args.units.read_bytes()) if args.units else (None, None)
        parsed = parse(args.file.name, args.file.read_bytes(), *units, limits=limits)
    except OSError as error:
        print(f"Filen kunde inte läsas: {error.strerror} ({error.filename}).", file=sys.stderr)
        return 1
    except FileRefused as error:
        parsed = Parsed(problems=[ImportProblem("", None, str(error))], refused=True)
    if parsed.refused:  # nothing was read: the database is not even opened
        print(f"{parsed.problems[0]}\nInget har sparats.", file=sys.stderr)
        return 1
    today = date.today()
    with command_store(args.database_url) as db:
        if args.dry_run:  # the operator at the command line: access.SYSTEM, recorded as actor None
            plan = plan_for(db, SYSTEM, parsed, today, args.end_missing)
        else:
            plan = apply(db, SYSTEM, parsed, today, args.end_missing, file_name=args.file.name)
    print("\n".join(plan.lines()))
    if not plan.ok:
        print(f"{len(plan.problems)} fel. Inget har sparats: rätta raderna ovan och importera filen igen.",
              file=sys.stderr)
        return 1
    if args.dry_run:
        print("Provkörning: inget har sparats.", file=sys.stderr)
    else:
        print("Klart: ändringarna är sparade." if plan.has_changes else "Inget att ändra.", file=sys.stderr)
    return 0
