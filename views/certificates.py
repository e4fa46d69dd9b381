"""Verifiera intyg (admins): is the code on a certificate one this municipality issued, and for whom?"""

from __future__ import annotations

import streamlit as st

from course import rules
from course.plain import md_escape
from progress import certificates
from views.context import current_user, language, services, t

svc = services()
course = svc.content.course
user = current_user()

if user is None or not user.is_admin:  # the page list hides it; this keeps the register from anyone else
    st.error(t("cert_admins_only"))
    st.stop()


def _checked() -> None:
    st.session_state["cert_checked"] = True


st.title(t("cert_heading"))
st.write(t("cert_intro"))
with st.form("cert_form"):
    st.text_input(t("cert_code"), key="cert_code", placeholder="ABCDE-FGHJK", max_chars=40)
    st.form_submit_button(t("cert_check"), type="primary", on_click=_checked)

typed = st.session_state.get("cert_code", "").strip()
if st.session_state.get("cert_checked") and typed:
    record = certificates.find(svc.db, user.id, typed)  # an admin's check: in the audit log
    if record is None:
        st.error(t("cert_unknown", code=md_escape(typed)), icon=":material/gpp_bad:")  # as typed, as text
    else:
        st.success(t("cert_valid", code=record.printed_code), icon=":material/verified:")
        st.markdown("\n".join([
            f"- **{t('cert_name')}:** {md_escape(record.person_name)}",  # from the HR file: text
            f"- **{t('cert_track')}:** {certificates.shown_track_title(course, record, language())}",
            f"- **{t('cert_completed_on')}:** {record.completed_on.isoformat()}",
            f"- **{t('cert_content_version')}:** `{record.content_version}`",
            f"- **{t('cert_issued_at')}:** {record.issued_at.date().isoformat()}"]))
        current = course.track_version(record.track_id) if record.track_id in course.tracks else None
        if rules.certificate_outdated(current, record.content_version):
            st.caption(t("cert_version_changed"))
        st.download_button(t("cert_download_copy"), certificates.pdf_file(course, record, language()),
                           file_name=f"intyg-{record.code}.pdf", mime="application/pdf", key="cert_copy",
                           icon=":material/download:", on_click="ignore")
elif st.session_state.get("cert_checked"):
    st.warning(t("cert_enter_code"))
