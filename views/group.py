"""Gruppläge (managers, and those an admin made facilitators): a team plays a scenario together at the
workplace meeting. The facilitator's screen, shown on the meeting room's display: the join code and its QR code,
the situation in large type, how many have voted, the votes as a chart once revealed, the feedback of the choice
the group follows, and at the end who took part. Participants vote from their phones (views/group_join.py).

The store holds the session (progress/group_sessions.py, as events) and the rules are course/group.py's: this
page reads the screen from the store on every run and writes only in button callbacks, each naming the step it
was made on, so a double click or a second tab changes nothing and a reload resumes where the group is."""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit

import plotly.graph_objects as go
import segno
import streamlit as st

from course import group
from course.plain import md_escape
from course.summary import sources_text
from progress import apt, facilitators, group_sessions
from progress.attempts import utcnow
from progress.viewer import NotPermitted
from views.components.charts import plotly_chart
from views.components.scenario_marks import LETTERS, draw_verdict
from views.context import current_user, language, services, t, today

svc = services()
course = svc.content.course
user = current_user()

REFRESH_SECONDS = 2  # the screen shows new votes within this; the phones poll as often (views/group_join.py)
JOIN_PAGE = "gruppovning"  # the participants' page (app.py LEARNER_PAGES)
SESSION_KEY = "group_session_id"  # the session this browser leads

# Big type, readable from the back of a meeting room; the text colour on white is 12.6:1. Presenting hides the
# menu and Streamlit's header, so that nothing but the scenario is on the display.
SCREEN_STYLE = """<style>
.st-key-group-screen [data-testid="stMarkdownContainer"] p,
.st-key-group-screen [data-testid="stMarkdownContainer"] li { font-size: 1.6rem; line-height: 1.45; }
.st-key-group-screen h2 { font-size: 2.2rem; }
.st-key-group-code [data-testid="stMarkdownContainer"] p { font-size: 3.2rem; font-weight: 700;
  letter-spacing: 0.08em; line-height: 1.2; }
.st-key-group-screen [data-testid="stCaptionContainer"] p { font-size: 1.2rem; }
.st-key-group-screen button p { font-size: 1.25rem; }
</style>"""
PRESENTING_STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
</style>"""


# --- writing: callbacks, each naming the step it was made on --------------------------------------------------

def _act(write, *args) -> None:
    """One of the facilitator's actions. A stale step (another tab, a double click that raced) is told and
    changes nothing; the screen is drawn again from the store."""
    try:
        write(svc.db, course, user.id, *args, now=utcnow())
    except group.StaleStep:
        st.session_state["group_flash"] = ("info", t("group_stale"))
    except NotPermitted:
        st.session_state["group_flash"] = ("error", t("group_not_permitted"))


def _start(unit_key: str, scenario_key: str) -> None:
    try:
        screen = group_sessions.start(svc.db, course, user.id, st.session_state[unit_key],
                                      st.session_state[scenario_key], language(), utcnow())
    except NotPermitted:
        st.session_state["group_flash"] = ("error", t("group_not_permitted"))
        return
    except group_sessions.UnknownScenario:
        st.session_state["group_flash"] = ("error", t("group_unknown_scenario"))
        return
    st.session_state[SESSION_KEY] = screen.id


def _reveal(session_id: int, step_no: int) -> None:
    _act(group_sessions.reveal, session_id, step_no)


def _follow(session_id: int, step_no: int, choice_key: str) -> None:
    choice = st.session_state.get(choice_key)
    if choice is None:
        st.session_state["group_flash"] = ("warning", t("group_pick_choice"))
        return
    _act(group_sessions.follow, session_id, step_no, choice)


def _back(session_id: int, step_no: int) -> None:
    _act(group_sessions.back, session_id, step_no)


def _end(session_id: int) -> None:
    _act(lambda db, course_, viewer, session, now: group_sessions.end(db, course_, viewer, session, now), session_id)


def _confirm(session_id: int, keys: dict[str, str]) -> None:
    chosen = [person_id for person_id, key in keys.items() if st.session_state.get(key)]
    if not chosen:
        st.session_state["group_flash"] = ("warning", t("group_attendance_none"))
        return
    try:
        result = group_sessions.confirm_attendance(svc.db, course, user.id, session_id, chosen, utcnow())
    except (NotPermitted, group.StillRunning):
        st.session_state["group_flash"] = ("error", t("group_not_permitted"))
        return
    st.session_state["group_flash"] = ("success", t("group_attendance_done", count=len(result.confirmed)))


def _leave(session_id: int) -> None:
    """Back to the start form; the session itself stays as it is (ended, or open until the retention run)."""
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.setdefault("group_left", set()).add(session_id)


# --- reading ------------------------------------------------------------------------------------------------

def session_under_way() -> int | None:
    """This browser's session, else the viewer's newest one of today that is still running or awaits its
    attendance (a reload, another device): the page resumes it."""
    chosen = st.session_state.get(SESSION_KEY)
    if chosen is not None:
        return chosen
    left = st.session_state.get("group_left", set())
    now = utcnow()
    for summary in group_sessions.sessions_led(svc.db, user.id, today(), limit=5):
        if summary.id in left or summary.started_at.date() != now.date():
            continue
        running = group.joinable(summary.started_at, summary.ended_at, now)
        if running or (summary.ended_at is not None and summary.confirmed == 0):
            st.session_state[SESSION_KEY] = summary.id
            return summary.id
    return None


def join_address(code: str) -> str:
    """The participants' page with the code, on the address this page was opened at (behind the load balancer
    too: st.context.url is what the browser asked for)."""
    here = urlsplit(st.context.url or "")
    base = f"{here.scheme}://{here.netloc}" if here.scheme and here.netloc else ""
    return f"{base}/{JOIN_PAGE}?{urlencode({'kod': code})}"


@st.cache_data(max_entries=64, show_spinner=False)  # drawn again on every refresh of the screen: made once
def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=2, dark="#000000", light="#ffffff")
    return buffer.getvalue()


# --- drawing ------------------------------------------------------------------------------------------------

def draw_flash() -> None:
    flash = st.session_state.pop("group_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])


def draw_start() -> None:
    """Choose the unit and the scenario (the APT card's suggestion for the unit first), then start."""
    st.title(t("group_title"))
    st.caption(t("group_intro"))
    units = facilitators.facilitated_unit_choices(svc.db, user.id, today())
    if not units:
        st.info(t("group_no_units"))
        return
    by_id = {unit.id: unit for unit in units}
    unit_id = st.selectbox(t("group_unit"), list(by_id), key="group_unit",
                           format_func=lambda u: "\u2003" * by_id[u].depth + by_id[u].name)
    try:
        suggested = apt.card_for(svc.db, course, user.id, by_id[unit_id], apt.DEFAULT_MONTHS, today(), language())
    except NotPermitted:  # a facilitator who manages nobody may not see a unit's results: no suggestion then
        suggested = None
    card = suggested.card if suggested is not None else None
    suggestion = card.scenario_id if card is not None else None
    offered = [scenario_id for module in course.modules.values() if module.language == language()
               for scenario_id in module.scenarios if scenario_id in course.scenarios]
    offered = list(dict.fromkeys(([suggestion] if suggestion in offered else []) + offered))
    if not offered:
        st.info(t("group_no_scenarios"))
        return

    def title(scenario_id: str) -> str:
        name = course.scenarios[scenario_id].title
        return t("group_suggested", title=name) if scenario_id == suggestion else name

    scenario_key = f"group_scenario-{unit_id}"
    st.selectbox(t("group_scenario"), offered, key=scenario_key, format_func=title)
    if suggestion in offered:
        st.caption(t("group_suggestion_why", topic=card.topic_title))
    st.button(t("group_start"), type="primary", key="group_start", icon=":material/play_arrow:", on_click=_start,
              args=("group_unit", scenario_key))


def draw_join_box(screen: group_sessions.GroupSessionView) -> None:
    """The code large, the QR code beside it, and how many have joined."""
    address = join_address(screen.code)
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        st.markdown(t("group_join_how", page=t("page_group_join")))
        with st.container(key="group-code"):
            st.markdown(screen.printed_code)
        st.caption(t("group_join_address", address=md_escape(address)))
        st.markdown(t("group_joined_count", count=screen.participants))
    # alt: Streamlit draws the caption beside the <img>, not as its name (axe's image-alt, critical)
    right.image(qr_png(address), caption=t("group_qr_caption"), alt=t("group_qr_caption"), width=220)


def vote_chart(screen: group_sessions.GroupSessionView) -> None:
    letters = [LETTERS[position] for position in range(len(screen.choice_order))]
    counts = [screen.tally[index] for index in screen.choice_order]
    labels = [f"{letter} " for letter in letters]  # the texts are beside it, in the choice to follow
    figure = go.Figure(go.Bar(x=counts, y=labels, orientation="h", text=counts, textposition="outside",
                              marker_color="#1f5f8b", textfont_size=22))
    figure.update_layout(height=60 + 60 * len(counts), margin=dict(l=10, r=40, t=10, b=10),
                         yaxis=dict(autorange="reversed", tickfont_size=26), xaxis=dict(visible=False),
                         showlegend=False)
    plotly_chart(st, figure, key=f"group-votes-{screen.id}-{screen.step_no}")
    # the chart's figures as text too (a screen reader, a projector that washes colours out)
    st.caption(" · ".join(t("group_votes_for", letter=letter, count=count, votes=votes_word(count))
                          for letter, count in zip(letters, counts)))


def votes_word(count: int) -> str:
    return t("group_vote_one" if count == 1 else "group_vote_many")


def draw_choices(scenario, screen: group_sessions.GroupSessionView) -> None:
    node = scenario.nodes[screen.node_id]
    st.markdown("\n\n".join(f"{LETTERS[position]}. {node.choices[index].text}"
                          for position, index in enumerate(screen.choice_order)))


def draw_vote_open(screen: group_sessions.GroupSessionView) -> None:
    st.markdown(t("group_votes_so_far", votes=screen.votes, participants=screen.participants))
    st.button(t("group_reveal"), type="primary", key=f"group-reveal-{screen.step_no}", icon=":material/bar_chart:",
              on_click=_reveal, args=(screen.id, screen.step_no))


def draw_revealed(scenario, screen: group_sessions.GroupSessionView) -> None:
    """The votes, then the choice the group follows (the most voted, unless the facilitator picks another, a poor
    one too to talk about where it leads) with its feedback and sources, and the way on."""
    node = scenario.nodes[screen.node_id]
    vote_chart(screen)
    if sum(screen.tally) == 0:
        st.caption(t("group_no_votes"))
    choice_key = f"group-follow-{screen.id}-{screen.step_no}"
    position = {index: number for number, index in enumerate(screen.choice_order)}
    default = screen.default_choice if screen.default_choice is not None else screen.choice_order[0]
    chosen = st.radio(t("group_follow_which"), screen.choice_order, index=position[default], key=choice_key,
                      format_func=lambda i: f"{LETTERS[position[i]]}. {node.choices[i].text}")
    choice = node.choices[chosen]
    with st.container(border=True):
        st.markdown(f"**{t('scenario_feedback')}:** {choice.feedback}")
        st.caption(f"{t('scenario_sources')}: {sources_text(choice.cite)}")
    st.button(t("group_follow"), type="primary", key=f"group-go-{screen.step_no}", icon=":material/arrow_forward:",
              on_click=_follow, args=(screen.id, screen.step_no, choice_key))


def draw_ending(scenario, screen: group_sessions.GroupSessionView) -> None:
    draw_verdict(screen.ending)
    st.button(t("group_end"), type="primary", key="group-end-at-ending", icon=":material/flag:", on_click=_end,
              args=(screen.id,))


def draw_controls(screen: group_sessions.GroupSessionView) -> None:
    """Back one step, and ending before the scenario does (the meeting runs out of time), behind a question."""
    with st.container(horizontal=True):
        if screen.can_go_back:
            st.button(t("group_back"), key=f"group-back-{screen.step_no}", icon=":material/undo:", on_click=_back,
                      args=(screen.id, screen.step_no))
        if screen.ending is None:
            with st.popover(t("group_end_early"), icon=":material/stop_circle:"):
                st.markdown(t("group_end_early_confirm"))
                st.button(t("group_end"), key="group-end-early", type="primary", on_click=_end, args=(screen.id,))


def draw_attendance(screen: group_sessions.GroupSessionView) -> None:
    """Who took part: the unit's people, those who joined ticked already; each confirmed gets a record."""
    st.subheader(t("group_attendance"))
    st.markdown(t("group_attendance_intro", participants=screen.participants))
    lines = group_sessions.attendance_list(svc.db, user.id, screen.id, today())
    keys: dict[str, str] = {}
    with st.form(f"group-attendance-{screen.id}"):
        for line in lines:
            key = f"group-present-{screen.id}-{line.person_id}"
            keys[line.person_id] = key
            label = md_escape(line.name) + ("" if line.in_unit else f" ({t('group_from_elsewhere')})")
            st.checkbox(label, value=line.ticked, key=key, disabled=line.confirmed,
                        help=t("group_already_confirmed") if line.confirmed else None)
        st.form_submit_button(t("group_confirm"), type="primary", on_click=_confirm, args=(screen.id, keys))
    if screen.confirmed:
        st.success(t("group_attendance_recorded", count=screen.confirmed))
    st.button(t("group_new"), key="group-new", icon=":material/add:", on_click=_leave, args=(screen.id,))


def draw_screen(session_id: int) -> None:
    """The facilitator's screen, read anew every REFRESH_SECONDS while the session runs (new votes, another tab's
    move); once it has ended, the attendance list, which needs no refresh."""
    screen = st.session_state.pop("group_screen_read", None)  # this run's, when the whole page read it
    if screen is None or screen.id != session_id:
        try:
            screen = group_sessions.view(svc.db, course, user.id, session_id, today())
        except (NotPermitted, group_sessions.UnknownScenario):
            st.session_state.pop(SESSION_KEY, None)
            st.warning(t("group_gone"))
            return
    if screen.ended and st.session_state.get("group_live") == session_id:
        st.session_state["group_live"] = None
        st.rerun()  # the whole page: the screen stops refreshing itself
    scenario = course.scenarios[screen.scenario_id]
    with st.container(key="group-screen"):
        draw_flash()
        st.caption(t("group_screen_caption", scenario=scenario.title))
        if screen.ended:
            st.header(t("group_ended"))
            draw_attendance(screen)
            return
        draw_join_box(screen)
        st.divider()
        st.markdown(scenario.nodes[screen.node_id].text)
        if screen.ending is not None:
            draw_ending(scenario, screen)
        else:
            if screen.revealed:  # the choices' texts are in the choice to follow, below the chart
                draw_revealed(scenario, screen)
            else:
                draw_choices(scenario, screen)
                draw_vote_open(screen)
        draw_controls(screen)


def draw_page() -> None:
    st.html(SCREEN_STYLE)
    session_id = session_under_way()
    if session_id is None:
        draw_flash()
        draw_start()
        return
    presenting = st.toggle(t("group_presenting"), value=True, key="group_presenting",
                           help=t("group_presenting_help"))
    if presenting:
        st.html(PRESENTING_STYLE)
    try:
        screen = group_sessions.view(svc.db, course, user.id, session_id, today())
    except (NotPermitted, group_sessions.UnknownScenario):
        screen = None
    running = screen is not None and not screen.ended
    st.session_state["group_screen_read"] = screen  # the fragment draws it without reading it again
    st.session_state["group_live"] = session_id if running else None
    st.fragment(draw_screen, run_every=REFRESH_SECONDS if running else None)(session_id)


draw_page()
