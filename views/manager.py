"""Min enhet: completion per unit as a chart, and the manager's people with their status."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from course.rules import DONE_STATUSES, Status
from progress.reports import team_misconceptions, team_status
from views.context import current_user, services, status_label, t, today

STATUS_ORDER = [Status.DONE, Status.WAIVED, Status.IN_PROGRESS, Status.NOT_STARTED, Status.OVERDUE]
STATUS_COLOURS = {Status.DONE: "#2e7d32", Status.WAIVED: "#66bb6a", Status.IN_PROGRESS: "#f9a825",
                  Status.NOT_STARTED: "#b0bec5", Status.OVERDUE: "#c62828"}

svc = services()
course = svc.content.course
user = current_user()

st.title(t("manager_heading", name=user.name))
rows = team_status(svc.db, course, user.id, today())
if not rows:
    st.info(t("manager_no_units"))
    st.stop()

frame = pd.DataFrame([row.__dict__ for row in rows])
module_ids = sorted(frame["module_id"].unique(), key=lambda m: course.modules[m].title)
module_id = st.selectbox(t("manager_module"), module_ids, format_func=lambda m: course.modules[m].title,
                         key="manager_module")
shown = frame[frame["module_id"] == module_id].copy()
shown["status_label"] = shown["status"].map(status_label)
shown["last_completed_at"] = pd.to_datetime(shown["last_completed_at"]).dt.date

done = int(shown["status"].isin(DONE_STATUSES).sum())
overdue = int((shown["status"] == Status.OVERDUE).sum())
left, middle, right = st.columns(3)
left.metric(t("manager_people"), len(shown))
middle.metric(t("manager_share_done"), f"{100 * done / len(shown):.0f} %")
right.metric(t("manager_overdue"), overdue)

st.subheader(t("manager_completion_chart"))
counts = shown.groupby(["unit_name", "status"]).size().reset_index(name="count")
counts["status_label"] = counts["status"].map(status_label)
figure = px.bar(
    counts, y="unit_name", x="count", color="status_label", orientation="h", barmode="stack",
    category_orders={"status_label": [status_label(s) for s in STATUS_ORDER]},
    color_discrete_map={status_label(s): STATUS_COLOURS[s] for s in STATUS_ORDER},
    labels={"unit_name": t("col_unit"), "count": t("col_count"), "status_label": t("col_status")},
)
figure.update_layout(height=120 + 60 * counts["unit_name"].nunique(), margin=dict(l=10, r=10, t=10, b=10),
                     legend_title_text="")
st.plotly_chart(figure, key="completion_chart")

st.subheader(t("manager_people_table"))
table = shown.sort_values(["status", "due"], key=lambda c: c.map(STATUS_ORDER.index) if c.name == "status" else c)
table = table.rename(columns={"name": t("col_name"), "unit_name": t("col_unit"), "status_label": t("col_status"),
                              "due": t("col_due"), "last_completed_at": t("col_completed"),
                              "last_score": t("col_score")})
st.dataframe(table[[t("col_name"), t("col_unit"), t("col_status"), t("col_due"), t("col_completed"),
                    t("col_score")]], hide_index=True, key="people_table")

st.subheader(t("manager_talking_points"))
st.caption(t("manager_talking_points_help"))
misconceptions = pd.DataFrame([row.__dict__ for row in team_misconceptions(svc.db, course, user.id)])
if misconceptions.empty:
    st.info(t("manager_no_misconceptions"))
else:
    topic_titles = {topic: topic.replace("-", " ") for topic in misconceptions["topic"].unique()}
    table = misconceptions.assign(topic=misconceptions["topic"].map(topic_titles)).rename(
        columns={"name": t("col_name"), "topic": t("col_topic"), "count": t("col_misconceptions")})
    st.dataframe(table[[t("col_name"), t("col_topic"), t("col_misconceptions")]], hide_index=True,
                 key="misconceptions_table")
