"""How a scenario's ending and its choices' letters are shown, the same when played alone (views/learner.py) and
at the workplace meeting (views/group.py on the screen, views/group_join.py on the phones)."""

from __future__ import annotations

import streamlit as st

from views.context import t

LETTERS = "ABCDEFGHIJ"  # the choices as shown, A first: the screen and every phone use the same order
ENDING_STYLE = {"bra": st.success, "delvis": st.warning, "svag": st.error}


def draw_verdict(ending: str) -> None:
    """The ending's verdict ('bra', 'delvis', 'svag') in its colour and words."""
    ENDING_STYLE[ending](t(f"scenario_ending_{ending}"))
