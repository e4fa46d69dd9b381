"""Placeholder page, being built."""

import streamlit as st

st.info("Den här sidan byggs.")
