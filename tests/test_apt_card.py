"""The APT card: the weakest topic's dilemma without the answer, questions, the rules and the whistleblowing
channel, as a PDF that pypdf can read; and the two pages (analytics for demo-admin, the APT card for demo-chef)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from course.documents import apt_card
from tests.conftest import PROJECT_ROOT, loaded
from tests.test_app import open_app


@pytest.fixture(scope="module")
def course():
    return loaded(PROJECT_ROOT)


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages)), len(reader.pages)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("topic", ["bisysslor", "vanskapskorruption", "sociala-medier", "jav-grunder",
                                   "straff-och-preskription"])
def test_the_card_has_the_topic_a_dilemma_and_no_answer(course, topic):
    card = apt_card.build_card(course, "sbf-bygglov", "Bygglovsenheten", topic, 41.7, 36)
    scenario = next(s for s in course.scenarios.values() if s.title == card.scenario_title)
    node = next(n for n in scenario.nodes.values() if n.text == card.situation)
    assert topic in scenario.topics or any(topic in m.topics and scenario.id in m.scenarios
                                           for m in course.modules.values())
    assert sorted(card.choices) == sorted(choice.text for choice in node.choices)
    assert 4 <= len(card.questions) <= 5 and card.rules

    text, pages = pdf_text(apt_card.card_pdf(card, "Gränsby kommun"))
    assert pages <= 2
    assert course.topic_title(topic) in text and "Bygglovsenheten" in text and "42 %" in text
    assert squash(card.situation)[:80] in text
    for choice in node.choices:  # every choice is there, and none of the feedback that says which is best
        assert squash(choice.text)[:60] in text
        assert squash(choice.feedback)[:60] not in text
    assert course.organisation.visselblasning.epost in text
    assert squash(card.rules[0][0])[:60] in text


def test_the_best_choice_is_not_always_first(course):
    """Authors tend to write the best choice first; on the card the order is shuffled per unit."""
    scenario = course.scenarios["grazoner-miljo-barndomsvannen"]
    first = scenario.nodes[scenario.start].choices[0].text
    orders = {apt_card.build_card(course, f"enhet-{i}", "Enheten", "vanskapskorruption", 50.0, 10).choices
              for i in range(12)}
    assert len(orders) > 1 and any(order[0] != first for order in orders if first in order)


def test_a_card_from_the_organisations_topic_says_so(course):
    card = apt_card.build_card(course, "u1", "Nya enheten", "bisysslor", 60.0, 200, apt_card.SCOPE_ORGANISATION)
    assert "för få svar" in card.why and "hela kommunens" in card.why
    text, _ = pdf_text(apt_card.card_pdf(card, "Gränsby kommun"))
    assert "hela kommunens svagaste" in text


@pytest.mark.parametrize("topic", ["korruption-begrepp", "nepotism", "bisysslor"])
def test_the_card_in_english_is_the_same_card_in_english_words(course, topic):
    swedish = apt_card.build_card(course, "sbf-bygglov", "Bygglovsenheten", topic, 41.7, 36)
    english = apt_card.build_card(course, "sbf-bygglov", "Bygglovsenheten", topic, 41.7, 36, language="en")
    original = next(s for s in course.scenarios.values() if s.title == swedish.scenario_title)
    shown = next(s for s in course.scenarios.values() if s.title == english.scenario_title)
    translated = any(f"{original.id}-en" in m.scenarios for m in course.modules.values() if m.translation_of)
    assert translated == (topic != "bisysslor")  # Grunder has a translation; Gråzoner has none
    assert (shown.id == f"{original.id}-en") == translated  # the same dilemma, translated where it can be
    if translated:  # A on the English card is A on the Swedish one
        node_sv = next(n for n in original.nodes.values() if n.text == swedish.situation)
        node_en = next(n for n in shown.nodes.values() if n.text == english.situation)
        order_sv = [[c.text for c in node_sv.choices].index(text) for text in swedish.choices]
        assert order_sv == [[c.text for c in node_en.choices].index(text) for text in english.choices]
        english_points = {p.text for m in course.modules.values() if m.language == "en" for p in m.key_points}
        assert {point for point, _ in english.rules} & english_points
    assert english.questions[0].startswith("What makes the situation difficult")
    assert len(english.questions) == len(swedish.questions)

    text, pages = pdf_text(apt_card.card_pdf(english, "Gränsby kommun"))
    assert pages <= 2
    for phrase in (f"APT card: {course.topic_title(topic, 'en')}", "Why this topic", "lowest share of correct first answers",
                   "in the last 12 months", "42 % correct of 36", "The dilemma", "What do you do?", "To talk about",
                   "What the rules say", "E-service: ", "Email: visselblasning@gransby.example", "Phone: ",
                   "You can also always go to your manager", course.organisation_text("riktlinjer.titel", "en"),
                   "Gränsby kommun · Gränsfall · APT card"):
        assert phrase in text, phrase
    for swedish_word in ("Dilemmat", "Att prata om", "Så säger reglerna", "E-tjänst", "Telefon", "månaderna",
                         "arbetsplatsträff", "riktlinjer mot"):
        assert swedish_word not in text, swedish_word
    # the same card as the store chose it, in the other language, and back
    assert apt_card.in_language(swedish, course, "sbf-bygglov", "en") == english
    assert apt_card.in_language(english, course, "sbf-bygglov", "sv", months=12) == swedish


def test_an_english_card_from_the_organisations_topic_says_so(course):
    card = apt_card.build_card(course, "u1", "Nya enheten", "bisysslor", 60.0, 200, apt_card.SCOPE_ORGANISATION,
                               language="en", months=6)
    assert "does not have enough answers" in card.why and "whole municipality's weakest topic in the last 6 months" \
        in card.why


def table_with(at, column: str):
    """The first table on the page that has `column` (AppTest does not expose a dataframe's key)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_the_analytics_page_for_an_admin(demo_env):  # noqa: F811
    at = open_app("demo-admin")
    at.switch_page("views/compliance.py").run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 3  # item statistics, mastery over time, grey zones
    items = table_with(at, "Lätthetsindex (%)")
    assert {"Lätthetsindex (%)", "Diskrimineringsindex (%)", "Andel per svarsalternativ (✓ rätt)",
            "Flaggor"} <= set(items.columns)
    assert items["Försök"].max() > 0 and items["Lätthetsindex (%)"].between(0, 100).all()
    grey = at.dataframe[2].value  # the third tab's table
    assert len(grey) > 0 and list(grey["Andel rätt (%)"]) == sorted(grey["Andel rätt (%)"])  # weakest first
    assert table_with(at, "Period")["Första svar"].sum() > 0
    assert at.get("download_button")
    at.checkbox(key="compliance_all_attempts").check().run()
    assert not at.exception
    assert table_with(at, "Lätthetsindex (%)")["Försök"].max() >= items["Försök"].max()


def test_the_apt_page_for_a_manager(demo_env):  # noqa: F811
    at = open_app("demo-chef")
    at.switch_page("views/apt.py").run()
    assert not at.exception, at.exception
    unit = at.selectbox(key="apt_unit")
    assert [option.strip("\u2003") for option in unit.options] == [
        "Samhällsbyggnadsförvaltningen", "Bygglovsenheten", "Miljö- och hälsoskyddsenheten"]  # her subtree only
    assert any(sub.value.startswith("APT-kort: ") for sub in at.subheader)
    assert any("lägst andel rätt" in m.value for m in at.markdown)
    assert any(m.value.startswith("#### Dilemmat") for m in at.markdown)
    assert at.get("download_button")
    unit.select_index(1).run()
    assert not at.exception, at.exception


def test_the_apt_page_in_english(demo_env):  # noqa: F811
    at = open_app("demo-chef", lang="en")
    at.switch_page("views/apt.py").run()
    assert not at.exception, at.exception
    assert any(sub.value.startswith("APT card: ") for sub in at.subheader)
    shown = "\n".join(m.value for m in at.markdown)
    assert "lowest share of correct first answers in the last 12 months" in shown
    assert "#### The dilemma" in shown and "E-service: " in shown and "E-tjänst" not in shown
    assert "What makes the situation difficult" in shown and "Vad gör situationen svår" not in shown


def test_the_apt_page_without_data_offers_the_organisations_topic(demo_env):  # noqa: F811
    import sqlite3

    open_app("demo-chef")
    with sqlite3.connect(demo_env) as connection:  # nothing answered in the bygglov unit
        connection.execute("DELETE FROM topic_tallies WHERE unit_id = 'sbf-bygglov'")
    at = open_app("demo-chef")
    at.switch_page("views/apt.py").run()
    at.selectbox(key="apt_unit").select_index(1).run()
    assert not at.exception, at.exception
    assert any("för få svar" in info.value and "hela kommunens svagaste" in info.value for info in at.info)
    assert any("hela kommunens svagaste" in m.value for m in at.markdown)
