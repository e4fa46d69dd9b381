"""A demo database whose HR data is hostile: names, titles and unit names that are Markdown images and links,
HTML, spreadsheet formulas, bare URLs and Streamlit directives, imported the way an admin would import them
(progress.importer), so that a test can open every page and every export over them.

Every hostile value points at `http://127.0.0.1:<port>`, where a test may listen for requests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from progress import certificates, importer, talk
from progress.access import SYSTEM
from progress.db import Database, make_engine, migrate
from progress.org import Org
from progress.seed import seed

HOSTILE_UNIT = "fientlig"  # a new förvaltning under Samhällsbyggnadsförvaltningen (demo-chef's)
RENAMED_UNITS = ("sbf", "sbf-miljo")
HOSTILE_PEOPLE = ("h-bild", "h-lank", "h-img", "h-formel", "h-bar", "h-www", "h-mail", "h-plus", "h-minus", "h-at")
RENAMED_PERSON = "demo-medarbetare"  # has history, a finished track (a certificate) and a shared reflection
CERTIFICATE_TRACK = "nyanstalld"

# Strings that Markdown, HTML or Streamlit would turn into something else (port 9: nothing listens there).
HOSTILE_STRINGS = [
    "![p](http://127.0.0.1:9/pixel.png)",
    "[Logga in här](http://127.0.0.1:9/x)",
    "<img src=http://127.0.0.1:9/i>",
    '<a href="http://127.0.0.1:9/a">x</a>',
    '=HYPERLINK("http://127.0.0.1:9/h","klicka")',
    "www.127.0.0.1.nip.io:9/w",
    "http://127.0.0.1:9/bare",
    "kalle@127.0.0.1.nip.io",
    "<http://127.0.0.1:9/auto>",
    ":red[röd] :material/home: :smile: :streamlit: $x^2$ $$y$$",
    "# rubrik", "> citat", "- lista", "+ lista", "1. lista", "2) lista", "| a | b |", "---", "***", "```kod```",
    "&amp; &#60; &copy;", "a\nb\r\n\n# h\u2028i\u2029j\tk\x00l\x7fm\x85n",
    "`kod` **fet** _kursiv_ ~~s~~ ~t~", "[^1]", "\\[x\\]", "x\\", "a -> b <- c <-> d -- e >= f <= g ~= h",
    "Anna-Karin O'Brien", "Ek & Son", "mailto:a@b.se", "[x]: http://127.0.0.1:9/ref", "    indrag",
]


def values(port: int) -> dict[str, str]:
    """The hostile texts, by what they are used for."""
    here = f"http://127.0.0.1:{port}"
    return {
        "sbf": f'=HYPERLINK("{here}/forvaltning","Samhällsbyggnad")',
        "sbf-miljo": f'<a href="{here}/enhet">Miljö</a>',
        HOSTILE_UNIT: f"![u]({here}/unit.png) <a href=\"{here}/forv\">Fientliga förvaltningen</a>",
        "h-bild": f"![p]({here}/pixel.png) Bild",
        "h-lank": f"[Logga in här]({here}/x)",
        "h-img": f"<img src={here}/i>",
        "h-formel": f'=HYPERLINK("{here}/h","klicka")',
        "h-bar": f"{here}/bare Bo",
        "h-www": f"www.127.0.0.1.nip.io:{port}/w Ek",
        "h-mail": "kalle@127.0.0.1.nip.io Kalle",
        "h-plus": "+46 Plus",
        "h-minus": "-Minus Person",
        "h-at": "@Kalle Anka",
        RENAMED_PERSON: f'=HYPERLINK("{here}/m","Milad") ![m]({here}/m.png)',
        "title": f"[Intranät]({here}/titel) :red[Chef] :material/home: :streamlit: $x^2$ <b>fet</b>",
        "title-img": f"<img src={here}/title.png>",
        "title-formula": "@SUM(A1)",
        "reflection": f"Se ![r]({here}/reflektion.png) och [här]({here}/r) www.127.0.0.1.nip.io:{port}/r",
        "header": f"![h]({here}/header.png)",  # a column header the import page quotes
    }


def markers(port: int) -> tuple[str, ...]:
    """Substrings that only the raw hostile values contain: none of them may reach Markdown unescaped."""
    return (f"127.0.0.1:{port}", "nip.io", "HYPERLINK(", ":red[Chef]", ":material/home: :streamlit:", "<img src=",
            '<a href="', "<b>fet", "$x^2$", "[Logga in här]")


@dataclass(frozen=True)
class Hostile:
    database: Database
    port: int
    certificate_code: str


def people_file(port: int, extra_header: bool = False, id_prefix: str = "") -> bytes:
    """The people as an HR export (CSV, semicolons, UTF-8 with BOM), hostile rows only; `extra_header` adds a
    column whose name is hostile, `id_prefix` makes them new people for a store that has them already."""
    hostile = values(port)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    header = ["anstallningsid", "namn", "epost", "enhet", "roll", "startdatum", "befattning"]
    writer.writerow(header + ([hostile["header"]] if extra_header else []))
    titles = [hostile["title"], hostile["title-img"], hostile["title-formula"], "-2+3", "+SUM(1;2)"]
    for number, person_id in enumerate(HOSTILE_PEOPLE):
        unit = "sbf-miljo" if person_id in ("h-bar", "h-plus") else HOSTILE_UNIT
        writer.writerow([id_prefix + person_id, hostile[person_id], f"{id_prefix}{person_id}@gransby.se", unit,
                         "medarbetare", "2020-01-01", titles[number % len(titles)]] + (["x"] if extra_header else []))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _units_file(port: int, org_units: dict) -> bytes:
    hostile = values(port)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["enhet", "namn", "typ", "overordnad", "chef"])
    for unit_id in RENAMED_UNITS:
        stored = org_units[unit_id]
        writer.writerow([unit_id, hostile[unit_id], stored["kind"], stored["parent_id"] or "",
                         stored["manager_id"] or ""])
    writer.writerow([HOSTILE_UNIT, hostile[HOSTILE_UNIT], "förvaltning", "sbf", ""])
    return buffer.getvalue().encode("utf-8")


def _renamed_person_file(port: int, stored: dict) -> bytes:
    hostile = values(port)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["anstallningsid", "namn", "epost", "enhet", "roll", "startdatum", "befattning"])
    writer.writerow([RENAMED_PERSON, hostile[RENAMED_PERSON], stored["email"], stored["unit_id"],
                     ",".join(stored["roles"]), stored["start_date"].isoformat(), hostile["title"]])
    return buffer.getvalue().encode("utf-8")


def _apply(db: Database, people: bytes, units: bytes | None, today: date) -> None:
    parsed = importer.parse("personal.csv", people, "enheter.csv" if units else None, units)
    plan = importer.apply(db, SYSTEM, parsed, today)
    assert plan.ok and plan.has_changes, [str(problem) for problem in plan.problems]


def make_hostile_demo(database_url: str, course, port: int, today: date | None = None) -> Hostile:
    """Seed the demo into an empty database at `database_url`, then import the hostile HR data into it."""
    today = today or date.today()
    engine = make_engine(database_url)
    migrate(engine)
    db = Database(engine)
    seed(db, course, today=today)
    with db.read() as session:
        current = importer.snapshot(session)
    _apply(db, people_file(port), _units_file(port, current.units), today)
    _apply(db, _renamed_person_file(port, current.people[RENAMED_PERSON]), None, today)
    module_id = next(iter(course.tracks[CERTIFICATE_TRACK].modules))
    talk.save_reflection(db, RENAMED_PERSON, module_id, values(port)["reflection"], True)
    record = certificates.issue(db, RENAMED_PERSON, course, RENAMED_PERSON, CERTIFICATE_TRACK)  # as the learner
    assert Org(db).person(RENAMED_PERSON).name == values(port)[RENAMED_PERSON]
    return Hostile(db, port, record.printed_code)
