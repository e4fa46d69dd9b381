"""The APT card a manager takes to the workplace meeting: the store picks the topic, the engine writes the card.

The unit's weakest topic over the last `months` calendar months; when the unit has too few answers for any
topic to be ranked, the whole organisation's weakest topic instead (the card says so). The page only draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from course import rules
from course.content.loader import Course
from course.documents.apt_card import (DEFAULT_MONTHS, PERIOD_MONTHS, SCOPE_ORGANISATION, SCOPE_UNIT, AptCard,
                                       build_card)
from progress import analytics_queries as queries
from progress.access import Viewer
from progress.db import Database
from progress.unit_tree import UnitChoice

# What the page uses; the periods it offers are the card's rule (course.documents.apt_card), passed on.
__all__ = ["DEFAULT_MONTHS", "PERIOD_MONTHS", "AptChoice", "card_for"]


@dataclass(frozen=True)
class AptChoice:
    card: AptCard | None  # None: no topic has enough answers anywhere yet
    organisation_wide: bool  # the unit had too few answers: the card is on the organisation's weakest topic


def card_for(db: Database, course: Course, viewer_id: Viewer, unit: UnitChoice, months: int,
             today: date, language: str = "sv") -> AptChoice:
    """The card for `unit` (one of the viewer's, unit_tree.managed_unit_choices), in `language`; NotPermitted for
    another."""
    start = rules.add_months(today, -months)
    weakest = queries.weakest_topic(db, viewer_id, start, today, unit_id=unit.id)
    scope = SCOPE_UNIT
    if weakest is None:
        weakest = queries.weakest_topic(db, viewer_id, start, today)
        scope = SCOPE_ORGANISATION
    if weakest is None:
        return AptChoice(None, True)
    card = build_card(course, unit.id, unit.name, weakest.topic, weakest.percent, weakest.answered, scope,
                      language=language, months=months)
    return AptChoice(card, scope == SCOPE_ORGANISATION)
