"""Samtalsledare för gruppövningar, a section of the admin page: give a person the right to lead group sessions
for a unit (and the units under it) without managing it, and take it away again behind a question.

The store decides and records (progress.facilitators: admins only, each change in the audit log); the page only
picks and draws, and writes in the buttons' callbacks, before the rerun. Names come from the HR file and are
drawn as plain text (st.text, selectbox labels, md_escape in a message).
"""

from __future__ import annotations

import streamlit as st

from course.plain import md_escape
from progress import facilitators
from progress.attempts import utcnow
from progress.db import Database, StoreUnavailable
from progress.viewer import NotPermitted
from views.context import t, today

_FLASH = "fac_flash"
_UNAVAILABLE = "fac_store_unavailable"


def _guarded(callback):
    """A callback runs before the page: a database that does not answer is drawn by app.py once the page runs;
    a refusal or a Swedish message from the store becomes a note above the section."""
    def run(*args):
        try:
            callback(*args)
        except StoreUnavailable:
            st.session_state[_UNAVAILABLE] = True
        except NotPermitted:
            st.session_state[_FLASH] = ("error", t("access_admins_only"))
        except facilitators.MESSAGES as error:
            st.session_state[_FLASH] = ("warning", md_escape(str(error)))
    return run


def _grant(db: Database, viewer_id: str, names: dict[str, str], unit_names: dict[str, str]) -> None:
    person_id, unit_id = st.session_state.get("fac_person"), st.session_state.get("fac_unit")
    if not person_id or not unit_id:
        st.session_state[_FLASH] = ("warning", t("fac_pick_both"))
        return
    status = facilitators.grant(db, viewer_id, person_id, unit_id, utcnow())
    key = "fac_granted" if status == "granted" else "fac_already_granted"
    st.session_state[_FLASH] = ("success", t(key, name=md_escape(names.get(person_id, person_id)),
                                             unit=md_escape(unit_names.get(unit_id, unit_id))))


def _revoke(db: Database, viewer_id: str, person_id: str, unit_id: str, name: str, unit_name: str) -> None:
    removed = facilitators.revoke(db, viewer_id, person_id, unit_id, utcnow())
    st.session_state[_FLASH] = ("success", t("fac_revoked" if removed else "fac_already_revoked",
                                             name=md_escape(name), unit=md_escape(unit_name)))


def draw(db: Database, viewer_id: str) -> None:
    """The section: the flash of the last change, the form to give a right, and the rights with "Ta bort"."""
    if st.session_state.pop(_UNAVAILABLE, False):
        raise StoreUnavailable("a facilitator right could not reach the database")
    st.subheader(t("fac_heading"))
    st.write(t("fac_intro"))
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        getattr(st, flash[0])(flash[1])
    try:
        units = facilitators.facilitated_unit_choices(db, viewer_id, today())  # every unit, for an admin
        held = facilitators.rights(db, viewer_id, today())
        typed = st.text_input(t("fac_search"), key="fac_search", max_chars=100, help=t("fac_search_help"))
        found = facilitators.find_people(db, viewer_id, typed, today())
    except NotPermitted:
        st.error(t("access_admins_only"))
        return

    names = {person.id: person.name for person in found}
    labels = {person.id: f"{person.name}, {person.unit_name} ({person.id})" for person in found}  # plain text
    unit_names = {unit.id: unit.name for unit in units}
    indent = {unit.id: "\u2003" * unit.depth for unit in units}  # the tree, as on the APT and Gruppläge pages
    if typed.strip() and not found:
        st.info(t("fac_no_match"))
    left, right = st.columns(2)
    left.selectbox(t("fac_person"), list(labels), format_func=labels.get, key="fac_person", index=None,
                   placeholder=t("fac_person_placeholder"), disabled=not found)
    right.selectbox(t("fac_unit"), list(unit_names), key="fac_unit", index=None,
                    format_func=lambda u: indent[u] + unit_names[u],
                    placeholder=t("fac_unit_placeholder"))
    st.button(t("fac_grant"), key="fac_grant", type="primary", icon=":material/person_add:",
              disabled=not (st.session_state.get("fac_person") and st.session_state.get("fac_unit")),
              on_click=_guarded(_grant), args=(db, viewer_id, names, unit_names))

    if not held:
        st.info(t("fac_none"))
        return
    columns = (3, 3, 3, 1)
    header = st.columns(columns)
    for column, key in zip(header, ("fac_col_person", "fac_col_unit", "fac_col_granted")):
        column.markdown(f"**{t(key)}**")
    for right_ in held:
        person_col, unit_col, granted_col, action_col = st.columns(columns, vertical_alignment="center")
        person_col.text(right_.person_name if right_.employed
                        else f"{right_.person_name} ({t('fac_not_employed')})")  # from the HR file: plain text
        unit_col.text(right_.unit_name)
        by = right_.granted_by_name or right_.granted_by or "–"  # None: the command line, or an admin since erased
        granted_col.text(t("fac_granted_on", day=right_.granted_at.strftime("%Y-%m-%d"), by=by))
        row_key = f"{len(right_.person_id)}-{right_.person_id}-{right_.unit_id}"  # unambiguous for any ids
        with action_col.popover(t("fac_revoke"), icon=":material/delete:"):
            st.text(t("fac_revoke_question", name=right_.person_name, unit=right_.unit_name))  # plain text
            st.button(t("fac_revoke_confirm"), key=f"fac_revoke-{row_key}", type="primary",
                      on_click=_guarded(_revoke),
                      args=(db, viewer_id, right_.person_id, right_.unit_id, right_.person_name, right_.unit_name))
