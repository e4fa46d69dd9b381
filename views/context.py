"""What every page needs: the services (content, store), who the user is, the language and `t()`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import streamlit as st

from course.content.loader import LoadResult, default_content_root, load_course
from i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from progress import db as store_db
from progress import states, tallies
from progress.attempts import Attempts
from progress.attestations import Attestations
from progress.org import Org, PersonRecord


@dataclass(frozen=True)
class Services:
    content: LoadResult
    db: store_db.Database | None
    attempts: Attempts | None
    org: Org | None
    demo: bool
    attestations: Attestations | None = None


def demo_mode() -> bool:
    """Demo is the embedded default: on unless a database is configured; COURSE_DEMO=1/0 overrides."""
    flag = os.environ.get("COURSE_DEMO", "").strip().lower()
    if flag in ("1", "true", "ja", "yes"):
        return True
    if flag in ("0", "false", "nej", "no"):
        return False
    return not store_db.is_configured()


@st.cache_resource(show_spinner=False, max_entries=4)
def _services(content_root: str, database_url: str, demo: bool) -> Services:
    content = load_course(content_root)
    engine = store_db.make_engine(database_url)
    database = store_db.Database(engine)
    database.retrying(lambda: store_db.migrate(engine))
    if not content.ok:  # the store still answers who is an admin, so they can be shown the problems
        return Services(content, database, None, Org(database), demo)
    if demo:
        from progress.seed import is_empty, seed

        if is_empty(database):
            seed(database, content.course)
    # A database from before these rollups existed: count them from the records once.
    if tallies.is_empty(database):
        tallies.rebuild(database, content.course)
    if states.is_empty(database):
        states.rebuild(database, content.course)
    return Services(content, database, Attempts(database, content.course), Org(database), demo,
                    Attestations(database))


def services() -> Services:
    with st.spinner(t("starting")):
        return _services(str(default_content_root()), store_db.database_url(), demo_mode())


def language() -> str:
    chosen = st.session_state.get("language") or st.query_params.get("lang") or DEFAULT_LANGUAGE
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values) -> str:
    return translate(language(), key, **values)


def today() -> date:
    return date.today()


def current_user() -> PersonRecord | None:
    """Set by app.py before the page runs."""
    return st.session_state.get("current_user")


def status_label(status) -> str:
    return t(f"status_{getattr(status, 'value', status)}")
