"""What each question type's widget (question_types.QuestionKind.widget) needs in the quiz view: how it is drawn,
how the picked options are read back (in display order), and what to say when the answer is missing or incomplete.
Whether an answer is complete is the type's own rule (validate); the view only says so.

Apart from views/learner.py, which Streamlit runs again on every rerun: a dataclass made there is made anew each
time (about half a millisecond; a profile of the home page found it among the hottest functions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from views.context import t



def _draw_radio(question, order: tuple[int, ...], widget_key: str) -> None:
    st.radio(t("quiz_single_hint"), range(len(order)), index=None, key=widget_key,
             format_func=lambda j: question.options[order[j]].text)


def _draw_checkboxes(question, order: tuple[int, ...], widget_key: str) -> None:
    st.caption(t("quiz_multiple_hint"))
    for j, option_index in enumerate(order):
        st.checkbox(question.options[option_index].text, key=f"{widget_key}-{j}")


def _draw_order(question, order: tuple[int, ...], widget_key: str) -> None:
    # picked one by one, each goes last: the list shows the order so far
    st.multiselect(t("quiz_order_hint"), range(len(order)), key=widget_key,
                   format_func=lambda j: question.options[order[j]].text, placeholder=t("quiz_order_placeholder"))


def _read_radio(widget_key: str, count: int) -> list[int]:
    picked = st.session_state.get(widget_key)
    return [] if picked is None else [picked]


def _read_checkboxes(widget_key: str, count: int) -> list[int]:
    return [j for j in range(count) if st.session_state.get(f"{widget_key}-{j}")]


def _read_order(widget_key: str, count: int) -> list[int]:
    return list(st.session_state.get(widget_key) or [])  # the steps in the order picked: the order is the answer


@dataclass(frozen=True)
class _Widget:
    draw: Callable
    read: Callable[[str, int], list[int]]
    nothing_picked: str  # the hint when nothing is picked
    incomplete: str  # the hint when something is picked but the type does not take it as an answer


WIDGETS = {"radio": _Widget(_draw_radio, _read_radio, "quiz_pick_first", "quiz_pick_first"),
           "checkboxes": _Widget(_draw_checkboxes, _read_checkboxes, "quiz_pick_first", "quiz_pick_first"),
           "order": _Widget(_draw_order, _read_order, "quiz_order_first", "quiz_order_all")}
