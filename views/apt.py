"""APT-kort (managers): a discussion card for a unit's workplace meeting, on the unit's weakest topic, to show
on the screen or print. A manager chooses among the units under them, at any depth, and no others. The store
picks the topic and the engine writes the card (progress.apt.card_for); the page only draws it."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from course.documents.apt_card import AptCard, card_pdf
from course.plain import md_escape
from progress import apt, unit_tree
from progress.unit_tree import UnitChoice
from views.context import current_user, language, services, t, today

svc = services()
course = svc.content.course
user = current_user()


def draw_unit_and_period() -> tuple[UnitChoice, int]:
    """The unit (one of the manager's, indented by depth) and the period; the page stops without a unit."""
    units = unit_tree.managed_unit_choices(svc.db, user.id)
    if not units:
        st.info(t("apt_no_units"))
        st.stop()
    by_id = {unit.id: unit for unit in units}
    left, right = st.columns([2, 1])
    unit_id = left.selectbox(t("apt_unit"), list(by_id), key="apt_unit",
                             format_func=lambda u: "\u2003" * by_id[u].depth + by_id[u].name)
    months = right.selectbox(t("apt_period"), apt.PERIOD_MONTHS,
                             index=apt.PERIOD_MONTHS.index(apt.DEFAULT_MONTHS), key="apt_period",
                             format_func=lambda m: t("apt_months", months=m))
    return by_id[unit_id], months


def draw_download(card: AptCard, unit: UnitChoice) -> None:
    organisation_name = course.organisation.namn if course.organisation else ""
    st.download_button(t("apt_download"), card_pdf(card, organisation_name, today()),
                       file_name=f"apt-kort-{unit.id}-{card.topic}.pdf", mime="application/pdf",
                       key="apt_download", type="primary", icon=":material/print:")


def draw_dilemma(card: AptCard) -> None:
    """The scenario's situation and its choices, when the topic has one."""
    if not card.situation:
        return
    st.markdown(f"#### {t('apt_dilemma')}: {card.scenario_title}")
    st.markdown(card.situation)
    st.markdown(f"**{t('apt_choices')}**")
    st.markdown("  \n".join(f"{letter}. {choice}" for letter, choice in zip("ABCDEFG", card.choices)))


def draw_rules(card: AptCard) -> None:
    if not card.rules:
        return
    with st.expander(t("apt_rules")):
        for point, sources in card.rules:
            st.markdown(f"- {point}")
            st.caption(sources)


def draw_report_lines(card: AptCard) -> None:
    if not card.report_lines:
        return
    st.markdown(f"#### {t('apt_report')}")
    st.markdown("  \n".join(card.report_lines))


def draw_card(card: AptCard) -> None:
    """The card as the meeting sees it on the screen."""
    with st.container(border=True):
        st.subheader(t("apt_card_heading", topic=card.topic_title))
        st.markdown(replace(card, unit_name=md_escape(card.unit_name)).why)  # the unit's name (HR file) is text
        draw_dilemma(card)
        st.markdown(f"#### {t('apt_questions')}")
        st.markdown("\n".join(f"{number}. {question}" for number, question in enumerate(card.questions, 1)))
        draw_rules(card)
        draw_report_lines(card)


def draw_page() -> None:
    st.title(t("apt_title"))
    st.caption(t("apt_intro"))
    unit, months = draw_unit_and_period()
    chosen = apt.card_for(svc.db, course, user.id, unit, months, today(), language())
    card = chosen.card
    if card is None:
        st.info(t("apt_no_data_anywhere"))
        return
    if chosen.organisation_wide:
        st.info(t("apt_no_data", unit=md_escape(unit.name), topic=card.topic_title))
    draw_download(card, unit)
    draw_card(card)


draw_page()
