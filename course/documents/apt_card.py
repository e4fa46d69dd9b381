"""The APT card: a printable discussion card for a unit's workplace meeting (arbetsplatsträff).

It takes the unit's weakest topic (the smallest share of correct first answers), one of the course's dilemmas on
that topic, questions to talk through, what the rules say and where to report. `build_card` chooses the content
(pure); `card_pdf` prints it; the page shows the same `AptCard`.

The dilemma is the start of a scenario: the situation and its choices, in an order that does not give away
the best one (authors tend to write it first), and without the feedback. The point of the meeting is that the
group argues its way there.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from datetime import date

from course.content.loader import Course
from course.content.schema import KeyPoint, Module, Scenario
from course.documents import pdf
from course.questions import kind_of
from course.summary import sources_text

SCOPE_UNIT = "unit"
SCOPE_ORGANISATION = "organisation"  # the unit has too little data: the whole organisation's weakest topic

# Questions for any topic and any dilemma (i18n's pdf_apt_question_1..4); the fifth comes from the course's own
# questions on the topic.
DISCUSSION_QUESTIONS = 4
KEY_POINTS_SHOWN = 3
PERIOD_MONTHS = (3, 6, 12, 24)  # the periods a manager can choose the weakest topic over
DEFAULT_MONTHS = 12  # one of them: the last year


@dataclass(frozen=True)
class AptCard:
    unit_name: str
    topic: str
    topic_title: str
    scope: str  # SCOPE_UNIT or SCOPE_ORGANISATION
    percent: float | None  # % of first answers that were correct (0–100)
    answered: int
    period: str  # e.g. "de senaste 12 månaderna"
    scenario_title: str | None
    situation: str | None
    choices: tuple[str, ...]
    questions: tuple[str, ...]
    rules: tuple[tuple[str, str], ...]  # (key point, its sources)
    report_lines: tuple[str, ...]
    guidelines: str
    language: str = "sv"  # the card's words; the dilemma and the rules are the modules' in it, where translated
    scenario_id: str | None = None  # the dilemma's scenario, in `language` (Gruppläge offers it first)

    @property
    def why(self) -> str:
        percent = f"{self.percent:.0f} %" if self.percent is not None else "–"
        key = "pdf_apt_why_unit" if self.scope == SCOPE_UNIT else "pdf_apt_why_organisation"
        return pdf.words(self.language)(key, topic=self.topic_title, unit=self.unit_name, period=self.period,
                                        percent=percent, answered=self.answered)


def build_card(course: Course, unit_id: str, unit_name: str, topic: str, percent: float | None, answered: int,
               scope: str = SCOPE_UNIT, period: str | None = None, language: str = "sv",
               months: int = DEFAULT_MONTHS) -> AptCard:
    """The card for `unit_name` on `topic`, in `language`. The dilemma is chosen by the unit, so neighbouring
    units with the same weak topic get different scenarios, and the same unit gets the same card when it prints
    again, in either language (where the module has a translation, its scenario, choices in the same order, key
    points and questions are the translation's). `period` defaults to the last `months` months, in words."""
    word = pdf.words(language)
    originals = [m for m in course.modules.values() if m.language == "sv" and topic in m.topics]
    modules = [course.variant(m.id, language) for m in originals]
    scenario = _pick_scenario(course, originals, topic, unit_id)
    situation, choices, shown = None, (), None
    if scenario is not None:
        node_id = dilemma_node(course, scenario, topic)
        shown = translated_scenario(course, scenario.id, language)
        node = shown.nodes.get(node_id) or shown.nodes[dilemma_node(course, shown, topic)]
        order = list(range(len(node.choices)))  # shuffled as the original's: A is the same choice in each language
        random.Random(zlib.crc32(f"{unit_id}/{scenario.id}".encode())).shuffle(order)
        situation, choices = node.text, tuple(node.choices[i].text for i in order)
    questions = [word(f"pdf_apt_question_{number}") for number in range(1, DISCUSSION_QUESTIONS + 1)]
    asked = _course_question(course, modules, topic)
    if asked:
        questions.append(word("pdf_apt_course_question", text=asked))
    organisation = course.organisation
    report_lines: tuple[str, ...] = ()
    guidelines = ""
    if organisation is not None:
        whistle = organisation.visselblasning
        report_lines = (word("pdf_apt_eservice", value=whistle.e_tjanst), word("pdf_apt_email", value=whistle.epost),
                        word("pdf_apt_phone", value=whistle.telefon), word("pdf_apt_post", value=whistle.postadress),
                        course.organisation_text("visselblasning.anonymt", language),
                        word("pdf_apt_ask_manager"))
        guidelines = word("pdf_apt_guidelines", title=course.organisation_text("riktlinjer.titel", language),
                          version=organisation.riktlinjer.version, link=organisation.riktlinjer.lank)
    rules = tuple((point.text, sources_text(point.cite)) for point in matching_key_points(course, modules, topic))
    return AptCard(unit_name, topic, course.topic_title(topic, language), scope, percent, answered,
                   period if period is not None else word("pdf_apt_period", months=months),
                   shown.title if shown else None, situation, choices, tuple(questions), rules, report_lines,
                   guidelines, language, shown.id if shown else None)


def in_language(card: AptCard, course: Course, unit_id: str, language: str, months: int = DEFAULT_MONTHS) -> AptCard:
    """The same card (the unit's topic and figures) in `language`."""
    if card.language == language:
        return card
    return build_card(course, unit_id, card.unit_name, card.topic, card.percent, card.answered, card.scope,
                      language=language, months=months)


def translated_scenario(course: Course, scenario_id: str, language: str) -> Scenario:
    """A Swedish module's scenario in `language`: the one in the same place in the module's translation (a
    translation lists its scenarios in the original's order), when it is about the same topics; else the
    original."""
    for module in course.modules.values():
        if module.language != "sv" or scenario_id not in module.scenarios:
            continue
        variant = course.variant(module.id, language)
        if variant.id != module.id and len(variant.scenarios) == len(module.scenarios):
            candidate = course.scenarios[variant.scenarios[module.scenarios.index(scenario_id)]]
            if set(candidate.topics) == set(course.scenarios[scenario_id].topics):
                return candidate
    return course.scenarios[scenario_id]


def _pick_scenario(course: Course, modules: list[Module], topic: str, unit_id: str) -> Scenario | None:
    swedish = {s for m in course.modules.values() if m.language == "sv" for s in m.scenarios}
    candidates = sorted(s for s in swedish if s in course.scenarios and topic in course.scenarios[s].topics)
    if not candidates:  # no scenario is tagged with the topic: one from a module that teaches it
        candidates = sorted({s for m in modules for s in m.scenarios if s in course.scenarios})
    if not candidates:
        return None
    return course.scenarios[candidates[zlib.crc32(unit_id.encode()) % len(candidates)]]


def dilemma_node(course: Course, scenario: Scenario, topic: str) -> str:
    """The node to discuss: the start when the scenario is mainly about `topic` (its first topic), else the choice
    point that says the most about the topic (a scenario on friends may reach social media only later)."""
    if scenario.topics[0] == topic:
        return scenario.start
    profile = topic_profile(course, topic)

    def score(item: tuple[str, object]) -> tuple[int, bool]:
        node_id, node = item
        words = _words(" ".join([node.text, *(choice.text for choice in node.choices)]))
        return len(words & profile), node_id == scenario.start

    choice_points = [(node_id, node) for node_id, node in scenario.nodes.items() if node.choices]
    return max(choice_points, key=score)[0]


def _course_question(course: Course, modules: list[Module], topic: str) -> str | None:
    """The text of one of the course's questions on the topic (a true/false statement reads as one too)."""
    for module in modules:
        for question in course.banks[module.quiz].questions:
            if question.topic == topic and kind_of(question).reads_as_question:
                return question.text
    return None


def _words(text: str) -> set[str]:
    """Content words: lower case, five letters or more (short words are mostly function words in Swedish)."""
    return {word for word in re.findall(r"[^\W\d_]+", text.lower()) if len(word) >= 5}


def topic_profile(course: Course, topic: str) -> set[str]:
    """The words the course uses about a topic: its name, its questions and their explanations."""
    profile = _words(topic.replace("-", " "))
    for question in course.questions.values():
        if question.topic == topic:
            profile |= _words(question.text)
            for option in question.options:
                profile |= _words(option.explanation)
    return profile


def matching_key_points(course: Course, modules: list[Module], topic: str,
                        limit: int = KEY_POINTS_SHOWN) -> list[KeyPoint]:
    """The key points of the modules that teach `topic` which share the most words with what the course says
    about it (its questions and their explanations). Key points carry no topic,
    so this is a guess; a word every key point of the module uses counts for little."""
    profile = topic_profile(course, topic)
    points = [point for module in modules for point in module.key_points]
    if not points:
        return []
    frequency: dict[str, int] = {}
    for point in points:
        for word in _words(point.text):
            frequency[word] = frequency.get(word, 0) + 1
    scored = []
    for position, point in enumerate(points):
        score = sum(1.0 / frequency[word] for word in _words(point.text) & profile)
        scored.append((-score, position, point))
    ranked = sorted(scored, key=lambda s: (s[0], s[1]))
    top = -ranked[0][0]
    # the best match, and the next ones only when they match nearly as well: a loosely related point distracts
    best = [point for score, _, point in ranked if top > 0 and -score >= top / 2][:limit]
    return best or points[:1]


def card_pdf(card: AptCard, organisation_name: str, generated: date | None = None) -> bytes:
    """The card as an A4 PDF in the card's language, one page for most topics (two at most)."""
    word = pdf.words(card.language)
    title = word("pdf_apt_title", topic=card.topic_title)
    story = [pdf.text(title, "title"),
             pdf.text(word("pdf_apt_meeting", unit=card.unit_name), "small"),
             pdf.text(word("pdf_apt_why"), "heading"), pdf.text(card.why)]
    if card.situation:
        story += [pdf.text(word("pdf_apt_dilemma"), "heading"), pdf.text(card.scenario_title or "", "cell"),
                  pdf.spacer(1), pdf.text(card.situation), pdf.text(word("pdf_apt_choices"), "heading")]
        story += [pdf.text(f"{letter}. {choice}") for letter, choice in zip("ABCDEFG", card.choices)]
    story.append(pdf.text(word("pdf_apt_questions"), "heading"))
    story += [pdf.text(f"{number}. {question}") for number, question in enumerate(card.questions, 1)]
    if card.rules:
        story += [pdf.text(word("pdf_apt_rules"), "heading"), pdf.text(word("pdf_apt_rules_after"), "small"),
                  pdf.spacer(1)]
        for point, sources in card.rules:
            story += [pdf.text(f"• {point}"), pdf.text(sources, "small"), pdf.spacer(1)]
    if card.report_lines:
        story += [pdf.text(word("pdf_apt_report"), "heading"), pdf.text("\n".join(card.report_lines))]
    if card.guidelines:
        story += [pdf.spacer(2), pdf.text(card.guidelines, "small")]
    return pdf.build(story, title, word("pdf_apt_footer", organisation=organisation_name), generated)
