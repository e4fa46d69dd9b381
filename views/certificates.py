"""Verifiera intyg (admins): is the code on a certificate one this municipality issued, and for whom?

The store checks the code, logs the check and says what the page shows (progress.certificates.check); the page
only draws it."""

from __future__ import annotations

import streamlit as st

from course.plain import md_escape
from progress import certificates
from views.components.admin_page import admin_or_stop
from views.context import language, services, t

svc = services()
course = svc.content.course
user = admin_or_stop("cert_admins_only")  # this keeps the register from anyone else


def _checked() -> None:
    st.session_state["cert_checked"] = True


def draw_code_form() -> None:
    st.title(t("cert_heading"))
    st.write(t("cert_intro"))
    with st.form("cert_form"):
        st.text_input(t("cert_code"), key="cert_code", placeholder="ABCDE-FGHJK", max_chars=40)
        st.form_submit_button(t("cert_check"), type="primary", on_click=_checked)


def draw_certificate(checked: certificates.CheckedCertificate) -> None:
    """A certificate that was found: whose it is, for what and when, and a copy to download."""
    record = checked.record
    st.success(t("cert_valid", code=record.printed_code), icon=":material/verified:")
    st.markdown("\n".join([
        f"- **{t('cert_name')}:** {md_escape(record.person_name)}",  # from the HR file: text
        f"- **{t('cert_track')}:** {checked.track_title}",
        f"- **{t('cert_completed_on')}:** {record.completed_on.isoformat()}",
        f"- **{t('cert_content_version')}:** `{record.content_version}`",
        f"- **{t('cert_issued_at')}:** {record.issued_at.date().isoformat()}"]))
    if checked.outdated:
        st.caption(t("cert_version_changed"))
    st.download_button(t("cert_download_copy"), certificates.pdf_file(course, record, language()),
                       file_name=f"intyg-{record.code}.pdf", mime="application/pdf", key="cert_copy",
                       icon=":material/download:", on_click="ignore")


def draw_check_result() -> None:
    """The answer to the code typed, once the admin has asked."""
    if not st.session_state.get("cert_checked"):
        return
    typed = st.session_state.get("cert_code", "").strip()
    if not typed:
        st.warning(t("cert_enter_code"))
        return
    checked = certificates.check(svc.db, user.id, course, typed, language())  # an admin's check: in the audit log
    if checked is None:
        st.error(t("cert_unknown", code=md_escape(typed)), icon=":material/gpp_bad:")  # as typed, as text
    else:
        draw_certificate(checked)


draw_code_form()
draw_check_result()
