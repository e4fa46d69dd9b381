"""What a person chose for themselves: the language of the app's pages and of their reminder e-mails.

Only the person sets their own (nobody chooses for someone else, not even an admin), while employed; the app,
the reminders and the register extract read it. Kept in person_preferences, apart from people, which the HR
import rewrites. No row means no choice: the caller uses the default (Swedish).
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import LANGUAGES
from progress.attempts import utcnow
from progress.db import Database, insert_for
from progress.models import PersonPreference
from progress.viewer import NotPermitted, Viewer, require_employed


class UnknownLanguage(ValueError):
    def __init__(self, language: object):
        super().__init__(f"Språket {language!r} finns inte; välj ett av {', '.join(LANGUAGES)}.")
        self.language = language


def language_of(db: Database, person_id: str) -> str | None:
    """The language `person_id` chose, or None when they chose none (or chose one no longer offered)."""
    with db.read() as session:
        chosen = session.scalar(select(PersonPreference.language).where(PersonPreference.person_id == person_id))
    return chosen if chosen in LANGUAGES else None


def languages_of(session: Session, person_ids: Iterable[str] | None = None) -> dict[str, str]:
    """person id -> the language they chose, for the people who chose one (all of them, or those in
    `person_ids`), in one query: the reminder run asks for everyone it writes to at once."""
    query = select(PersonPreference.person_id, PersonPreference.language)
    if person_ids is not None:
        ids = list(dict.fromkeys(person_ids))
        if not ids:
            return {}
        query = query.where(PersonPreference.person_id.in_(ids))
    return {person_id: chosen for person_id, chosen in session.execute(query) if chosen in LANGUAGES}


def set_language(db: Database, actor_id: Viewer, person_id: str, language: str, today: date | None = None) -> None:
    """Store `language` as `person_id`'s choice. Only the person themself, while employed; an unknown
    language is refused (UnknownLanguage) before anything is written. Choosing again overwrites."""
    if not isinstance(language, str) or language not in LANGUAGES:
        raise UnknownLanguage(language)
    today = today or date.today()

    def use_case(session: Session) -> None:
        if not isinstance(actor_id, str) or actor_id != person_id:
            raise NotPermitted(f"{actor_id!r} may not choose the language of {person_id!r}")
        require_employed(session, actor_id, today)
        now = utcnow()
        # an upsert: two tabs choosing at once both succeed, the later one wins
        statement = insert_for(session, PersonPreference).values(person_id=person_id, language=language,
                                                                 updated_at=now)
        session.execute(statement.on_conflict_do_update(index_elements=[PersonPreference.person_id],
                                                        set_={"language": language, "updated_at": now}))

    db.write(use_case)
