"""Årsrapport (admins): choose a year, see the figures and a chart, download the report as PDF and XLSX.

Counting a year takes tens of seconds for a large municipality, so nothing is counted until the admin asks,
and the result is cached for a few minutes (a download click reruns the page; it must not count again).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from course.documents.annual import AnnualReport, annual_pdf, annual_xlsx, method, summary
from course.plain import md_escape, plotly_text
from progress.annual import FutureYear, build_report, completions_change, file_names
from views.components.admin_page import admin_or_stop
from views.components.charts import plotly_chart
from views.context import language, services, t, today

svc = services()
course = svc.content.course
user = admin_or_stop("annual_admins_only")  # this keeps the figures from anyone else


@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def _report(_db, _course, database_url: str, content_key: str, year: int, day: str, viewer_id: str):
    report = build_report(_db, viewer_id, _course, year, today=date.fromisoformat(day))
    return report, annual_pdf(report), annual_xlsx(report)


def _percent_column(label: str):
    return st.column_config.NumberColumn(label, format="%.0f %%")


def _change_column():
    return st.column_config.NumberColumn(t("annual_col_change"), format="%+.0f")


def _coverage_frame(groups, label: str, year: int) -> pd.DataFrame:
    columns = [label, t("annual_col_people"), t("annual_col_done"), f"{t('annual_col_share')} {year}",
               f"{t('annual_col_share')} {year - 1}", t("annual_col_change"), t("annual_col_overdue")]
    return pd.DataFrame([[g.name, g.people, g.done, None if g.share is None else 100 * g.share,
                          None if g.previous_share is None else 100 * g.previous_share, g.change_points, g.overdue]
                         for g in groups], columns=columns)


def draw_coverage_table(groups, label: str, year: int, key: str) -> None:
    st.dataframe(_coverage_frame(groups, label, year), hide_index=True, key=key, column_config={
        f"{t('annual_col_share')} {year}": _percent_column(f"{t('annual_col_share')} {year}"),
        f"{t('annual_col_share')} {year - 1}": _percent_column(f"{t('annual_col_share')} {year - 1}"),
        t("annual_col_change"): _change_column()})


def administration_chart(report: AnnualReport) -> go.Figure:
    """Coverage per förvaltning this year and last, side by side."""
    groups = [g for g in report.by_administration if g.people or g.previous_people]
    names = [plotly_text(g.name) for g in groups]  # Plotly reads <a href> and <b> in a label: the names are text
    figure = go.Figure([
        go.Bar(name=str(report.year - 1), y=names, x=[100 * (g.previous_share or 0) for g in groups],
               orientation="h", marker_color="#a9bcd0"),
        go.Bar(name=str(report.year), y=names, x=[100 * (g.share or 0) for g in groups], orientation="h",
               marker_color="#1f4e79")])
    figure.update_layout(barmode="group", height=140 + 44 * len(groups), margin=dict(l=10, r=10, t=10, b=10),
                         xaxis=dict(range=[0, 100], ticksuffix=" %", title=t("annual_chart_axis")),
                         yaxis=dict(autorange="reversed"), legend_title_text="")
    return figure


def draw_year_form() -> int:
    """The year to report on, counted only once the admin asks; the page stops until then."""
    this_year = today().year
    years = list(range(this_year, this_year - 10, -1))
    with st.form("annual_form"):
        chosen = st.selectbox(t("annual_year"), years, index=1, key="annual_year")  # last year: the usual report
        if st.form_submit_button(t("annual_build"), type="primary"):
            st.session_state["annual_report_year"] = chosen
    year = st.session_state.get("annual_report_year")
    if year is None:
        st.info(t("annual_pick_year"))
        st.stop()
    return year


def counted(year: int) -> tuple[AnnualReport, bytes, bytes]:
    """The report and its two files, counted (or cached); a year not begun stops the page with a warning."""
    try:
        with st.spinner(t("annual_working", year=year)):
            return _report(svc.db, course, svc.db.engine.url.render_as_string(),
                           ",".join(course.versions.values()), year, today().isoformat(), user.id)
    except FutureYear as error:
        st.warning(str(error))
        st.stop()


def draw_downloads(report: AnnualReport, pdf_bytes: bytes, xlsx_bytes: bytes) -> None:
    pdf_name, xlsx_name = file_names(report.year)
    left, right = st.columns(2)
    left.download_button(t("annual_download_pdf"), pdf_bytes, file_name=pdf_name, mime="application/pdf",
                         key="annual_download_pdf", icon=":material/picture_as_pdf:", on_click="ignore")
    right.download_button(t("annual_download_xlsx"), xlsx_bytes, file_name=xlsx_name, key="annual_download_xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/table:", on_click="ignore")


def draw_key_figures(report: AnnualReport) -> None:
    """Coverage with its change in points, the people counted, and the modules completed with their change."""
    total = report.total
    columns = st.columns(3)
    columns[0].metric(t("annual_metric_coverage"), "–" if total.share is None else f"{100 * total.share:.0f} %",
                      None if total.change_points is None
                      else t("annual_points", points=f"{total.change_points:+.0f}"))
    columns[1].metric(t("annual_metric_people"), total.people)
    columns[2].metric(t("annual_metric_completions"), report.completions, completions_change(report))


def draw_summary(report: AnnualReport) -> None:
    st.subheader(t("annual_summary"))
    st.caption(t("annual_in_swedish"))
    st.markdown("\n".join(f"- {md_escape(line)}" for line in summary(report)))  # the lines name förvaltningar


def draw_coverage(report: AnnualReport) -> None:
    """Coverage per förvaltning (chart and table) and per role (table)."""
    st.subheader(t("annual_by_administration"))
    if report.by_administration:
        plotly_chart(st, administration_chart(report), key="annual_chart")
    draw_coverage_table(report.by_administration, t("annual_col_administration"), report.year,
                        "annual_administrations")
    st.subheader(t("annual_by_role"))
    st.caption(t("annual_by_role_help"))
    draw_coverage_table(report.by_role, t("annual_col_role"), report.year, "annual_roles")


def draw_group_sessions(report: AnnualReport) -> None:
    """The year's group sessions at workplace meetings beside the year before, and per förvaltning."""
    st.subheader(t("annual_group_heading"))
    now, before = report.group_total, report.previous_group_total
    columns = st.columns(3)
    for column, label, count, previous in ((columns[0], "annual_group_sessions", now.sessions, before.sessions),
                                           (columns[1], "annual_group_participations", now.participations,
                                            before.participations),
                                           (columns[2], "annual_group_people", now.people, before.people)):
        column.metric(t(label), count, count - previous)
    if not report.group_by_administration:
        st.info(t("annual_group_none", year=report.year))
        return
    # förvaltningar are named in the HR file: table cells, plain text
    st.dataframe(pd.DataFrame([{t("annual_col_administration"): g.name, t("annual_group_sessions"): g.sessions,
                                t("annual_group_participations"): g.participations,
                                t("annual_group_people"): g.people}
                               for g in report.group_by_administration + (now,)]),
                 hide_index=True, key="annual_group_sessions")
    st.caption(t("annual_group_help"))


def draw_weakest_topics(report: AnnualReport) -> None:
    st.subheader(t("annual_weakest"))
    if not report.weakest:
        st.info(t("annual_no_topics", count=report.min_topic_answers))
        return
    this_year = f"{t('annual_col_correct')} {report.year}"
    last_year = f"{t('annual_col_correct')} {report.year - 1}"
    st.dataframe(pd.DataFrame([{t("col_topic"): course.topic_title(topic.topic, language()),
                                t("annual_col_answers"): topic.answered,
                                this_year: 100 * topic.share,
                                last_year: None if topic.previous_share is None else 100 * topic.previous_share,
                                t("annual_col_change"): topic.change_points} for topic in report.weakest]),
                 hide_index=True, key="annual_topics", column_config={
                     this_year: _percent_column(this_year), last_year: _percent_column(last_year),
                     t("annual_col_change"): _change_column()})


def draw_method(report: AnnualReport) -> None:
    with st.expander(t("annual_method"), icon=":material/rule:"):
        for heading, paragraph in method(report):
            st.markdown(f"**{heading}.** {paragraph}")


def draw_page() -> None:
    st.title(t("annual_heading"))
    st.write(t("annual_intro"))
    report, pdf_bytes, xlsx_bytes = counted(draw_year_form())
    st.header(t("annual_report_for", year=report.year, date=report.as_of.isoformat()))
    draw_downloads(report, pdf_bytes, xlsx_bytes)
    draw_key_figures(report)
    draw_summary(report)
    draw_coverage(report)
    draw_group_sessions(report)
    draw_weakest_topics(report)
    draw_method(report)


draw_page()
