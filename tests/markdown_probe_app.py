"""A page for tests/test_untrusted_browser.py: every hostile string of tests/test_plain.py through md_escape into
the Markdown-drawing elements and labels, one container per string, so the browser can read back what it drew."""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course.plain import md_escape  # noqa: E402
from tests.untrusted_data import HOSTILE_STRINGS as HOSTILE  # noqa: E402

port = st.query_params.get("port", "9")
values = [value.replace("127.0.0.1:9", f"127.0.0.1:{port}") for value in HOSTILE]
for index, value in enumerate(values):
    with st.container(key=f"probe-{index}"):
        st.markdown(md_escape(value))
        st.caption(md_escape(value))
        st.info(md_escape(value))
with st.container(key="probe-labels"):
    st.title(md_escape(values[0]))
    st.subheader(md_escape(values[6]))
    st.button(md_escape(values[1]), key="probe-button")
    st.checkbox(md_escape(values[5]), key="probe-checkbox")
    st.metric(md_escape(values[7]), 1)
    with st.expander(md_escape(values[2])):
        st.write("x")
    st.tabs([md_escape(values[3]), md_escape(values[9])])
    st.radio(md_escape(values[8]), [0, 1], format_func=lambda i: md_escape(values[i]), key="probe-radio")
    st.download_button(md_escape(values[1]), b"x", file_name="x.txt", key="probe-download")
st.text("probe done")
