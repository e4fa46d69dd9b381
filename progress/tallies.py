"""Topic tallies: first answers to quiz questions, counted per unit, role, topic and month.

A person's first answer to a question is what they knew before the course's feedback taught them; the share
of correct first answers per topic is what the heat map, topic mastery over time, the APT card and the annual
report show. Counting it from the steps means grouping millions of rows for a large municipality, so the store
adds to a tally in the same transaction as the answer, and `rebuild` recomputes every tally from the steps,
which stay the record (a test holds the two equal).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from course.content.loader import Course
from progress.db import Database, insert_for
from progress.models import Attempt, Person, PersonRole, Step, TopicTally

EVERYONE = ""  # the role of the rows that count every person once


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def record_answer(session: Session, course: Course, person_id: str, step: Step) -> None:
    """Count `step` (a quiz answer just added) when it is the person's first answer to that question."""
    question = course.questions.get(step.item)
    if question is None:
        return
    earlier = session.scalar(
        select(func.count()).select_from(Step).join(Attempt, Step.attempt_id == Attempt.id)
        .where(Attempt.person_id == person_id, Attempt.kind != "scenario", Step.item == step.item,
               Step.id != step.id))
    if earlier:
        return
    unit_id = session.scalar(select(Person.unit_id).where(Person.id == person_id))
    roles = session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id)).all()
    add(session, [(unit_id, role, question.topic, month_of(step.answered_at), 1, int(bool(step.correct)))
                  for role in (EVERYONE, *roles)])


def add(session: Session, rows: Iterable[tuple[str, str, str, date, int, int]]) -> None:
    """Add (unit, role, topic, month, answered, correct) to the tallies: an upsert, so concurrent first answers
    in one unit add up instead of overwriting each other."""
    values = [dict(unit_id=u, role=r, topic=t, month=m, answered=a, correct=c) for u, r, t, m, a, c in rows]
    if not values:
        return
    statement = insert_for(session, TopicTally).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["unit_id", "role", "topic", "month"],
        set_={"answered": TopicTally.answered + statement.excluded.answered,
              "correct": TopicTally.correct + statement.excluded.correct})
    session.execute(statement)


def first_answer_tallies(people: Iterable[tuple[str, str, Iterable[str]]],
                         first_answers: Iterable[tuple[str, str, datetime, bool]],
                         course: Course) -> dict[tuple[str, str, str, date], list[int]]:
    """Tallies from first answers: `people` (id, unit, roles), `first_answers` (person, question, when,
    correct). Pure, shared by `rebuild` and the seed."""
    where = {person_id: (unit_id, (EVERYONE, *roles)) for person_id, unit_id, roles in people}
    tallies: dict[tuple[str, str, str, date], list[int]] = {}
    for person_id, question_id, answered_at, correct in first_answers:
        question = course.questions.get(question_id)
        if question is None or person_id not in where:
            continue
        unit_id, roles = where[person_id]
        for role in roles:
            counts = tallies.setdefault((unit_id, role, question.topic, month_of(answered_at)), [0, 0])
            counts[0] += 1
            counts[1] += int(bool(correct))
    return tallies


def rebuild(db: Database, course: Course) -> int:
    """Recompute every tally from the steps (people counted in their current unit); returns the rows written."""
    def use_case(session: Session) -> int:
        session.execute(delete(TopicTally))
        roles: dict[str, list[str]] = {}
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
            roles.setdefault(person_id, []).append(role)
        people = [(p, u, roles.get(p, [])) for p, u in session.execute(select(Person.id, Person.unit_id))]
        first = (select(Attempt.person_id, Step.item, func.min(Step.id).label("step_id"))
                 .join(Attempt, Step.attempt_id == Attempt.id).where(Attempt.kind != "scenario")
                 .group_by(Attempt.person_id, Step.item).subquery())
        answers = session.execute(select(first.c.person_id, Step.item, Step.answered_at, Step.correct)
                                  .join(first, Step.id == first.c.step_id))
        tallies = first_answer_tallies(people, answers, course)
        rows = [(u, r, t, m, a, c) for (u, r, t, m), (a, c) in tallies.items()]
        for start in range(0, len(rows), 5000):
            add(session, rows[start:start + 5000])
        return len(rows)

    return db.write(use_case)


def is_empty(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(TopicTally)) == 0
