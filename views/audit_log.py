"""Granskningslogg (admins): who looked at whose results and who did which admin action, when. Filter by period,
actor and subject; read it as a table; export it as CSV or XLSX (an export is itself recorded in the log).

The store decides (progress.audit.events refuses anyone but an admin); the page only filters and draws. Names
come from the staff list and every cell is plain text: st.dataframe draws no Markdown, and the exports are
neutralised (course.plain) so that a name starting with = is never a formula.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from course.plain import safe_frame, safe_workbook
from progress import audit
from progress.access import NotPermitted
from views.components.admin_page import admin_or_stop
from views.context import services, t, today

SHOWN_LIMIT = 5000  # on the page; an export takes up to EXPORT_LIMIT
EXPORT_LIMIT = 100_000
ACTIONS = (audit.VIEW_TALK, audit.VIEW_TALK_PDF, audit.VIEW_ANSWERS, audit.EXPORT_NAMED, audit.IMPORT,
           audit.ROLE_CHANGE, audit.SETTINGS, audit.DATA_EXPORT, audit.REGISTER_EXTRACT, audit.RETENTION,
           audit.ERASURE, audit.AUDIT_EXPORT, audit.CERTIFICATE_CHECK, audit.SIGN_IN_REFUSED,
           audit.FACILITATOR_GRANT, audit.FACILITATOR_REVOKE)

svc = services()
user = admin_or_stop()  # the store refuses the log to anyone else too


def _frame(records: list[audit.AuditRecord], labels: dict[str, str], actions: dict[str, str],
           system: str) -> pd.DataFrame:
    """The events as a table with Swedish headers and action names. Built from plain values only, so that the
    export callables (which run without the page) can call it too."""
    return pd.DataFrame([{labels["at"]: record.at.strftime("%Y-%m-%d %H:%M:%S"),
                          labels["action"]: actions.get(record.action, record.action),
                          labels["actor"]: record.actor_name or (system if record.actor_id is None else ""),
                          labels["actor_id"]: record.actor_id or "",
                          labels["subject"]: record.subject_name or "",
                          labels["subject_id"]: record.subject_id or "",
                          labels["detail"]: json.dumps(record.detail, ensure_ascii=False) if record.detail else ""}
                         for record in records], columns=list(labels.values()))


def _export(file_format: str, filters: dict, labels: dict[str, str], actions: dict[str, str], system: str,
            sheet: str):
    """`data=` of a download button: on the click, the store records the export and hands over the events."""
    db, viewer_id = svc.db, user.id

    def download() -> bytes:
        records = audit.export(db, viewer_id, filters["start"], filters["end"], actor=filters["actor"],
                               subject=filters["subject"], limit=EXPORT_LIMIT, file_format=file_format)
        frame = _frame(records, labels, actions, system)
        if file_format == "csv":  # Excel in Sweden opens ; and a BOM as UTF-8
            return safe_frame(frame).to_csv(index=False, sep=";").encode("utf-8-sig")
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name=sheet[:31], index=False)
            safe_workbook(writer.book)
        return buffer.getvalue()

    return download


st.title(t("audit_heading"))
st.caption(t("audit_intro"))
period_col, actor_col, subject_col = st.columns([2, 1, 1])
period = period_col.date_input(t("audit_period"), value=(today() - timedelta(days=30), today()),
                               max_value=today(), key="audit_period", format="YYYY-MM-DD")
actor = actor_col.text_input(t("audit_actor"), key="audit_actor", max_chars=100, help=t("audit_filter_help"))
subject = subject_col.text_input(t("audit_subject"), key="audit_subject", max_chars=100,
                                 help=t("audit_filter_help"))
if not isinstance(period, (tuple, list)) or len(period) != 2:
    st.info(t("audit_pick_period"))
    st.stop()
filters = {"start": period[0], "end": period[1], "actor": actor.strip() or None, "subject": subject.strip() or None}

try:
    records = audit.events(svc.db, user.id, filters["start"], filters["end"], actor=filters["actor"],
                           subject=filters["subject"], limit=SHOWN_LIMIT)
except NotPermitted:
    st.error(t("access_admins_only"))
    st.stop()

labels = {key: t(f"audit_col_{key}") for key in ("at", "action", "actor", "actor_id", "subject", "subject_id",
                                                  "detail")}
actions = {action: t(f"audit_action_{action}") for action in ACTIONS}
system = t("audit_system_actor")

if not records:
    st.info(t("audit_none"))
else:
    st.caption(t("audit_count_limited", count=len(records)) if len(records) >= SHOWN_LIMIT
               else t("audit_count", count=len(records)))
    st.dataframe(_frame(records, labels, actions, system), hide_index=True, key="audit_table")

left, right = st.columns(2)
stamp = f"{filters['start'].isoformat()}-{filters['end'].isoformat()}"
left.download_button(t("audit_download_csv"), _export("csv", filters, labels, actions, system, t("audit_heading")),
                     file_name=f"granskningslogg-{stamp}.csv", mime="text/csv", key="audit_csv",
                     icon=":material/download:", on_click="ignore")
right.download_button(t("audit_download_xlsx"), _export("xlsx", filters, labels, actions, system, t("audit_heading")),
                      file_name=f"granskningslogg-{stamp}.xlsx", key="audit_xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/table_view:", on_click="ignore")
