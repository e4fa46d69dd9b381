"""Administration: the state of the content and of the database, and who may lead group sessions."""

from __future__ import annotations

import streamlit as st

from course.analytics import content_stats
from progress.reports import store_counts
from views.components import facilitators_admin
from views.context import current_user, language, services, t

svc = services()
user = current_user()
st.title(t("admin_heading"))

st.subheader(t("admin_content"))
stats = content_stats(svc.content.course)
st.success(t("admin_content_ok", **stats))
# the figures as a table a person reads, not a JSON block; the topics by their names
st.dataframe([{t("admin_col_what"): t(f"admin_stat_{key}"), t("admin_col_count"): value}
              for key, value in stats.items() if key != "topics"], hide_index=True, key="admin_stats")
topic_names = sorted(svc.content.course.topic_title(topic, language()) for topic in stats["topics"])
st.caption(t("admin_topics", topics=", ".join(topic_names)))

st.subheader(t("admin_database"))
st.write(t("admin_database_info", dialect=svc.db.dialect,
           url=svc.db.engine.url.render_as_string(hide_password=True)))
st.write(t("admin_counts", **store_counts(svc.db, user.id)))

facilitators_admin.draw(svc.db, user.id)  # Samtalsledare för gruppövningar (issue 14)
