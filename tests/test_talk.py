"""The medarbetarsamtal: talking points (pure), the one person's summary and who may see it (store, SQLite and
PostgreSQL), the one-page PDF, and the pages through AppTest (demo-chef, and the learner's own page).

Data minimisation is tested at every layer: the summary carries no question and no answer, the manager's page
and the PDF contain no question text the person answered, and item-level answers are refused to a manager."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import date, datetime, timedelta

import pypdf
import pytest
from sqlalchemy import insert

from course.plain import md_escape
from course.documents.talk import talk_pdf
from course.rules import Status
from course import talking_points
from course.talking_points import TalkingPoint, PersonTopicResult, suggest
from progress import talk
from progress.models import Attempt, Completion, Person, Reflection, Step, Waiver
from progress.reports import StatusRow
from progress.seed import seed
from tests.conftest import PROJECT_ROOT, loaded
from tests.test_app import open_app

TODAY = date.today()


@pytest.fixture(scope="module")
def course():
    return loaded(PROJECT_ROOT)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- talking points: pure ----------------------------------------------------------------------------------------

def test_three_points_most_useful_first(course):
    topics = [PersonTopicResult("bisysslor", 4, 2, 3, misconceptions=0),
              PersonTopicResult("vanskapskorruption", 5, 3, 4, misconceptions=2),
              PersonTopicResult("nepotism", 3, 1, 1, misconceptions=0)]
    points = suggest(course, overdue=[("mutor", TODAY - timedelta(days=5))], topics=topics,
                     shared_reflections=[("grunder", "Jag frågar chefen först.")])
    assert [p.kind for p in points] == ["forsenad", "missuppfattning", "svagaste"]
    assert "Mutor" in points[0].title and (TODAY - timedelta(days=5)).isoformat() in points[0].text
    assert "Vänskapskorruption" in points[1].title and "2 gånger" in points[1].text
    assert "Nepotism" in points[2].title and "1 av 3" in points[2].text  # the weakest, by its latest answers


def test_the_weakest_topic_is_not_the_one_already_raised_and_a_reflection_comes_next(course):
    topics = [PersonTopicResult("vanskapskorruption", 4, 1, 1, misconceptions=1),  # weakest, and sure-but-wrong
              PersonTopicResult("bisysslor", 4, 4, 3)]  # 75 %: below the mark
    points = suggest(course, topics=topics, shared_reflections=[("grunder", "  "), ("mutor", "Fråga alltid.")])
    assert [p.kind for p in points] == ["missuppfattning", "svagaste", "reflektion"]
    assert "Bisysslor" in points[1].title
    assert "Mutor" in points[2].title and "Fråga alltid." in points[2].text  # the blank one is skipped


def test_a_long_reflection_is_quoted_short(course):
    points = suggest(course, shared_reflections=[("mutor", "ord " * 200)])
    assert points[0].kind == "reflektion" and len(points[0].text) < 300 and "…" in points[0].text


def test_several_overdue_modules_make_one_point(course):
    points = suggest(course, overdue=[("mutor", TODAY), ("larm", TODAY)])
    assert points[0].title == "2 försenade moduler" and "Mutor och Att slå larm" in points[0].text
    assert sum(p.kind == "forsenad" for p in points) == 1


def test_when_all_is_well_the_fallbacks_still_give_three(course):
    # one answer on bisysslor: too few
    strong = [PersonTopicResult("muta-tagande", 5, 5, 5), PersonTopicResult("bisysslor", 1, 0, 0)]
    points = suggest(course, topics=strong, job_title="Bygglovshandläggare")
    assert [p.kind for p in points] == ["styrka", "grazoner", "larm"]
    assert "som bygglovshandläggare" in points[1].text
    new_hire = suggest(course, upcoming=[("larm", TODAY + timedelta(days=20)), ("mutor", TODAY + timedelta(days=9))])
    assert [p.kind for p in new_hire] == ["nasta", "grazoner", "larm"]
    assert "Mutor" in new_hire[0].title  # the one due first
    assert [p.kind for p in suggest(course)] == ["grazoner", "larm", "riktlinjer"]  # nothing known at all
    assert course.organisation.riktlinjer.titel in suggest(course)[2].text


@pytest.mark.parametrize("overdue", [[], [("mutor", TODAY)]])
@pytest.mark.parametrize("misconceptions", [0, 2])
@pytest.mark.parametrize("weak", [False, True])
@pytest.mark.parametrize("reflection", [False, True])
def test_always_exactly_three_distinct_points(course, overdue, misconceptions, weak, reflection):
    topics = [PersonTopicResult("muta-tagande", 4, 2, 2 if weak else 4, misconceptions)]
    points = suggest(course, overdue=overdue, topics=topics,
                     shared_reflections=[("mutor", "Text")] if reflection else [])
    assert len(points) == 3 and len({p.kind for p in points}) == 3
    assert all(isinstance(p, TalkingPoint) and p.title and p.text for p in points)
    english = suggest(course, overdue=overdue, topics=topics, shared_reflections=[("mutor", "Text")] if reflection
                      else [], language="en")
    assert [p.kind for p in english] == [p.kind for p in points]  # the same three in either language


def test_the_points_in_english_are_the_same_points_in_english_words(course):
    topics = [PersonTopicResult("bisysslor", 4, 2, 3, misconceptions=0),
              PersonTopicResult("vanskapskorruption", 5, 3, 4, misconceptions=2),
              PersonTopicResult("nepotism", 3, 1, 1, misconceptions=0)]
    due = TODAY - timedelta(days=5)
    points = suggest(course, overdue=[("larm", due)], topics=topics, language="en")
    assert [p.kind for p in points] == ["forsenad", "missuppfattning", "svagaste"]
    assert points[0].title == "Overdue: Raising the alarm"  # the module's English title: it has a translation
    assert points[0].text.startswith(f"The module Raising the alarm is not done. It should have been done by "
                                     f"{due.isoformat()}.")
    assert points[1].title == "Sure but wrong: Cronyism" and "2 times" in points[1].text
    assert "1 of 3 questions right" in points[2].text
    several = suggest(course, overdue=[("mutor", TODAY), ("larm", TODAY)], language="en")
    assert several[0].title == "2 overdue modules" and "The modules Mutor and Raising the alarm are not done" in \
        several[0].text
    reflection = suggest(course, shared_reflections=[("grunder", "Jag frågar chefen först.")], language="en")[0]
    assert reflection.title == "Your reflection: Basics: corruption and unlawful influence"
    assert "“Jag frågar chefen först.”" in reflection.text  # the learner's own words as written
    fallbacks = suggest(course, job_title="Bygglovshandläggare", language="en")
    assert [p.kind for p in fallbacks] == ["grazoner", "larm", "riktlinjer"]
    assert "in your work as bygglovshandläggare" in fallbacks[0].text
    assert course.organisation_text("riktlinjer.titel", "en") in fallbacks[2].text
    new_hire = suggest(course, upcoming=[("grunder", TODAY + timedelta(days=9))], language="en")[0]
    assert new_hire.title == "Next module: Basics: corruption and unlawful influence"
    for point in [*points, *several, reflection, *fallbacks, new_hire]:
        for swedish in ("Försenad", "Modulen", "gånger", "Säker men fel", "Gråzonerna", " och ", "riktlinjer mot"):
            assert swedish not in point.title + point.text, (swedish, point)


# --- the store: one person's summary, and who may see it ------------------------------------------------------------

def _history(db, course, person_id: str = "demo-nyanstalld") -> None:
    """Quiz answers with a known first and latest answer per question, a scenario, a completion and a waiver.
    Ids far above the seed's, which gives its rows explicit ids from 1."""
    now = datetime(TODAY.year, TODAY.month, TODAY.day) - timedelta(days=2)
    version = course.module_version("prov")
    base = 900_000
    steps = [  # (attempt, question, correct, confidence)
        (1, "prov-q1", False, 3), (1, "prov-q2", True, 1), (1, "prov-q3", True, 2), (1, "prov-q4", False, 3),
        (2, "prov-q1", True, 3), (2, "prov-q2", False, 1), (2, "prov-q4", False, 3)]
    attempts = [(1, "quiz", "prov-fragor", 0), (2, "quiz", "prov-fragor", 1), (3, "scenario", "prov-middag", 0),
                (4, "diagnostic", "alla", 3)]
    with db.engine.begin() as connection:
        connection.execute(insert(Attempt), [
            dict(id=base + number, person_id=person_id, module_id="prov", kind=kind, item_id=item,
                 attempt_no=base + number, content_version=version, started_at=now + timedelta(hours=hours),
                 finished_at=None) for number, kind, item, hours in attempts])
        connection.execute(insert(Step), [
            dict(id=base + index, attempt_id=base + attempt, step_no=index, item=question, response=json.dumps([1]),
                 correct=correct, confidence=confidence, idempotency_key=f"talk-{index}",
                 answered_at=now + timedelta(hours=attempt - 1, minutes=index))
            for index, (attempt, question, correct, confidence) in enumerate(steps)]
            + [dict(id=base + 100, attempt_id=base + 3, step_no=0, item="start", response="0", correct=None,
                    confidence=None, idempotency_key="talk-scenario", answered_at=now)])
        connection.execute(insert(Completion), [dict(person_id=person_id, module_id="prov", content_version=version,
                                                     started_at=now, completed_at=now + timedelta(hours=2),
                                                     score_percent=80.0, trigger_step_id=base + 6)])
        connection.execute(insert(Waiver), [dict(person_id=person_id, module_id="prov", content_version=version,
                                                 waived_at=now + timedelta(hours=4), diagnostic_attempt_id=base + 4)])


def test_summary_counts_first_and_latest_answers_and_sure_wrong_ones_per_topic(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    _history(db, fixture_course)
    summary = talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "demo-chef")
    # q1 wrong then right, q2 right then wrong, q3 right, q4 wrong twice; sure-but-wrong: q1 once, q4 twice
    assert summary.topics == (PersonTopicResult("muta-tagande", answered=4, correct_first=2, correct_latest=2,
                                          misconceptions=3),)
    assert [(e.via_diagnosis, e.score) for e in summary.history] == [(True, None), (False, 80.0)]  # newest first
    assert [row.module_id for row in summary.status] == ["prov"]
    assert summary.status[0].status == Status.WAIVED
    assert "prov-q" not in repr(summary) and "response" not in repr(summary)  # no question, no answer


def test_a_manager_sees_their_subtree_only_and_never_the_answers(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    _history(db, fixture_course)
    assert talk.may_view(db, "demo-chef", "demo-nyanstalld")
    with pytest.raises(talk.NotPermitted):
        talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "chef-vof")  # a manager elsewhere
    with pytest.raises(talk.NotPermitted):
        talk.summary(db, fixture_course, "demo-chef", TODAY, "demo-nyanstalld")  # upwards: no
    with pytest.raises(talk.NotPermitted):
        talk.item_answers(db, fixture_course, "demo-nyanstalld", "demo-chef")  # item level: not for the manager
    own = talk.item_answers(db, fixture_course, "demo-nyanstalld", "demo-nyanstalld")
    assert [a.question_id for a in own][:2] == ["prov-q4", "prov-q2"] and len(own) == 7  # newest first, no scenario
    assert own[0].selected == (1,) and own[0].confidence == 3
    assert len(talk.item_answers(db, fixture_course, "demo-nyanstalld", "demo-admin")) == 7  # admins may
    people = {person_id for person_id, _, _ in talk.people_to_talk_with(db, "demo-chef", TODAY)}
    assert {"demo-nyanstalld", "demo-medarbetare"} <= people and "demo-chef" not in people
    with db.read() as session:
        units = dict(session.query(Person.id, Person.unit_id).all())
    assert {units[p] for p in people} <= {"sbf", "sbf-bygglov", "sbf-miljo"}


def test_reflections_are_one_per_module_and_the_manager_sees_only_shared_ones(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    talk.save_reflection(db, "demo-nyanstalld", "prov", "Första tanken", shared=False)
    talk.save_reflection(db, "demo-nyanstalld", "prov", "  Jag frågar innan jag tackar ja.  ", shared=True)
    with db.read() as session:
        rows = session.query(Reflection).filter_by(person_id="demo-nyanstalld").all()
    assert [(r.text, r.shared) for r in rows] == [("Jag frågar innan jag tackar ja.", True)]
    assert talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "demo-chef").reflections[0].shared
    talk.save_reflection(db, "demo-nyanstalld", "prov", "Bara för mig", shared=False)
    assert talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "demo-chef").reflections == ()
    assert talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "demo-nyanstalld").reflections[0].text == \
        "Bara för mig"
    talk.save_reflection(db, "demo-nyanstalld", "prov", "   ", shared=True)  # emptied: removed
    assert talk.reflection(db, "demo-nyanstalld", "prov") is None


# --- the PDF ---------------------------------------------------------------------------------------------------------

def test_the_pdf_is_one_page_with_the_name_and_the_points_and_no_question(db, fixture_course):
    seed(db, fixture_course, employees=10, history_years=1, random_seed=3)
    _history(db, fixture_course)
    talk.save_reflection(db, "demo-nyanstalld", "prov", "Delad & ärlig tanke", shared=True)
    summary = talk.summary(db, fixture_course, "demo-nyanstalld", TODAY, "demo-chef")
    points = talk.suggested_points(fixture_course, summary)
    pages, text = pdf_text(talk_pdf(fixture_course, name="Nora Nyström", unit_name="Bygglovsenheten",
                                    title="Bygglovshandläggare", summary=summary, points=points, generated=TODAY))
    assert pages == 1
    assert "Nora Nyström" in text and "Bygglovsenheten" in text
    assert all(point.title in text for point in points) and len(points) == 3
    assert "Delad & ärlig tanke" in text and "Anteckningar" in text
    assert not any(q.text in text for q in fixture_course.questions.values())
    assert not any(o.text in text for q in fixture_course.questions.values() for o in q.options)


def test_the_pdf_stays_on_one_page_with_a_long_history(course):
    now = datetime(2026, 1, 1)
    modules = list(course.modules)
    summary = talk.TalkSummary(
        "x", tuple(StatusRow("x", "X", "U", m, Status.OVERDUE, TODAY, now, 90.0) for m in modules),
        tuple(talk.HistoryEntry(modules[i % len(modules)], now - timedelta(days=30 * i), 85.0, i % 3 == 0)
              for i in range(40)),
        tuple(PersonTopicResult(q, 6, 3, 4, 2) for q in sorted({q.topic for q in course.questions.values()})),
        tuple(talk.ReflectionRecord(m, "Ett långt resonemang om gåvor och jäv. " * 30, True, now) for m in modules))
    points = talk.suggested_points(course, summary)
    pages, text = pdf_text(talk_pdf(course, name="Lång Historik", unit_name="Enheten", title=None, summary=summary,
                                    points=points, generated=TODAY))
    assert pages == 1 and "Lång Historik" in text and points[0].title in text


def test_the_pdf_in_english(course):
    now = datetime(2026, 1, 1)
    summary = talk.TalkSummary(
        "x", (StatusRow("x", "X", "U", "larm", Status.OVERDUE, TODAY, None, None),
              StatusRow("x", "X", "U", "mutor", Status.DONE, TODAY + timedelta(days=300), now, 90.0)),
        (talk.HistoryEntry("mutor", now, 90.0, False), talk.HistoryEntry("mutor", now - timedelta(days=400), 80.0,
                                                                           True)),
        (PersonTopicResult("vanskapskorruption", 5, 3, 4, 2),),
        (talk.ReflectionRecord("larm", "Jag vet nu vart jag vänder mig.", True, now),))
    points = talking_points.for_summary(course, summary, "Bygglovshandläggare", "en")
    pages, text = pdf_text(talk_pdf(course, name="Nora Nyström", unit_name="Bygglovsenheten",
                                    title="Bygglovshandläggare", summary=summary, points=points, generated=TODAY,
                                    language="en"))
    assert pages == 1
    for phrase in ("Before the appraisal talk: Nora Nyström", f"Printed {TODAY.isoformat()}", "Status and completed",
                   "Raising the alarm", "Overdue", "Done", f"next {(TODAY + timedelta(days=300)).isoformat()}",
                   "2026-01-01, 90 % correct",
                   f"Earlier: Mutor {(now - timedelta(days=400)).date().isoformat()}, done by diagnostic",
                   "Results per topic",
                   "Sure but wrong (a misconception to talk about): Cronyism (2)",
                   "Reflections shared for the talk", "Raising the alarm: “Jag vet nu vart jag vänder mig.”",
                   "Suggestions to talk about", "Overdue: Raising the alarm", "Notes"):
        assert phrase in text, phrase
    for swedish in ("Inför medarbetarsamtalet", "Försenad", "Klar senast", "Anteckningar", "Att slå larm", "rätt"):
        assert swedish not in text, swedish


# --- the pages ----------------------------------------------------------------------------------------------------

def page_text(at) -> str:
    """Everything the page shows as text, tables included."""
    parts = [element.value for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                                        "success", "warning", "error") for element in getattr(at, kind)]
    parts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(str(part) for part in parts)


def answered_questions(database, course, person_id: str) -> set[str]:
    with sqlite3.connect(database) as connection:
        items = {row[0] for row in connection.execute(
            "SELECT s.item FROM steps s JOIN attempts a ON a.id = s.attempt_id "
            "WHERE a.person_id = ? AND a.kind != 'scenario'", (person_id,))}
    return {course.questions[item].text for item in items if item in course.questions}


def open_talk(user: str, page: str, **params):
    at = open_app(user, **params)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_demo_chef_prepares_the_talk_with_milad(demo_env, course):
    open_app("demo-medarbetare")  # seeds the demo
    with sqlite3.connect(demo_env) as connection:
        connection.execute("INSERT OR REPLACE INTO reflections (person_id, module_id, text, shared, updated_at) VALUES "
                           "('demo-medarbetare', 'mutor', 'Jag frågar min chef innan jag tar emot något.', 1, "
                           "'2026-01-01 10:00:00'), ('demo-medarbetare', 'larm', 'Hemligt utkast', 0, "
                           "'2026-01-01 10:00:00')")
    at = open_talk("demo-chef", "views/talk.py")
    assert any("Välj en person" in info.value for info in at.info)
    at.selectbox(key="talk_person").select("demo-medarbetare").run()
    assert not at.exception, at.exception
    assert at.query_params["person"] == "demo-medarbetare"  # a link to this page opens the same person
    assert [h.value for h in at.header] == ["Milad Berg"]
    points = [m.value for m in at.markdown if m.value.startswith("**") and m.value[2:3].isdigit()]
    assert [p[:4] for p in points] == ["**1.", "**2.", "**3."]
    assert {"Genomfört", "Resultat per ämne", "Säker men fel, per ämne", "Tre förslag att prata om"} <= \
        {s.value for s in at.subheader}
    assert not at.dataframe[1].value.empty  # the history: Milad has completed modules
    status = at.dataframe[0].value  # whole percent as the history gives them, never "None" or "87.5"
    assert all(score == "–" or float(score) == int(float(score)) for score in status["Resultat (%)"])
    assert "None" not in status.astype(str).to_string()
    assert at.get("plotly_chart") and at.get("download_button")
    text = page_text(at)
    assert "Jag frågar min chef" in text and "Hemligt utkast" not in text  # only the shared reflection
    questions = answered_questions(demo_env, course, "demo-medarbetare")
    assert questions and not [q for q in questions if q in text]  # data minimisation: no question he answered

    db_summary_pdf = _pdf_as_the_manager_sees_it(demo_env, course)
    pages, pdf = pdf_text(db_summary_pdf)
    assert pages == 1 and "Milad Berg" in pdf
    assert not [q for q in questions if " ".join(q.split()) in pdf]


def _pdf_as_the_manager_sees_it(database, course) -> bytes:
    from progress.db import Database, make_engine
    from progress.org import Org

    db = Database(make_engine(f"sqlite:///{database}"))
    person = Org(db).person("demo-medarbetare")
    summary = talk.summary(db, course, person.id, TODAY, "demo-chef")
    return talk_pdf(course, name=person.name, unit_name=person.unit_name, title=person.title, summary=summary,
                    points=talk.suggested_points(course, summary, person.title), generated=TODAY)


def test_the_talk_pages_in_english(demo_env, course):
    from progress.db import Database, make_engine
    from progress.org import Org

    open_app("demo-medarbetare")  # seeds the demo
    at = open_talk("demo-chef", "views/talk.py", person="demo-medarbetare", lang="en")
    shown = [m.value for m in at.markdown if m.value[:4] in ("**1.", "**2.", "**3.")]
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    summary = talk.summary(db, course, "demo-medarbetare", TODAY, "demo-chef")
    title = Org(db).person("demo-medarbetare").title
    english = talking_points.for_summary(course, summary, title, "en")
    assert [p.kind for p in english] == [p.kind for p in talk.suggested_points(course, summary, title)]
    assert [value.split("**")[1] for value in shown] == [f"{n}. {md_escape(p.title)}" for n, p in enumerate(english, 1)]
    assert "Three things to talk about" in {s.value for s in at.subheader}
    text = page_text(at)
    assert "Raising the alarm" in text and "Att slå larm" not in text  # the module's English title, in the tables
    # the PDF the page's button hands over, in the page's language (the store checks the right, as in Swedish)
    pages, text = pdf_text(talk.pdf(db, course, "demo-medarbetare", TODAY, "demo-chef", "en"))
    assert pages == 1 and "Before the appraisal talk: Milad Berg" in text and english[0].title in text
    assert "Inför medarbetarsamtalet" not in text and "Anteckningar" not in text
    mine = open_talk("demo-medarbetare", "views/my_talk.py", lang="en")
    assert [m.value for m in mine.markdown if m.value[:4] in ("**1.", "**2.", "**3.")] == shown  # the same three
    assert "Raising the alarm" in page_text(mine) and "Att slå larm" not in page_text(mine)


def test_demo_chef_is_refused_someone_outside_her_units(demo_env):
    open_app("demo-chef")
    with sqlite3.connect(demo_env) as connection:
        outsider, name = connection.execute("SELECT id, name FROM people WHERE unit_id = 'vof-hemtjanst-norr' "
                                            "ORDER BY id LIMIT 1").fetchone()
    for person_id in (outsider, "finns-inte"):
        at = open_talk("demo-chef", "views/talk.py", person=person_id)
        assert any("Du kan inte se den här personens underlag" in e.value for e in at.error)
        assert not at.header and not at.dataframe and not at.get("download_button")
        assert name not in page_text(at)


def test_the_learner_sees_the_same_page_and_their_own_answers(demo_env, course):
    open_app("demo-medarbetare")
    with sqlite3.connect(demo_env) as connection:
        connection.execute("INSERT OR REPLACE INTO reflections (person_id, module_id, text, shared, updated_at) VALUES "
                           "('demo-medarbetare', 'larm', 'Bara mitt utkast', 0, '2026-01-01 10:00:00')")
    at = open_talk("demo-medarbetare", "views/my_talk.py")
    assert any(t.value == "Inför medarbetarsamtalet" for t in at.title)
    assert [h.value for h in at.header] == ["Milad Berg"]
    assert len([m for m in at.markdown if m.value[:4] in ("**1.", "**2.", "**3.")]) == 3
    answers = at.dataframe[-1].value  # the last table: the answers, in the expander
    assert set(answers["Fråga"]) & answered_questions(demo_env, course, "demo-medarbetare")
    assert "Bara mitt utkast" in page_text(at)
    at.toggle(key="talk-share-larm").set_value(True).run()  # share it with the manager after all
    with sqlite3.connect(demo_env) as connection:
        assert connection.execute("SELECT shared FROM reflections WHERE person_id = 'demo-medarbetare' "
                                  "AND module_id = 'larm'").fetchone() == (1,)


def test_a_reflection_written_after_a_module_reaches_the_manager_only_when_shared(demo_env):
    at = open_app("demo-medarbetare", modul="mutor")
    assert any("Modulen är klar" in s.value for s in at.success)
    at.text_area(key="reflection-mutor").input("Jag tackar nej till middagen nästa gång.")
    _submit(at, "reflection-form-mutor")
    assert any("reflektion är sparad" in s.value for s in at.success)
    chef = open_talk("demo-chef", "views/talk.py", person="demo-medarbetare")
    assert "Jag tackar nej till middagen" not in page_text(chef)

    at.checkbox(key="reflection-shared-mutor").check()
    _submit(at, "reflection-form-mutor")
    chef = open_talk("demo-chef", "views/talk.py", person="demo-medarbetare")
    assert "Jag tackar nej till middagen" in page_text(chef)


def _submit(at, form_key: str) -> None:
    button = next(b for b in at.form_submit_button if form_key in (b.form_id or ""))
    button.click().run()
    assert not at.exception, at.exception
