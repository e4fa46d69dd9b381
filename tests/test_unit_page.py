"""progress/unit_page: what Min enhet draws, shaped by the store. The people table and the talking points cover
the same people as the figures above them (the scope's units and role), filtered by module and sorted; the heat
map comes as the grid it is drawn as."""

from __future__ import annotations

from datetime import date

import pytest

from course.rules import STATUS_ORDER, report_period
from progress import reports, unit_page, unit_tree
from progress.access import NotPermitted
from progress.dashboard import TopicCell
from progress.reports import status_rows
from tests.conftest import SEEDED_DAY

TODAY = SEEDED_DAY  # the `seeded` store's (tests/conftest.py)


def _page(db, course, manager_id, role=None, module_id=None, unit_id=None, list_people=True):
    scope = unit_tree.scope_for(db, manager_id, unit_id, role, TODAY)
    start, end = report_period(TODAY, "12m")
    return unit_page.unit_page(db, course, scope, module_id, start, end, TODAY, list_people=list_people)


def _roles(db) -> dict[str, set[str]]:
    from sqlalchemy import select

    from progress.models import PersonRole

    roles: dict[str, set[str]] = {}
    with db.read() as session:
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
            roles.setdefault(person_id, set()).add(role)
    return roles


def test_the_role_filter_applies_to_the_people_table_and_the_talking_points(seeded, real_course):
    """Issue 11: with a role chosen, the figures counted only that role, while the people table and the talking
    points still listed everyone in the units. Now they list the figures' people (the manager left out)."""
    roles = _roles(seeded)
    everyone = _page(seeded, real_course, "chef-ks")
    for role in ("chef", "fortroendevald"):
        page = _page(seeded, real_course, "chef-ks", role=role)
        listed = {line.person_id for line in page.people}
        assert listed and all(role in roles[person_id] for person_id in listed), role
        assert listed < {line.person_id for line in everyone.people}  # someone without the role is left out
        expected = {(row.person_id, row.module_id) for row in status_rows(seeded, real_course, TODAY,
                                                                          manager_id="chef-ks")
                    if role in roles.get(row.person_id, ())}
        assert {(line.person_id, line.module_id) for line in page.people} == expected
        talked = {row.person_id for row in page.misconceptions}
        assert talked <= listed and talked < {row.person_id for row in everyone.misconceptions}
        assert "chef-ks" not in listed | talked
        own = status_rows(seeded, real_course, TODAY, person_ids=["chef-ks"]) if role in roles["chef-ks"] else []
        assert len(page.people) == page.assignments - len(own)  # the figures count the manager, the list not


def test_the_people_table_is_filtered_by_unit_and_module_and_sorted_by_status_then_due(seeded, real_course):
    page = _page(seeded, real_course, "chef-ks", module_id="mutor", unit_id="sbf")
    assert page.people and {line.module_id for line in page.people} == {"mutor"}
    assert {line.unit_name for line in page.people} <= {"Samhällsbyggnadsförvaltningen", "Bygglovsenheten",
                                                        "Miljö- och hälsoskyddsenheten"}
    keys = [(STATUS_ORDER.index(line.status), line.due is None, line.due or date.min) for line in page.people]
    assert keys == sorted(keys) and len({line.status for line in page.people}) > 1
    assert all(line.completed is None or isinstance(line.completed, date) for line in page.people)
    assert any(line.completed is not None for line in page.people)
    hidden = _page(seeded, real_course, "chef-ks", unit_id="sbf", list_people=False)
    assert hidden.people == () and hidden.misconceptions == () and hidden.assignments


def test_the_people_of_a_scope_are_refused_without_scope_for(seeded, real_course):
    units = unit_tree.load_units(seeded)
    made = unit_tree.make_scope(units, ["ks"], today=TODAY)  # not from scope_for: no right checked
    with pytest.raises(NotPermitted):
        reports.scope_status(seeded, real_course, made)
    with pytest.raises(NotPermitted):
        reports.scope_misconceptions(seeded, real_course, made)


def test_the_heat_map_is_the_grid_it_is_drawn_as():
    cells = [TopicCell("b", "Bygglov", "jav", 10, 9), TopicCell("a", "Arkiv", "jav", 10, 5),
             TopicCell("a", "Arkiv", "mutor", 4, 1)]
    grid = unit_page.heat_map(cells, unit_page.topic_totals(cells))
    assert grid.topics == ("mutor", "jav")  # the weakest first
    assert grid.groups == ("Arkiv", "Bygglov")  # the units by name
    assert grid.percent == ((25.0, None), (50.0, 90.0))  # no answers on Mutor in Bygglov: no figure, not 0 %
    assert unit_page.heat_map([], ()) == unit_page.HeatMap((), (), ())


def test_the_module_filter_lists_every_track_s_modules_by_title(real_course):
    choices = unit_page.module_choices(real_course, "sv")
    assert set(choices) == {m for track in real_course.tracks.values() for m in track.modules}
    titles = [real_course.module_title(m, "sv") for m in choices]
    assert titles == sorted(titles)
