"""Switching language never hides progress: a module begun in Swedish shows as begun in English and the other way
round (the rules, the learner service on SQLite and PostgreSQL, and Min utbildning through AppTest); and the
banks a refresher's diagnostic or a booster draws from in English (rules.topic_quiz_modules)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from course import rules
from course.content.loader import load_course
from course.rules import Status
from progress import learner
from progress.attempts import Attempts
from tests.conftest import PROJECT_ROOT
from tests.test_app import card_statuses, module_cards, open_app
from tests.playing import answer_quiz, complete
from tests.test_learner import TODAY, add_person, shift_back
from tests.test_rules import NEVER, A


# --- the rules -------------------------------------------------------------------------------------------------

def test_a_round_begun_in_another_language_is_begun_here_and_its_parts_stay_its_own(bilingual_course):
    english = bilingual_course.modules["prov-en"]
    begun = [A("prov-middag", started_at=datetime(2026, 1, 1, 8), finished_at=datetime(2026, 1, 1, 9),
               module_id="prov")]  # a scenario played through, in Swedish

    def progress(attempts, done=NEVER, versions=None):
        current = rules.current_round(english, "v1", done, attempts, {"prov": "v1"} if versions is None else versions)
        return rules.module_progress(current, TODAY - timedelta(days=3), TODAY, rules.DueRules(30, 12))

    found = progress(begun)
    assert found.started and found.status == Status.IN_PROGRESS
    assert found.finished_scenarios == frozenset() and rules.parts_done(found) == 0  # English parts: none played
    assert not progress(begun, versions={}).started  # without the other languages: as before, only its own
    assert not progress(begun, versions={"prov": "v2"}).started  # the Swedish attempt was on older content
    done_since = rules.last_done(datetime(2026, 1, 2), 90.0, None)  # completed after that attempt: a new round
    assert not progress(begun, done=done_since).started
    assert not progress([A("prov-gava", module_id="annan")]).started  # another module is no language of this one


def test_a_topic_quiz_in_english_draws_from_the_translations_banks():
    course = load_course(PROJECT_ROOT).course
    scope = course.tracks["nyanstalld"].modules
    english = rules.topic_quiz_modules(course, scope, "en")
    assert [m.id for m in english] == ["grunder-en", "mutor", "jav-anstallda", "grazoner", "larm-en"]
    assert [m.id for m in rules.topic_quiz_modules(course, scope, "sv")] == list(scope)
    assert [course.base_of(m.id) for m in english] == list(scope)  # what the attempt keeps: the originals
    for module in english:  # and an answer to any of their questions counts for its original module
        assert {course.module_of_question[q.id] for q in course.banks[module.quiz].questions} == \
            {course.base_of(module.id)}


# --- the learner service -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("begun_in, module_id, scenario_id", [("sv", "prov", "prov-middag"),
                                                              ("en", "prov-en", "prov-middag-en")])
def test_a_module_begun_in_one_language_shows_as_begun_in_both(db, bilingual_course, begun_in, module_id,
                                                                 scenario_id):
    add_person(db)
    attempts = Attempts(db, bilingual_course)
    before = {language: learner.overview(db, bilingual_course, "p1", "p1", TODAY, language).modules["prov"]
              for language in ("sv", "en")}
    assert {card.module_progress.status for card in before.values()} == {Status.NOT_STARTED}
    learner.start_part(attempts, "p1", "p1", module_id, "scenario", scenario_id, TODAY)
    for language in ("sv", "en"):
        card = learner.overview(db, bilingual_course, "p1", "p1", TODAY, language).modules["prov"]
        assert card.module.id == ("prov-en" if language == "en" else "prov")
        assert card.module_progress.status == Status.IN_PROGRESS and card.module_progress.started, language
        page = learner.module_page(db, bilingual_course, "p1", "p1", "prov", None, TODAY, language)
        assert page.module_progress.status == Status.IN_PROGRESS and not page.completion_page


def test_an_english_diagnostic_draws_the_english_bank_and_passes_the_original(db, bilingual_course):
    """Needs progress/attempts.py to draw in the page's language (start_topic_quiz(..., language))."""
    course = bilingual_course
    for person in ("p1", "p2"):
        add_person(db, person, start=TODAY - timedelta(days=800))
    attempts = Attempts(db, course)
    for person in ("p1", "p2"):
        complete(attempts, course, "prov", person)
    shift_back(db, timedelta(days=400))  # due again: the refresher's diagnostic is on offer
    english = learner.start_topic_quiz(attempts, "p1", "p1", "diagnostic", "alla", TODAY, "en")
    swedish = learner.start_topic_quiz(attempts, "p2", "p2", "diagnostic", "alla", TODAY, "sv")
    # stored as before: the track owns it, its scope is the original; only the questions are the translation's
    assert english.track_id == swedish.track_id == "alla" and english.module_id is swedish.module_id is None
    assert english.scope == swedish.scope == ("prov",) and english.item_id == swedish.item_id
    assert english.content_version == swedish.content_version == course.track_version("alla")
    bank = {q.id for q in course.banks["prov-en-fragor"].questions}
    assert {d.question_id for d in attempts.draw_of(english)} <= bank
    assert not {d.question_id for d in attempts.draw_of(swedish)} & bank
    # an open diagnostic goes on in the language it was drawn in
    assert learner.start_topic_quiz(attempts, "p1", "p1", "diagnostic", "alla", TODAY, "sv").id == english.id
    answer_quiz(attempts, course, english)
    for language in ("sv", "en"):
        page = learner.topic_quiz_page(db, course, "p1", "p1", "diagnostic", "alla", TODAY, language)
        assert page.quiz.finished and page.waived == ("prov",)  # the English answers passed the original
        card = learner.overview(db, course, "p1", "p1", TODAY, language).modules["prov"]
        assert card.module_progress.status == Status.WAIVED


# --- the page ------------------------------------------------------------------------------------------------------

def test_a_module_in_progress_shows_in_progress_in_english_too(demo_env):
    """Nora begins Grunder in Swedish (its first scenario): in English its card says In progress, not Not
    started, and offers to continue; Att slå larm, begun in English, says Pågår in Swedish."""
    at = open_app("demo-nyanstalld")
    at.button(key="open-nyanstalld-grunder").click().run()
    at.button(key="start-grunder-miljo-paverkan").click().run()
    assert not at.exception, at.exception
    english = open_app("demo-nyanstalld", lang="en", modul="larm")
    english.button(key="start-larm-hemtjanst-pengar-en").click().run()
    assert not english.exception, english.exception

    for language, in_progress in (("en", "In progress"), ("sv", "Pågår")):
        at = open_app("demo-nyanstalld", lang=language)
        statuses = dict(zip((card.split("\n", 1)[0][4:] for card in module_cards(at)), card_statuses(at)))
        grunder = "Basics: corruption and unlawful influence" if language == "en" else \
            "Grunder: korruption och otillåten påverkan"
        larm = "Raising the alarm" if language == "en" else "Att slå larm"
        assert statuses[grunder] == statuses[larm] == in_progress, (language, statuses)
        assert statuses["Mutor"] != in_progress  # not begun in either language
        continue_label = "Continue" if language == "en" else "Fortsätt"
        assert at.button(key="open-nyanstalld-grunder").proto.label.startswith(continue_label)


def test_min_enhet_in_english_names_topics_and_modules_in_english(demo_env):
    """The manager's page in English: the module filter and the people table give a module with a translation
    its English title, and the topic heat map's table names the topics in English."""
    from tests.test_app import frame_with

    chef = open_app("demo-chef", lang="en")
    chef.switch_page("views/manager.py").run()
    assert not chef.exception, chef.exception
    modules = chef.selectbox(key="manager_module").options
    assert "Basics: corruption and unlawful influence" in modules and "Raising the alarm" in modules
    assert "Att slå larm" not in modules
    topics = set(frame_with(chef, "Topic", "First answers")["Topic"])
    course = load_course(PROJECT_ROOT).course
    english = {course.topic_title(topic, "en") for topic in course.topic_translations["en"]}
    swedish = {course.topic_title(topic) for topic in course.topic_translations["en"]} - english
    assert topics and topics <= english and not topics & swedish, topics
    people = frame_with(chef, "Name", "Module")
    assert "Raising the alarm" in set(people["Module"]) and "Att slå larm" not in set(people["Module"])
