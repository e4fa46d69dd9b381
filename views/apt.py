"""APT-kort (managers): a discussion card for a unit's workplace meeting, on the unit's weakest topic, to show
on the screen or print. A manager chooses among the units under them, at any depth, and no others."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from course.documents.apt_card import card_pdf
from course.plain import md_escape
from progress import apt, unit_tree
from views.context import current_user, language, services, t, today

svc = services()
course = svc.content.course
user = current_user()

st.title(t("apt_title"))
st.caption(t("apt_intro"))

units = unit_tree.managed_unit_choices(svc.db, user.id)
if not units:
    st.info(t("apt_no_units"))
    st.stop()
by_id = {unit.id: unit for unit in units}
left, right = st.columns([2, 1])
unit_id = left.selectbox(t("apt_unit"), list(by_id), key="apt_unit",
                         format_func=lambda u: "\u2003" * by_id[u].depth + by_id[u].name)
months = right.selectbox(t("apt_period"), apt.PERIOD_MONTHS, index=apt.PERIOD_MONTHS.index(apt.DEFAULT_MONTHS),
                         key="apt_period", format_func=lambda m: t("apt_months", months=m))
unit = by_id[unit_id]
chosen = apt.card_for(svc.db, course, user.id, unit, months, today(), language())
card = chosen.card
if card is None:
    st.info(t("apt_no_data_anywhere"))
    st.stop()
if chosen.organisation_wide:
    st.info(t("apt_no_data", unit=md_escape(unit.name), topic=card.topic_title))

organisation_name = course.organisation.namn if course.organisation else ""
st.download_button(t("apt_download"), card_pdf(card, organisation_name, today()),
                   file_name=f"apt-kort-{unit.id}-{card.topic}.pdf", mime="application/pdf", key="apt_download",
                   type="primary", icon=":material/print:")

with st.container(border=True):
    st.subheader(t("apt_card_heading", topic=card.topic_title))
    st.markdown(replace(card, unit_name=md_escape(card.unit_name)).why)  # the unit's name (HR file) is text
    if card.situation:
        st.markdown(f"#### {t('apt_dilemma')}: {card.scenario_title}")
        st.markdown(card.situation)
        st.markdown(f"**{t('apt_choices')}**")
        st.markdown("  \n".join(f"{letter}. {choice}" for letter, choice in zip("ABCDEFG", card.choices)))
    st.markdown(f"#### {t('apt_questions')}")
    st.markdown("\n".join(f"{number}. {question}" for number, question in enumerate(card.questions, 1)))
    if card.rules:
        with st.expander(t("apt_rules")):
            for point, sources in card.rules:
                st.markdown(f"- {point}")
                st.caption(sources)
    if card.report_lines:
        st.markdown(f"#### {t('apt_report')}")
        st.markdown("  \n".join(card.report_lines))
