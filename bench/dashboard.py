"""The manager dashboard's queries at 60,000 people with 5 years of history, on SQLite and PostgreSQL.

Seeds the organisation once per database (bench/data/ for SQLite, a database on the local PostgreSQL) and
reuses it on later runs. Then, in one run and interleaved, times every query the "Min enhet" page makes for the
top manager (everyone) and for the manager of one avdelning of about 500 people, beside a plain
`SELECT count(*) FROM completions` (the table of completion records) on the same database. Prints medians and
the ratio to that count, so a slower or faster machine moves both. Targets (issue 5): under 0.5 s for the top
manager and under 0.1 s for the unit, on both databases.

    .venv/bin/python bench/dashboard.py                 # 60,000 people, 5 years (first run seeds: ~10 min)
    .venv/bin/python bench/dashboard.py --employees 5000 --rounds 3   # a quick look
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course.content.loader import default_content_root, load_course  # noqa: E402
from progress import daily_counts, dashboard, states, tallies  # noqa: E402
from progress.db import Database, make_engine, migrate  # noqa: E402
from progress.models import Base, Completion, Person  # noqa: E402
from progress.seed import large_organisation, seed  # noqa: E402

PEOPLE_LIST_LIMIT = 2000  # views/manager.py
TODAY = date(2026, 11, 23)  # the seed's and the queries' day, fixed so that reruns see the same statuses
DATA = Path(__file__).resolve().parent / "data"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=60000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7, help="timed repetitions of each query (median shown)")
    parser.add_argument("--reseed", action="store_true", help="seed again even when the data exists")
    parser.add_argument("--databases", default="sqlite,postgresql", help="which to measure, comma-separated")
    args = parser.parse_args()

    course = load_course(default_content_root()).course
    name = f"dashboard_{args.employees}_{args.years}"
    DATA.mkdir(exist_ok=True)
    sqlite_db = _sqlite(course, DATA / f"{name}.sqlite", args)
    measured = [("SQLite", sqlite_db)]
    if "postgresql" in args.databases:
        postgres_db = _postgres(sqlite_db, f"gransfall_bench_{name}", args.reseed)
        _rollups_made(postgres_db, course)
        measured.append(("PostgreSQL", postgres_db))
    if "sqlite" not in args.databases:
        measured.pop(0)

    units = dashboard.load_units(sqlite_db)
    avdelning = next(u for u in units.values() if u.kind == "avdelning")
    print(f"\n{args.employees} anställda, {args.years} års historik, idag = {TODAY}")
    for label, db in measured:
        counts = _sizes(db)
        print(f"\n== {label}: {counts}")
        unit_people = _people_in(db, units, [avdelning.id])
        scopes = {"högsta chef": dashboard.scope_for(db, "chef-ks", today=TODAY, units=units),
                  f"avdelning ({unit_people} pers.)": dashboard.scope_for(db, "chef-ks", avdelning.id, today=TODAY,
                                                                          units=units)}
        db.write(daily_counts.forget)  # time making the day's counts, once, as the day's first view does
        made = _timed(lambda: daily_counts.ensure(db, course, TODAY))
        print(f"{'dagens räkning görs (en gång per dag)':52s} {made * 1000:8.1f} ms")
        timings = {(who, query): [] for who in scopes for query in QUERIES}
        baseline = []
        for _ in range(args.rounds):
            baseline.append(_timed(lambda: _count(db)))
            for who, scope in scopes.items():
                for query, run in QUERIES.items():
                    timings[(who, query)].append(_timed(lambda: run(db, course, scope)))
        base = statistics.median(baseline)
        print(f"{'SELECT count(*) FROM completions':52s} {base * 1000:8.1f} ms   1.0x")
        for who in scopes:
            total = sum(statistics.median(timings[(who, q)]) for q in QUERIES)
            target = 0.5 if who == "högsta chef" else 0.1
            verdict = "inom målet" if total < target else "ÖVER MÅLET"
            print(f"{who}: hela sidans frågor {total * 1000:8.1f} ms  {total / base:6.1f}x count(*)  "
                  f"(mål < {target * 1000:.0f} ms: {verdict})")
            for query in QUERIES:
                median = statistics.median(timings[(who, query)])
                print(f"    {query:46s} {median * 1000:8.1f} ms  {median / base:6.1f}x")
    return 0


def _year_ago() -> date:
    return TODAY - timedelta(days=365)


QUERIES = {
    # as the page does: the overdue people are listed when the scope has at most PEOPLE_LIST_LIMIT people
    "status per enhet och modul (+ försenade)": lambda db, course, scope: dashboard.status_overview(
        db, course, scope, dashboard.people_count(db, scope) <= PEOPLE_LIST_LIMIT),
    "klara per månad + poäng (12 mån)": lambda db, course, scope: dashboard.completed_in_period(
        db, scope, _year_ago(), TODAY),
    "antal personer": lambda db, course, scope: dashboard.people_count(db, scope),
    "värmekarta ämnen (12 mån)": lambda db, course, scope: dashboard.topic_heatmap(db, scope, _year_ago(), TODAY),
}


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Completion))


def _sizes(db: Database) -> str:
    with db.engine.connect() as connection:
        parts = [f"{table} {connection.scalar(text(f'SELECT count(*) FROM {table}')):,}"
                 for table in ("people", "units", "attempts", "completions", "topic_tallies")]
    return ", ".join(parts).replace(",", " ").replace("  ", ", ")


def _people_in(db: Database, units, roots) -> int:
    ids = list(dashboard.subtree_of(units, roots))
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Person).where(Person.unit_id.in_(ids)))


def _has_people(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Person)) > 0


def _sqlite(course, path: Path, args) -> Database:
    if args.reseed and path.exists():
        path.unlink()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    db = Database(engine)
    if not _has_people(db):
        print(f"Skapar {args.employees} anställda med {args.years} års historik i {path} ...", file=sys.stderr)
        units, titles = large_organisation(args.employees)
        seed(db, course, args.employees, args.years, today=TODAY, progress=True, units=units, titles=titles,
             keep_steps=False)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    _rollups_made(db, course)
    return db


def _rollups_made(db: Database, course) -> None:
    """Data seeded before a rollup existed gets it counted from the records, as the app does at start."""
    for rollup in (states, tallies):
        if rollup.is_empty(db):
            print(f"Räknar {rollup.__name__} från posterna ...", file=sys.stderr)
            rollup.rebuild(db, course)


def _postgres(source: Database, name: str, reseed: bool) -> Database:
    """The same rows as the SQLite database, copied (seeding twice would take twice as long)."""
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and reseed:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(f"{POSTGRES}/{name}")
    migrate(engine)
    db = Database(engine)
    if not _has_people(db):
        print(f"Kopierar till PostgreSQL ({name}) ...", file=sys.stderr)
        with source.engine.connect() as reader, engine.begin() as writer:
            for table in Base.metadata.sorted_tables:
                result = reader.execution_options(yield_per=20000).execute(select(table))
                for rows in result.partitions():
                    writer.execute(insert(table), [dict(row._mapping) for row in rows])
            for table in ("attempts", "steps", "completions", "waivers", "attestations", "reflections",
                          "sent_messages"):
                writer.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"COALESCE(MAX(id), 0) + 1, false) FROM {table}")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return db


if __name__ == "__main__":
    sys.exit(main())
