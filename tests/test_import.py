"""Staff import: parsing CSV and XLSX, every kind of bad row, the dry run, all-or-nothing apply, a second import
that changes nothing, personnummer never stored, the command line and the page."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from course.cli import main
from progress import importer
from progress.db import Database, make_engine
from progress.importer import ADD, CHANGE, END, UNCHANGED, Snapshot, make_plan, parse
from progress.models import Base, Person, PersonRole, Unit

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TODAY = date(2025, 3, 1)
PERSONNUMMER = ("19700101-1234", "19850505-2345", "19790303-3456", "19600707-4567", "19920909-5678")


def fixture(name: str) -> tuple[str, bytes]:
    return name, (FIXTURES / name).read_bytes()


def good_file() -> importer.Parsed:
    return parse(*fixture("personal.csv"), *fixture("enheter.csv"))


def csv_file(text_: str, separator: str = ";") -> importer.Parsed:
    return parse("personal.csv", text_.replace(";", separator).encode("utf-8"))


def everything(db) -> dict[str, list[tuple]]:
    with db.read() as session:
        return {table.name: sorted(session.execute(select(table)).all(), key=str)
                for table in Base.metadata.sorted_tables}


# --- parsing --------------------------------------------------------------------------------------------------

def test_a_semicolon_csv_with_bom_swedish_headers_and_roles_in_any_spelling():
    parsed = good_file()
    assert parsed.problems == []
    people = {row.id: row.values for row in parsed.people}
    assert people["1001"] == {"name": "Karin Kulturchef", "email": "karin.kulturchef@kommun.example",
                              "unit_id": "kf", "start_date": date(2015, 2, 1), "roles": ("chef", "medarbetare"),
                              "end_date": None, "title": "Förvaltningschef"}
    assert people["1003"]["roles"] == ("chef", "medarbetare")  # "Chef;Medarbetare"
    assert people["1004"]["roles"] == ("fortroendevald",)  # "Förtroendevald"
    assert people["1005"]["roles"] == ("medarbetare", "myndighetsutovare")  # "MYNDIGHETSUTÖVARE, medarbetare"
    assert people["1005"]["end_date"] == date(2026, 6, 30)
    units = {row.id: row.values for row in parsed.units}  # a comma-separated units file
    assert units["kf-bibliotek"] == {"name": "Biblioteket", "kind": "enhet", "parent_id": "kf", "manager_id": "1003"}
    assert units["kf"]["kind"] == "förvaltning" and units["kfn"]["kind"] == "nämnd"


def test_the_personnummer_column_is_skipped_and_the_dry_run_says_so():
    parsed = good_file()
    assert parsed.notes == ['Kolumnen "Personnummer" ignorerades: personnummer behövs inte, så den lästes inte in '
                            "och ingenting ur den sparas."]
    assert not any(number in repr(parsed) for number in PERSONNUMMER)
    for header in ("pnr", "Personnr", "PERSONNUMMER (ÅÅÅÅMMDD-XXXX)"):
        other = csv_file(f"anstallningsid;{header};namn;epost;enhet;roll;startdatum\n"
                         "1;19700101-1234;A;a@k.se;kf;medarbetare;2024-01-01\n")
        assert "19700101-1234" not in repr(other) and "ignorerades" in other.notes[0]


def test_an_xlsx_with_real_date_cells_numeric_ids_and_an_enheter_sheet():
    book = Workbook()
    people = book.active
    people.title = "Personal"
    people.append(["Employee ID", "Name", "Email", "Unit", "Manager", "Role", "Start date", "End date", "pnr"])
    people.append([1001, "Karin Kulturchef", "karin@kommun.example", "kf", None, "chef", datetime(2015, 2, 1), None,
                   "19700101-1234"])
    people.append([1002, "Ola Lånedisk", "ola@kommun.example", "kf", 1001, "medarbetare", datetime(2021, 9, 1),
                   date(2026, 1, 31), "19850505-2345"])
    people.append([1003, "Sara Serienummer", "sara@kommun.example", "kf", 1001, "medarbetare", 45658, None, None])
    units = book.create_sheet("Enheter")
    units.append(["Enhet", "Namn", "Typ", "Överordnad", "Chef"])
    units.append(["kf", "Kultur- och fritidsförvaltningen", "förvaltning", None, 1001])
    data = io.BytesIO()
    book.save(data)

    parsed = parse("export.xlsx", data.getvalue())
    assert parsed.problems == []
    rows = {row.id: row for row in parsed.people}
    assert rows["1001"].values["start_date"] == date(2015, 2, 1)
    assert rows["1002"].values["end_date"] == date(2026, 1, 31) and rows["1002"].manager_id == "1001"
    assert rows["1003"].values["start_date"] == date(2025, 1, 1)  # a date cell without a date format
    assert parsed.units[0].values == {"name": "Kultur- och fritidsförvaltningen", "kind": "förvaltning",
                                      "parent_id": None, "manager_id": "1001"}
    assert "19700101-1234" not in repr(parsed)


def test_a_missing_column_is_named_with_the_columns_the_file_has():
    parsed = csv_file("anstallningsid,namn,epost,enhet,roll\n1,A,a@k.se,kf,chef\n", separator=",")
    assert [str(p) for p in parsed.problems] == [
        'Filen: Kolumnen "startdatum" saknas. Kolumnerna i filen är: anstallningsid, namn, epost, enhet, roll.']
    units = parse(*fixture("personal.csv"), "enheter.csv", b"enhet;namn\nkf;Kultur\n")
    assert [str(p) for p in units.problems] == ['Enheter: Kolumnen "typ" saknas. Kolumnerna i filen är: enhet, namn.']


def test_files_that_cannot_be_read_are_told_in_swedish():
    assert str(parse("personal.txt", b"x").problems[0]) == ('Filen: Filen "personal.txt" är varken CSV (.csv) eller '
                                                           'Excel (.xlsx). Spara den som något av dem.')
    assert "kunde inte läsas som en Excel-fil" in str(parse("personal.xlsx", b"not a workbook").problems[0])
    assert str(parse("tom.csv", b"").problems[0]) == "Filen: Filen är tom. Första raden ska ha kolumnernas namn."


def test_windows_1252_csv_from_swedish_excel_is_read():
    data = "anstallningsid;namn;epost;enhet;roll;startdatum\n7;Åsa Öberg;asa@k.se;kf;förtroendevald;2024-01-01\n"
    parsed = parse("personal.csv", data.encode("cp1252"))
    assert parsed.people[0].values["name"] == "Åsa Öberg"
    assert parsed.people[0].values["roles"] == ("fortroendevald",)


# --- every kind of bad row ------------------------------------------------------------------------------------

def test_every_kind_of_bad_row_is_reported_at_once_and_nothing_is_written(db):
    importer.apply(db, good_file(), TODAY)  # 1001 and the unit kf are now known to the store
    before = everything(db)
    bad = parse(*fixture("felaktig.csv"), *fixture("felaktiga-enheter.csv"))
    plan = importer.plan_for(db, bad, TODAY)
    valid = "medarbetare, chef, förtroendevald, upphandlare, myndighetsutövare, admin"
    date_hint = "Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2025-01-31."
    assert [str(p) for p in plan.problems] == [
        'Rad 3: Enheten "finns-inte" finns varken bland enheterna i filen eller i databasen. Rätta id:t eller lägg '
        "till enheten.",
        "Rad 4: Anställnings-id 2003 finns på flera rader (rad 4 och 5). Varje person får bara finnas på en rad.",
        "Rad 5: Anställnings-id 2003 finns på flera rader (rad 4 och 5). Varje person får bara finnas på en rad.",
        f'Rad 6: Startdatumet "1/2/2024" är inget giltigt datum. {date_hint}',
        "Rad 7: Slutdatumet 2024-04-30 är före startdatumet 2024-05-01.",
        'Rad 8: Chefen "9999" finns varken i filen eller i databasen. Ange chefens anställnings-id.',
        f'Rad 9: Rollen "chefen" finns inte. Giltiga roller: {valid}.',
        "Rad 10: Namn saknas.",
        'Rad 11: E-postadressen "trasig.kommun.example" ser inte ut som en e-postadress (till exempel namn@kommun.se).',
        f'Rad 12: Startdatumet "2024-02-30" är inget giltigt datum. {date_hint}',
        "Rad 13: Anställnings-id saknas. Varje person behöver sitt id från personalsystemet.",
        f"Rad 14: Roll saknas. Ange minst en av: {valid}.",
        f"Rad 14: Startdatum saknas. {date_hint}",
        "Enheter, rad 2: Enheten kf finns på flera rader (rad 2 och 8). Varje enhet får bara finnas på en rad.",
        "Enheter, rad 3: Enheten a hamnar under sig själv (a → b → a). Rätta kolumnen overordnad.",
        "Enheter, rad 4: Enheten b hamnar under sig själv (b → a → b). Rätta kolumnen overordnad.",
        'Enheter, rad 5: Typen "sektion" finns inte. Giltiga typer: förvaltning, avdelning, enhet, bolag, nämnd.',
        'Enheter, rad 6: Den överordnade enheten "finns-inte" finns varken bland enheterna i filen eller i databasen.',
        'Enheter, rad 7: Chefen "8888" finns varken i filen eller i databasen. Ange chefens anställnings-id.',
        "Enheter, rad 8: Enheten kf finns på flera rader (rad 2 och 8). Varje enhet får bara finnas på en rad.",
    ]
    # the good row (its manager 1001 is in the store) is in the plan; a bad row is a problem, not a change
    assert [(c.action, c.row) for c in plan.people] == [(ADD, 2)]
    assert not plan.ok
    applied = importer.apply(db, bad, TODAY)
    assert not applied.ok and everything(db) == before


def test_a_cycle_through_a_unit_already_in_the_store():
    current = Snapshot({}, {"a": {"name": "A", "kind": "enhet", "parent_id": "b", "manager_id": None},
                            "b": {"name": "B", "kind": "enhet", "parent_id": None, "manager_id": None}})
    parsed = parse(*fixture("personal.csv"), "enheter.csv", b"enhet;namn;typ;overordnad\nb;B;enhet;a\n")
    problems = [str(p) for p in make_plan(parsed, current, TODAY).problems if p.sheet]
    assert problems == ["Enheter, rad 2: Enheten b hamnar under sig själv (b → a → b). Rätta kolumnen overordnad."]


# --- the plan and applying it ---------------------------------------------------------------------------------

def test_import_then_the_same_file_again_changes_nothing(db):
    plan = importer.plan_for(db, good_file(), TODAY)
    assert plan.ok and plan.counts(plan.people)[ADD] == 5 and plan.counts(plan.units)[ADD] == 4
    assert everything(db)["people"] == []  # the dry run wrote nothing
    importer.apply(db, good_file(), TODAY)
    stored = everything(db)
    assert len(stored["people"]) == 5 and len(stored["units"]) == 4 and len(stored["person_roles"]) == 8
    with db.read() as session:
        assert session.get(Unit, "kf-bibliotek").parent_id == "kf"
        assert session.get(Unit, "kf-bibliotek").manager_id == "1003"

    second = importer.plan_for(db, good_file(), TODAY)
    assert {c.action for c in second.people + second.units} == {UNCHANGED} and not second.has_changes
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        importer.apply(db, good_file(), TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements  # the plan was read again inside the transaction
    writes = [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [] and everything(db) == stored


def test_changes_and_endings_row_by_row_and_roles_replaced_by_the_files(db):
    importer.apply(db, good_file(), TODAY)
    data = (FIXTURES / "personal.csv").read_text(encoding="utf-8-sig")
    data = data.replace("ola.lanedisk@kommun.example;kf-bibliotek", "ola.ny@kommun.example;kf-fritid")
    data = data.replace("1004;19600707-4567;Per Ledamot;per.ledamot@kommun.example;kfn;;Förtroendevald;2023-01-01;",
                        "1004;19600707-4567;Per Ledamot;per.ledamot@kommun.example;kfn;;Förtroendevald;2023-01-01;"
                        "2025-02-28")
    data = data.replace('"Chef;Medarbetare"', "medarbetare, upphandlare")
    changed = parse("personal.csv", data.encode("utf-8"), *fixture("enheter.csv"))
    plan = importer.plan_for(db, changed, TODAY)
    by_id = {c.id: c for c in plan.people}
    assert by_id["1002"].action == CHANGE
    assert str(by_id["1002"]) == ("Rad 3: ändra 1002 Ola Lånedisk: e-post ola.lanedisk@kommun.example → "
                                  "ola.ny@kommun.example; enhet kf-bibliotek → kf-fritid")
    assert by_id["1004"].action == END and by_id["1004"].diff == (("end_date", None, date(2025, 2, 28)),)
    assert str(by_id["1003"]) == "Rad 4: ändra 1003 Sara Boksdotter: roller chef, medarbetare → medarbetare, upphandlare"
    assert by_id["1001"].action == UNCHANGED
    assert "Personer: 0 lägga till, 2 ändra, 1 avsluta, 2 oförändrad" in plan.lines()

    importer.apply(db, changed, TODAY)
    with db.read() as session:
        assert session.get(Person, "1004").end_date == date(2025, 2, 28)
        assert session.get(Person, "1002").unit_id == "kf-fritid"
        roles = session.scalars(select(PersonRole.role).where(PersonRole.person_id == "1003")).all()
    assert sorted(roles) == ["medarbetare", "upphandlare"]


def test_people_missing_from_the_file_are_ended_only_when_asked(db):
    importer.apply(db, good_file(), TODAY)
    fewer = (FIXTURES / "personal.csv").read_text(encoding="utf-8-sig").splitlines()
    fewer = "\n".join(line for line in fewer if not line.startswith("1002;")).encode("utf-8")
    partial = parse("personal.csv", fewer, *fixture("enheter.csv"))
    assert not importer.plan_for(db, partial, TODAY).has_changes  # off by default: a partial export ends nobody
    plan = importer.plan_for(db, partial, TODAY, end_missing=True)
    assert [str(c) for c in plan.people if c.action == END] == [
        "Finns inte i filen: avsluta 1002 Ola Lånedisk: slutdatum – → 2025-03-01"]
    importer.apply(db, partial, TODAY, end_missing=True)
    with db.read() as session:
        assert session.get(Person, "1002").end_date == TODAY
    assert not importer.plan_for(db, partial, TODAY, end_missing=True).has_changes


def test_a_failure_part_way_writes_nothing(db, monkeypatch):
    def broken(session, *args):
        assert session.scalar(select(func.count()).select_from(Person)) == 5  # written, not yet committed
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importer, "_write_roles", broken)  # units and people are already written by then
    with pytest.raises(RuntimeError):
        importer.apply(db, good_file(), TODAY)
    stored = everything(db)
    assert stored["units"] == [] and stored["people"] == []


def test_no_stored_value_contains_a_personnummer(db):
    importer.apply(db, good_file(), TODAY)
    stored = repr(everything(db))
    assert "Karin Kulturchef" in stored
    for number in PERSONNUMMER:
        assert number not in stored and number.replace("-", "") not in stored


def test_a_person_file_alone_uses_the_units_and_managers_in_the_store(db):
    importer.apply(db, good_file(), TODAY)
    newcomer = ("anstallningsid;namn;epost;enhet;chef;roll;startdatum\n"
                "1006;Nils Ny;nils.ny@kommun.example;kf-bibliotek;1003;medarbetare;2025-02-01\n")
    plan = importer.apply(db, csv_file(newcomer), TODAY)
    assert plan.ok and [(c.action, c.id) for c in plan.people] == [(ADD, "1006")]
    with db.read() as session:
        assert session.get(Person, "1006").title is None  # no befattning column: nothing invented


# --- the command line -----------------------------------------------------------------------------------------

def test_the_command_line_dry_run_then_import_then_bad_rows(db, capsys):
    url = ["--database-url", db.engine.url.render_as_string(hide_password=False)]
    people, units = str(FIXTURES / "personal.csv"), str(FIXTURES / "enheter.csv")
    assert main(["import", people, "--units", units, "--dry-run", *url]) == 0
    out = capsys.readouterr()
    assert "Personer: 5 lägga till, 0 ändra, 0 avsluta, 0 oförändrad" in out.out
    assert "Rad 2: lägga till 1001 Karin Kulturchef" in out.out and "Provkörning" in out.err
    assert everything(db)["people"] == []

    assert main(["import", people, "--units", units, *url]) == 0
    assert len(everything(db)["people"]) == 5
    assert main(["import", people, "--units", units, *url]) == 0
    assert "Inget att ändra." in capsys.readouterr().err

    before = everything(db)
    assert main(["import", str(FIXTURES / "felaktig.csv"), "--units", str(FIXTURES / "felaktiga-enheter.csv"),
                 *url]) == 1
    out = capsys.readouterr()
    assert "Rad 10: Namn saknas." in out.out and "Inget har sparats" in out.err
    assert everything(db) == before


def test_the_command_line_says_when_a_file_is_missing(capsys, tmp_path):
    assert main(["import", str(tmp_path / "finns-inte.csv"), "--database-url", f"sqlite:///{tmp_path}/x.db"]) == 1
    assert "Filen kunde inte läsas" in capsys.readouterr().err


# --- the page -------------------------------------------------------------------------------------------------

def test_the_page_shows_the_dry_run_and_saves_only_after_confirmation(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import PROJECT_ROOT

    database = tmp_path / "demo.sqlite"
    monkeypatch.setenv("COURSE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COURSE_DEMO", "1")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["as"] = "demo-admin"
    at.run()
    at.switch_page("views/import_page.py").run()
    assert not at.exception, at.exception
    assert len(at.get("download_button")) == 2  # the templates

    at.file_uploader(key="import_file").upload(*fixture("felaktig.csv")).run()
    assert not at.exception, at.exception
    assert any("Inget kan sparas" in e.value for e in at.error)
    problems = at.dataframe[0].value["Fel"].tolist()
    assert "Rad 10: Namn saknas." in problems
    assert "import_apply" not in [b.key for b in at.button]  # with bad rows there is nothing to confirm

    at.file_uploader(key="import_file").clear()
    at.file_uploader(key="import_file").upload(*fixture("personal.csv"))
    at.file_uploader(key="import_units_file").upload(*fixture("enheter.csv")).run()
    assert not at.exception, at.exception
    assert [(m.label, m.value) for m in at.metric][:2] == [("Läggs till", "5"), ("Ändras", "0")]
    assert any("Personnummer" in i.value for i in at.info)
    assert at.button(key="import_apply").disabled  # not before the confirmation
    at.checkbox(key="import_confirm_check").check().run()
    at.button(key="import_apply").click().run()
    assert not at.exception, at.exception
    assert any("Importen är sparad: 5 personer lades till" in s.value for s in at.success)
    assert any("inget att spara" in i.value for i in at.info)  # the same file again: nothing to do
    stored = repr(everything(Database(make_engine(f"sqlite:///{database}"))))
    assert "Karin Kulturchef" in stored and "19700101-1234" not in stored
