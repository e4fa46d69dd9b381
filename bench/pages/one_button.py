"""The trivial one-button page: the baseline the learner pages are measured against (python -m bench).

A title, one button and one line of text. The bench clicks the button on every rerun, as a learner clicks
"Svara". pandas and plotly are imported as the app imports them, so the server's heap is of the same kind; the
page is served from the project root like the app, under the same .streamlit/config.toml.
"""

from __future__ import annotations

import pandas as pd  # noqa: F401  (imported for its heap, like the app)
import plotly.graph_objects as go  # noqa: F401
import streamlit as st

st.title("Trivial page")
if st.button("Klicka", key="click"):
    st.session_state["clicks"] = st.session_state.get("clicks", 0) + 1
st.write(f"Klick: {st.session_state.get('clicks', 0)}")
