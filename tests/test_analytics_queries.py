"""Topic mastery over time, the weakest topics and a unit's weakest topic, from topic tallies, on both databases."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from course import rules
from progress import unit_tree
from progress import analytics_queries as queries
from progress.access import SYSTEM, NotPermitted
from progress.models import Person, TopicTally, Unit

# kommun -> forvaltning -> (enhet-a, enhet-b); annan is elsewhere; chef-x manages forvaltning
UNITS = [
    {"id": "kommun", "name": "Kommunen", "kind": "nämnd", "parent_id": None, "manager_id": "chef-top"},
    {"id": "forvaltning", "name": "Förvaltningen", "kind": "förvaltning", "parent_id": "kommun",
     "manager_id": "chef-x"},
    {"id": "enhet-a", "name": "Enhet A", "kind": "enhet", "parent_id": "forvaltning", "manager_id": "chef-a"},
    {"id": "enhet-b", "name": "Enhet B", "kind": "enhet", "parent_id": "forvaltning", "manager_id": None},
    {"id": "annan", "name": "Annan", "kind": "förvaltning", "parent_id": "kommun", "manager_id": "chef-y"},
]


def tally(unit, topic, month, answered, correct, role=""):
    return {"unit_id": unit, "role": role, "topic": topic, "month": month, "answered": answered, "correct": correct}


def fill(db):
    rows = [
        tally("enhet-a", "gavor-och-representation", date(2025, 1, 1), 10, 9),
        tally("enhet-a", "bisysslor", date(2025, 1, 1), 10, 4),
        tally("enhet-a", "bisysslor", date(2025, 2, 1), 10, 6),
        tally("enhet-b", "gavor-och-representation", date(2025, 2, 1), 10, 3),
        tally("enhet-b", "vanskapskorruption", date(2025, 4, 1), 4, 0),  # too few answers to rank
        tally("annan", "bisysslor", date(2025, 3, 1), 20, 20),
        tally("annan", "sociala-medier", date(2025, 3, 1), 10, 1),
        # role rows count the same people again: never added to the everyone figures
        tally("enhet-a", "bisysslor", date(2025, 1, 1), 10, 0, role="chef"),
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Unit), UNITS)
        connection.execute(insert(TopicTally), rows)


def test_topic_mastery_by_month_and_by_quarter(db):
    fill(db)
    months = {(r.topic, r.period): (r.answered, r.correct) for r in queries.topic_mastery_by_month(db, SYSTEM)}
    assert months[("bisysslor", date(2025, 1, 1))] == (10, 4)  # the 'chef' row is not counted
    assert months[("bisysslor", date(2025, 3, 1))] == (20, 20)
    assert months[("gavor-och-representation", date(2025, 2, 1))] == (10, 3)
    in_feb = queries.topic_mastery_by_month(db, SYSTEM, date(2025, 2, 15), date(2025, 2, 28))  # a whole month
    assert {(r.topic, r.period) for r in in_feb} == {("bisysslor", date(2025, 2, 1)),
                                                     ("gavor-och-representation", date(2025, 2, 1))}
    only = queries.topic_mastery_by_month(db, SYSTEM, topics=["sociala-medier"])
    assert [(r.topic, r.answered, r.correct) for r in only] == [("sociala-medier", 10, 1)]
    quarters = {(r.topic, r.period): (r.answered, r.correct, round(r.percent, 1))
                for r in queries.by_quarter(queries.topic_mastery_by_month(db, SYSTEM))}
    assert quarters[("bisysslor", date(2025, 1, 1))] == (40, 30, 75.0)  # 4 + 6 + 20 of 10 + 10 + 20
    assert quarters[("vanskapskorruption", date(2025, 4, 1))] == (4, 0, 0.0)


def test_weakest_topics_for_the_organisation_and_for_a_unit_subtree(db):
    fill(db)
    ranked = queries.topic_shares(db, SYSTEM)
    # sociala-medier 1/10 = 10 %, gåvor 12/20 = 60 %, bisysslor 30/40 = 75 %; vänskap has 4 answers: left out
    assert [(r.topic, r.answered, r.correct) for r in ranked] == [
        ("sociala-medier", 10, 1), ("gavor-och-representation", 20, 12), ("bisysslor", 40, 30)]
    assert queries.topic_shares(db, SYSTEM, min_answered=1)[0].topic == "vanskapskorruption"
    grey = queries.topic_shares(db, SYSTEM, topics=["bisysslor", "gavor-och-representation"])
    assert [r.topic for r in grey] == ["gavor-och-representation", "bisysslor"]

    # the förvaltning: its two units, not 'annan'. bisysslor 10/20 = 50 %, gåvor 12/20 = 60 %
    unit = queries.topic_shares(db, SYSTEM, unit_id="forvaltning")
    assert [(r.topic, r.answered, r.correct) for r in unit] == [
        ("bisysslor", 20, 10), ("gavor-och-representation", 20, 12)]
    assert queries.weakest_topic(db, SYSTEM, unit_id="enhet-b").topic == "gavor-och-representation"
    assert queries.weakest_topic(db, SYSTEM, unit_id="enhet-a").topic == "bisysslor"
    assert queries.weakest_topic(db, SYSTEM, date(2025, 3, 1), None, unit_id="forvaltning") is None  # no data then
    assert queries.weakest_topic(db, SYSTEM, date(2025, 2, 1), date(2025, 2, 28), unit_id="enhet-a").percent == 60.0


def test_managed_units_are_the_subtree_in_tree_order(db):
    fill(db)
    with db.engine.begin() as connection:  # the viewers are people employed today
        connection.execute(insert(Person), [{"id": p, "name": p, "unit_id": "kommun", "start_date": date(2020, 1, 1)}
                                            for p in ("chef-x", "chef-a", "chef-top", "nobody")])
    assert [(u.id, u.depth) for u in unit_tree.managed_unit_choices(db, "chef-x")] == [
        ("forvaltning", 0), ("enhet-a", 1), ("enhet-b", 1)]
    assert [u.id for u in unit_tree.managed_unit_choices(db, "chef-a")] == ["enhet-a"]
    assert unit_tree.managed_unit_choices(db, "nobody") == []
    assert [u.id for u in unit_tree.managed_unit_choices(db, "chef-top")][:2] == ["kommun", "annan"]
    with pytest.raises(NotPermitted):  # chef-y is named on a unit but is not in the staff list
        unit_tree.managed_unit_choices(db, "chef-y")


class GreyCourse:
    """A course whose grey zones are two topics, with English titles (what topic_mastery reads of a course)."""

    TITLES = {"bisysslor": "Secondary employment", "gavor-och-representation": "Gifts and hospitality",
              "sociala-medier": "Social media", "vanskapskorruption": "Cronyism"}

    def __init__(self, grey=("sociala-medier", "rabatter-och-lan", "bisysslor")):
        self.modules = {rules.GREY_ZONE_MODULE: SimpleNamespace(topics=list(grey))} if grey else {}

    def topic_title(self, topic: str, language: str = "sv") -> str:
        return self.TITLES[topic] if language == "en" else topic


def test_the_analytics_page_s_default_period_is_the_last_year():
    assert queries.default_period(date(2025, 6, 2)) == (date(2024, 6, 2), date(2025, 6, 2))
    assert queries.GRANULARITIES[0] == queries.MONTH  # month by month until the admin asks for quarters


def test_topic_mastery_shows_the_grey_zones_first_else_the_first_few(db):
    fill(db)
    mastery = queries.topic_mastery(db, SYSTEM, GreyCourse(), language="en")
    assert mastery.monthly == tuple(queries.topic_mastery_by_month(db, SYSTEM))
    assert mastery.topics == ("vanskapskorruption", "gavor-och-representation", "bisysslor", "sociala-medier")
    assert mastery.shown_first == ("sociala-medier", "bisysslor")  # the grey zones answered, as the module has them
    assert queries.topic_mastery(db, SYSTEM, GreyCourse(grey=()), language="en").shown_first == mastery.topics
    assert queries.topic_mastery(db, SYSTEM, GreyCourse(grey=("rabatter-och-lan",)), language="en").shown_first \
        == mastery.topics  # no grey zone was answered: the first few topics
    assert mastery.rows(["bisysslor"]) == [row for row in mastery.monthly if row.topic == "bisysslor"]
    assert [(r.period, r.answered, r.correct) for r in mastery.rows(["bisysslor"], queries.QUARTER)] == [
        (date(2025, 1, 1), 40, 30)]
    assert mastery.rows([]) == []


def test_the_weakest_topics_are_the_grey_zones_unless_every_topic_is_asked_for(db):
    fill(db)
    grey = queries.weakest_topics(db, SYSTEM, GreyCourse())
    assert [r.topic for r in grey] == ["sociala-medier", "bisysslor"]
    every = queries.weakest_topics(db, SYSTEM, GreyCourse(), every_topic=True)
    assert every == queries.topic_shares(db, SYSTEM)
    assert queries.weakest_topics(db, SYSTEM, GreyCourse(grey=())) == every  # a course without grey zones


def test_the_analytics_page_s_figures_are_for_admins(db, fixture_course):
    fill(db)
    with db.engine.begin() as connection:
        connection.execute(insert(Person), [{"id": "chef-x", "name": "chef-x", "unit_id": "kommun",
                                             "start_date": date(2020, 1, 1)}])
    for call in (lambda: queries.topic_mastery(db, "chef-x", GreyCourse()),
                 lambda: queries.weakest_topics(db, "chef-x", GreyCourse()),
                 lambda: queries.bank_statistics(db, "chef-x", fixture_course, "prov-fragor")):
        with pytest.raises(NotPermitted):
            call()
