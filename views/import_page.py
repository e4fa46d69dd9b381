"""Importera personal: upload the HR system's export, see the dry run row by row, confirm to save it.

The page only reads; the import is written in the confirm button's callback, in one transaction.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course.plain import md_escape
from progress import importer
from progress.access import NotPermitted
from progress.db import StoreUnavailable
from views.context import current_user, services, t, today

svc = services()
user = current_user()


@st.cache_data(ttl=600, max_entries=2, show_spinner=False)  # every click reruns the page; a big file parses once
def _parse(name: str, data: bytes, units_name: str | None, units_data: bytes | None) -> importer.Parsed:
    return importer.parse(name, data, units_name, units_data)


def _apply(parsed: importer.Parsed, end_missing: bool, file_name: str) -> None:
    st.session_state["import_confirm_check"] = False
    try:  # the store checks that the user is an admin today, and records the import in its transaction
        plan = importer.apply(svc.db, user.id, parsed, today(), end_missing, file_name=file_name)
    except StoreUnavailable:
        st.session_state["import_flash"] = ("error", t("store_unavailable"))
        return
    except NotPermitted:
        st.session_state["import_flash"] = ("error", t("access_admins_only"))
        return
    if not plan.ok:  # the store changed after the dry run: the page now shows why
        st.session_state["import_flash"] = ("error", t("import_refused"))
        return
    people, units = plan.counts(plan.people), plan.counts(plan.units)
    st.session_state["import_flash"] = ("success", t(
        "import_done", added=people[importer.ADD], changed=people[importer.CHANGE], ended=people[importer.END],
        units=len(plan.units) - units[importer.UNCHANGED]))


def _upload_limit_mb() -> str:
    """The largest file this page takes: Streamlit's upload limit or the importer's, whichever is smaller."""
    try:
        importer_mb = importer.Limits.from_env().max_mb
    except importer.FileRefused:  # a bad COURSE_IMPORT_MAX_MB: the import itself says so
        importer_mb = importer.DEFAULT_MAX_MB
    return f"{min(st.get_option('server.maxUploadSize'), importer_mb):g}"


def _table(changes: list[importer.Change]) -> pd.DataFrame:
    return pd.DataFrame({t("import_col_row"): [str(c.row) if c.row else t("import_not_in_file") for c in changes],
                         t("import_col_id"): [c.id for c in changes],
                         t("import_col_name"): [c.name for c in changes],
                         t("import_col_changes"): [c.changes() for c in changes]})


def _show_plan(plan: importer.Plan) -> None:
    counts = plan.counts(plan.people)
    labels = {importer.ADD: "import_added", importer.CHANGE: "import_changed", importer.END: "import_ended",
              importer.UNCHANGED: "import_unchanged"}
    for column, (action, key) in zip(st.columns(4), labels.items()):
        column.metric(t(key), counts[action])
    units = plan.counts(plan.units)
    st.caption(t("import_units_summary", added=units[importer.ADD], changed=units[importer.CHANGE],
                 unchanged=units[importer.UNCHANGED]))
    for note in plan.notes:
        st.info(md_escape(note))  # a note quotes the file's own column names: text, never Markdown
    if plan.problems:
        st.error(t("import_errors", count=len(plan.problems)))
        st.dataframe(pd.DataFrame({t("import_col_problem"): [str(p) for p in plan.problems]}), hide_index=True)
    changed_units = [c for c in plan.units if c.action != importer.UNCHANGED]
    if changed_units:
        st.subheader(t("import_units_table"))
        st.dataframe(_table(changed_units), hide_index=True)
    for action in (importer.ADD, importer.CHANGE, importer.END):
        changes = [c for c in plan.people if c.action == action]
        if changes:
            st.subheader(t(labels[action]))
            st.dataframe(_table(changes), hide_index=True)


st.title(t("import_heading"))
st.markdown(t("import_intro"))
left, right = st.columns(2)
left.download_button(t("import_template_people"), importer.PEOPLE_TEMPLATE.encode("utf-8-sig"),
                     file_name="personal-mall.csv", mime="text/csv", icon=":material/download:")
right.download_button(t("import_template_units"), importer.UNITS_TEMPLATE.encode("utf-8-sig"),
                      file_name="enheter-mall.csv", mime="text/csv", icon=":material/download:")
people_file = st.file_uploader(t("import_file"), type=["csv", "xlsx"], key="import_file",
                               help=t("import_file_help", mb=_upload_limit_mb()))
units_file = st.file_uploader(t("import_units_file"), type=["csv", "xlsx"], key="import_units_file",
                              help=t("import_units_help"))
end_missing = st.checkbox(t("import_end_missing"), key="import_end_missing", help=t("import_end_missing_help"))

flash = st.session_state.pop("import_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])

if people_file is not None:
    units = (units_file.name, units_file.getvalue()) if units_file else (None, None)
    parsed = _parse(people_file.name, people_file.getvalue(), *units)
    if parsed.refused:  # nothing in it was read: why, in one sentence (it may quote a file name), no counts
        st.error(t("import_file_refused", reason=md_escape(parsed.problems[0].message)))
        st.stop()
    try:
        plan = importer.plan_for(svc.db, user.id, parsed, today(), end_missing)
    except StoreUnavailable:
        st.error(t("store_unavailable"))
        st.stop()
    except NotPermitted:
        st.error(t("access_admins_only"))
        st.stop()
    _show_plan(plan)
    if plan.ok and not plan.has_changes:
        st.info(t("import_nothing"))
    elif plan.ok:
        confirmed = st.checkbox(t("import_confirm_check"), key="import_confirm_check")
        st.button(t("import_confirm"), type="primary", disabled=not confirmed, key="import_apply",
                  on_click=_apply, args=(parsed, end_missing, people_file.name))
