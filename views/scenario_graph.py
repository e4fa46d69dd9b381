"""Scenariograf (admins): a scenario's nodes, choices and endings as a picture, with each node's file and line,
so that a reviewer can check the branching at a glance; the same picture as `python -m course graph`.

The engine (course.graph) lays the graph out and draws the SVG from the loaded, reviewed content, every text
escaped for XML; the page only picks the scenario and shows it. st.image shows an SVG string as an image (a
data: URL in an <img>), so nothing in it can run or link anywhere.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course.graph import Labels, first_words, render_svg, scenario_graph
from views.components.admin_page import admin_or_stop
from views.context import services, t

admin_or_stop()  # this keeps it from anyone else

course = services().content.course
st.title(t("graph_heading"))
st.caption(t("graph_intro"))
scenario_ids = sorted(course.scenarios)
chosen = st.selectbox(t("graph_scenario"), scenario_ids, key="graph_scenario",
                      format_func=lambda scenario_id: f"{course.scenarios[scenario_id].title} ({scenario_id})")
graph = scenario_graph(course, chosen)
svg = render_svg(graph, Labels(start=t("graph_svg_start"), ending=t("graph_svg_ending"),
                               summary=t("graph_svg_summary"), endings=t("graph_svg_endings"),
                               numbers=t("graph_svg_numbers")))

st.image(svg, caption=t("graph_image_caption", title=graph.title, scenario=graph.scenario_id,
                        nodes=len(graph.nodes), choices=len(graph.edges)), width="content")
st.download_button(t("graph_download"), svg, file_name=f"{graph.scenario_id}.svg", mime="image/svg+xml",
                   key="graph_download", icon=":material/download:", on_click="ignore")

st.subheader(t("graph_nodes"))
columns = {key: t(f"graph_col_{key}") for key in ("node", "where", "level", "choices", "ending", "text")}
st.dataframe(pd.DataFrame([{columns["node"]: f"{node.id} {t('graph_start_mark')}" if node.is_start else node.id,
                            columns["where"]: node.where,
                            columns["level"]: node.layer,
                            columns["choices"]: node.choices,
                            columns["ending"]: node.ending or "",
                            columns["text"]: first_words(node.text, 80)} for node in graph.nodes],
                          columns=list(columns.values())),
             hide_index=True, key="graph_nodes_table")
