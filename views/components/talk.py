"""The medarbetarsamtal page about one person: the same for the manager and for the learner before the talk.

It draws only what `progress.talk.summary` gives (status, history, group sessions, per-topic counts and shares,
shared reflections): never which answer was given to which question. The learner's own page adds those below it.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.express as px
import streamlit as st

from course.plain import md_escape
from progress import talk
from progress.org import PersonRecord
from views.context import current_user, language, services, status_label, t, today
from views.components.charts import plotly_chart


def render(person: PersonRecord, viewer_is_self: bool) -> talk.TalkSummary | None:
    """Draw the page about `person` for the current user; returns the summary, or None when refused."""
    svc = services()
    course = svc.content.course
    viewer = current_user()
    try:
        summary = talk.summary(svc.db, course, person.id, today(), viewer.id)
    except talk.NotPermitted:
        st.error(t("talk_refused"), icon=":material/block:")
        return None
    points = talk.suggested_points(course, summary, person.title, language())

    # name, title and unit come from the HR file: shown as the text they are, never as Markdown
    st.header(md_escape(person.name))
    st.caption(" · ".join(md_escape(part) for part in (person.title, person.unit_name) if part))
    st.caption(t("talk_self_note") if viewer_is_self else
               t("talk_manager_note", name=md_escape((person.name.split() or [""])[0])))

    st.subheader(t("talk_points_heading"))
    for column, (number, point) in zip(st.columns(len(points)), enumerate(points, 1)):
        with column.container(border=True):
            # a point quotes the job title and the learner's own reflection: plain text
            st.markdown(f"**{number}. {md_escape(point.title)}**")
            st.markdown(md_escape(point.text))

    _status_and_history(course, summary)
    _group_sessions(course, summary)
    _topics(course, summary)
    _reflections(course, summary)

    # Made on the click, by the store, which checks the right again and records a manager's download (a callable
    # runs on its own thread: no st.* call and no t() in it)
    pdf = partial(talk.pdf, svc.db, course, person.id, today(), viewer.id, language())
    st.download_button(t("talk_pdf_download"), pdf, file_name=f"medarbetarsamtal-{person.id}.pdf",
                       mime="application/pdf", key="talk_pdf", icon=":material/print:", on_click="ignore")
    return summary


def _module_title(course, module_id: str) -> str:
    return course.module_title(module_id, language())


def _status_and_history(course, summary: talk.TalkSummary) -> None:
    st.subheader(t("talk_status_heading"))
    if not summary.status:
        st.info(t("talk_no_modules"))
    else:
        st.dataframe(pd.DataFrame([{t("talk_col_module"): _module_title(course, row.module_id),
                                    t("col_status"): status_label(row.status),
                                    t("col_due"): row.due,
                                    t("col_completed"): row.last_completed_at.date() if row.last_completed_at else "–",
                                    # whole percent as the history says it (88, not 87.5 beside "88 %"); "–" for none
                                    t("col_score"): "–" if row.last_score is None else round(row.last_score)}
                                   for row in summary.status]),
                     hide_index=True, key="talk_status")
    st.subheader(t("talk_history_heading"))
    if not summary.history:
        st.info(t("talk_no_history"))
        return
    st.dataframe(pd.DataFrame([{t("talk_col_date"): entry.at.date(),
                                t("talk_col_module"): _module_title(course, entry.module_id),
                                t("talk_col_result"): t("talk_via_diagnosis") if entry.via_diagnosis
                                else t("talk_score", score=f"{entry.score:.0f}")} for entry in summary.history]),
                 hide_index=True, key="talk_history")


def scenario_title(course, scenario_id: str) -> str:
    """The scenario as it was played (in its own language); an id the course no longer has, as it is."""
    scenario = course.scenarios.get(scenario_id)
    return scenario.title if scenario is not None else scenario_id


def ending_label(ending: str | None) -> str:
    return t(f"scenario_ending_{ending}") if ending else t("talk_group_no_ending")


def _group_sessions(course, summary: talk.TalkSummary) -> None:
    """The group sessions at workplace meetings the person was confirmed at: a record of their own, listed apart
    from the completions."""
    st.subheader(t("talk_group_heading"))
    if not summary.group_sessions:
        st.info(t("talk_no_group_sessions"))
        return
    st.caption(t("talk_group_help"))
    # the facilitator's name comes from the HR file: a table cell, plain text
    st.dataframe(pd.DataFrame([{t("talk_col_date"): record.held_on,
                                t("talk_group_col_scenario"): scenario_title(course, record.scenario_id),
                                t("talk_group_col_facilitator"): record.facilitator_name,
                                t("talk_group_col_participants"): record.participants,
                                t("talk_group_col_ending"): ending_label(record.ending)}
                               for record in summary.group_sessions]),
                 hide_index=True, key="talk_group_sessions")


def _topics(course, summary: talk.TalkSummary) -> None:
    st.subheader(t("talk_topics_heading"))
    if not summary.topics:
        st.info(t("talk_no_topics"))
        return
    st.caption(t("talk_topics_help"))
    first, latest = t("talk_first_answer"), t("talk_latest_answer")
    percents = pd.DataFrame([{"topic": course.topic_title(topic.topic, language()), "answer": label,
                              "percent": 100 * share}
                             for topic in summary.topics
                             for label, share in ((first, topic.share_first), (latest, topic.share_latest))])
    figure = px.bar(percents, x="percent", y="topic", color="answer", orientation="h", barmode="group",
                    range_x=[0, 100], color_discrete_map={first: "#b0bec5", latest: "#1f4e79"},
                    labels={"percent": t("talk_share_correct"), "topic": t("col_topic"), "answer": ""})
    figure.update_layout(height=120 + 34 * len(summary.topics), margin=dict(l=10, r=10, t=10, b=10),
                         legend_title_text="", yaxis={"autorange": "reversed"})
    chart, table = st.columns([3, 2])
    plotly_chart(chart, figure, key="talk_topics_chart")
    table.dataframe(pd.DataFrame([{t("col_topic"): course.topic_title(topic.topic, language()),
                                   t("talk_col_questions"): topic.answered,
                                   first: round(100 * topic.share_first), latest: round(100 * topic.share_latest),
                                   t("col_misconceptions"): topic.misconceptions} for topic in summary.topics]),
                    hide_index=True, key="talk_topics_table",
                    column_config={first: st.column_config.NumberColumn(format="%d %%"),
                                   latest: st.column_config.NumberColumn(format="%d %%")})

    st.subheader(t("talk_misconceptions_heading"))
    st.caption(t("talk_misconceptions_help"))
    if not summary.misconceptions:
        st.success(t("talk_no_misconceptions"))
        return
    st.markdown("\n".join(t("talk_misconception_line", topic=course.topic_title(topic.topic, language()),
                            count=topic.misconceptions) for topic in summary.misconceptions))


def _reflections(course, summary: talk.TalkSummary) -> None:
    st.subheader(t("talk_reflections_heading"))
    shared = [r for r in summary.reflections if r.shared]
    if not shared:
        st.caption(t("talk_no_shared_reflections"))
        return
    for item in shared:
        with st.container(border=True):
            st.markdown(f"**{_module_title(course, item.module_id)}**")
            st.text(item.text)  # the learner's own words: shown as written, never as markdown
            st.caption(t("talk_reflection_updated", date=item.updated_at.date().isoformat()))
