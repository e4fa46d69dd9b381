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

# Questions for any topic and any dilemma; the fifth comes from the course's own questions on the topic.
DISCUSSION_QUESTIONS = (
    "Vad gör situationen svår? Vem påverkas av det du väljer: du, kollegorna, kommuninvånarna?",
    "Vilket alternativ skulle du välja, och varför? Finns det ett bättre sätt än de som står här?",
    "Tidningstestet: skulle du kunna berätta öppet om ditt val, för chefen eller i lokaltidningen?",
    "Har vi varit med om något liknande här? Hur gjorde vi då, och hur gör vi nästa gång?",
)
COURSE_QUESTION = "Kursen frågar: ”{text}” Vad svarar ni, och varför?"
KEY_POINTS_SHOWN = 3
RULES_AFTER = "Läs det här tillsammans när ni har pratat klart om dilemmat."

HEADINGS = {
    "title": "APT-kort: {topic}",
    "why": "Varför det här ämnet",
    "dilemma": "Dilemmat",
    "choices": "Vad gör du?",
    "questions": "Att prata om",
    "rules": "Så säger reglerna",
    "report": "Misstänker du att något är fel?",
}


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

    @property
    def why(self) -> str:
        percent = f"{self.percent:.0f} %" if self.percent is not None else "–"
        if self.scope == SCOPE_UNIT:
            return (f"{self.topic_title} är det ämne där {self.unit_name} hade lägst andel rätt vid första svaret "
                    f"{self.period}: {percent} rätt av {self.answered} första svar.")
        return (f"{self.unit_name} har ännu för få svar i kursen. Kortet tar därför upp hela kommunens svagaste "
                f"ämne {self.period}, {self.topic_title}: {percent} rätt av {self.answered} första svar.")


def build_card(course: Course, unit_id: str, unit_name: str, topic: str, percent: float | None, answered: int,
               scope: str = SCOPE_UNIT, period: str = "de senaste 12 månaderna") -> AptCard:
    """The card for `unit_name` on `topic`. The dilemma is chosen by the unit, so neighbouring units with the
    same weak topic get different scenarios, and the same unit gets the same card when it prints again."""
    modules = [m for m in course.modules.values() if m.language == "sv" and topic in m.topics]
    scenario = _pick_scenario(course, modules, topic, unit_id)
    situation, choices = None, ()
    if scenario is not None:
        node = scenario.nodes[dilemma_node(course, scenario, topic)]
        texts = [choice.text for choice in node.choices]
        random.Random(zlib.crc32(f"{unit_id}/{scenario.id}".encode())).shuffle(texts)
        situation, choices = node.text, tuple(texts)
    questions = list(DISCUSSION_QUESTIONS)
    asked = _course_question(course, modules, topic)
    if asked:
        questions.append(COURSE_QUESTION.format(text=asked))
    organisation = course.organisation
    report_lines: tuple[str, ...] = ()
    guidelines = ""
    if organisation is not None:
        whistle = organisation.visselblasning
        report_lines = (f"E-tjänst: {whistle.e_tjanst}", f"E-post: {whistle.epost}", f"Telefon: {whistle.telefon}",
                        f"Post: {whistle.postadress}", whistle.anonymt,
                        "Du kan också alltid gå till din chef eller till chefens chef.")
        guidelines = f"{organisation.riktlinjer.titel} (version {organisation.riktlinjer.version}): " \
                     f"{organisation.riktlinjer.lank}"
    rules = tuple((point.text, sources_text(point.cite)) for point in matching_key_points(course, modules, topic))
    return AptCard(unit_name, topic, course.topic_title(topic), scope, percent, answered, period,
                   scenario.title if scenario else None, situation, choices, tuple(questions), rules, report_lines,
                   guidelines)


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
    """The card as an A4 PDF, one page for most topics (two at most)."""
    story = [pdf.text(HEADINGS["title"].format(topic=card.topic_title), "title"),
             pdf.text(f"{card.unit_name} · arbetsplatsträff", "small"),
             pdf.text(HEADINGS["why"], "heading"), pdf.text(card.why)]
    if card.situation:
        story += [pdf.text(HEADINGS["dilemma"], "heading"), pdf.text(card.scenario_title or "", "cell"),
                  pdf.spacer(1), pdf.text(card.situation), pdf.text(HEADINGS["choices"], "heading")]
        story += [pdf.text(f"{letter}. {choice}") for letter, choice in zip("ABCDEFG", card.choices)]
    story.append(pdf.text(HEADINGS["questions"], "heading"))
    story += [pdf.text(f"{number}. {question}") for number, question in enumerate(card.questions, 1)]
    if card.rules:
        story += [pdf.text(HEADINGS["rules"], "heading"), pdf.text(RULES_AFTER, "small"), pdf.spacer(1)]
        for point, sources in card.rules:
            story += [pdf.text(f"• {point}"), pdf.text(sources, "small"), pdf.spacer(1)]
    if card.report_lines:
        story += [pdf.text(HEADINGS["report"], "heading"), pdf.text("\n".join(card.report_lines))]
    if card.guidelines:
        story += [pdf.spacer(2), pdf.text(card.guidelines, "small")]
    return pdf.build(story, HEADINGS["title"].format(topic=card.topic_title),
                     f"{organisation_name} · Gränsfall · APT-kort", generated)
