"""What every page needs: the services (content, store), who the user is, the language and `t()`."""

from __future__ import annotations

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


class NotStarted(RuntimeError):
    """The app refuses to start as configured; the message is Swedish, for the person who runs it."""


def demo_mode() -> bool:
    return store_db.auth_mode() == "demo"


# The content is read once per content root, not once per database: loading and validating it takes a second or
# two, and the tests open the same content on a hundred databases of their own.
_content = st.cache_resource(show_spinner=False, max_entries=4)(load_course)


@st.cache_resource(show_spinner=False, max_entries=4)
def _services(content_root: str, database_url: str, demo: bool) -> Services:
    content = _content(content_root)
    engine = store_db.make_engine(database_url)
    database = store_db.Database(engine)
    # Several servers starting at once on one database: one at a time migrates, seeds and counts, so the demo is
    # seeded once and a rollup is never counted by two (the next finds the work done).
    with store_db.exclusively(database, store_db.STARTUP_LOCK):
        _prepare(database, content, demo, database_url)
    if not content.ok:  # the store still answers who is an admin, so they can be shown the problems
        return Services(content, database, None, Org(database), demo)
    return Services(content, database, Attempts(database, content.course), Org(database), demo,
                    Attestations(database))


def _prepare(database: store_db.Database, content: LoadResult, demo: bool, database_url: str) -> None:
    """Bring the store up to date: migrations, the demo's seed on an empty database, missing rollups."""
    database.retrying(lambda: store_db.migrate(database.engine))
    if demo:
        from progress.seed import is_demo_database, is_empty, seed

        if is_empty(database) and content.ok:
            with store_db.unavailable_on_loss():  # the seed writes through the engine itself
                seed(database, content.course)
        elif not is_empty(database) and not is_demo_database(database):
            # Real people must never be opened with the demo's switcher and ?as=.
            raise NotStarted(translate(DEFAULT_LANGUAGE, "demo_refuses_real_database",
                                       url=store_db.shown_url(database_url)))
    if not content.ok:
        return
    # A database from before these rollups existed: count them from the records once.
    if tallies.is_empty(database):
        tallies.rebuild(database, content.course)
    if states.out_of_date(database, content.course):  # none yet, or what a group session counts for changed
        states.rebuild(database, content.course)


_made: set[tuple[str, str, bool]] = set()  # the services this process has made: no spinner (a thread) for them


def services() -> Services:
    try:
        demo = demo_mode()
    except ValueError:
        raise NotStarted(t("auth_mode_unknown")) from None
    key = (str(default_content_root()), store_db.database_url("demo" if demo else "oidc"), demo)
    if key in _made:
        return _services(*key)
    with st.spinner(t("starting")):
        made = _services(*key)
    _made.add(key)
    return made


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
