"""Min enhet: the manager's dashboard. Every table and figure comes from one store call (progress.unit_page,
counted by the database in progress.dashboard), for the scope and filters chosen here; this page only draws and
exports. Each chart has its table beside it, and what is shown can be downloaded."""

from __future__ import annotations

import io
from urllib.parse import quote

import pandas as pd
import plotly.express as px
import streamlit as st

from course.plain import md_escape, plotly_text, safe_frame, safe_workbook
from course.rules import REPORT_PERIODS, STATUS_ORDER, Status, report_period
from progress import audit, daily_counts, dashboard, status_counts, unit_page, unit_tree
from progress.access import NotPermitted
from views.context import current_user, language, services, status_label, t, today
from views.components.charts import plotly_chart
from views.components.manager_filters import Filters
from views.components.talk import ending_label, scenario_title

HEATMAP_COLOURS = ["#f4a3a3", "#fbe7a1", "#a8d5a2"]  # light red, yellow, green: #31333f text on each over 8:1
STATUS_COLOURS = {Status.DONE: "#2e7d32", Status.WAIVED: "#66bb6a", Status.IN_PROGRESS: "#f9a825",
                  Status.NOT_STARTED: "#b0bec5", Status.OVERDUE: "#c62828"}
PEOPLE_LIST_LIMIT = 2000  # above this, a list of every person helps no one: choose a unit first
ALL = "__alla__"

svc = services()
course = svc.content.course
user = current_user()
lang = language()  # topic and module names in the page's language, where the course has them
day = today()


def _xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            title = "".join("–" if c in "[]:*?/\\" else c for c in name)[:31]  # Excel forbids these in names
            frame.to_excel(writer, sheet_name=title, index=False)
        safe_workbook(writer.book)  # a name like =HYPERLINK(...) stays text, never a formula
    return buffer.getvalue()


def _csv(frame: pd.DataFrame) -> bytes:
    # Excel in Sweden opens ; and a BOM as UTF-8; a cell starting with = + - @ is made text first
    return safe_frame(frame).to_csv(index=False, sep=";").encode("utf-8-sig")


def _named_export(file_name: str, person_ids: list[str], make) -> object:
    """The `data=` of a download that names people: made on the click (on its own thread: no st.* call, no t()),
    after the audit log has recorded who took which people's names in which file."""

    def download() -> bytes:
        if person_ids:
            audit.log_many(svc.db, user.id, audit.EXPORT_NAMED, person_ids, file=file_name, people=len(person_ids))
        return make()

    return download


def _whole_counts(figure, counts) -> None:
    """A count axis in whole steps: with a few completions Plotly ticks 0, 0.5, 1, 1.5."""
    if max(counts, default=0) < 10:
        figure.update_yaxes(dtick=1, rangemode="tozero")


def _chart_with_table(title: str, figure, table: pd.DataFrame, key: str) -> None:
    st.subheader(title)
    left, right = st.columns([3, 2], vertical_alignment="top")
    plotly_chart(left, figure, key=f"{key}_chart")
    right.dataframe(table, hide_index=True, key=f"{key}_table", height=min(420, 38 + 35 * max(1, len(table))))
    right.download_button(t("dash_download_csv"), _csv(table), file_name=f"{key}.csv", mime="text/csv",
                          key=f"{key}_csv", icon=":material/download:")


def draw_filters(units, roots: list[str]) -> Filters:
    """The unit, role, module and period to show, side by side."""
    options = [(unit.id, "\u2003" * unit.depth + unit.name) for unit in unit_tree.unit_choices(units, roots)]
    names = dict(options)
    unit_col, role_col, module_col, period_col = st.columns(4)
    unit_id = unit_col.selectbox(t("dash_unit"), [ALL] + [unit_id for unit_id, _ in options],
                                 format_func=lambda u: t("dash_all_units") if u == ALL else names[u],
                                 key="dash_unit")
    role = role_col.selectbox(t("dash_role"), [ALL, *status_counts.TRACK_ROLES],
                              format_func=lambda r: t("dash_all_roles") if r == ALL else t(f"role_{r}"),
                              key="dash_role")
    module_id = module_col.selectbox(t("manager_module"), [ALL, *unit_page.module_choices(course, lang)],
                                     key="manager_module",
                                     format_func=lambda m: t("dash_all_modules") if m == ALL
                                     else course.module_title(m, lang))
    period = period_col.selectbox(t("dash_period"), REPORT_PERIODS, key="dash_period",
                                  format_func=lambda p: t(f"dash_period_{p}"))
    start, end = report_period(day, period)
    return Filters(None if unit_id == ALL else unit_id, None if role == ALL else role,
                   None if module_id == ALL else module_id, start, end)


def _scope(units, filters: Filters):
    """Whom the figures cover is the store's decision, from who the user is: a unit elsewhere is refused."""
    try:
        return unit_tree.scope_for(svc.db, user.id, filters.unit_id, filters.role, day, units=units)
    except NotPermitted:
        st.error(t("access_refused"), icon=":material/block:")
        st.stop()


def _count(scope, filters: Filters, list_people: bool) -> unit_page.UnitPage:
    with st.spinner(t("dash_counting")):
        page = unit_page.unit_page(svc.db, course, scope, filters.module_id, filters.start, filters.end, day,
                                   list_people=list_people)
        daily_counts.make_ahead(svc.db, course, day)  # tomorrow's counts, in the background: no wait after midnight
    return page


def draw_totals(page: unit_page.UnitPage) -> None:
    first, second, third = st.columns(3)
    first.metric(t("dash_assignments"), f"{page.assignments:,}".replace(",", "\u202f"),
                 help=t("dash_assignments_help"))
    second.metric(t("manager_share_done"), f"{100 * page.share_done:.0f} %")
    third.metric(t("manager_overdue"), f"{page.overdue_count:,}".replace(",", "\u202f"))


def draw_completion_by_unit(page: unit_page.UnitPage) -> pd.DataFrame:
    labels = [status_label(s) for s in STATUS_ORDER]
    table = pd.DataFrame([[row.name, *row.counts] for row in page.by_unit], columns=[t("col_unit"), *labels])
    bars = table.melt(id_vars=t("col_unit"), var_name=t("col_status"), value_name=t("col_count"))
    bars = bars[bars[t("col_count")] > 0]  # no empty segments: a bar of width 0 is still an element to find
    # Plotly draws <a href>, <b> and <br> in a label: the chart gets the unit names as text, the table as they are
    figure = px.bar(bars.assign(**{t("col_unit"): bars[t("col_unit")].map(plotly_text)}), y=t("col_unit"),
                    x=t("col_count"), color=t("col_status"), orientation="h", barmode="stack",
                    category_orders={t("col_status"): labels},
                    color_discrete_map={status_label(s): STATUS_COLOURS[s] for s in STATUS_ORDER})
    # the legend above the bars, not beside them: on a phone the units' names and a side legend left the bars
    # a third of the width
    figure.update_layout(height=170 + 34 * len(table), margin=dict(l=10, r=10, t=10, b=10),
                         legend=dict(title_text="", orientation="h", yanchor="bottom", y=1.02, x=0),
                         yaxis={"categoryorder": "category descending", "title_text": ""})
    _chart_with_table(t("manager_completion_chart"), figure, table, "status_per_enhet")
    return table


def draw_completions_over_time(page: unit_page.UnitPage) -> pd.DataFrame:
    table = pd.DataFrame(page.by_month, columns=[t("dash_month"), t("dash_completed_modules")])
    figure = px.line(table, x=t("dash_month"), y=t("dash_completed_modules"), markers=True)
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10))
    _whole_counts(figure, [count for _, count in page.by_month])
    _chart_with_table(t("dash_over_time"), figure, table, "klara_per_manad")
    return table


def draw_scores(page: unit_page.UnitPage) -> pd.DataFrame:
    table = pd.DataFrame([(b.label, b.count) for b in page.scores], columns=[t("col_score"), t("dash_completions")])
    figure = px.bar(table, x=t("col_score"), y=t("dash_completions"), color_discrete_sequence=["#1f4e79"])
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10))
    _whole_counts(figure, [bucket.count for bucket in page.scores])
    _chart_with_table(t("dash_scores"), figure, table, "poangfordelning")
    return table


def draw_topics(page: unit_page.UnitPage) -> pd.DataFrame | None:
    """Units by topics, share of correct first answers; the weakest topics first."""
    st.caption(t("dash_heatmap_help"))
    heat_map = page.heat_map
    if not heat_map.topics:
        st.subheader(t("dash_heatmap"))
        st.info(t("dash_no_answers"))
        return None
    # A topic per row (its name read across, not rotated), a unit per column, each cell's share written in it:
    # the colour never carries the figure alone, and light colours keep the dark text readable (over 8:1).
    grid = pd.DataFrame(heat_map.percent, dtype=float,
                        index=pd.Index([course.topic_title(topic, lang) for topic in heat_map.topics],
                                       name="topic_title"),
                        columns=pd.Index([plotly_text(name) for name in heat_map.groups], name="group_name"))
    figure = px.imshow(grid, color_continuous_scale=HEATMAP_COLOURS, zmin=40, zmax=100,
                       aspect="auto", text_auto=".0f",
                       labels={"x": t("col_unit"), "y": t("col_topic"), "color": t("dash_share_correct")})
    figure.update_xaxes(side="top", title_text="")
    figure.update_yaxes(title_text="")
    figure.update_layout(height=90 + 34 * len(grid), margin=dict(l=10, r=10, t=10, b=10),
                         coloraxis_colorbar=dict(orientation="h", thickness=12, y=-0.02, yanchor="top",
                                                 title_side="top", ticksuffix=" %"))
    table = pd.DataFrame([(course.topic_title(row.topic, lang), row.answered, row.correct, round(100 * row.share))
                          for row in page.topics],
                         columns=[t("col_topic"), t("dash_first_answers"), t("dash_correct"), t("dash_share_correct")])
    _chart_with_table(t("dash_heatmap"), figure, table, "amnen")
    return table


def draw_overdue(page: unit_page.UnitPage, people_count: int, few_enough: bool) -> pd.DataFrame:
    st.subheader(t("dash_overdue_list"))
    if not few_enough:
        st.info(t("dash_choose_unit_for_overdue", count=people_count, overdue=page.overdue_count))
        return pd.DataFrame()
    if not page.overdue:
        st.success(t("dash_no_overdue"))
        return pd.DataFrame()
    table = pd.DataFrame({t("col_name"): [o.name for o in page.overdue],
                          t("col_unit"): [o.unit_name for o in page.overdue],
                          t("col_module"): [course.module_title(o.module_id, lang) for o in page.overdue],
                          t("col_due"): [o.due for o in page.overdue],
                          t("dash_days_late"): [o.days_late for o in page.overdue]})
    st.dataframe(table, hide_index=True, key="overdue_table")
    st.download_button(t("dash_download_csv"),
                       _named_export("forsenade.csv", [o.person_id for o in page.overdue], lambda: _csv(table)),
                       file_name="forsenade.csv", mime="text/csv", key="overdue_csv", icon=":material/download:")
    return table


def draw_group_sessions(page: unit_page.UnitPage) -> pd.DataFrame:
    """The group sessions held at the units' workplace meetings in the period: how many, how many took part, and
    the latest ones. A session is its own kind of record, not a completion: it is counted apart."""
    found = page.group_sessions
    st.subheader(t("dash_group_heading"))
    if not found.sessions:
        st.info(t("dash_group_none"))
        return pd.DataFrame()
    first, second = st.columns(2)
    first.metric(t("dash_group_sessions"), f"{found.sessions:,}".replace(",", "\u202f"))
    second.metric(t("dash_group_people"), f"{found.people:,}".replace(",", "\u202f"), help=t("dash_group_people_help"))
    # the facilitator's name comes from the HR file: a table cell, never markdown
    table = pd.DataFrame({t("dash_group_col_date"): [line.held_on for line in found.latest],
                          t("dash_group_col_scenario"): [scenario_title(course, line.scenario_id)
                                                         for line in found.latest],
                          t("dash_group_col_facilitator"): [line.facilitator_name for line in found.latest],
                          t("dash_group_col_participants"): [line.participants for line in found.latest],
                          t("dash_group_col_ending"): [ending_label(line.ending) for line in found.latest]})
    if found.sessions > len(found.latest):
        st.caption(t("dash_group_latest", count=len(found.latest)))
    st.dataframe(table, hide_index=True, key="group_sessions_table")
    return table


def draw_workbook(page: unit_page.UnitPage, unit_table, time_table, score_table, topic_table,
                  overdue_table, group_table) -> None:
    sheets = {t("manager_completion_chart"): unit_table, t("dash_over_time"): time_table,
              t("dash_scores"): score_table}
    if topic_table is not None:
        sheets[t("dash_heatmap")] = topic_table
    if not overdue_table.empty:
        sheets[t("dash_overdue_list")] = overdue_table
    if not group_table.empty:
        sheets[t("dash_group_heading")] = group_table
    named = [o.person_id for o in page.overdue] if not overdue_table.empty else []
    if not group_table.empty:  # the sheet names the facilitators
        named += sorted({line.facilitator_id for line in page.group_sessions.latest} - set(named))
    st.download_button(t("dash_download_xlsx"), _named_export("min-enhet.xlsx", named, lambda: _xlsx(sheets)),
                       file_name="min-enhet.xlsx", key="dash_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table_view:", type="primary")


def draw_people(page: unit_page.UnitPage) -> None:
    """Everyone the figures cover (but the user) and each module they must take, the talk page a click away."""
    st.subheader(t("manager_people_table"))
    if not page.people:
        return
    people = pd.DataFrame([line.__dict__ for line in page.people])
    people["status_label"] = people["status"].map(status_label)
    people["module_title"] = people["module_id"].map(lambda m: course.module_title(m, lang))
    demo_user = f"&as={quote(user.id, safe='')}" if svc.demo else ""  # in demo mode the user is in the URL
    people["talk"] = [f"medarbetarsamtal?person={quote(person_id, safe='')}{demo_user}"  # an id is not a URL
                      for person_id in people["person_id"]]
    labels = {"name": t("col_name"), "unit_name": t("col_unit"), "module_title": t("col_module"),
              "status_label": t("col_status"), "due": t("col_due"), "completed": t("col_completed"),
              "score": t("col_score")}
    # the talk page's link beside the name, pinned: at the end of eight columns it was off the screen at 1280 px.
    # Streamlit opens a table's links in a new tab, so the link says so (WCAG G201).
    st.dataframe(people.rename(columns=labels)
                 [[t("col_name"), "talk", t("col_unit"), t("col_module"), t("col_status"), t("col_due"),
                   t("col_completed"), t("col_score")]], hide_index=True, key="people_table",
                 column_config={t("col_name"): st.column_config.TextColumn(pinned=True),
                                "talk": st.column_config.LinkColumn(t("dash_talk_link"), pinned=True,
                                                                    help=t("dash_talk_new_tab"),
                                                                    display_text=t("dash_talk_open"))})


def draw_talking_points(page: unit_page.UnitPage) -> None:
    """Sure-but-wrong answers per person and topic: what to bring up in the medarbetarsamtal."""
    st.subheader(t("manager_talking_points"))
    st.caption(t("manager_talking_points_help"))
    if not page.misconceptions:
        st.info(t("manager_no_misconceptions"))
        return
    table = pd.DataFrame({t("col_name"): [row.name for row in page.misconceptions],
                          t("col_topic"): [course.topic_title(row.topic, lang) for row in page.misconceptions],
                          t("col_misconceptions"): [row.count for row in page.misconceptions]})
    st.dataframe(table, hide_index=True, key="misconceptions_table")


st.title(t("manager_heading", name=md_escape(user.name)))
units = unit_tree.load_units(svc.db)  # a few hundred rows; read on every view, so an import shows at once
roots = unit_tree.managed_roots(units, user.id)
if not roots:
    st.info(t("manager_no_units"))
    st.stop()
filters = draw_filters(units, roots)
scope = _scope(units, filters)
people_count = dashboard.people_count(svc.db, scope)
few_enough = people_count <= PEOPLE_LIST_LIMIT  # lists of people are shown for a unit, not for thousands
page = _count(scope, filters, list_people=few_enough)
if not page.assignments:
    st.info(t("dash_nobody"))
    st.stop()

draw_totals(page)
draw_workbook(page, draw_completion_by_unit(page), draw_completions_over_time(page), draw_scores(page),
              draw_topics(page), draw_overdue(page, people_count, few_enough), draw_group_sessions(page))
st.divider()  # the people, when there are few enough to read
if not few_enough:
    st.info(t("dash_choose_unit_for_people", count=people_count))
    st.stop()
draw_people(page)
draw_talking_points(page)
