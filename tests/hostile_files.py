"""Hostile import files, made by the tests themselves (nothing downloaded, nothing large checked in).

An XLSX is written member by member with zipfile, the sheet streamed through `ZipFile.open(..., "w")` in
chunks, so that a 300 MB sheet never exists in the test's memory: only its 1 MB compressed form on disk.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>').encode()
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Personal" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>').encode()
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ("anstallningsid", "namn", "epost", "enhet", "roll", "startdatum")


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_xml(number: int, values: Iterable[object], first_column: int = 1) -> bytes:
    """One <row> of inline strings (or numbers), as an HR system without shared strings writes it."""
    cells = []
    for column, value in enumerate(values, start=first_column):
        ref = f"{column_letter(column)}{number}"
        if isinstance(value, (int, float)):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        elif value is not None:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def person(number: int) -> tuple:
    return (1000 + number, f"Person {number}", f"person{number}@kommun.example", "kf", "medarbetare", "2024-01-01")


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None, prolog: bytes = b"") -> Iterator[bytes]:
    """The sheet as chunks: the XML declaration, `prolog` (a DOCTYPE, say), the <dimension> if given, the rows."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>' + prolog + f'<worksheet xmlns="{MAIN}">'.encode()
    if dimension is not None:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def people_rows(count: int) -> Iterator[bytes]:
    """The header and `count` people, rows 1 to count + 1."""
    yield row_xml(1, HEADER)
    for number in range(2, count + 2):
        yield row_xml(number, person(number))


def write_xlsx(target: str | Path | BinaryIO, sheet: Iterable[bytes], compresslevel: int = 6,
               extra: dict[str, bytes] | None = None) -> None:
    """A minimal workbook openpyxl reads: one sheet "Personal", streamed from `sheet`'s chunks."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        with archive.open(SHEET, "w") as stream:
            buffer = []
            size = 0
            for chunk in sheet:
                buffer.append(chunk)
                size += len(chunk)
                if size > 1 << 20:
                    stream.write(b"".join(buffer))
                    buffer, size = [], 0
            stream.write(b"".join(buffer))


def bomb_rows(megabytes: int) -> Iterator[bytes]:
    """The header, then one wide row over and over until `megabytes` of XML. Rows and cells without their
    optional `r` attribute are all alike, so deflate squeezes them several hundred to one."""
    yield row_xml(1, HEADER)
    cells = "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>'
                    for value in person(1)[1:] + tuple("x" * 40 for _ in range(20)))
    row = f"<row>{cells}</row>".encode() * 100
    for _ in range(megabytes * 1_000_000 // len(row) + 1):
        yield row


def lie_about_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the central directory so that `member` says it unpacks to `declared` bytes (it does not)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46:position + 46 + name_length]) == name:
            struct.pack_into("<I", data, position + 24, declared)
            path.write_bytes(bytes(data))
            return
        position = data.find(b"PK\x01\x02", position + 4)
    raise KeyError(member)


def billion_laughs() -> bytes:
    """The classic entity expansion: ten levels of ten, a few hundred bytes that expand to gigabytes."""
    entities = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                          for i in range(1, 10)]
    return f'<!DOCTYPE worksheet [{"".join(entities)}]>'.encode()


def luhn_digit(nine: str) -> str:
    total = 0
    for position, digit in enumerate(nine):
        product = int(digit) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def personnummer(birth: str, serial: str = "238", separator: str = "-", century: str = "") -> str:
    """A valid personnummer (or samordningsnummer: day + 60) for `birth` as YYMMDD, with its check digit."""
    return f"{century}{birth}{separator}{serial}{luhn_digit(birth + serial)}"
