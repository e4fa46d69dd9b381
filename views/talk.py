"""Medarbetarsamtal: the manager picks one of their people (or comes with `?person=`) and gets the talk page.

Who may be seen is decided by the store (`progress.talk.summary` refuses anyone outside the manager's units);
this page only offers the people it may show.
"""

from __future__ import annotations

import streamlit as st

from progress import talk
from views.components.talk import render
from views.context import current_user, services, t, today

svc = services()
user = current_user()


def _choose() -> None:
    chosen = st.session_state.get("talk_person")
    if chosen:
        st.query_params["person"] = chosen
    else:
        st.query_params.pop("person", None)


st.title(t("talk_heading"))
st.caption(t("talk_intro"))
people = talk.people_to_talk_with(svc.db, user.id, today())
labels = {person_id: f"{name} · {unit}" for person_id, name, unit in people}
requested = st.query_params.get("person")
ids = list(labels)
st.selectbox(t("talk_choose"), ids, index=ids.index(requested) if requested in labels else None,
             format_func=labels.get, placeholder=t("talk_choose_placeholder"), key="talk_person", on_change=_choose)

if requested == user.id:
    st.info(t("talk_is_you"))
    st.page_link("views/my_talk.py", label=t("page_my_talk"), icon=":material/forum:")
elif requested:
    person = svc.org.person(requested)
    if person is None or not talk.may_view(svc.db, user.id, requested, today()):
        # The same answer for someone who does not exist and someone elsewhere: nothing about them leaks
        st.error(t("talk_refused"), icon=":material/block:")
    else:
        render(person, viewer_is_self=False)
elif not people:
    st.info(t("talk_no_people"))
else:
    st.info(t("talk_pick_someone"))
