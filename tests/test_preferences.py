"""The language a person chose (progress.preferences): stored with them, only by them, in their register extract,
gone with them; on SQLite and on PostgreSQL. And the migration that makes its table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from progress import preferences, privacy
from progress.access import SYSTEM, NotPermitted
from progress.models import Person, PersonPreference, PersonRole, Unit
from tests.conftest import migrate_to

TODAY = date.today()


def add_people(db, *people: tuple[str, tuple[str, ...]], end: dict[str, date] | None = None) -> None:
    end = end or {}
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), [{"id": "u1", "name": "Enheten", "kind": "enhet"}])
        connection.execute(insert(Person), [{"id": person_id, "name": f"Namn {person_id}", "unit_id": "u1",
                                             "start_date": TODAY - timedelta(days=2000),
                                             "end_date": end.get(person_id)} for person_id, _ in people])
        connection.execute(insert(PersonRole), [{"person_id": person_id, "role": role}
                                                for person_id, roles in people for role in roles])


def stored(db) -> dict[str, str]:
    with db.read() as session:
        return dict(session.execute(select(PersonPreference.person_id, PersonPreference.language)).all())


@pytest.fixture
def people(db):
    add_people(db, ("anna", ("medarbetare",)), ("bo", ("medarbetare",)), ("admin", ("admin",)))
    return db


def test_a_person_sets_their_language_and_it_is_read_back(people):
    db = people
    assert preferences.language_of(db, "anna") is None  # no choice yet: the caller's default
    preferences.set_language(db, "anna", "anna", "en")
    assert preferences.language_of(db, "anna") == "en"
    assert preferences.language_of(db, "bo") is None
    preferences.set_language(db, "anna", "anna", "en")  # the same again (a second tab): still one row
    preferences.set_language(db, "anna", "anna", "sv")  # a new choice overwrites
    assert preferences.language_of(db, "anna") == "sv" and stored(db) == {"anna": "sv"}
    preferences.set_language(db, "bo", "bo", "en")
    with db.read() as session:
        assert preferences.languages_of(session) == {"anna": "sv", "bo": "en"}
        assert preferences.languages_of(session, ["bo", "admin"]) == {"bo": "en"}
        assert preferences.languages_of(session, []) == {}


def test_nobody_sets_the_language_of_someone_else(people):
    db = people
    for actor in ("bo", "admin", SYSTEM, None, ""):
        with pytest.raises(NotPermitted):
            preferences.set_language(db, actor, "anna", "en")
    assert stored(db) == {}


def test_someone_who_has_left_cannot_set_it(db):
    add_people(db, ("gone", ("medarbetare",)), end={"gone": TODAY - timedelta(days=1)})
    with pytest.raises(NotPermitted):
        preferences.set_language(db, "gone", "gone", "en")
    assert stored(db) == {}


@pytest.mark.parametrize("language", ["de", "EN", "", " en", None, 1, "sv;DROP"])
def test_a_language_the_app_does_not_offer_is_refused(people, language):
    db = people
    with pytest.raises(preferences.UnknownLanguage) as refused:
        preferences.set_language(db, "anna", "anna", language)
    assert "sv, en" in str(refused.value)
    assert stored(db) == {}


def test_a_stored_language_no_longer_offered_counts_as_no_choice(people):
    """A row written by an older version with a language since withdrawn: Swedish, not a crash."""
    db = people
    with db.engine.begin() as connection:
        connection.execute(insert(PersonPreference), [{"person_id": "anna", "language": "fi",
                                                       "updated_at": TODAY}])
    assert preferences.language_of(db, "anna") is None
    with db.read() as session:
        assert preferences.languages_of(session) == {}


def test_the_choice_is_in_the_register_extract_and_the_own_counts(people):
    db = people
    preferences.set_language(db, "anna", "anna", "en")
    preferences.set_language(db, "bo", "bo", "sv")
    tables = privacy.register_extract(db, "admin", "anna")["tabeller"]
    [row] = tables["person_preferences"]
    assert (row["person_id"], row["language"]) == ("anna", "en") and row["updated_at"][:4].isdigit()
    assert privacy.own_extract(db, "anna")["tabeller"]["person_preferences"] == [row]
    assert privacy.own_counts(db, "anna")["person_preferences"] == 1


def test_erasure_takes_the_choice_with_the_person(people):
    db = people
    preferences.set_language(db, "anna", "anna", "en")
    preferences.set_language(db, "bo", "bo", "en")
    result = privacy.erase(db, "admin", "anna")
    assert result.counts["person_preferences"] == 1
    assert stored(db) == {"bo": "en"}  # nobody else loses theirs


def test_anonymising_someone_who_left_deletes_their_choice(db, fixture_course, tmp_path):
    import zipfile

    left = TODAY - timedelta(days=800)
    add_people(db, ("gone", ("medarbetare",)), ("bo", ("medarbetare",)), end={"gone": left})
    with db.engine.begin() as connection:
        connection.execute(insert(PersonPreference), [{"person_id": "gone", "language": "en", "updated_at": TODAY}])
    preferences.set_language(db, "bo", "bo", "en")
    policy = privacy.RetentionPolicy({**dict.fromkeys(privacy.TYPES), "personer_som_slutat": 12}, "Beslut", "t")
    result = privacy.run(db, SYSTEM, fixture_course, policy, tmp_path, today=TODAY)
    assert result.plan.people == ["gone"] and stored(db) == {"bo": "en"}
    with zipfile.ZipFile(result.archive) as archive:  # what was removed is in the archive first
        assert b'"language": "en"' in archive.read("anonymiserade_person_preferences.jsonl")


def test_the_demo_seed_s_wipe_clears_the_choices(people):
    from progress.seed import wipe

    db = people
    preferences.set_language(db, "anna", "anna", "en")
    wipe(db)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    assert stored(db) == {}


# --- the migration --------------------------------------------------------------------------------------------

def test_the_migrations_make_exactly_the_models_schema(db):
    """Alembic's autogenerate finds nothing to do: every table, column, type, key and index of progress/models.py
    (person_preferences included) is what the migrations made, on this database."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from progress.models import Base

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []


def test_migration_0011_goes_down_and_up(tmp_path):
    from sqlalchemy import inspect

    from progress.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    migrate(engine)
    assert "person_preferences" in inspect(engine).get_table_names()
    migrate_to(engine, "0010")
    assert "person_preferences" not in inspect(engine).get_table_names()
    migrate_to(engine, "head")
    assert {c["name"] for c in inspect(engine).get_columns("person_preferences")} == {"person_id", "language",
                                                                                     "updated_at"}
    assert inspect(engine).get_foreign_keys("person_preferences")[0]["referred_table"] == "people"
