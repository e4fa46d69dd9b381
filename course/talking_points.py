"""Three suggested talking points for the medarbetarsamtal, from one person's summary. Pure functions.

Most useful first: a module that is overdue (something to agree on), a topic where the person was sure but wrong
(a belief worth talking through, without blame), the weakest topic, and what the person chose to share of their
own reflections. When all is well, the fallbacks still give a real conversation: the next module, what they know
well enough to teach, and the grey zones of their own job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from course.rules import MIN_ANSWERS_PERSON_TOPIC

POINTS = 3
WEAK_SHARE = 0.8  # a topic answered below the default pass mark is weak
STRONG_SHARE = 0.9
QUOTE_CHARS = 160


@dataclass(frozen=True)
class PersonTopicResult:
    """One topic's quiz answers for one person: each question counted once, by its first and by its latest answer.
    `misconceptions` counts every answer that was wrong while the person said they were sure."""

    topic: str
    answered: int  # distinct questions answered
    correct_first: int
    correct_latest: int
    misconceptions: int = 0

    @property
    def share_first(self) -> float | None:
        return self.correct_first / self.answered if self.answered else None

    @property
    def share_latest(self) -> float | None:
        return self.correct_latest / self.answered if self.answered else None


@dataclass(frozen=True)
class TalkingPoint:
    kind: str  # forsenad | missuppfattning | svagaste | reflektion | nasta | styrka | grazoner | larm | riktlinjer
    title: str
    text: str


def suggest(course, *, overdue: Sequence[tuple[str, date | None]] = (),
            upcoming: Sequence[tuple[str, date | None]] = (), topics: Sequence[PersonTopicResult] = (),
            shared_reflections: Sequence[tuple[str, str]] = (), job_title: str | None = None) -> list[TalkingPoint]:
    """Exactly three talking points, most useful first.

    `overdue` and `upcoming`: (module id, due date) of modules that are late, or not yet done and not late;
    `topics`: the person's results per topic; `shared_reflections`: (module id, text) the person chose to share
    (never pass unshared ones: the points are shown to the manager).
    """
    title = course.topic_title
    points: list[TalkingPoint] = []
    used_topics: set[str] = set()

    if overdue:
        names = _join([course.modules[m].title for m, _ in overdue])
        dues = [due for _, due in overdue if due is not None]
        since = f" Den skulle ha varit klar {min(dues).isoformat()}." if len(overdue) == 1 and dues else ""
        points.append(TalkingPoint(
            "forsenad", f"Försenad: {names}" if len(overdue) == 1 else f"{len(overdue)} försenade moduler",
            f"{'Modulen' if len(overdue) == 1 else 'Modulerna'} {names} är inte klar{'a' if len(overdue) > 1 else ''}."
            f"{since} Kom överens om när det passar att göra {'den' if len(overdue) == 1 else 'dem'}, och om "
            "något står i vägen: tid, arbetsbelastning eller språk."))

    sure_wrong = sorted((t for t in topics if t.misconceptions > 0),
                        key=lambda t: (-t.misconceptions, t.correct_latest == t.answered, title(t.topic)))
    if sure_wrong:
        topic = sure_wrong[0]
        used_topics.add(topic.topic)
        times = "en gång" if topic.misconceptions == 1 else f"{topic.misconceptions} gånger"
        points.append(TalkingPoint(
            "missuppfattning", f"Säker men fel: {title(topic.topic)}",
            f"Inom {title(topic.topic)} svarade du säkert men fel {times}. Det tyder på en uppfattning som "
            "är lätt att ha, inte på slarv. Prata om hur det ser ut i ert arbete och vad riktlinjerna säger."))

    weak = sorted((t for t in topics if t.answered >= MIN_ANSWERS_PERSON_TOPIC and t.topic not in used_topics
                   and t.share_latest < WEAK_SHARE), key=lambda t: (t.share_latest, -t.answered, title(t.topic)))
    if weak:
        topic = weak[0]
        used_topics.add(topic.topic)
        points.append(TalkingPoint(
            "svagaste", f"Att öva mer på: {title(topic.topic)}",
            f"{title(topic.topic)} är ditt svagaste ämne: du hade {topic.correct_latest} av {topic.answered} "
            "frågor rätt senast. Ta ett exempel från er vardag och gå igenom hur man gör rätt."))

    for module_id, text in shared_reflections:
        if text.strip():
            points.append(TalkingPoint(
                "reflektion", f"Din reflektion: {course.modules[module_id].title}",
                f"Du skrev: ”{_quote(text)}” Vad vill du ta vidare i ditt arbete, och behöver du stöd med något?"))
            break

    if len(points) < POINTS and upcoming:
        module_id, due = min(upcoming, key=lambda item: (item[1] is None, item[1] or date.max))
        when = f" senast {due.isoformat()}" if due else ""
        points.append(TalkingPoint(
            "nasta", f"Nästa modul: {course.modules[module_id].title}",
            f"{course.modules[module_id].title} ska vara klar{when}. Planera in tid för den i arbetet."))

    strong = sorted((t for t in topics if t.answered >= MIN_ANSWERS_PERSON_TOPIC and t.topic not in used_topics
                     and t.share_latest >= STRONG_SHARE and t.misconceptions == 0),
                    key=lambda t: (-t.answered, title(t.topic)))
    if len(points) < POINTS and strong:
        topic = strong[0]
        points.append(TalkingPoint(
            "styrka", f"Styrka: {title(topic.topic)}",
            f"{title(topic.topic)} sitter säkert. Kan du dela med dig av det till kollegorna, till exempel på en APT?"))

    job = f" som {job_title.lower()}" if job_title else ""
    points.append(TalkingPoint(
        "grazoner", "Gråzonerna i ditt arbete",
        f"Vilka gråzoner möter du{job}: gåvor, bjudningar, rabatter, bisysslor, vänner och släkt? Ta ett verkligt "
        "exempel och prata om var gränsen går och vem du frågar när du är osäker."))
    points.append(TalkingPoint(
        "larm", "Om du ser något som inte stämmer",
        "Vet du hur du slår larm hos oss, och att du är skyddad när du gör det? Gå igenom kanalerna tillsammans."))
    organisation = getattr(course, "organisation", None)
    guidelines = f"”{organisation.riktlinjer.titel}”" if organisation else "kommunens riktlinjer"
    points.append(TalkingPoint(
        "riktlinjer", "Kommunens riktlinjer",
        f"Gå igenom {guidelines} tillsammans: vad betyder de i ditt arbete, och är något oklart?"))
    return points[:POINTS]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
