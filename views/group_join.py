"""Gruppövning (everyone): a participant's phone at the workplace meeting. Join by the code on the meeting room's
screen (or its QR code, which opens this page with ?kod=), then see the same situation and choices as the screen
and vote. The vote is anonymous: the store keeps only counts (progress/group_sessions.py).

The phone reads where the group stands every few seconds, so it follows the screen without a reload; a phone
that lost its connection, or opens the link again, joins again (that changes nothing) and is at the current
node."""

from __future__ import annotations

import streamlit as st

from course import group
from course.plain import md_escape
from progress import group_sessions
from progress.attempts import utcnow
from progress.viewer import NotPermitted
from views.components.scenario_marks import LETTERS, draw_verdict
from views.context import current_user, services, t, today

svc = services()
course = svc.content.course
user = current_user()

REFRESH_SECONDS = 2  # as the facilitator's screen (views/group.py)
JOINED_KEY = "group_joined"  # (code, session id) this browser has joined
# At 375 px each choice wraps to three or four lines: a gap between them, and each circle by its first line,
# show where one choice ends and the next begins.
PHONE_STYLE = """<style>
.st-key-group-phone [data-testid="stMarkdownContainer"] p { font-size: 1.15rem; line-height: 1.5; }
.st-key-group-phone [data-testid="stRadio"] label p { font-size: 1.1rem; }
.st-key-group-phone [data-testid="stRadioGroup"] { gap: 0.75rem; }
.st-key-group-phone [data-testid="stRadioOption"] > div { align-items: flex-start; }
.st-key-group-phone [data-testid="stRadioOption"] > div > div:first-child { margin-top: 0.3rem; }
</style>"""


def _join(code: str) -> bool:
    """Join the session with `code`; False (and the reason shown) when there is none to join."""
    try:
        joined = group_sessions.join(svc.db, user.id, code, utcnow())
    except group_sessions.UnknownCode:
        st.session_state["group_join_flash"] = ("warning", t("group_join_unknown",
                                                             code=md_escape(group.normalise(code)) or "–"))
        return False
    except NotPermitted:
        st.session_state["group_join_flash"] = ("error", t("group_not_permitted"))
        return False
    normalised = group.normalise(code)
    st.session_state[JOINED_KEY] = (normalised, joined.session_id)
    st.query_params["kod"] = normalised  # a reload, or a new connection to another server, joins again here
    return True


def _join_typed(key: str) -> None:
    _join(st.session_state.get(key) or "")


def _vote(session_id: int, step_no: int, choice_key: str) -> None:
    choice = st.session_state.get(choice_key)
    if choice is None:
        st.session_state["group_join_flash"] = ("warning", t("group_pick_choice"))
        return
    try:
        outcome = group_sessions.vote(svc.db, course, user.id, session_id, step_no, choice, utcnow())
    except group.StaleStep:
        st.session_state["group_join_flash"] = ("info", t("group_vote_closed"))
        return
    except NotPermitted:
        st.session_state.pop(JOINED_KEY, None)
        st.session_state["group_join_flash"] = ("warning", t("group_not_joined"))
        return
    if outcome == "already_voted":
        st.session_state["group_join_flash"] = ("info", t("group_already_voted"))


def _leave() -> None:
    st.session_state.pop(JOINED_KEY, None)
    st.query_params.pop("kod", None)


def draw_flash() -> None:
    flash = st.session_state.pop("group_join_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])


def joined_session() -> int | None:
    """The session this browser has joined; the code in the address (the QR code, a reload) joins it."""
    code = group.normalise(st.query_params.get("kod") or "")
    kept = st.session_state.get(JOINED_KEY)
    if kept is not None and (not code or kept[0] == code):
        return kept[1]
    if code and st.session_state.get("group_tried") != code:
        st.session_state["group_tried"] = code  # once per code: a code that fails is not tried on every run
        if _join(code):
            return st.session_state[JOINED_KEY][1]
    return None


def draw_join_form() -> None:
    st.markdown(t("group_join_intro"))
    with st.form("group-join"):
        st.text_input(t("group_code"), key="group_code_typed", max_chars=12, placeholder="ABC 123",
                      autocomplete="off")
        st.form_submit_button(t("group_join"), type="primary", on_click=_join_typed, args=("group_code_typed",))


def draw_vote(scenario, phone: group_sessions.ParticipantView) -> None:
    node = scenario.nodes[phone.node_id]
    position = {index: number for number, index in enumerate(phone.choice_order)}
    if phone.voted:
        st.success(t("group_vote_counted"))
        return
    choice_key = f"group-vote-{phone.session_id}-{phone.step_no}"
    st.radio(t("group_your_vote"), phone.choice_order, index=None, key=choice_key,
             format_func=lambda i: f"{LETTERS[position[i]]}. {node.choices[i].text}")
    st.button(t("group_vote"), type="primary", key=f"group-vote-button-{phone.step_no}", on_click=_vote,
              args=(phone.session_id, phone.step_no, choice_key), width="stretch")
    st.caption(t("group_vote_anonymous"))


def draw_revealed(scenario, phone: group_sessions.ParticipantView) -> None:
    """The counts as the screen shows them, in words (a phone has no room for the chart, a screen reader none
    for a picture)."""
    node = scenario.nodes[phone.node_id]
    lines = [t("group_votes_line", letter=LETTERS[position], choice=node.choices[index].text,
               count=phone.tally[index], votes=t("group_vote_one" if phone.tally[index] == 1 else "group_vote_many"))
             for position, index in enumerate(phone.choice_order)]
    st.markdown(f"**{t('group_votes_heading')}**\n\n" + "\n".join(f"- {line}" for line in lines))
    st.info(t("group_look_at_screen"))


def draw_phone() -> None:
    """Where the group stands, read anew every REFRESH_SECONDS."""
    joined = st.session_state.get(JOINED_KEY)
    if joined is None:
        st.rerun()  # left or refused in a callback: the whole page, with the join form
    try:
        phone = group_sessions.participant_view(svc.db, course, user.id, joined[1], today())
    except (NotPermitted, group_sessions.UnknownScenario):
        st.session_state.pop(JOINED_KEY, None)
        st.warning(t("group_not_joined"))
        return
    scenario = course.scenarios[phone.scenario_id]
    with st.container(key="group-phone"):
        draw_flash()
        st.caption(t("group_phone_caption", scenario=scenario.title, code=group.format_code(joined[0])))
        if phone.ended:
            st.success(t("group_phone_ended"))
            st.button(t("group_leave"), key="group-leave", on_click=_leave)
            return
        st.markdown(scenario.nodes[phone.node_id].text)
        if phone.ending is not None:
            draw_verdict(phone.ending)
        elif phone.revealed:
            draw_revealed(scenario, phone)
        else:
            draw_vote(scenario, phone)


def draw_page() -> None:
    st.html(PHONE_STYLE)
    st.title(t("group_join_title"))
    session_id = joined_session()
    if session_id is None:
        draw_flash()
        draw_join_form()
        return
    st.fragment(draw_phone, run_every=REFRESH_SECONDS)()


draw_page()
