"""Dataskydd (admins): the register extract for one person (JSON and PDF), the erasure of one person (after a
warning and the person's id typed once more), and retention: what a run would cull today, and its archive.

The store decides and records (progress.privacy: every function takes the admin and checks the role; each
extract, erasure and archive download is in the audit log). Writes happen in the buttons' callbacks, before the
rerun. Names come from the staff list and are drawn as plain text. The culling itself is the command
`python -m course retention`, which the municipality's operator schedules.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course.documents.register_extract import register_extract_pdf
from course.plain import md_escape
from progress import privacy
from progress.db import StoreUnavailable
from views.components.admin_page import admin_or_stop
from views.context import services, t, today

svc = services()
course = svc.content.course
user = admin_or_stop()  # the store refuses every function to others too

MESSAGES = (privacy.UnknownPerson, privacy.AlreadyErased, privacy.CannotEraseSelf)  # Swedish, for people


def _guarded(callback):
    """A callback runs before the page: a database that does not answer is drawn by app.py once the page runs."""
    def run(*args):
        try:
            callback(*args)
        except StoreUnavailable:
            st.session_state["dp_store_unavailable"] = True
    return run


def _typed(key: str) -> str:
    return (st.session_state.get(key) or "").strip()


def _extract() -> None:
    person_id = _typed("dp_extract_id")
    st.session_state.pop("dp_extract", None)
    if not person_id:
        return
    try:
        data = privacy.register_extract(svc.db, user.id, person_id, "json+pdf")
    except MESSAGES as error:
        st.session_state["dp_extract_error"] = str(error)
        return
    st.session_state["dp_extract"] = (person_id, data["registerutdrag"]["namn"], privacy.extract_json(data),
                                      register_extract_pdf(data, course.organisation, course, today()))


def _erase() -> None:
    person_id, confirmed = _typed("dp_erase_id"), _typed("dp_erase_confirm")
    if not person_id or confirmed != person_id:  # the button is disabled until they match; checked again here
        st.session_state["dp_erase_error"] = t("dp_erase_mismatch")
        return
    try:
        result = privacy.erase(svc.db, user.id, person_id)
    except MESSAGES as error:
        st.session_state["dp_erase_error"] = str(error)
        return
    rows = sum(count for table, count in result.counts.items() if table != "units")
    st.session_state["dp_erased"] = (person_id, rows)
    st.session_state["dp_erase_id"] = st.session_state["dp_erase_confirm"] = ""
    st.session_state.pop("dp_extract", None)


def _dry_run() -> None:
    st.session_state["dp_dry_run"] = True
    st.session_state.pop("dp_archive", None)


def _archive(policy: privacy.RetentionPolicy) -> None:
    _, data = privacy.archive_bytes(svc.db, user.id, course, policy, today())
    st.session_state["dp_archive"] = data


if st.session_state.pop("dp_store_unavailable", False):
    raise StoreUnavailable("a data protection action could not reach the database")
st.title(t("dp_heading"))
st.write(t("dp_intro"))

# --- register extract ---------------------------------------------------------------------------------------
st.subheader(t("dp_extract_heading"))
st.write(t("dp_extract_intro"))
with st.form("dp_extract_form"):
    st.text_input(t("dp_person_id"), key="dp_extract_id", max_chars=64)
    st.form_submit_button(t("dp_extract_button"), on_click=_guarded(_extract), icon=":material/person_search:")
if "dp_extract_error" in st.session_state:
    st.warning(md_escape(st.session_state.pop("dp_extract_error")))
if st.session_state.get("dp_extract"):
    person_id, name, json_bytes, pdf_bytes = st.session_state["dp_extract"]
    st.markdown(f"**{t('dp_extract_for')}**")
    st.text(f"{name} ({person_id})")  # from the staff list: plain text
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in person_id)[:80]
    left, right = st.columns(2)
    left.download_button(t("dp_download_json"), json_bytes, file_name=f"registerutdrag-{safe}.json",
                         mime="application/json", key="dp_download_json", icon=":material/download:",
                         on_click="ignore")
    right.download_button(t("dp_download_pdf"), pdf_bytes, file_name=f"registerutdrag-{safe}.pdf",
                          mime="application/pdf", key="dp_download_pdf", icon=":material/download:",
                          on_click="ignore")

# --- erasure ------------------------------------------------------------------------------------------------
st.subheader(t("dp_erase_heading"))
st.error(t("dp_erase_warning"), icon=":material/warning:")
if "dp_erased" in st.session_state:
    erased_id, rows = st.session_state.pop("dp_erased")
    st.success(t("dp_erased", rows=rows, person=md_escape(erased_id)))
if "dp_erase_error" in st.session_state:
    st.warning(md_escape(st.session_state.pop("dp_erase_error")))
st.text_input(t("dp_erase_id"), key="dp_erase_id", max_chars=64)
to_erase = _typed("dp_erase_id")
if to_erase:
    person = privacy.find_person(svc.db, user.id, to_erase, today())
    if person is None:
        st.info(t("dp_unknown_person"))
    else:
        st.markdown(f"**{t('dp_erase_person')}**")
        st.text(f"{person.name}, {person.unit_name} ({person.id})")  # plain text
        if person.employed:
            st.warning(t("dp_erase_employed"))
        st.text_input(t("dp_erase_confirm"), key="dp_erase_confirm", max_chars=64)
        st.button(t("dp_erase_button"), key="dp_erase_button", type="primary", icon=":material/delete_forever:",
                  disabled=_typed("dp_erase_confirm") != person.id, on_click=_guarded(_erase))

# --- retention ----------------------------------------------------------------------------------------------
st.subheader(t("dp_retention_heading"))
st.write(t("dp_retention_intro"))
try:
    policy = privacy.load_policy()
except privacy.RetentionConfigError as error:
    st.error(md_escape(str(error)))
    st.stop()
if policy.decision:
    st.caption(t("dp_decision", decision=md_escape(policy.decision)))
else:
    st.caption(t("dp_no_decision"))
st.table(pd.DataFrame(  # this code's own texts: st.table wraps them
    [(t(f"dp_type_{record_type.key}"),
      t("dp_keep") if policy.keeps(record_type.key) else t("dp_months", months=policy.months[record_type.key]),
      t(f"dp_effect_{record_type.key}")) for record_type in privacy.RECORD_TYPES],
    columns=[t("dp_col_type"), t("dp_col_kept"), t("dp_col_effect")]), hide_index=True, border="horizontal")
st.button(t("dp_dry_run"), key="dp_dry_run_button", on_click=_dry_run, icon=":material/playlist_remove:")
if st.session_state.get("dp_dry_run"):
    found = privacy.plan(svc.db, user.id, course, policy, today())
    st.write(t("dp_dry_run_result"))
    st.dataframe(pd.DataFrame(
        [(t(f"dp_type_{record_type.key}"),
          t("dp_keep") if months is None else t("dp_months", months=months),
          cutoff.isoformat() if cutoff else "–", rows) for record_type, months, cutoff, rows in found.by_type()],
        columns=[t("dp_col_type"), t("dp_col_kept"), t("dp_col_before"), t("dp_col_rows")]),
        hide_index=True, key="dp_dry_run_table")
    if found.empty:
        st.info(t("dp_nothing_to_cull"))
    else:
        st.button(t("dp_archive_prepare"), key="dp_archive_prepare", on_click=_guarded(_archive), args=(policy,),
                  icon=":material/archive:")
        if st.session_state.get("dp_archive"):
            st.download_button(t("dp_archive_download"), st.session_state["dp_archive"],
                               file_name=f"gallringsarkiv-{today().isoformat()}.zip", mime="application/zip",
                               key="dp_archive_download", icon=":material/download:", on_click="ignore")
            st.caption(t("dp_archive_note"))
