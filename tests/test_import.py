"""Staff import: parsing CSV and XLSX, every kind of bad row, the dry run, all-or-nothing apply, a second import
that changes nothing, personnummer never stored, the command line and the page."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from progress.cli import main
from progress import importer
from progress.access import SYSTEM
from progress.db import Database, make_engine
from progress.importer import ADD, CHANGE, END, UNCHANGED, Snapshot, make_plan, parse
from progress.models import Base, Person, PersonRole, Unit
from tests import hostile_files

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
    importer.apply(db, SYSTEM, good_file(), TODAY)  # 1001 and the unit kf are now known to the store
    before = everything(db)
    bad = parse(*fixture("felaktig.csv"), *fixture("felaktiga-enheter.csv"))
    plan = importer.plan_for(db, SYSTEM, bad, TODAY)
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
    applied = importer.apply(db, SYSTEM, bad, TODAY)
    assert not applied.ok and everything(db) == before


def test_a_cycle_through_a_unit_already_in_the_store():
    current = Snapshot({}, {"a": {"name": "A", "kind": "enhet", "parent_id": "b", "manager_id": None},
                            "b": {"name": "B", "kind": "enhet", "parent_id": None, "manager_id": None}})
    parsed = parse(*fixture("personal.csv"), "enheter.csv", b"enhet;namn;typ;overordnad\nb;B;enhet;a\n")
    problems = [str(p) for p in make_plan(parsed, current, TODAY).problems if p.sheet]
    assert problems == ["Enheter, rad 2: Enheten b hamnar under sig själv (b → a → b). Rätta kolumnen overordnad."]


# --- the plan and applying it ---------------------------------------------------------------------------------

def test_import_then_the_same_file_again_changes_nothing(db):
    plan = importer.plan_for(db, SYSTEM, good_file(), TODAY)
    assert plan.ok and plan.counts(plan.people)[ADD] == 5 and plan.counts(plan.units)[ADD] == 4
    assert everything(db)["people"] == []  # the dry run wrote nothing
    importer.apply(db, SYSTEM, good_file(), TODAY)
    stored = everything(db)
    assert len(stored["people"]) == 5 and len(stored["units"]) == 4 and len(stored["person_roles"]) == 8
    with db.read() as session:
        assert session.get(Unit, "kf-bibliotek").parent_id == "kf"
        assert session.get(Unit, "kf-bibliotek").manager_id == "1003"

    second = importer.plan_for(db, SYSTEM, good_file(), TODAY)
    assert {c.action for c in second.people + second.units} == {UNCHANGED} and not second.has_changes
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        importer.apply(db, SYSTEM, good_file(), TODAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements  # the plan was read again inside the transaction
    writes = [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [] and everything(db) == stored


def test_changes_and_endings_row_by_row_and_roles_replaced_by_the_files(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    data = (FIXTURES / "personal.csv").read_text(encoding="utf-8-sig")
    data = data.replace("ola.lanedisk@kommun.example;kf-bibliotek", "ola.ny@kommun.example;kf-fritid")
    data = data.replace("1004;19600707-4567;Per Ledamot;per.ledamot@kommun.example;kfn;;Förtroendevald;2023-01-01;",
                        "1004;19600707-4567;Per Ledamot;per.ledamot@kommun.example;kfn;;Förtroendevald;2023-01-01;"
                        "2025-02-28")
    data = data.replace('"Chef;Medarbetare"', "medarbetare, upphandlare")
    changed = parse("personal.csv", data.encode("utf-8"), *fixture("enheter.csv"))
    plan = importer.plan_for(db, SYSTEM, changed, TODAY)
    by_id = {c.id: c for c in plan.people}
    assert by_id["1002"].action == CHANGE
    assert str(by_id["1002"]) == ("Rad 3: ändra 1002 Ola Lånedisk: e-post ola.lanedisk@kommun.example → "
                                  "ola.ny@kommun.example; enhet kf-bibliotek → kf-fritid")
    assert by_id["1004"].action == END and by_id["1004"].diff == (("end_date", None, date(2025, 2, 28)),)
    assert str(by_id["1003"]) == "Rad 4: ändra 1003 Sara Boksdotter: roller chef, medarbetare → medarbetare, upphandlare"
    assert by_id["1001"].action == UNCHANGED
    assert "Personer: 0 lägga till, 2 ändra, 1 avsluta, 2 oförändrad" in plan.lines()

    importer.apply(db, SYSTEM, changed, TODAY)
    with db.read() as session:
        assert session.get(Person, "1004").end_date == date(2025, 2, 28)
        assert session.get(Person, "1002").unit_id == "kf-fritid"
        roles = session.scalars(select(PersonRole.role).where(PersonRole.person_id == "1003")).all()
    assert sorted(roles) == ["medarbetare", "upphandlare"]


def test_people_missing_from_the_file_are_ended_only_when_asked(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    fewer = (FIXTURES / "personal.csv").read_text(encoding="utf-8-sig").splitlines()
    fewer = "\n".join(line for line in fewer if not line.startswith("1002;")).encode("utf-8")
    partial = parse("personal.csv", fewer, *fixture("enheter.csv"))
    assert not importer.plan_for(db, SYSTEM, partial, TODAY).has_changes  # off by default: a partial export ends nobody
    plan = importer.plan_for(db, SYSTEM, partial, TODAY, end_missing=True)
    assert [str(c) for c in plan.people if c.action == END] == [
        "Finns inte i filen: avsluta 1002 Ola Lånedisk: slutdatum – → 2025-03-01"]
    importer.apply(db, SYSTEM, partial, TODAY, end_missing=True)
    with db.read() as session:
        assert session.get(Person, "1002").end_date == TODAY
    assert not importer.plan_for(db, SYSTEM, partial, TODAY, end_missing=True).has_changes


def test_a_failure_part_way_writes_nothing(db, monkeypatch):
    def broken(session, *args):
        assert session.scalar(select(func.count()).select_from(Person)) == 5  # written, not yet committed
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importer, "_write_roles", broken)  # units and people are already written by then
    with pytest.raises(RuntimeError):
        importer.apply(db, SYSTEM, good_file(), TODAY)
    stored = everything(db)
    assert stored["units"] == [] and stored["people"] == []


def test_no_stored_value_contains_a_personnummer(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    stored = repr(everything(db))
    assert "Karin Kulturchef" in stored
    for number in PERSONNUMMER:
        assert number not in stored and number.replace("-", "") not in stored


def test_a_person_file_alone_uses_the_units_and_managers_in_the_store(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    newcomer = ("anstallningsid;namn;epost;enhet;chef;roll;startdatum\n"
                "1006;Nils Ny;nils.ny@kommun.example;kf-bibliotek;1003;medarbetare;2025-02-01\n")
    plan = importer.apply(db, SYSTEM, csv_file(newcomer), TODAY)
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


# --- bounded files: size, zip bombs, declared and real sheet size ----------------------------------------------
# (tests/hostile_files.py makes the hostile files; nothing large is checked in)

def refusal(parsed: importer.Parsed) -> str:
    """The one problem of a refused file, as the admin reads it."""
    assert parsed.refused and len(parsed.problems) == 1 and not parsed.people and not parsed.units, parsed.problems
    return str(parsed.problems[0])


def xlsx_bytes(sheet, **options) -> bytes:
    data = io.BytesIO()
    hostile_files.write_xlsx(data, sheet, **options)
    return data.getvalue()


def test_the_upload_limit_is_sized_for_hr_files_and_configurable():
    import tomllib

    from tests.conftest import PROJECT_ROOT

    text = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["server"]["maxUploadSize"] == 20  # Streamlit's default is 200
    assert "STREAMLIT_SERVER_MAX_UPLOAD_SIZE" in text and "COURSE_IMPORT_MAX_MB" in text
    assert importer.Limits.from_env({}).max_bytes == 20_000_000


def test_the_importer_refuses_a_file_above_its_own_limit(monkeypatch):
    data = b"anstallningsid;namn;epost;enhet;roll;startdatum\n" + b"x" * 1_500_000
    assert refusal(parse("personal.csv", data, limits=importer.Limits(max_mb=1))) == (
        "Filen: Filen är 1,5 MB; den största fil som tas emot är 1,0 MB (inställningen COURSE_IMPORT_MAX_MB). "
        "Dela upp den, till exempel i en fil per förvaltning.")
    monkeypatch.setenv("COURSE_IMPORT_MAX_MB", "1")
    assert "1,5 MB" in refusal(parse("personal.xlsx", data))  # the size is checked before anything is read
    assert parse(*fixture("personal.csv")).problems == []
    monkeypatch.setenv("COURSE_IMPORT_MAX_MB", "tjugo")
    assert "COURSE_IMPORT_MAX_MB är \"tjugo\"" in refusal(parse(*fixture("personal.csv")))


def test_the_command_line_refuses_a_large_file_without_reading_it_or_opening_the_database(tmp_path, capsys,
                                                                                         monkeypatch):
    big = tmp_path / "personal.csv"
    big.write_bytes(b"x" * 2_100_000)
    database = tmp_path / "never.sqlite"
    monkeypatch.setenv("COURSE_IMPORT_MAX_MB", "2")
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    assert main(["import", str(big), "--database-url", f"sqlite:///{database}"]) == 1
    err = capsys.readouterr().err
    assert "Filen är 2,1 MB; den största fil som tas emot är 2,0 MB" in err and "Inget har sparats." in err
    assert not database.exists()


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> Path:
    """The attack from issue 9: a sheet of 300 MB of XML that packs to about 1.2 MB, streamed to disk."""
    path = tmp_path_factory.mktemp("bomb") / "personal.xlsx"
    hostile_files.write_xlsx(path, hostile_files.sheet_xml(hostile_files.bomb_rows(300), "A1:Z99999"))
    return path


MEASURE = """
import json, re, sys, time
from progress import importer
import openpyxl  # loaded before the baseline: the app has it loaded too

def kib(field):
    return int(re.search(field + r":\\s+(\\d+) kB", open("/proc/self/status").read())[1])

def peak_growth(work):
    # Linux keeps a high-water mark of resident memory per process (VmHWM); writing 5 to clear_refs resets it
    # to the memory in use now. (ru_maxrss would not do: it carries the forking pytest's peak over exec.)
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")
    before = kib("VmRSS")
    result = work()
    return result, (kib("VmHWM") - before) / 1024

data = open(sys.argv[1], "rb").read()
start = time.perf_counter()
parsed, grown_mb = peak_growth(lambda: importer.parse("personal.xlsx", data))
seconds = time.perf_counter() - start
_, control_mb = peak_growth(lambda: bytearray(64 * 1024 * 1024))  # the measure is checked: 64 MiB must show
print(json.dumps({"seconds": seconds, "grown_mb": grown_mb, "control_mb": control_mb, "refused": parsed.refused,
                  "problems": [str(p) for p in parsed.problems]}))
"""


def measured_parse(path: Path) -> dict:
    """Parse in a fresh process and measure the growth of its peak resident memory during the parse."""
    import json
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)})
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert 60 < measured["control_mb"] < 70, measured  # the measure sees memory the process touches
    return measured


def test_the_zip_bomb_is_refused_in_seconds_and_bounded_memory(zip_bomb):
    assert zip_bomb.stat().st_size < 2_000_000
    with zipfile.ZipFile(zip_bomb) as archive:
        assert archive.getinfo(hostile_files.SHEET).file_size > 290_000_000
    result = measured_parse(zip_bomb)
    assert result["refused"] and result["problems"] == [
        "Filen: Filen är för stor när den packas upp (300,0 MB; högst 100,0 MB). Dela upp den eller exportera som "
        "CSV."]
    assert result["seconds"] < 5 and result["grown_mb"] < 500, result


def test_a_zip_bomb_that_lies_about_its_size_is_cut_off_where_it_says_it_ends(zip_bomb, tmp_path):
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(zip_bomb.read_bytes())
    hostile_files.lie_about_size(liar, hostile_files.SHEET, 5_000_000)  # under every limit; the ratio looks honest
    result = measured_parse(liar)
    assert result["refused"] and result["problems"] == [
        "Filen: Filen är skadad och kunde inte packas upp (BadZipFile). Spara den på nytt som .xlsx eller som CSV."]
    assert result["seconds"] < 5 and result["grown_mb"] < 500, result


def test_a_part_packed_absurdly_tight_is_refused_even_under_the_size_limits():
    comment = b"<!--" + b"x" * 5_000_000 + b"-->"  # 5 MB that deflate packs to a few KB
    data = xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F3", prolog=comment))
    assert "packas upp till" in refusal(parse("personal.xlsx", data)) and len(data) < 50_000


def test_a_part_read_whole_into_memory_has_a_tighter_bound_than_a_streamed_sheet(monkeypatch):
    import random

    monkeypatch.setattr(importer, "MAX_WHOLE_PART_MB", 1)  # 20 in use; 1 here, so the test stays light
    noise = random.Random(9).randbytes(600_000).hex().encode()  # 1.2 MB that packs only 2:1
    strings = {"xl/sharedStrings.xml": b"<sst><si><t>" + noise + b"</t></si></sst>"}
    data = xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F3"), extra=strings)
    assert "delen xl/sharedStrings.xml är 1,2 MB (högst 1,0 MB)" in refusal(parse("personal.xlsx", data))
    sheet = hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F3", prolog=b"<!--" + noise + b"-->")
    assert parse("personal.xlsx", xlsx_bytes(sheet)).problems == []  # a sheet is streamed: its bound is larger


def test_a_declared_size_past_the_limits_is_refused_before_the_rows_are_read(monkeypatch):
    import openpyxl

    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *args, **kwargs: opened.append(1) or real(*args, **kwargs))
    rows = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F200000")))
    assert refusal(rows) == ("Filen: Ett blad i filen säger sig ha 200\u00a0000 rader och 6 kolumner (A1:F200000); "
                             "högst 100\u00a0000 rader under rubrikraden och 60 kolumner läses in. Dela upp den eller "
                             "exportera som CSV.")
    columns = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:XFD3")))
    assert "3 rader och 16384 kolumner (A1:XFD3)" in refusal(columns)
    assert opened == []  # openpyxl never saw them
    fits = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:Z99999")))
    assert fits.problems == [] and len(fits.people) == 2 and opened == [1]


def test_a_sheet_that_declares_fewer_rows_than_it_has_is_read_whole_and_counted():
    honest_rows = hostile_files.people_rows(10)
    parsed = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(honest_rows, "A1:F3")))
    assert parsed.problems == [] and len(parsed.people) == 10  # openpyxl alone would stop at the declared row 3

    many = hostile_files.sheet_xml(hostile_files.people_rows(60), "A1:F3")
    assert "fler än 50 rader under rubrikraden" in refusal(parse("personal.xlsx", xlsx_bytes(many),
                                                                 limits=importer.Limits(max_rows=50)))
    no_dimension = hostile_files.sheet_xml(hostile_files.people_rows(60))
    assert "fler än 50 rader" in refusal(parse("personal.xlsx", xlsx_bytes(no_dimension),
                                               limits=importer.Limits(max_rows=50)))


def test_a_row_number_far_past_the_limit_is_refused_as_the_rows_are_streamed():
    # three <row> elements in all (the scan of the zip counts 3), but the last is row 100 002: openpyxl makes
    # the empty rows in between, and the reader stops at the first one past the limit
    far = [hostile_files.row_xml(1, hostile_files.HEADER), hostile_files.row_xml(2, hostile_files.person(2)),
           hostile_files.row_xml(100_002, hostile_files.person(3))]
    started = datetime.now()
    parsed = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(far, "A1:F3")))
    assert refusal(parsed) == ('Filen: Bladet "Personal" har fler än 100\u00a0000 rader under rubrikraden, det '
                               "största antal som läses in. Dela upp den, till exempel i en fil per förvaltning.")
    assert (datetime.now() - started).total_seconds() < 5


def test_columns_past_the_limit_are_refused_by_the_scan_and_by_the_reader():
    wide = [hostile_files.row_xml(1, hostile_files.HEADER + tuple(f"extra{i}" for i in range(60)))]
    assert "fler än 60 kolumner på en rad" in refusal(parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(wide))))
    # one cell far right (column 61, BI), within a row of seven cells: the reader sees it and refuses
    far_right = [hostile_files.row_xml(1, hostile_files.HEADER),
                 hostile_files.row_xml(2, hostile_files.person(2)) + hostile_files.row_xml(3, ["x"], first_column=61)]
    parsed = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(far_right, "A1:F3")))
    assert 'Bladet "Personal" har fler än 60 kolumner (rad 3 har något längre till höger)' in refusal(parsed)


def test_the_scan_counts_cells_and_rows_under_any_namespace_prefix():
    main = hostile_files.MAIN
    cells = "".join(f'<ä:c t="inlineStr"><ä:is><ä:t>{n}</ä:t></ä:is></ä:c>' for n in range(61))
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><ä:worksheet xmlns:ä="{main}"><ä:sheetData>'
             f'<ä:row>{cells}</ä:row></ä:sheetData></ä:worksheet>').encode()
    assert "fler än 60 kolumner på en rad" in refusal(parse("personal.xlsx", xlsx_bytes([sheet])))
    long_prefix = "p" * 300
    rows = "".join(f"<{long_prefix}:row/>" for _ in range(60))
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{long_prefix}:worksheet xmlns:{long_prefix}="{main}">'
             f'<{long_prefix}:sheetData>{rows}</{long_prefix}:sheetData></{long_prefix}:worksheet>').encode()
    assert "fler än 50 rader" in refusal(parse("personal.xlsx", xlsx_bytes([sheet]),
                                               limits=importer.Limits(max_rows=50)))


def test_entity_tricks_are_refused_by_the_scan_and_by_defusedxml(monkeypatch):
    laughs = xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F3",
                                                prolog=hostile_files.billion_laughs()))
    assert "DTD" in refusal(parse("personal.xlsx", laughs))
    monkeypatch.setattr(importer, "_inspect_xlsx", lambda data, limits: None)  # without the scan, openpyxl ...
    started = datetime.now()
    assert "EntitiesForbidden" in refusal(parse("personal.xlsx", laughs))  # ... uses defusedxml (requirements.txt)
    assert (datetime.now() - started).total_seconds() < 5


def test_an_xml_part_not_in_utf8_is_refused():
    sheet = b"".join(hostile_files.sheet_xml(hostile_files.people_rows(2), "A1:F3"))
    utf16 = sheet.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")
    assert "inte skriven i UTF-8" in refusal(parse("personal.xlsx", xlsx_bytes([utf16])))
    bare = sheet.replace(b'<?xml version="1.0" encoding="UTF-8"?>', b"  ").decode().encode("utf-16-le")  # no BOM
    assert "inte skriven i UTF-8" in refusal(parse("personal.xlsx", xlsx_bytes([bare])))
    ebcdic = sheet.replace(b'encoding="UTF-8"', b'encoding="cp500"')
    assert "inte skriven i UTF-8" in refusal(parse("personal.xlsx", xlsx_bytes([ebcdic])))


def test_a_zip_of_many_parts_and_old_or_locked_excel_files_are_refused():
    many = {f"xl/media/image{i}.png": b"" for i in range(1_001)}
    data = xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(2)), extra=many)
    assert "delar; en arbetsbok har ett tiotal" in refusal(parse("personal.xlsx", data))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert "äldre Excel-fil (.xls) eller lösenordsskyddad" in refusal(parse("personal.xlsx", ole))


def test_a_workbook_written_by_the_hostile_helper_is_read_like_any_other():
    parsed = parse("personal.xlsx", xlsx_bytes(hostile_files.sheet_xml(hostile_files.people_rows(3), "A1:F4")))
    assert parsed.problems == [] and [row.id for row in parsed.people] == ["1002", "1003", "1004"]
    assert parsed.people[0].values["email"] == "person2@kommun.example"


# --- encodings ------------------------------------------------------------------------------------------------

SMALL_CSV = "anstallningsid;namn;epost;enhet;roll;startdatum\n7;Åsa Öberg;asa@k.se;kf;förtroendevald;2024-01-01\n"


@pytest.mark.parametrize("mark, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                         (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
                                         (codecs.BOM_UTF32_BE, "utf-32-be")])
def test_a_csv_with_a_byte_order_mark_is_read_in_its_encoding(mark, codec):
    parsed = parse("personal.csv", mark + SMALL_CSV.encode(codec))
    assert parsed.problems == [] and parsed.people[0].values["name"] == "Åsa Öberg"
    assert parsed.people[0].values["roles"] == ("fortroendevald",)


@pytest.mark.parametrize("data, reason", [
    (SMALL_CSV.encode("utf-16-le"), "den ser ut som UTF-16 utan byteordningsmärke (BOM)"),
    (SMALL_CSV.encode("utf-16-be"), "den ser ut som UTF-16 utan byteordningsmärke (BOM)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "den innehåller binära data, inte text"),
    (codecs.BOM_UTF16_LE + SMALL_CSV.encode("utf-16-le")[:-1],
     "den börjar som UTF-16 men resten är inte giltig UTF-16"),
    (SMALL_CSV.encode("cp1252").replace(b"\xd6berg", b"\x81berg"), "den är varken UTF-8 eller Windows-1252"),
    (SMALL_CSV.encode().replace(b"asa@", b"asa\x1b@"), "den innehåller styrtecken, som inte finns i en textfil"),
])
def test_text_in_another_encoding_or_binary_data_is_refused_with_one_message(data, reason):
    assert refusal(parse("personal.csv", data)) == (
        f"Filen: Filen kunde inte läsas som text: {reason}. Spara den som CSV med teckenkodningen UTF-8, UTF-16 "
        "eller Windows-1252 (i Excel: Spara som → CSV UTF-8), eller som Excel-arbetsbok (.xlsx).")


def test_a_workbook_named_csv_and_broken_csv_are_told_in_swedish():
    book = io.BytesIO()
    Workbook().save(book)
    assert "är en Excel-arbetsbok" in refusal(parse("personal.csv", book.getvalue()))
    unclosed = ("anstallningsid;namn;epost;enhet;roll;startdatum\n"
                '1;"Anna;a@k.se;kf;medarbetare;2024-01-01\n' + ("x" * 1000 + "\n") * 200)
    assert refusal(parse("personal.csv", unclosed.encode())) == (
        'Filen: Rad 2 kunde inte läsas: ett fält är orimligt långt, kanske för att ett citattecken (") aldrig '
        "stängs. Rätta raden eller spara filen på nytt som CSV.")
    assert "längre än 100\u00a0000 tecken" in refusal(parse("personal.csv", b"a;" * 60_000))


def test_csv_rows_and_columns_are_bounded_too():
    rows = SMALL_CSV + "".join(f"{n};P {n};p{n}@k.se;kf;medarbetare;2024-01-01\n" for n in range(8, 30))
    assert "Filen har fler än 10 rader" in refusal(parse("personal.csv", rows.encode(),
                                                         limits=importer.Limits(max_rows=10)))
    header, person = SMALL_CSV.splitlines()
    trailing = f"{header}{';' * 70}\n{person}{';' * 70}\n"  # Excel writes empty cells out to its used range
    assert parse("personal.csv", trailing.encode()).problems == []
    extra = f"{header}{';' * 70}\n{person}{';' * 69}x\n"
    assert "fler än 60 kolumner (rad 2" in refusal(parse("personal.csv", extra.encode()))


# --- personnummer by value, in any column ---------------------------------------------------------------------

TOLVAN = "19121212-1212"  # Skatteverket's test person: a valid date and check digit
VALID = [TOLVAN, "191212121212", "121212-1212", "1212121212", "121212+1212",  # + : a hundred years or older
         hostile_files.personnummer("850505", century="19"),
         hostile_files.personnummer("700163", century="19"),  # samordningsnummer: day 3 + 60
         hostile_files.personnummer("000229"),  # 29 February 2000
         hostile_files.personnummer("920909", separator="")]


@pytest.mark.parametrize("value", VALID + [f"Anna {TOLVAN} Andersson", f"x{TOLVAN.replace('-', '')}@kommun.se",
                                           191212121212])  # the last: an Excel number cell
def test_a_personnummer_or_samordningsnummer_is_recognised_by_its_value(value):
    assert importer.looks_like_personnummer(value)


@pytest.mark.parametrize("value", [
    "19121212-1213",  # wrong check digit
    "19700101-1234", "19850505-2345",  # the fixture's made-up numbers: their check digits are wrong
    hostile_files.personnummer("701301"),  # month 13
    hostile_files.personnummer("700230"),  # 30 February
    hostile_files.personnummer("010229", century="19"),  # 29 February 1901
    hostile_files.personnummer("700192"),  # day 92: past a samordningsnummer's 91
    "0019121212121212",  # part of a longer number
    "1001", "2024-01-01", "070-123 45 67", "anna.andersson@kommun.se", date(1912, 12, 12),
])
def test_other_values_are_not_taken_for_a_personnummer(value):
    assert not importer.looks_like_personnummer(value)


PEOPLE_HEADER = "anstallningsid;namn;epost;enhet;chef;roll;startdatum;befattning\n"


def test_a_personnummer_as_the_employee_id_or_in_any_other_column_refuses_the_row_without_repeating_it():
    text = (PEOPLE_HEADER
            + "1001;Karin Kulturchef;karin@kommun.example;kf;;chef;2015-02-01;Chef\n"
            + f"{TOLVAN};Tolvan Tolvansson;tolvan@kommun.example;kf;1001;medarbetare;2020-01-01;\n"
            + f"1003;Sara {VALID[5]};sara@kommun.example;kf;1001;medarbetare;2020-01-01;\n"
            + f"1004;Per Ledamot;{VALID[6].replace('-', '')}@kommun.example;kf;1001;medarbetare;2020-01-01;\n"
            + f"1005;Mia Tillsyn;mia@kommun.example;kf;{VALID[2]};medarbetare;2020-01-01;\n"
            + f"1006;Nils Ny;nils@kommun.example;kf;1001;medarbetare;2020-01-01;Handläggare {VALID[7]}\n"
            + f"191212121212;Tolvan Igen;ti@kommun.example;kf;1001;medarbetare;2020-01-01;\n")
    units = f"enhet;namn;typ;overordnad;chef\nkf;Kultur;förvaltning;;{VALID[4]}\n{VALID[8]};Bibliotek;enhet;kf;1001\n"
    parsed = parse("personal.csv", text.encode(), "enheter.csv", units.encode())
    assert [str(p) for p in parsed.problems] == [
        "Rad 3: Anställnings-id ser ut som ett personnummer. Personnummer får inte sparas: använd "
        "anställningsnumret från personalsystemet.",
        "Rad 4: Kolumnen namn innehåller något som ser ut som ett personnummer. Personnummer får inte sparas, så "
        "raden läses inte in: ta bort personnumret ur filen.",
        "Rad 5: Kolumnen epost innehåller något som ser ut som ett personnummer. Personnummer får inte sparas, så "
        "raden läses inte in: ta bort personnumret ur filen.",
        "Rad 6: Chefens anställnings-id (kolumnen chef) ser ut som ett personnummer. Personnummer får inte sparas: "
        "använd chefens anställningsnummer.",
        "Rad 7: Kolumnen befattning innehåller något som ser ut som ett personnummer. Personnummer får inte sparas, "
        "så raden läses inte in: ta bort personnumret ur filen.",
        "Rad 8: Anställnings-id ser ut som ett personnummer. Personnummer får inte sparas: använd "
        "anställningsnumret från personalsystemet.",
        "Enheter, rad 2: Chefens anställnings-id (kolumnen chef) ser ut som ett personnummer. Personnummer får inte "
        "sparas: använd chefens anställningsnummer.",
        "Enheter, rad 3: Enhetens id ser ut som ett personnummer. Personnummer får inte sparas: ge enheten ett "
        "annat id.",
    ]
    assert [row.id for row in parsed.people] == ["1001"]
    kept = repr(parsed)  # nothing of them is kept, not even in the ids used to check references
    for number in VALID:
        assert number not in kept and number.replace("-", "").replace("+", "") not in kept


def test_a_file_without_a_header_row_does_not_repeat_a_personnummer_from_its_first_row():
    parsed = parse("personal.csv", f"{TOLVAN};Tolvan Tolvansson;tolvan@kommun.example;kf;medarbetare\n".encode())
    assert "Kolumnerna i filen är: (ett personnummer), Tolvan Tolvansson" in str(parsed.problems[0])
    assert TOLVAN not in repr(parsed)


def stored_values(db) -> list[str]:
    """Every value of every column of every table, as text."""
    return [str(value) for rows in everything(db).values() for row in rows for value in row if value is not None]


def test_no_stored_value_anywhere_contains_a_personnummer_after_imports_that_carry_them(db):
    header = "anstallningsid;Personnummer;namn;epost;enhet;chef;roll;startdatum;befattning;Födelsenummer\n"
    # a personnummer under its own header (skipped) and under a header the importer does not use (not read)
    good = (header + f"1001;{VALID[0]};Karin Kulturchef;karin@kommun.example;kf;;chef;2015-02-01;Chef;{VALID[1]}\n"
            + f"1002;{VALID[5]};Ola Lånedisk;ola@kommun.example;kf;1001;medarbetare;2021-09-01;;{VALID[6]}\n")
    units = "enhet;namn;typ;overordnad;chef\nkf;Kultur- och fritidsförvaltningen;förvaltning;;1001\n"
    plan = importer.apply(db, SYSTEM, parse("personal.csv", good.encode(), "enheter.csv", units.encode()), TODAY)
    assert plan.ok and plan.counts(plan.people)[ADD] == 2
    assert any("Personnummer" in note and "ignorerades" in note for note in plan.notes)
    assert any("Födelsenummer" in note and "lästes inte in" in note for note in plan.notes)
    before = everything(db)
    # then personnummer in every column that is read: every such row is refused, so nothing at all is saved
    hostile = (header + f"{VALID[2]};;Tolvan;tolvan@kommun.example;kf;1001;medarbetare;2020-01-01;;\n"
               + f"1003;;Sara {VALID[3]};sara@kommun.example;kf;1001;medarbetare;2020-01-01;;\n"
               + f"1004;;Per;{VALID[4].replace('-', '')}@kommun.example;kf;1001;medarbetare;2020-01-01;;\n"
               + f"1005;;Mia;mia@kommun.example;kf;{VALID[7]};medarbetare;2020-01-01;;\n"
               + f"1006;;Nils;nils@kommun.example;kf;1001;medarbetare;2020-01-01;Chef {VALID[8]};\n"
               + "1007;;Rätt Rad;ratt@kommun.example;kf;1001;medarbetare;2020-01-01;;\n")
    hostile_units = f"enhet;namn;typ;overordnad;chef\nkf;Kultur {VALID[0]};förvaltning;;1001\n"
    refused = importer.apply(db, SYSTEM, parse("personal.csv", hostile.encode(), "enheter.csv", hostile_units.encode()),
                             TODAY)
    assert not refused.ok and len(refused.problems) == 6 and everything(db) == before
    assert not any(importer.looks_like_personnummer(str(p)) for p in refused.problems)
    stored = stored_values(db)
    assert "Karin Kulturchef" in stored and "ola@kommun.example" in stored
    assert [value for value in stored if importer.looks_like_personnummer(value)] == []
    for number in VALID + list(PERSONNUMMER):  # literally too: with and without the separator
        assert not any(number in value or number.replace("-", "").replace("+", "") in value for value in stored)


# --- one e-mail address, one person ---------------------------------------------------------------------------

EMAIL_HEADER = "anstallningsid;namn;epost;enhet;roll;startdatum;slutdatum\n"
SAME_EMAIL = ("Två personer som är anställda samtidigt kan inte ha samma adress: inloggningen skulle inte veta vem "
              "det är. Rätta adressen, eller ge den som har slutat ett slutdatum.")


def people_file(*rows: str) -> importer.Parsed:
    return parse("personal.csv", (EMAIL_HEADER + "".join(row + "\n" for row in rows)).encode())


def test_two_rows_with_one_email_address_are_both_row_errors(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)  # the unit kf and five people with their own addresses
    before = everything(db)
    parsed = people_file("2001;Anna A;anna.a@kommun.example;kf;medarbetare;2024-01-01;",
                         "2002;Anna B; Anna.A@Kommun.Example ;kf;medarbetare;2024-01-01;",
                         "2003;Bo C;bo@kommun.example;kf;medarbetare;2024-01-01;",
                         "2004;Anna D;ANNA.A@kommun.example;kf;medarbetare;2025-06-01;")
    plan = importer.apply(db, SYSTEM, parsed, TODAY)
    assert [str(p) for p in plan.problems] == [
        f"Rad 2: E-postadressen anna.a@kommun.example finns också på rad 3 och 5. {SAME_EMAIL}",
        f"Rad 3: E-postadressen Anna.A@Kommun.Example finns också på rad 2 och 5. {SAME_EMAIL}",
        f"Rad 5: E-postadressen ANNA.A@kommun.example finns också på rad 2 och 3. {SAME_EMAIL}",
    ]
    assert [(c.action, c.id) for c in plan.people] == [(ADD, "2003")] and everything(db) == before


def test_an_address_that_belongs_to_an_active_person_in_the_store_who_is_not_in_the_file(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    before = everything(db)
    newcomer = people_file("1006;Nils Ny; OLA.lanedisk@kommun.example ;kf;medarbetare;2025-02-01;")
    plan = importer.apply(db, SYSTEM, newcomer, TODAY)
    assert [str(p) for p in plan.problems] == [
        "Rad 2: E-postadressen OLA.lanedisk@kommun.example tillhör redan Ola Lånedisk (1002) i databasen, som inte "
        f"finns i filen. {SAME_EMAIL}"]
    assert everything(db) == before


def test_an_address_may_pass_to_someone_else_when_its_holder_changes_address_or_has_left(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    # 1002 is in the file with a new address, so Nils may have the old one: after the import one person has it
    moved = people_file("1002;Ola Lånedisk;ola.ny@kommun.example;kf-bibliotek;medarbetare;2021-09-01;",
                        "1006;Nils Ny;ola.lanedisk@kommun.example;kf;medarbetare;2025-02-01;")
    plan = importer.apply(db, SYSTEM, moved, TODAY)
    assert plan.ok and {c.id: c.action for c in plan.people} == {"1002": CHANGE, "1006": ADD}
    # 1004 leaves before Vera starts: never two at once, so no conflict (an end date is the last day)
    importer.apply(db, SYSTEM, people_file("1004;Per Ledamot;per.ledamot@kommun.example;kfn;fortroendevald;2023-01-01;"
                                   "2025-03-31"), TODAY)
    follower = people_file("1007;Vera Ny;per.ledamot@kommun.example;kf;medarbetare;2025-04-01;")
    assert importer.plan_for(db, SYSTEM, follower, TODAY).ok
    overlapping = people_file("1007;Vera Ny;per.ledamot@kommun.example;kf;medarbetare;2025-03-31;")
    assert "tillhör redan Per Ledamot (1004)" in str(importer.plan_for(db, SYSTEM, overlapping, TODAY).problems[0])
    # rows that were never employed at the same time, today or later, may share one (an old row in the export)
    history = people_file("2001;Anna Gammal;anna@kommun.example;kf;medarbetare;2010-01-01;2020-05-31",
                          "2002;Anna Ny;anna@kommun.example;kf;medarbetare;2023-01-01;")
    assert importer.plan_for(db, SYSTEM, history, TODAY).ok


def test_people_ended_by_end_missing_still_hold_their_address_today(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    tomorrow = people_file("1006;Nils Ny;per.ledamot@kommun.example;kf;medarbetare;2025-03-02;")
    assert "tillhör redan Per Ledamot (1004)" in str(importer.plan_for(db, SYSTEM, tomorrow, TODAY).problems[0])
    # --end-missing ends Per today (his last day), so from tomorrow the address is free; today it is not
    assert importer.plan_for(db, SYSTEM, tomorrow, TODAY, end_missing=True).ok
    today_ = people_file("1006;Nils Ny;per.ledamot@kommun.example;kf;medarbetare;2025-03-01;")
    assert "tillhör redan Per Ledamot (1004)" in str(importer.plan_for(db, SYSTEM, today_, TODAY, end_missing=True).problems[0])


def test_an_email_address_is_stored_trimmed(db):
    importer.apply(db, SYSTEM, good_file(), TODAY)
    plan = importer.apply(db, SYSTEM, people_file("1006;Nils Ny;\t Nils.Ny@kommun.example  ;kf;medarbetare;2025-02-01;"),
                          TODAY)
    assert plan.ok
    with db.read() as session:
        assert session.get(Person, "1006").email == "Nils.Ny@kommun.example"


def test_the_page_says_in_one_sentence_why_a_file_is_refused_and_tells_the_limit(demo_env, zip_bomb):
    from streamlit.testing.v1 import AppTest

    from course.plain import md_escape
    from tests.conftest import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.query_params["as"] = "demo-admin"
    at.run()
    at.switch_page("views/import_page.py").run()
    uploader = at.file_uploader(key="import_file")
    assert uploader.proto.max_upload_size_mb == 20  # .streamlit/config.toml, which the server enforces
    assert uploader.proto.help.startswith("Högst 20 MB.")

    at.file_uploader(key="import_file").upload("personal.xlsx", zip_bomb.read_bytes()).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [  # the reason as plain text: it may quote a file or sheet name
        "Filen togs inte emot, och ingenting i den har lästs in eller sparats. " + md_escape(
            "Filen är för stor när den packas upp (300,0 MB; högst 100,0 MB). Dela upp den eller exportera som CSV.")]
    assert not at.metric and not at.dataframe and "import_apply" not in [b.key for b in at.button]

    at.file_uploader(key="import_file").clear()
    at.file_uploader(key="import_file").upload("personal.csv", SMALL_CSV.encode("utf-16-le")).run()
    assert len(at.error) == 1 and not at.metric
    assert "UTF-16 utan byteordningsmärke" in at.error[0].value.replace("\\", "")


def test_an_address_with_header_characters_is_a_row_error_and_a_swedish_domain_is_fine():
    header = "anstallningsid;namn;epost;enhet;roll;startdatum\n"
    for hostile in ("a<b@kommun.se", "\"Chef\" <chef@kommun.se>", "a@kommun.se, b@annan.se", "a b@kommun.se"):
        parsed = parse("personal.csv", (header + f"7;Åsa;{hostile};kf;medarbetare;2024-01-01\n").encode())
        assert any("ser inte ut som en e-postadress" in str(p) for p in parsed.problems), hostile
    fine = parse("personal.csv", (header + "7;Åsa;åsa.öberg@håbo.se;kf;medarbetare;2024-01-01\n").encode())
    assert not fine.problems and fine.people[0].values["email"] == "åsa.öberg@håbo.se"
