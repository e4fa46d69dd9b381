"""Answers the database did not take: what the learner is told about them, on Min utbildning and on the page
app.py shows when the database does not answer. The queue itself is `progress.pending`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from progress import db as store_db
from progress import pending
from views.context import t

SWEDISH_TIME = ZoneInfo("Europe/Stockholm")
NOTE_DRAWN = "pending_note_drawn"  # set by the page that drew the note, so that app.py does not draw it twice
SENT_THIS_RUN = "pending_sent_this_run"  # a callback sent the queue: the page need not send it again this run


def owner(person_id: str) -> pending.Owner:
    """Whose queue: the store (a server in tests may serve several) and the person."""
    try:
        url = store_db.database_url(store_db.auth_mode())
    except ValueError:
        url = ""
    return url, person_id


def clock_time(moment: datetime) -> str:
    return moment.astimezone(SWEDISH_TIME).strftime("%H:%M")


def report(flushed: pending.Flushed) -> list[tuple[str, str]]:
    """(kind, text) for each kept answer whose fate was decided now. One saved at its first try is the ordinary
    case and says nothing; one stale at its first try is said by the caller as before."""
    lines = []
    for entry, _ in flushed.saved:
        if entry.failures:
            lines.append(("success", t(f"pending_saved_{entry.what}", time=clock_time(entry.given_at))))
    for entry in flushed.stale:
        lines.append(("info", t("pending_stale", time=clock_time(entry.given_at)) if entry.failures
                      else t("stale_answer")))
    for entry in flushed.failed:
        lines.append(("error", t("pending_failed", time=clock_time(entry.given_at))))
    return lines


def waiting_note(person_id: str) -> bool:
    """The plain truth about what is still kept for this person on this server. True when there was any."""
    waiting = pending.REGISTRY.peek(owner(person_id))
    if not waiting:
        return False
    first = waiting[0]
    sentences = [t(f"pending_waiting_{first.what}", time=clock_time(first.given_at))]
    if len(waiting) > 1:
        sentences.append(t("pending_waiting_more", count=len(waiting) - 1))
    st.error(" ".join(sentences + [t("pending_waiting_how")]), icon=":material/cloud_off:")
    return True


def note_on_outage_page(user) -> None:
    """For app.py's outage page: the note, unless the page that failed has drawn it already in this run."""
    st.session_state.pop(SENT_THIS_RUN, None)  # this run is over; the next one sends the queue again
    if st.session_state.pop(NOTE_DRAWN, False) or user is None:
        return
    waiting_note(user.id)
