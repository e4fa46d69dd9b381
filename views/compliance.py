"""Analys (admins): item statistics per question as Moodle defines them, topic mastery over time across the
organisation, the grey zones where the organisation is weakest, and how groups at workplace meetings voted at a
scenario's decisions beside what individuals chose. Every figure is a GROUP BY in the database; the store returns
what each tab shows (progress.analytics_queries, progress.group_analytics) and this page only draws it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from course import itemstats, rules
from course.plain import safe_frame
from progress import analytics_queries as queries
from progress import group_analytics
from views.components.admin_page import admin_or_stop
from views.components.charts import label_lines, plotly_chart
from views.context import language, services, t, today

FLAG_ICONS = {itemstats.FLAG_NEGATIVE: "⛔", itemstats.FLAG_TOO_HARD: "🔴", itemstats.FLAG_TOO_EASY: "🟡",
              itemstats.FLAG_FEW: "ℹ️"}
FLAG_COLOURS = {itemstats.FLAG_NEGATIVE: "#c62828", itemstats.FLAG_TOO_HARD: "#ef6c00",
                itemstats.FLAG_TOO_EASY: "#f9a825", itemstats.FLAG_FEW: "#90a4ae"}
NO_FLAG_COLOUR = "#2e7d32"
GROUP_COLOUR, INDIVIDUAL_COLOUR = "#1565c0", "#b45309"  # 5.8:1 and 4.9:1 on white, told apart without red/green
MARGIN = dict(l=10, r=10, t=10, b=10)

svc = services()
course = svc.content.course
db_key = str(svc.db.engine.url)
user = admin_or_stop()  # the store refuses the figures to anyone else too


def topic_name(topic: str) -> str:
    return course.topic_title(topic, language())


# The viewer is part of each cache key: a cached figure is only ever handed to the admin the store gave it to.
@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _bank_statistics(_db, db_key: str, viewer_id: str, bank_id: str, start: date, end: date, first_only: bool):
    return queries.bank_statistics(_db, viewer_id, course, bank_id, start, end, first_only)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _mastery(_db, db_key: str, viewer_id: str, start: date, end: date, language: str):
    return queries.topic_mastery(_db, viewer_id, course, start, end, language)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _weakest(_db, db_key: str, viewer_id: str, start: date, end: date, every_topic: bool):
    return queries.weakest_topics(_db, viewer_id, course, start, end, every_topic)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _scenario_sessions(_db, db_key: str, viewer_id: str, start: date, end: date):
    return group_analytics.scenario_sessions(_db, viewer_id, start, end)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _group_comparison(_db, db_key: str, viewer_id: str, scenario_id: str, start: date, end: date, first_only: bool):
    return group_analytics.group_comparison(_db, viewer_id, course, scenario_id, start, end, first_only)


def flag_label(flag: str) -> str:
    names = {itemstats.FLAG_NEGATIVE: t("compliance_flag_negative_discrimination"),
             itemstats.FLAG_TOO_HARD: t("compliance_flag_too_hard"),
             itemstats.FLAG_TOO_EASY: t("compliance_flag_too_easy"),
             itemstats.FLAG_FEW: t("compliance_flag_too_few_attempts")}
    return f"{FLAG_ICONS.get(flag, '')} {names.get(flag, flag)}".strip()


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def draw_period() -> tuple[date, date]:
    """The period every tab counts, the last year until the admin picks another; the page stops without one."""
    period = st.date_input(t("compliance_period"), value=queries.default_period(today()), max_value=today(),
                           key="compliance_period", format="YYYY-MM-DD")
    if not isinstance(period, (tuple, list)) or len(period) != 2:
        st.info(t("compliance_pick_period"))
        st.stop()
    return period[0], period[1]


def option_percents_text(stat: itemstats.ItemStat) -> str:
    """"A 67 % ✓ · B 17 % · …": the percent choosing each option, the right ones ticked."""
    return " · ".join(f"{chr(65 + i)} {percent:.0f} %{' ✓' if i in stat.correct_options else ''}"
                      for i, percent in enumerate(stat.option_percents))


def item_row(stat: itemstats.ItemStat) -> dict:
    return {t("compliance_col_question"): stat.question_id,
            t("col_topic"): topic_name(stat.topic),
            t("compliance_col_text"): stat.text,
            t("compliance_col_n"): stat.n,
            t("compliance_col_facility"): rounded(stat.facility),
            t("compliance_col_discrimination"): rounded(stat.discrimination),
            t("compliance_col_shares"): option_percents_text(stat),
            t("compliance_col_flags"): ", ".join(flag_label(f) for f in stat.flags)}


def draw_bank_figures(bank: itemstats.BankStatistics) -> None:
    a, b, c = st.columns(3)
    a.metric(t("compliance_questions"), bank.questions)
    b.metric(t("compliance_max_attempts"), bank.most_attempts)
    c.metric(t("compliance_flagged"), bank.flagged)


def draw_item_chart(bank: itemstats.BankStatistics) -> None:
    """Facility against discrimination, one point per question with both indexes, coloured by its first flag."""
    no_flag = t("compliance_flag_none")
    plotted = pd.DataFrame([{**item_row(stat),
                             t("compliance_col_flags"): flag_label(stat.flags[0]) if stat.flags else no_flag}
                            for stat in bank.plotted], columns=list(item_row(bank.items[0])))
    colours = {flag_label(flag): colour for flag, colour in FLAG_COLOURS.items()}
    colours[no_flag] = NO_FLAG_COLOUR
    figure = px.scatter(plotted, x=t("compliance_col_facility"), y=t("compliance_col_discrimination"),
                        color=t("compliance_col_flags"), color_discrete_map=colours,
                        hover_name=t("compliance_col_question"),
                        hover_data={t("compliance_col_text"): True, t("compliance_col_n"): True})
    figure.add_vline(x=itemstats.TOO_HARD_BELOW, line_dash="dot", line_color="#9e9e9e")
    figure.add_vline(x=itemstats.TOO_EASY_FROM, line_dash="dot", line_color="#9e9e9e")
    figure.add_hline(y=0, line_color="#9e9e9e")
    figure.update_layout(height=380, margin=MARGIN, legend_title_text="", xaxis_range=[-2, 102])
    plotly_chart(st, figure, key="compliance_item_chart")
    if bank.not_plotted:
        st.caption(t("compliance_undefined_discrimination"))


def draw_item_table(bank: itemstats.BankStatistics, bank_id: str, start: date, end: date) -> None:
    """Every question of the bank, and the same table as CSV."""
    shown = pd.DataFrame([item_row(stat) for stat in bank.items])
    st.dataframe(shown, hide_index=True, key="compliance_item_table",
                 column_config={t("compliance_col_text"): st.column_config.TextColumn(width="large")})
    st.download_button(t("compliance_download_csv"), safe_frame(shown).to_csv(index=False).encode("utf-8-sig"),
                       file_name=f"fragestatistik-{bank_id}-{start}-{end}.csv", mime="text/csv",
                       key="compliance_item_csv")


def draw_item_statistics(start: date, end: date) -> None:
    """Moodle's facility and discrimination per question of one bank, as a chart and a table."""
    st.caption(t("compliance_items_help", easy=f"{itemstats.TOO_EASY_FROM:.0f}",
                 hard=f"{itemstats.TOO_HARD_BELOW:.0f}", few=itemstats.MIN_ATTEMPTS))
    left, right = st.columns([2, 1])
    bank_id = left.selectbox(t("compliance_bank"), itemstats.banks_in_order(course),
                             format_func=lambda b: course.banks[b].title, key="compliance_bank")
    all_attempts = right.checkbox(t("compliance_all_attempts"), key="compliance_all_attempts",
                                  help=t("compliance_all_attempts_help"))
    bank = _bank_statistics(svc.db, db_key, user.id, bank_id, start, end, not all_attempts)
    if not bank.asked:
        st.info(t("compliance_no_attempts"))
        return
    draw_bank_figures(bank)
    draw_item_chart(bank)
    draw_item_table(bank, bank_id, start, end)


def draw_mastery_chart(frame: pd.DataFrame) -> None:
    figure = px.line(frame, x=t("compliance_col_period"), y=t("compliance_col_share"), color=t("col_topic"),
                     markers=True, hover_data=[t("compliance_col_answered")])
    figure.update_layout(height=380, margin=MARGIN, legend_title_text="", yaxis_range=[0, 100])
    plotly_chart(st, figure, key="compliance_mastery_chart")


def draw_topic_mastery(start: date, end: date) -> None:
    """The percent of correct first answers per topic, month by month or by quarter."""
    mastery = _mastery(svc.db, db_key, user.id, start, end, language())
    if not mastery.monthly:
        st.info(t("compliance_no_tallies"))
        return
    left, right = st.columns([3, 1])
    chosen = left.multiselect(t("compliance_topics"), list(mastery.topics), default=list(mastery.shown_first),
                              format_func=topic_name, key="compliance_topics")
    by = right.radio(t("compliance_granularity"), list(queries.GRANULARITIES), horizontal=True,
                     format_func=lambda g: t(f"compliance_{g}"), key="compliance_granularity")
    frame = pd.DataFrame([{t("col_topic"): topic_name(r.topic), t("compliance_col_period"): r.period,
                           t("compliance_col_answered"): r.answered, t("compliance_col_correct"): r.correct,
                           t("compliance_col_share"): round(r.percent, 1)} for r in mastery.rows(chosen, by)])
    if frame.empty:
        st.info(t("compliance_pick_topics"))
        return
    draw_mastery_chart(frame)
    st.dataframe(frame, hide_index=True, key="compliance_mastery_table")


def draw_weakest_grey_zones(start: date, end: date) -> None:
    """The organisation's grey-zone topics (or every topic), weakest first."""
    st.caption(t("compliance_grey_help", min=rules.MIN_ANSWERS_UNIT_TOPIC))
    every_topic = st.checkbox(t("compliance_all_topics"), key="compliance_all_topics")
    ranked = _weakest(svc.db, db_key, user.id, start, end, every_topic)
    if not ranked:
        st.info(t("compliance_no_tallies"))
        return
    frame = pd.DataFrame([{t("col_topic"): topic_name(r.topic), t("compliance_col_answered"): r.answered,
                           t("compliance_col_correct"): r.correct, t("compliance_col_share"): round(r.percent, 1)}
                          for r in ranked])
    chart, table = st.columns([3, 2])
    figure = px.bar(frame, x=t("compliance_col_share"), y=t("col_topic"), orientation="h",
                    hover_data=[t("compliance_col_answered")], color=t("compliance_col_share"),
                    color_continuous_scale=["#c62828", "#f9a825", "#2e7d32"], range_color=[0, 100])
    figure.update_layout(height=120 + 36 * len(frame), margin=MARGIN,
                         yaxis=dict(autorange="reversed"), xaxis_range=[0, 100], coloraxis_showscale=False)
    plotly_chart(chart, figure, key="compliance_grey_chart")
    table.dataframe(frame, hide_index=True, key="compliance_grey_table")


def percent(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 1)


def choice_label(choice: itemstats.ChoiceComparison) -> str:
    return f"{'✓ ' if choice.best else ''}{choice.text}"


def draw_node_chart(container, node: itemstats.NodeComparison) -> None:
    """The share choosing each choice, groups' bar beside individuals', the choices in the file's order."""
    groups, individuals = t("compliance_groups_groups"), t("compliance_groups_individuals")
    who, share_col, count_col = (t("compliance_groups_col_who"), t("compliance_groups_col_share"),
                                 t("compliance_groups_col_count"))
    choice_col = t("compliance_groups_col_choice")
    labels = [label_lines(choice_label(choice)) for choice in node.choices]
    frame = pd.DataFrame([{choice_col: label, who: name, share_col: percent(value), count_col: count}
                          for choice, label in zip(node.choices, labels)
                          for name, value, count in ((groups, choice.group_share, choice.group_votes),
                                                     (individuals, choice.individual_share,
                                                      choice.individual_answers))])
    figure = px.bar(frame, x=share_col, y=choice_col, color=who, barmode="group", orientation="h",
                    hover_data=[count_col], color_discrete_map={groups: GROUP_COLOUR, individuals: INDIVIDUAL_COLOUR},
                    category_orders={choice_col: labels, who: [groups, individuals]})
    figure.update_layout(height=110 + 70 * len(node.choices), margin=MARGIN, legend_title_text="",
                         xaxis_range=[0, 100], yaxis=dict(autorange="reversed", title_text=""))
    plotly_chart(container, figure, key=f"compliance_groups_chart_{node.node_id}")


def draw_node_table(container, node: itemstats.NodeComparison) -> None:
    """The chart's figures: per choice, the ending it can lead to and both counts with their shares."""
    frame = pd.DataFrame([{t("compliance_groups_col_choice"): choice_label(choice),
                           t("compliance_groups_col_leads_to"):
                               t(f"compliance_groups_ending_{choice.leads_to}") if choice.leads_to else "–",
                           t("compliance_groups_col_groups"): percent(choice.group_share),
                           t("compliance_groups_col_votes"): choice.group_votes,
                           t("compliance_groups_col_individuals"): percent(choice.individual_share),
                           t("compliance_groups_col_answers"): choice.individual_answers}
                          for choice in node.choices])
    container.dataframe(frame, hide_index=True, key=f"compliance_groups_table_{node.node_id}",
                        column_config={t("compliance_groups_col_choice"): st.column_config.TextColumn(width="large")})


def draw_node_comparison(number: int, node: itemstats.NodeComparison) -> None:
    st.subheader(t("compliance_groups_node", number=number))
    st.markdown(node.text)  # reviewed content
    if not node.counted:
        st.caption(t("compliance_groups_nobody"))
        return
    chart, table = st.columns([3, 2])
    draw_node_chart(chart, node)
    draw_node_table(table, node)
    st.caption(t("compliance_groups_counts", votes=node.group_votes, sessions=node.group_sessions,
                 steps=node.revealed_steps, answers=node.individual_answers))


def scenario_label(scenario_id: str, sessions: dict[str, int]) -> str:
    title = course.scenarios[scenario_id].title
    count = sessions.get(scenario_id, 0)
    return t("compliance_groups_scenario_sessions", title=title, count=count) if count else title


def draw_groups_and_individuals(start: date, end: date) -> None:
    """Per decision node of one scenario: how groups voted at workplace meetings beside what individuals chose."""
    st.caption(t("compliance_groups_help"))
    sessions = _scenario_sessions(svc.db, db_key, user.id, start, end)
    if not sessions:
        st.info(t("compliance_groups_none"))
        return
    left, right = st.columns([2, 1])
    scenario_id = left.selectbox(t("compliance_groups_scenario"), itemstats.scenarios_in_order(course, sessions),
                                 format_func=lambda s: scenario_label(s, sessions), key="compliance_groups_scenario")
    all_attempts = right.checkbox(t("compliance_all_attempts"), key="compliance_groups_all_attempts",
                                  help=t("compliance_groups_all_attempts_help"))
    comparison = _group_comparison(svc.db, db_key, user.id, scenario_id, start, end, not all_attempts)
    if not comparison.group_sessions:
        st.info(t("compliance_groups_none_here"))
    for number, node in enumerate(comparison.nodes, start=1):
        draw_node_comparison(number, node)


def draw_page() -> None:
    st.title(t("compliance_title"))
    st.caption(t("compliance_intro"))
    start, end = draw_period()
    items_tab, mastery_tab, grey_tab, groups_tab = st.tabs([t("compliance_items"), t("compliance_mastery"),
                                                            t("compliance_grey"), t("compliance_groups")])
    with items_tab:
        draw_item_statistics(start, end)
    with mastery_tab:
        draw_topic_mastery(start, end)
    with grey_tab:
        draw_weakest_grey_zones(start, end)
    with groups_tab:
        draw_groups_and_individuals(start, end)


draw_page()
