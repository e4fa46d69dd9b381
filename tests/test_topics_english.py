"""Topic names in English (topics.yaml, translations: en:): what a learner or manager meets on an English page,
the fallback to the Swedish name, lint on a misspelt translation, and the English printable summary."""

from __future__ import annotations

from html import escape

import pytest

from course.content.loader import load_course
from course.documents import apt_card
from course.summary import summary_html
from tests.conftest import PROJECT_ROOT, loaded

LABELS = {"report_heading": "Report", "guidelines_heading": "Guidelines", "footer": "version"}


@pytest.fixture(scope="module")
def course():
    return loaded(PROJECT_ROOT)


def test_a_topic_has_its_english_name_in_english_and_its_swedish_one_otherwise(course):
    assert course.topic_title("jav-anmalan", "en") == "Declaring a conflict of interest"
    assert course.topic_title("mojliggorare", "en") == "Enablers"
    assert course.topic_title("forman-till-narstaende", "en") == "Benefits to people close to you"
    assert course.topic_title("jav-anmalan") == course.topic_title("jav-anmalan", "sv") == "Att anmäla jäv"


def test_every_topic_the_course_uses_has_an_english_name(course):
    used = ({t for m in course.modules.values() for t in m.topics} | {t for s in course.scenarios.values()
                                                                       for t in s.topics}
            | {q.topic for q in course.questions.values()})
    missing = sorted(t for t in used if t not in course.topic_translations.get("en", {}))
    assert not missing
    # an English name is English: nothing left in Swedish letters (Nepotism is the same word in both)
    assert not [name for name in course.topic_translations["en"].values() if set(name) & set("åäöÅÄÖ")]


def test_a_topic_without_an_english_name_is_shown_by_its_swedish_one(content):
    (content / "topics.yaml").write_text(
        "topics:\n  muta-tagande: Att ta emot muta\n  gavor: Gåvor\n"
        "translations:\n  en:\n    muta-tagande: Taking a bribe\n", encoding="utf-8")
    found = loaded(content)  # an English name is not required
    assert found.topic_title("muta-tagande", "en") == "Taking a bribe"
    assert found.topic_title("gavor", "en") == "Gåvor"  # no English name: the Swedish one
    assert found.topic_title("muta-tagande", "de") == "Att ta emot muta"  # a language with no names at all
    assert found.topic_title("okant-amne", "en") == "Okant amne"  # not named anywhere (an old record)


def test_an_english_name_for_a_topic_that_has_no_swedish_one_is_reported(content):
    (content / "topics.yaml").write_text(
        "topics:\n  muta-tagande: Att ta emot muta\n"
        "translations:\n  en:\n    muta-tagande: Taking a bribe\n    muta-tagade: Taking a bribe\n", encoding="utf-8")
    (problem,) = [p for p in load_course(content).problems if p.code == "E705"]
    assert problem.path == "topics.yaml" and problem.line == 6 and "muta-tagade" in problem.message


def test_an_english_apt_card_names_its_topic_in_english(course):
    card = apt_card.build_card(course, "sbf-bygglov", "Bygglovsenheten", "vanskapskorruption", 41.7, 36,
                               language="en")
    assert card.topic_title == "Cronyism"
    swedish = apt_card.build_card(course, "sbf-bygglov", "Bygglovsenheten", "vanskapskorruption", 41.7, 36)
    assert swedish.topic_title == "Vänskapskorruption"


def test_the_printable_summary_names_the_guidelines_in_the_modules_language(course):
    english_title = escape(course.organisation_text("riktlinjer.titel", "en"))  # as the page writes it
    swedish_title = escape(course.organisation.riktlinjer.titel)
    assert english_title != swedish_title
    english = summary_html(course, course.modules["grunder-en"], LABELS)
    assert english_title in english and swedish_title not in english and '<html lang="en">' in english
    swedish = summary_html(course, course.modules["grunder"], LABELS)
    assert swedish_title in swedish and english_title not in swedish and '<html lang="sv">' in swedish
    # asked for in a language: the page's, for a module that has no translation
    untranslated = summary_html(course, course.modules["mutor"], LABELS, language="en")
    assert english_title in untranslated and '<html lang="sv">' in untranslated  # the key points are Swedish
