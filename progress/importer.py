"""Staff import: people and units from an HR system's CSV or XLSX export.

`parse` reads the file into rows (pure), `make_plan` compares them with what the store holds (pure) and
`apply` plans again and writes inside one transaction: all or nothing, and a second import of the same file
finds nothing to do. A personnummer column is skipped as the file is read and never kept or stored.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from progress import daily_counts
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
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


@dataclass(frozen=True)
class Problem:
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
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
        where = str(Problem(self.sheet, self.row, "")).removesuffix(": ") if self.row else "Finns inte i filen"
        return f"{where}: {self.action} {self.id} {self.name}" + (f": {self.changes()}" if self.diff else "")


@dataclass(frozen=True)
class Plan:
    units: list[Change]
    people: list[Change]
    problems: list[Problem]
    notes: list[str]

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

def parse(filename: str, data: bytes, units_filename: str | None = None, units_data: bytes | None = None) -> Parsed:
    """Rows and problems from the people file and, when given, a units file (otherwise an XLSX file's
    "Enheter" sheet). Reads nothing from the database."""
    parsed = Parsed()
    try:
        people_rows, units_rows = _tables(filename, data)
        if units_data is not None:
            units_rows, _ = _tables(units_filename or "", units_data)
    except ValueError as error:
        parsed.problems.append(Problem("", None, str(error)))
        return parsed
    if units_rows is not None:
        units = list(_records(units_rows, UNIT_HEADERS, UNIT_REQUIRED, UNITS_SHEET, parsed))
        for number, record, rows_with_id in _with_duplicates(units, "enhet"):
            _unit_row(number, record, rows_with_id, parsed)
    people = list(_records(people_rows, PERSON_HEADERS, PERSON_REQUIRED, "", parsed))
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


def _problem_order(problem: Problem) -> tuple:
    return problem.row is not None, problem.sheet != "", problem.row or 0


def _and(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + " och " + words[-1] if len(words) > 1 else words[0]


def _tables(filename: str, data: bytes) -> tuple[Iterator[tuple[int, Sequence]], Iterator | None]:
    """(people rows, units rows or None), each row numbered as Excel numbers it."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _csv_rows(data), None
    if suffix == ".xlsx":
        return _xlsx_tables(data)
    raise ValueError(f"Filen \"{filename}\" är varken CSV (.csv) eller Excel (.xlsx). Spara den som något av dem.")


def _csv_rows(data: bytes) -> Iterator[tuple[int, Sequence]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel's "CSV (semikolonavgränsad)" is saved as Windows-1252
        text = data.decode("cp1252", errors="replace")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    return enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)


def _xlsx_tables(data: bytes):
    from openpyxl import load_workbook  # here, not at the top: every `python -m course` command imports this module

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        raise ValueError(f"Filen kunde inte läsas som en Excel-fil ({type(error).__name__}). "
                         "Spara den på nytt som .xlsx eller som CSV.") from error
    sheets = {_header_key(sheet.title): sheet for sheet in book.worksheets}
    units = sheets.pop(_header_key(UNITS_SHEET), None)
    people = next((sheets[name] for name in ("personal", "personer") if name in sheets),
                  next(iter(sheets.values()), None))
    if people is None:
        raise ValueError("Arbetsboken har inget blad med personer.")

    def rows(sheet):  # lazily, so that cells we do not use are dropped row by row as they are read
        return enumerate(sheet.iter_rows(values_only=True), start=1)

    return rows(people), rows(units) if units is not None else None


def _header_key(title) -> str:
    return NOT_ALPHANUMERIC.sub("", str(title or "").lower().translate(PLAIN_LETTERS))


def _records(rows: Iterator[tuple[int, Sequence]], headers: dict[str, str], required: Sequence[str], sheet: str,
             parsed: Parsed) -> Iterable[tuple[int, dict]]:
    """Each non-empty row as {column: cell}, only for the columns we use: any other cell, a personnummer
    above all, is left behind as the row is read."""
    first = next(rows, None)
    if first is None:
        parsed.problems.append(Problem(sheet, None, "Filen är tom. Första raden ska ha kolumnernas namn."))
        return
    titles = [str(title).strip() for title in first[1] if title is not None and str(title).strip()]
    columns: dict[str, int] = {}
    for position, title in enumerate(first[1]):
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
        parsed.problems.append(Problem(sheet, None, f"Kolumnen \"{column}\" saknas. Kolumnerna i filen är: "
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


# --- rows -----------------------------------------------------------------------------------------------------

def _person_row(number: int, record: dict, rows_with_id: list[int], parsed: Parsed) -> None:
    problems = []

    def bad(message: str) -> None:
        problems.append(Problem("", number, message))

    person_id = _text(record["anstallningsid"])
    if not person_id:
        bad("Anställnings-id saknas. Varje person behöver sitt id från personalsystemet.")
    elif len(rows_with_id) > 1:
        bad(f"Anställnings-id {person_id} finns på flera rader (rad {_and(rows_with_id)}). Varje person får bara "
            "finnas på en rad.")
    parsed.person_ids.add(person_id)
    name = _text(record["namn"])
    if not name:
        bad("Namn saknas.")
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
    problems = []

    def bad(message: str) -> None:
        problems.append(Problem(UNITS_SHEET, number, message))

    unit_id = _text(record["enhet"])
    if not unit_id:
        bad("Enhetens id saknas.")
    elif len(rows_with_id) > 1:
        bad(f"Enheten {unit_id} finns på flera rader (rad {_and(rows_with_id)}). Varje enhet får bara finnas på "
            "en rad.")
    parsed.unit_ids.add(unit_id)
    name = _text(record["namn"])
    if not name:
        bad("Namn saknas.")
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
            problems.append(Problem(UNITS_SHEET, row.row, f"Den överordnade enheten \"{parent}\" finns varken "
                                                          "bland enheterna i filen eller i databasen."))
        if manager and manager not in known_people:
            problems.append(Problem(UNITS_SHEET, row.row, f"Chefen \"{manager}\" finns varken i filen eller i "
                                                          "databasen. Ange chefens anställnings-id."))
    problems += _cycles(parsed.units, current.units)
    for row in parsed.people:
        if row.values["unit_id"] not in known_units:
            problems.append(Problem("", row.row, f"Enheten \"{row.values['unit_id']}\" finns varken bland enheterna "
                                                 "i filen eller i databasen. Rätta id:t eller lägg till enheten."))
        if row.manager_id and row.manager_id not in known_people:
            problems.append(Problem("", row.row, f"Chefen \"{row.manager_id}\" finns varken i filen eller i "
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
    return Plan(units, people, problems, parsed.notes)


def _change(row: Row, stored: dict | None, sheet: str = "") -> Change:
    if stored is None:
        return Change(ADD, row.id, row.row, row.values["name"],
                      tuple((f, None, v) for f, v in row.values.items() if v not in (None, ())), sheet)
    diff = tuple((f, stored[f], new) for f, new in row.values.items() if stored[f] != new)
    ending = any(f == "end_date" and old is None and new is not None for f, old, new in diff)
    return Change(END if ending else CHANGE if diff else UNCHANGED, row.id, row.row, row.values["name"], diff, sheet)


def _cycles(rows: list[Row], stored: dict[str, dict]) -> list[Problem]:
    parent = {unit_id: values["parent_id"] for unit_id, values in stored.items()}
    parent |= {row.id: row.values["parent_id"] for row in rows if "parent_id" in row.values}
    problems = []
    for row in rows:
        path, current = [row.id], parent.get(row.id)
        while current and current not in path:
            path.append(current)
            current = parent.get(current)
        if current == row.id:
            problems.append(Problem(UNITS_SHEET, row.row, f"Enheten {row.id} hamnar under sig själv "
                                                          f"({' → '.join(path + [row.id])}). Rätta kolumnen "
                                                          "overordnad."))
    return problems


# --- applying it ----------------------------------------------------------------------------------------------

def plan_for(db: Database, parsed: Parsed, today: date, end_missing: bool = False) -> Plan:
    """The dry run: the plan against the store as it is now; nothing is written."""
    with db.read() as session:
        return make_plan(parsed, snapshot(session), today, end_missing)


def apply(db: Database, parsed: Parsed, today: date, end_missing: bool = False) -> Plan:
    """Plan again inside one transaction (the store may have changed since the dry run) and write it, all or
    nothing. With problems nothing is written; the returned plan says what was done."""

    def use_case(session: Session) -> Plan:
        plan = make_plan(parsed, snapshot(session), today, end_missing)
        if plan.ok and plan.has_changes:
            rows = {row.id: row for row in parsed.people}
            _write_units(session, plan.units, {row.id: row for row in parsed.units})
            _write_people(session, plan.people, rows)
            _write_roles(session, plan.people, rows)
            daily_counts.forget(session)  # units, people or roles changed: the dashboard's day counts again
        return plan

    return db.write(use_case)


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
    from progress.db import make_engine, migrate

    try:
        units = (args.units.name, args.units.read_bytes()) if args.units else (None, None)
        parsed = parse(args.file.name, args.file.read_bytes(), *units)
    except OSError as error:
        print(f"Filen kunde inte läsas: {error.strerror} ({error.filename}).", file=sys.stderr)
        return 1
    engine = make_engine(args.database_url)
    migrate(engine)
    db = Database(engine)
    today = date.today()
    plan = (plan_for if args.dry_run else apply)(db, parsed, today, args.end_missing)
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
