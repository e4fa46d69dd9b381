"""The trivial page with as many elements as the learner's home page (python -m bench.floor): what Streamlit
itself costs per element, with no database, no rules and no identity behind them.

Like Min utbildning: a sidebar with a language select, a name and a button; a title and a line; five cards, each
a bordered container with one Markdown text, a progress bar and a button; three boxes of a heading and a line;
the footer. The bench clicks "Klicka", the same button as on the one-button page.
"""

from __future__ import annotations

import pandas as pd  # noqa: F401  (imported for its heap, like the app)
import plotly.graph_objects as go  # noqa: F401
import streamlit as st

st.sidebar.selectbox("Språk", ["Svenska", "English"], key="language")
st.sidebar.text("Anna Andersson · Enheten")
st.sidebar.button("Logga ut", key="logout")
st.title("Hej Anna")
st.write("Här är dina moduler.")
for number in range(5):
    with st.container(border=True):
        st.markdown(f"### Modul {number}\n\nVad modulen handlar om, i två meningar.\n\n"
                    f":small[Cirka 15 minuter · Språk: svenska]\n\n:green-badge[Klar] · Klar 2026-11-{number + 10:02d}")
        st.progress(0.5, text="1 av 2 delar klara")
        st.button(f"Öppna modul {number}", key=f"open-{number}")
if st.button("Klicka", key="click"):
    st.session_state["clicks"] = st.session_state.get("clicks", 0) + 1
for box in ("Dags att repetera", "Ditt intyg", "Riktlinjerna"):
    with st.container(border=True):
        st.markdown(f"**{box}**")
        st.caption(f"Klick: {st.session_state.get('clicks', 0)}")
st.divider()
st.caption("Tillgänglighetsredogörelse")
