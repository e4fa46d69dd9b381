"""Inför medarbetarsamtalet: the learner sees the page their manager sees, and below it what only they see:
their answer to each question, and their reflections, with the choice to share each one or not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from course.questions import kind_of
from progress import talk
from progress.db import StoreUnavailable
from views.components.talk import render
from views.context import current_user, language, services, t

svc = services()
course = svc.content.course
user = current_user()


def _toggle_shared(module_id: str, text: str, widget_key: str) -> None:
    """A callback runs outside app.py's handler: a database that does not answer is said here, and the toggle
    goes back to what is saved."""
    shared = bool(st.session_state.get(widget_key))
    try:
        talk.save_reflection(svc.db, user.id, module_id, text, shared)
    except StoreUnavailable:
        st.session_state[widget_key] = not shared
        st.session_state["my_talk_flash"] = t("talk_share_not_saved")


def _module_title(module_id: str) -> str:
    return course.module_title(module_id, language())


def _own_reflections(summary: talk.TalkSummary) -> None:
    with st.expander(t("talk_my_reflections"), icon=":material/edit_note:"):
        if not summary.reflections:
            st.caption(t("talk_my_no_reflections"))
        for item in summary.reflections:
            st.markdown(f"**{_module_title(item.module_id)}**")
            st.text(item.text)
            key = f"talk-share-{item.module_id}"
            st.toggle(t("talk_share_toggle"), value=item.shared, key=key, on_change=_toggle_shared,
                      args=(item.module_id, item.text, key))
            st.divider()


def _own_answers() -> None:
    """Item-level answers: the learner's own, and only on this page."""
    with st.expander(t("talk_my_answers"), icon=":material/quiz:"):
        st.caption(t("talk_my_answers_help"))
        answers = talk.item_answers(svc.db, course, user.id, user.id)
        if not answers:
            st.caption(t("talk_no_topics"))
            return
        rows = []
        for answer in answers:
            question = course.questions.get(answer.question_id)
            if question is None:
                continue
            rows.append({t("talk_col_date"): answer.answered_at.date(),
                         t("talk_col_module"): _module_title(answer.module_id),
                         t("col_topic"): course.topic_title(question.topic, language()),
                         t("talk_col_question"): question.text,
                         t("talk_col_your_answer"): kind_of(question).response_text(question, answer.selected),
                         t("talk_col_right"): bool(answer.correct),
                         t("talk_col_confidence"): t(f"confidence_{answer.confidence}") if answer.confidence else ""})
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="talk_my_answers_table")


st.title(t("talk_my_heading"))
if "my_talk_flash" in st.session_state:
    st.error(st.session_state.pop("my_talk_flash"))
st.write(t("talk_my_intro"))
summary = render(user, viewer_is_self=True)
if summary is not None:
    _own_reflections(summary)
    _own_answers()
