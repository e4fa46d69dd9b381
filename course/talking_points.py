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

from course import rules
from course.rules import MIN_ANSWERS_PERSON_TOPIC
from i18n import translate

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
        return rules.share(self.correct_first, self.answered)

    @property
    def share_latest(self) -> float | None:
        return rules.share(self.correct_latest, self.answered)


@dataclass(frozen=True)
class TalkingPoint:
    kind: str  # forsenad | missuppfattning | svagaste | reflektion | nasta | styrka | grazoner | larm | riktlinjer
    title: str
    text: str


def suggest(course, *, overdue: Sequence[tuple[str, date | None]] = (),
            upcoming: Sequence[tuple[str, date | None]] = (), topics: Sequence[PersonTopicResult] = (),
            shared_reflections: Sequence[tuple[str, str]] = (), job_title: str | None = None,
            language: str = "sv") -> list[TalkingPoint]:
    """Exactly three talking points, most useful first, in `language` (sv or en; i18n's point_* keys, the
    modules' titles in it where they have a translation). The same three in either language.

    `overdue` and `upcoming`: (module id, due date) of modules that are late, or not yet done and not late;
    `topics`: the person's results per topic; `shared_reflections`: (module id, text) the person chose to share
    (never pass unshared ones: the points are shown to the manager).
    """
    word = _words(language)
    def title(topic: str) -> str:
        return course.topic_title(topic, language)

    def module(module_id: str) -> str:
        return course.module_title(module_id, language)

    points: list[TalkingPoint] = []
    used_topics: set[str] = set()

    if overdue:
        names = _join([module(m) for m, _ in overdue], word)
        dues = [due for _, due in overdue if due is not None]
        if len(overdue) == 1:
            since = f" {word('point_overdue_since', date=min(dues).isoformat())}" if dues else ""
            points.append(TalkingPoint("forsenad", word("point_overdue_title_one", modules=names),
                                       word("point_overdue_text_one", modules=names, since=since)))
        else:
            points.append(TalkingPoint("forsenad", word("point_overdue_title_many", count=len(overdue)),
                                       word("point_overdue_text_many", modules=names)))

    sure_wrong = sorted((t for t in topics if t.misconceptions > 0),
                        key=lambda t: (-t.misconceptions, t.correct_latest == t.answered, title(t.topic)))
    if sure_wrong:
        topic = sure_wrong[0]
        used_topics.add(topic.topic)
        times = word("point_times_one") if topic.misconceptions == 1 else word("point_times_many",
                                                                               count=topic.misconceptions)
        points.append(TalkingPoint("missuppfattning", word("point_sure_wrong_title", topic=title(topic.topic)),
                                   word("point_sure_wrong_text", topic=title(topic.topic), times=times)))

    weak = sorted((t for t in topics if t.answered >= MIN_ANSWERS_PERSON_TOPIC and t.topic not in used_topics
                   and t.share_latest < WEAK_SHARE), key=lambda t: (t.share_latest, -t.answered, title(t.topic)))
    if weak:
        topic = weak[0]
        used_topics.add(topic.topic)
        points.append(TalkingPoint("svagaste", word("point_weakest_title", topic=title(topic.topic)),
                                   word("point_weakest_text", topic=title(topic.topic), correct=topic.correct_latest,
                                        answered=topic.answered)))

    for module_id, text in shared_reflections:
        if text.strip():
            points.append(TalkingPoint("reflektion", word("point_reflection_title", module=module(module_id)),
                                       word("point_reflection_text", quote=_quote(text))))
            break

    if len(points) < POINTS and upcoming:
        module_id, due = min(upcoming, key=lambda item: (item[1] is None, item[1] or date.max))
        text = (word("point_next_text_due", module=module(module_id), date=due.isoformat()) if due else
                word("point_next_text", module=module(module_id)))
        points.append(TalkingPoint("nasta", word("point_next_title", module=module(module_id)), text))

    strong = sorted((t for t in topics if t.answered >= MIN_ANSWERS_PERSON_TOPIC and t.topic not in used_topics
                     and t.share_latest >= STRONG_SHARE and t.misconceptions == 0),
                    key=lambda t: (-t.answered, title(t.topic)))
    if len(points) < POINTS and strong:
        topic = strong[0]
        points.append(TalkingPoint("styrka", word("point_strength_title", topic=title(topic.topic)),
                                   word("point_strength_text", topic=title(topic.topic))))

    points.append(TalkingPoint("grazoner", word("point_grey_title"),
                               word("point_grey_text_job", job=job_title.lower()) if job_title else
                               word("point_grey_text")))
    points.append(TalkingPoint("larm", word("point_alarm_title"), word("point_alarm_text")))
    organisation = getattr(course, "organisation", None)
    guidelines = (word("point_guidelines_named", title=course.organisation_text("riktlinjer.titel", language))
                  if organisation else word("point_guidelines_unnamed"))
    points.append(TalkingPoint("riktlinjer", word("point_guidelines_title"),
                               word("point_guidelines_text", guidelines=guidelines)))
    return points[:POINTS]


def for_summary(course, summary, job_title: str | None = None, language: str = "sv") -> list[TalkingPoint]:
    """The three points from one person's talk summary (progress.talk.TalkSummary), from what the manager may see:
    shared reflections only, even on the learner's own page, so both see the same three."""
    shared = [(r.module_id, r.text) for r in summary.reflections if r.shared and r.module_id in course.modules]
    return suggest(course, overdue=summary.overdue, upcoming=summary.upcoming, topics=summary.topics,
                   shared_reflections=shared, job_title=job_title, language=language)


def _words(language: str):
    return lambda key, **values: translate(language, key, **values)


def _join(names: list[str], word) -> str:
    return names[0] if len(names) == 1 else word("point_and", first=", ".join(names[:-1]), last=names[-1])


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
