"""Om dina uppgifter (everyone): what Gränsfall stores about the signed-in person, why, for how long and who sees
it, whom to contact, and their own register extract as JSON (taking it is recorded in the audit log).

The page says what the product stores and does. Who is responsible, the legal basis and the contact come from
config/organisation.yaml (`dataskydd:`), how long from config/retention.yaml: the municipality decides both.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course.plain import md_escape
from progress import privacy
from progress.db import StoreUnavailable
from views.context import current_user, language, services, t

svc = services()
course = svc.content.course
user = current_user()
organisation = course.organisation
protection = organisation.dataskydd if organisation is not None else None
EXTRACT_KEY = f"privacy_own_extract:{user.id}"  # per person: the demo can switch who is signed in


def _make_extract() -> None:
    """In the callback, before the rerun: the extract is read and its audit row written in one transaction."""
    try:
        st.session_state[EXTRACT_KEY] = privacy.extract_json(privacy.own_extract(svc.db, user.id))
    except StoreUnavailable:
        st.session_state[EXTRACT_KEY] = None
        st.session_state["privacy_extract_failed"] = True


def _own_text(key: str, value: str) -> str:
    """The municipality's text in the page's language where organisation.yaml has it translated."""
    translated = organisation.oversattningar.get(language(), {}) if organisation is not None else {}
    return translated.get(key, value)


def _how_long(policy: privacy.RetentionPolicy | None, key: str) -> str:
    if policy is None:
        return "–"
    months = policy.months.get(key)
    return t("privacy_keep") if months is None else t("privacy_months", months=months)


def _people_how_long(policy: privacy.RetentionPolicy | None) -> str:
    if policy is None:
        return "–"
    months = policy.months.get("personer_som_slutat")
    return t("privacy_keep_people") if months is None else t("privacy_months_people", months=months)


st.title(t("privacy_heading"))
st.write(t("privacy_intro"))

st.subheader(t("privacy_controller_heading"))
if protection is not None and protection.personuppgiftsansvarig:
    st.markdown(f"**{t('privacy_controller')}:** {md_escape(protection.personuppgiftsansvarig)}")
else:
    st.info(t("privacy_no_org_text"))
if protection is not None and protection.rattslig_grund:
    st.markdown(f"**{t('privacy_legal_basis')}**")
    st.text(_own_text("dataskydd.rattslig_grund", protection.rattslig_grund))

try:
    policy = privacy.load_policy()
except privacy.RetentionConfigError:
    policy = None
    st.warning(t("privacy_settings_error"))
counts = privacy.own_counts(svc.db, user.id)

st.subheader(t("privacy_stored_heading"))
rows = [(t("privacy_type_person"), counts["people"], t("privacy_why_person"), _people_how_long(policy)),
        (t("privacy_type_identities"), counts["identities"], t("privacy_why_identities"), _people_how_long(policy))]
for key, tables in (("svar", ("steps",)), ("forsok", ("attempts",)), ("genomforanden", ("completions", "waivers")),
                    ("bekraftelser", ("attestations",)), ("reflektioner", ("reflections",)),
                    ("intyg", ("certificates",)), ("paminnelser", ("sent_messages",)),
                    ("granskningslogg", ("audit_events",))):
    rows.append((t(f"privacy_type_{key}"), sum(counts[table] for table in tables), t(f"privacy_why_{key}"),
                 _how_long(policy, key)))
rows.append((t("privacy_type_states"), counts["module_states"], t("privacy_why_states"), t("privacy_follows")))
# group sessions: the person's own records and the sessions they led (never a vote: only counts are kept)
rows.append((t("privacy_type_group"), counts["group_session_records"] + counts["group_sessions"],
             t("privacy_why_group"), _how_long(policy, "gruppovningar")))
# st.table wraps the long texts (they are this code's own, and counts); nothing from the staff list is in it
st.table(pd.DataFrame(rows, columns=[t("privacy_col_what"), t("privacy_col_count"), t("privacy_col_why"),
                                     t("privacy_col_how_long")]), hide_index=True, border="horizontal")
st.caption(t("privacy_kept_note"))
if policy is not None and policy.decision:
    st.caption(t("privacy_decision", decision=md_escape(policy.decision)))
st.caption(t("privacy_not_named"))

st.subheader(t("privacy_who_sees_heading"))
st.markdown(t("privacy_who_sees"))

st.subheader(t("privacy_rights_heading"))
st.write(t("privacy_rights"))
officer = protection.dataskyddsombud if protection is not None else None
if officer is not None:
    st.markdown(f"**{t('privacy_officer')}**")
    st.text("\n".join(part for part in (officer.namn, officer.epost, officer.telefon) if part))
else:
    st.info(t("privacy_no_officer"))
if protection is not None and protection.integritetssida and protection.integritetssida.startswith("https://"):
    st.link_button(t("privacy_more"), protection.integritetssida, icon=":material/open_in_new:")

st.subheader(t("privacy_extract_heading"))
st.write(t("privacy_extract_intro"))
st.button(t("privacy_extract_make"), key="privacy_extract_make", on_click=_make_extract,
          icon=":material/person_search:")
if st.session_state.pop("privacy_extract_failed", False):
    raise StoreUnavailable("the register extract could not be made")  # app.py draws the Swedish message
if st.session_state.get(EXTRACT_KEY):
    st.success(t("privacy_extract_ready"))
    st.download_button(t("privacy_extract_download"), st.session_state[EXTRACT_KEY],
                       file_name="registerutdrag.json", mime="application/json", key="privacy_extract_download",
                       icon=":material/download:", on_click="ignore")
