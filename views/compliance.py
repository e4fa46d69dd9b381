"""Analys (admins): item statistics per question as Moodle defines them, topic mastery over time across the
organisation, and the grey zones where the organisation is weakest. Every figure is a GROUP BY in the database."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from course import itemstats, rules
from course.plain import safe_frame
from progress import analytics_queries as queries
from views.context import current_user, language, services, t, today
from views.components.charts import plotly_chart

FLAG_ICONS = {itemstats.FLAG_NEGATIVE: "⛔", itemstats.FLAG_TOO_HARD: "🔴", itemstats.FLAG_TOO_EASY: "🟡",
              itemstats.FLAG_FEW: "ℹ️"}
NO_FLAG = "ok"

svc = services()
course = svc.content.course
db_key = str(svc.db.engine.url)
user = current_user()


def topic_name(topic: str) -> str:
    return course.topic_title(topic, language())


if user is None or not user.is_admin:  # the page list hides it; the store refuses the figures to anyone else
    st.error(t("access_admins_only"))
    st.stop()


# The viewer is part of each cache key: a cached figure is only ever handed to the admin the store gave it to.
@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _item_statistics(_db, db_key: str, viewer_id: str, bank_id: str, start: date, end: date, first_only: bool):
    return queries.item_statistics(_db, viewer_id, course, bank_id, start, end, first_only)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _mastery(_db, db_key: str, viewer_id: str, start: date, end: date):
    return queries.topic_mastery_by_month(_db, viewer_id, start, end)


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _shares(_db, db_key: str, viewer_id: str, start: date, end: date, topics: tuple[str, ...] | None):
    return queries.topic_shares(_db, viewer_id, start, end, topics=topics)


def flag_label(flag: str) -> str:
    names = {itemstats.FLAG_NEGATIVE: t("compliance_flag_negative_discrimination"),
             itemstats.FLAG_TOO_HARD: t("compliance_flag_too_hard"),
             itemstats.FLAG_TOO_EASY: t("compliance_flag_too_easy"),
             itemstats.FLAG_FEW: t("compliance_flag_too_few_attempts")}
    return f"{FLAG_ICONS.get(flag, '')} {names.get(flag, flag)}".strip()


def percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


st.title(t("compliance_title"))
st.caption(t("compliance_intro"))

default_start = today() - timedelta(days=365)
period = st.date_input(t("compliance_period"), value=(default_start, today()), max_value=today(),
                       key="compliance_period", format="YYYY-MM-DD")
if not isinstance(period, (tuple, list)) or len(period) != 2:
    st.info(t("compliance_pick_period"))
    st.stop()
start, end = period


def draw_item_statistics() -> None:
    """Moodle's facility and discrimination per question of one bank, as a chart and a table."""
    st.caption(t("compliance_items_help", easy=f"{itemstats.TOO_EASY_FROM:.0f}",
                 hard=f"{itemstats.TOO_HARD_BELOW:.0f}", few=itemstats.MIN_ATTEMPTS))
    language_of = {m.quiz: m.language for m in course.modules.values()}
    banks = sorted(language_of, key=lambda b: (language_of[b] != "sv", course.banks[b].title))  # originals first
    left, right = st.columns([2, 1])
    bank_id = left.selectbox(t("compliance_bank"), banks, format_func=lambda b: course.banks[b].title,
                             key="compliance_bank")
    all_attempts = right.checkbox(t("compliance_all_attempts"), key="compliance_all_attempts",
                                  help=t("compliance_all_attempts_help"))
    stats = _item_statistics(svc.db, db_key, user.id, bank_id, start, end, not all_attempts)
    asked = [s for s in stats if s.n]
    if not asked:
        st.info(t("compliance_no_attempts"))
    else:
        flagged = sum(1 for s in asked if itemstats.is_flagged(s))
        a, b, c = st.columns(3)
        a.metric(t("compliance_questions"), len(stats))
        b.metric(t("compliance_max_attempts"), max(s.n for s in stats))
        c.metric(t("compliance_flagged"), flagged)

        rows = []
        for stat in stats:
            shares = " · ".join(f"{chr(65 + i)} {share:.0f} %{' ✓' if i in stat.correct_options else ''}"
                                for i, share in enumerate(stat.option_shares))
            rows.append({
                t("compliance_col_question"): stat.question_id,
                t("col_topic"): topic_name(stat.topic),
                t("compliance_col_text"): stat.text,
                t("compliance_col_n"): stat.n,
                t("compliance_col_facility"): percent(stat.facility),
                t("compliance_col_discrimination"): percent(stat.discrimination),
                t("compliance_col_shares"): shares,
                t("compliance_col_flags"): ", ".join(flag_label(f) for f in stat.flags),
                "_flag": stat.flags[0] if stat.flags else NO_FLAG,
            })
        frame = pd.DataFrame(rows)

        plotted = frame[frame[t("compliance_col_discrimination")].notna()].copy()
        plotted[t("compliance_col_flags")] = plotted["_flag"].map(
            lambda f: t("compliance_flag_none") if f == NO_FLAG else flag_label(f))
        colours = {flag_label(f): colour for f, colour in ((itemstats.FLAG_NEGATIVE, "#c62828"),
                                                           (itemstats.FLAG_TOO_HARD, "#ef6c00"),
                                                           (itemstats.FLAG_TOO_EASY, "#f9a825"),
                                                           (itemstats.FLAG_FEW, "#90a4ae"))}
        colours[t("compliance_flag_none")] = "#2e7d32"
        figure = px.scatter(plotted, x=t("compliance_col_facility"), y=t("compliance_col_discrimination"),
                            color=t("compliance_col_flags"), color_discrete_map=colours,
                            hover_name=t("compliance_col_question"),
                            hover_data={t("compliance_col_text"): True, t("compliance_col_n"): True})
        figure.add_vline(x=itemstats.TOO_HARD_BELOW, line_dash="dot", line_color="#9e9e9e")
        figure.add_vline(x=itemstats.TOO_EASY_FROM, line_dash="dot", line_color="#9e9e9e")
        figure.add_hline(y=0, line_color="#9e9e9e")
        figure.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10), legend_title_text="",
                             xaxis_range=[-2, 102])
        plotly_chart(st, figure, key="compliance_item_chart")
        if len(plotted) < len(asked):
            st.caption(t("compliance_undefined_discrimination"))

        shown = frame.drop(columns=["_flag"])
        st.dataframe(shown, hide_index=True, key="compliance_item_table",
                     column_config={t("compliance_col_text"): st.column_config.TextColumn(width="large")})
        st.download_button(t("compliance_download_csv"), safe_frame(shown).to_csv(index=False).encode("utf-8-sig"),
                           file_name=f"fragestatistik-{bank_id}-{start}-{end}.csv", mime="text/csv",
                           key="compliance_item_csv")


def draw_topic_mastery() -> None:
    """The share of correct first answers per topic, month by month or by quarter."""
    monthly = _mastery(svc.db, db_key, user.id, start, end)
    if not monthly:
        st.info(t("compliance_no_tallies"))
    else:
        present = sorted({row.topic for row in monthly}, key=topic_name)
        grey = [topic for topic in rules.grey_zone_topics(course) if topic in present]
        left, right = st.columns([3, 1])
        chosen = left.multiselect(t("compliance_topics"), present, default=grey or present[:5],
                                  format_func=topic_name, key="compliance_topics")
        by = right.radio(t("compliance_granularity"), ["month", "quarter"], horizontal=True,
                         format_func=lambda g: t(f"compliance_{g}"), key="compliance_granularity")
        rows = [row for row in monthly if row.topic in chosen]
        if by == "quarter":
            rows = queries.by_quarter(rows)
        frame = pd.DataFrame([{t("col_topic"): topic_name(r.topic), t("compliance_col_period"): r.period,
                               t("compliance_col_answered"): r.answered, t("compliance_col_correct"): r.correct,
                               t("compliance_col_share"): round(r.percent, 1)} for r in rows])
        if frame.empty:
            st.info(t("compliance_pick_topics"))
        else:
            figure = px.line(frame, x=t("compliance_col_period"), y=t("compliance_col_share"), color=t("col_topic"),
                             markers=True, hover_data=[t("compliance_col_answered")])
            figure.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10), legend_title_text="",
                                 yaxis_range=[0, 100])
            plotly_chart(st, figure, key="compliance_mastery_chart")
            st.dataframe(frame, hide_index=True, key="compliance_mastery_table")


def draw_weakest_grey_zones() -> None:
    """The organisation's grey-zone topics (or every topic), weakest first."""
    st.caption(t("compliance_grey_help", min=rules.MIN_ANSWERS_UNIT_TOPIC))
    every_topic = st.checkbox(t("compliance_all_topics"), key="compliance_all_topics")
    grey_topics = None if every_topic else (rules.grey_zone_topics(course) or None)
    ranked = _shares(svc.db, db_key, user.id, start, end, grey_topics)
    if not ranked:
        st.info(t("compliance_no_tallies"))
    else:
        frame = pd.DataFrame([{t("col_topic"): topic_name(r.topic), t("compliance_col_answered"): r.answered,
                               t("compliance_col_correct"): r.correct, t("compliance_col_share"): round(r.percent, 1)}
                              for r in ranked])
        chart, table = st.columns([3, 2])
        figure = px.bar(frame, x=t("compliance_col_share"), y=t("col_topic"), orientation="h",
                        hover_data=[t("compliance_col_answered")], color=t("compliance_col_share"),
                        color_continuous_scale=["#c62828", "#f9a825", "#2e7d32"], range_color=[0, 100])
        figure.update_layout(height=120 + 36 * len(frame), margin=dict(l=10, r=10, t=10, b=10),
                             yaxis=dict(autorange="reversed"), xaxis_range=[0, 100], coloraxis_showscale=False)
        plotly_chart(chart, figure, key="compliance_grey_chart")
        table.dataframe(frame, hide_index=True, key="compliance_grey_table")


items_tab, mastery_tab, grey_tab = st.tabs([t("compliance_items"), t("compliance_mastery"), t("compliance_grey")])
with items_tab:
    draw_item_statistics()
with mastery_tab:
    draw_topic_mastery()
with grey_tab:
    draw_weakest_grey_zones()
