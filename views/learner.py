"""Min utbildning: the learner's modules, and playing them (scenarios node by node, then the quiz).

What each page shows comes from one service, progress/learner.py (status, parts, the state of a scenario or a
quiz, what may be opened and started), which derives it with course/rules.py; this page only draws it.
Every answer is written in a widget callback (which runs before the rerun and cannot be cut off by a new
click), in one transaction, naming the step it answers; the page itself only reads and draws.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Callable

import streamlit as st

from course import play, rules
from course import questions as question_types
from course.plain import md_escape
from course.summary import sources_text, summary_html
from course.content.schema import Module
from course.rules import Status
from progress import certificates, learner, talk
from progress.access import NotPermitted
from progress.attempts import StaleAnswer
from progress import pending
from progress.db import StoreUnavailable, single_try
from views import auth
from views.components import pending as pending_view
from views.components import quiz_widgets
from views.components.scenario_marks import draw_verdict
from views.context import current_user, language, services, status_label, t, today

# Material icons render in every browser without an emoji font
# A status is shown as a coloured badge with its name: text a screen reader reads as "Klar", not "check_circle"
STATUS_BADGES = {Status.DONE: "green", Status.WAIVED: "green", Status.IN_PROGRESS: "orange",
                  Status.NOT_STARTED: "gray", Status.OVERDUE: "red"}
DONE_ICON, TODO_ICON = ":material/check_circle:", ":material/radio_button_unchecked:"

svc = services()
course = svc.content.course
user = current_user()


# --- saving answers: callbacks, with a way back when the database is down ---------------------------------
# What the learner gives (an answer, a reflection, a confirmation) goes through this server's queue of unsaved
# answers (progress.pending), behind any earlier one: saved at once when the database answers, else kept and
# sent again from this or any later session of the person on this server, each exactly once (every answer
# names its step). Starting something is only tried: nothing the learner gave is lost, they click again.

def _callback(function: Callable[..., None]) -> Callable[..., None]:
    """A widget callback runs before the page and outside app.py's handler: a database that does not answer
    becomes the Swedish message here, never Streamlit's generic error."""

    def safe(*args, **kwargs) -> None:
        try:
            function(*args, **kwargs)
        except StoreUnavailable:
            st.session_state["flash"] = ("error", t("store_unavailable"))

    return safe


def _after(result: object) -> None:
    if getattr(result, "module_completed", False):
        st.query_params.pop("del", None)  # show the module's completion page


def _save(action: Callable[[], object], key: tuple | None = None, what: str = "answer") -> bool:
    """Write now; True when it is saved. With `key` (what it answers) it is kept when the database does not
    take it; without, StoreUnavailable goes up to _callback."""
    _forget_overview()
    if key is None:
        try:
            _after(action())
            return True
        except StaleAnswer:
            st.session_state["flash"] = ("info", t("stale_answer"))
            return False
        except NotPermitted:  # the service refuses what is not (or no longer) the learner's to start
            st.session_state["flash"] = ("info", t("learner_not_open"))
            return False
    if not pending.REGISTRY.hold(pending_view.owner(user.id), pending.Pending(key, what, action)):
        st.session_state["flash"] = ("error", t("pending_full"))
        return False
    return any(entry.key == key for entry, _ in _send_pending().saved)


def _send_pending() -> pending.Flushed:
    flushed = pending.REGISTRY.flush(pending_view.owner(user.id))
    if flushed.saved:
        _forget_overview()
    for _, result in flushed.saved:
        _after(result)
    st.session_state.setdefault("pending_report", []).extend(pending_view.report(flushed))
    if flushed.waiting:
        st.session_state[pending_view.SENT_THIS_RUN] = True
    return flushed


@_callback
def _retry_pending() -> None:
    _send_pending()


def _show_messages() -> None:
    """Kept answers are sent again once per run (one try each: a database still down costs one look), then the
    learner is told what became of them, and what is still kept, truthfully."""
    owner = pending_view.owner(user.id)
    if not st.session_state.pop(pending_view.SENT_THIS_RUN, False) and pending.REGISTRY.peek(owner):
        with single_try():
            _send_pending()
        st.session_state.pop(pending_view.SENT_THIS_RUN, None)
    for kind, text in st.session_state.pop("pending_report", []):
        getattr(st, kind)(text)
    if pending_view.waiting_note(user.id):
        st.session_state[pending_view.NOTE_DRAWN] = True
        st.button(t("answer_retry"), on_click=_retry_pending, type="primary", key="retry_pending")
    flash = st.session_state.pop("flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])


NAVIGATION = ("modul", "del", "repetition", "spar")  # where in Min utbildning the learner is, in the URL
FORM_HINT = "form_hint"  # what an answer still lacks ("Välj ett alternativ först."): shown in its form


FEEDBACK_KEY = "feedback"  # the container of the feedback on the last answer (Streamlit: class st-key-feedback)
_FOCUS_FEEDBACK = """<script>
// {step}: after an answer the page is drawn anew and the focus falls to the page itself, past the feedback.
// Move it to the feedback, named as a region, so that a screen reader reads it and the next Tab goes on from
// there. The answered form leaves the page after this script has run: look again for a second, until the focus
// stays. (No tag names in here: the HTML sanitizer drops a script whose text holds one.)
(function focusFeedback(tries) {{
  const box = document.querySelector({selector});
  const lost = !document.activeElement || document.activeElement === document.body;
  if (box && lost) {{
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", {label});
    box.setAttribute("tabindex", "-1");
    box.focus({{preventScroll: true}});  // no jump under the pointer: the feedback is just above the question
  }}
  if (tries > 0 && (!box || lost || !box.contains(document.activeElement))) {{
    setTimeout(() => focusFeedback(tries - 1), 50);
  }}
}})(20);
</script>"""


def _focus_feedback(step: str) -> None:
    """Once per answer (the step is in the script, so a new answer is a new element and runs again)."""
    st.html(_FOCUS_FEEDBACK.format(step=json.dumps(step), selector=json.dumps(f".st-key-{FEEDBACK_KEY}"),
                                   label=json.dumps(t("scenario_feedback"))),
            unsafe_allow_javascript=True)


def _form_hint() -> None:
    """Beside the button that was pressed, not at the top of the page out of view: a warning, which a screen
    reader announces as it appears."""
    hint = st.session_state.pop(FORM_HINT, None)
    if hint:
        st.warning(hint, icon=":material/arrow_upward:")


def _go(**place: str | None) -> None:
    """Move within the page by its URL: clear every navigation parameter, then set the given ones."""
    for key in NAVIGATION:
        st.query_params.pop(key, None)
    for key, value in place.items():
        if value is not None:
            st.query_params[key] = value


def _open_module(module_id: str | None, part: int | None = None) -> None:
    _go(modul=module_id, **{"del": None if part is None else str(part)})


@_callback
def _start(module_id: str, kind: str, item_id: str, part: int) -> None:
    _open_module(module_id, part)
    _save(lambda: learner.start_part(svc.attempts, user.id, user.id, module_id, kind, item_id, today()))


# --- the overview ------------------------------------------------------------------------------------------

@_callback
def _attest(track_id: str, version: str, widget_key: str) -> None:
    if not st.session_state.get(widget_key):
        st.session_state["flash"] = ("warning", t("attest_check_first"))
        return
    _save(lambda: svc.attestations.attest(user.id, track_id, version), ("attest", track_id, version), "attestation")


def _module_card(card: learner.ModuleCard, key: str) -> None:
    """One module: its texts as one Markdown element, then the progress bar and the button. Every element costs
    the server a message per rerun (bench/README.md), and the page has a card per module."""
    module, progress = card.module, card.module_progress
    if card.renewal_open:
        detail = t("module_renewal_open", due=progress.due.isoformat())
    elif card.done:
        next_round = t("module_next_round", due=progress.due.isoformat()) if progress.due else ""
        done_on = progress.last_completed_at.date().isoformat()
        detail = (t("module_waived_on", date=done_on) if progress.via_diagnosis else
                  t("module_done_on", date=done_on, score=_percent(progress.last_score))) + next_round
    else:
        detail = t("module_due", date=progress.due.isoformat())
    facts = " · ".join([t("module_minutes", minutes=module.estimated_minutes),
                        t("module_languages", languages=", ".join(t(f"language_{code}") for code in card.languages))])
    with st.container(border=True):
        badge = f":{STATUS_BADGES[progress.status]}-badge[{status_label(progress.status)}]"
        st.markdown(f"### {module.title}\n\n{module.summary}\n\n:small[{facts}]\n\n{badge} · {detail}")
        if not card.done and not card.renewal_open:
            st.progress(card.parts_done / card.parts_total,
                        text=t("module_progress", done=card.parts_done, total=card.parts_total))
        # the button names its module: a screen reader's list of buttons is not five times "Öppna"
        label = t("module_continue_named" if progress.started else "module_open_named", title=module.title)
        st.button(label, key=key, on_click=_open_module, args=(module.id,),
                  type="secondary" if card.done else "primary")


def _attestation_box(found: learner.TrackOverview) -> None:
    attestation = found.attestation
    if attestation is None:
        return
    guidelines = attestation.guidelines
    title = course.organisation_text("riktlinjer.titel", language()) or guidelines.titel  # its English name too
    with st.container(border=True):
        st.markdown(f"**{t('attest_heading')}**")
        if attestation.current:
            st.success(t("attest_done", title=title, version=attestation.record.guideline_version,
                         date=attestation.record.attested_at.date().isoformat()), icon=":material/verified:")
            return
        if not attestation.may_attest:
            st.caption(t("attest_after_modules"))
            return
        st.markdown(t("attest_intro", title=title, link=guidelines.lank, version=guidelines.version))
        widget_key = f"attest-{found.track.id}"
        st.checkbox(t("attest_checkbox", title=title), key=widget_key)
        st.button(t("attest_button"), key=f"attest-button-{found.track.id}", type="primary", on_click=_attest,
                  args=(found.track.id, guidelines.version, widget_key))


def _certificate_box(found: learner.TrackOverview) -> None:
    """A completed track's certificate: issued on the first download (the store checks completion itself)."""
    if not found.certificate:
        return
    track = found.track
    title = course.track_title(track.id, language())
    with st.container(border=True):
        st.markdown(f"**{t('cert_learner_heading')}**")
        st.caption(t("cert_learner_intro", track=title))
        if found.refresher is not None and not found.refresher.done:
            # the refresher box above asks for a new round: say what this certificate is, and what comes next
            st.caption(t("cert_learner_refresher_open"))
        # Made when clicked, on its own thread: no PDF is drawn and nothing written while the page only shows
        # (and in the page's language: the thread has no session to ask)
        st.download_button(t("cert_download_named", track=title),
                           partial(certificates.issue_pdf, svc.db, user.id, course, user.id, track.id,
                                   language=language()),
                           file_name=f"intyg-{track.id}.pdf", mime="application/pdf", key=f"cert-download-{track.id}",
                           icon=":material/workspace_premium:", on_click="ignore")


# Min utbildning is read once and kept for the session until the learner gives something (every write of this
# session goes through _save or _send_pending, which forget it) or OVERVIEW_FRESH_S pass: the six queries of the
# overview were a fifth of a home rerun's server time (bench/README.md). What other sessions change (another tab,
# an HR import, a manager's waiver) shows within OVERVIEW_FRESH_S; who the user is and whether they are employed
# is still checked on every run (app.py).
OVERVIEW_KEPT = "learner_overview"
OVERVIEW_FRESH_S = 30


def _forget_overview() -> None:
    st.session_state.pop(OVERVIEW_KEPT, None)


def _overview() -> learner.LearnerOverview:
    key = (user.id, today(), language(), id(course))  # a new day, language or content is a new overview
    kept = st.session_state.get(OVERVIEW_KEPT)
    if kept is not None and kept[0] == key and time.monotonic() - kept[1] < OVERVIEW_FRESH_S:
        return kept[2]
    found = learner.overview(svc.db, course, user.id, user.id, today(), language())
    st.session_state[OVERVIEW_KEPT] = (key, time.monotonic(), found)
    return found


def overview() -> None:
    st.title(t("learner_heading", name=md_escape(user.name.split()[0])))  # a name from the HR file is text
    st.write(t("learner_intro"))
    found = _overview()
    if not found.tracks:
        st.info(t("learner_no_modules"))
        return
    for track_found in found.tracks:
        track = track_found.track
        st.header(course.track_title(track.id, language()))
        summary = course.track_summary(track.id, language())
        if summary:
            st.caption(summary)
        for module_id in track_found.modules:
            _module_card(found.modules[module_id], key=f"open-{track.id}-{module_id}")
        if track_found.also:
            st.caption(t("track_also_includes", modules=_titles(track_found.also)))
        _refresher_box(track_found)
        _booster_box(track_found)
        _certificate_box(track_found)
        _attestation_box(track_found)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _titles(module_ids) -> str:
    """Modules named in a sentence, each in the page's language where it has a translation."""
    return ", ".join(course.module_title(m, language()) for m in module_ids)


# --- one module --------------------------------------------------------------------------------------------

def module_page(module_id: str) -> None:
    page = learner.module_page(svc.db, course, user.id, user.id, module_id, st.query_params.get("del"), today(),
                               language())
    module = page.module
    st.button(t("module_back"), on_click=_open_module, args=(None,), key="back")
    st.title(module.title)
    with st.sidebar:
        st.markdown(f"**{t('module_parts')}**")
        for index, (kind, item_id) in enumerate(page.parts):
            title = course.scenarios[item_id].title if kind == "scenario" else t("module_part_quiz",
                                                                                  title=course.banks[item_id].title)
            done = page.parts_done[index]  # said in words too: an icon name read aloud is no state
            st.button(t("module_part_done", title=title) if done else title, icon=DONE_ICON if done else TODO_ICON,
                      key=f"part-{index}",
                      on_click=_open_module, args=(module.id, index), width="stretch")
    if page.completion_page:
        st.success(t("module_complete_banner", score=_percent(page.module_progress.last_score)))
        _summary(module, expanded=True)
        _reflection_form(course.base_of(module.id), page.reflection)
        if page.review is not None:
            with st.expander(t("quiz_review")):
                _quiz_review(page.review)
        return
    _summary(module, expanded=False)
    _playing_area(module_id, page, st.session_state[FULL_RUNS])


# An answer reruns only the part being played (a fragment): not app.py (who the user is, the navigation), the
# sidebar or the summary around it. The full run hands the fragment the page it read; a rerun of the fragment
# alone reads the module page again (the service checks the person, employed today, as on every read), and asks
# for a full run when anything around the part changes (a part done, another part chosen, the module complete),
# when the sign-in has expired, or when the store refuses or does not answer (app.py then says what happened).
FULL_RUNS, AREA_DRAWN = "learner_full_runs", "learner_area_drawn"


@st.fragment
def _playing_area(module_id: str, drawn: learner.ModulePage, full_run: int) -> None:
    alone = st.session_state.get(AREA_DRAWN) == full_run  # already drawn after that full run: a fragment rerun
    st.session_state[AREA_DRAWN] = full_run
    page = drawn
    if alone:
        if _signed_out():
            st.rerun()
        _show_messages()
        try:
            page = learner.module_page(svc.db, course, user.id, user.id, module_id, st.query_params.get("del"),
                                       today(), language())
        except (StoreUnavailable, NotPermitted):
            st.rerun()
        if _around(page) != _around(drawn):
            st.rerun()
    if page.scenario is not None:
        scenario_part(page)
    else:
        quiz_part(page)
    if alone:
        st.session_state.pop(pending_view.NOTE_DRAWN, None)  # as at the end of a full run


def _around(page: learner.ModulePage) -> tuple:
    """What the page draws around the part being played."""
    return page.module.id, page.current, page.parts_done, page.completion_page


def _signed_out() -> bool:
    """app.py's sign-in checks that a fragment rerun skips: signed in (OIDC) and within the session's age."""
    return not svc.demo and (not st.user.is_logged_in or auth._expired())


@_callback
def _save_reflection(module_id: str) -> None:
    text = st.session_state.get(f"reflection-{module_id}", "")
    shared = bool(st.session_state.get(f"reflection-shared-{module_id}"))
    if _save(lambda: talk.save_reflection(svc.db, user.id, module_id, text, shared), ("reflection", module_id),
             "reflection"):
        st.session_state["flash"] = ("success", t("talk_reflection_saved"))


def _reflection_form(module_id: str, saved) -> None:
    """What the learner takes with them, in their own words; shared with the manager only if they tick the box."""
    with st.form(f"reflection-form-{module_id}", border=True):
        st.text_area(t("talk_reflection_question"), value=saved.text if saved else "",
                     max_chars=talk.REFLECTION_MAX_CHARS, key=f"reflection-{module_id}")
        st.checkbox(t("talk_reflection_share"), value=bool(saved and saved.shared),
                    key=f"reflection-shared-{module_id}")
        st.form_submit_button(t("talk_reflection_save"), on_click=_save_reflection, args=(module_id,))


# --- a scenario --------------------------------------------------------------------------------------------

@_callback
def _answer_choice(attempt_id: int, step_no: int, widget_key: str) -> None:
    index = st.session_state.get(widget_key)
    if index is None:
        st.session_state[FORM_HINT] = t("scenario_pick_first")
        return
    _save(lambda: svc.attempts.record_choice(attempt_id, step_no, index), ("step", attempt_id, step_no))


def _summary(module: Module, expanded: bool) -> None:
    with st.expander(t("summary_heading"), expanded=expanded, icon=":material/print:"):
        for point in module.key_points:
            st.markdown(f"- {point.text}  \n  :gray[{sources_text(point.cite)}]")
        labels = {"report_heading": t("summary_report"), "guidelines_heading": t("summary_guidelines"),
                  "footer": t("summary_footer", version=course.module_version(module.id))}
        st.download_button(t("summary_download"), summary_html(course, module, labels, language()),
                           file_name=f"sammanfattning-{module.id}.html", mime="text/html", key="summary-download",
                           icon=":material/download:")


def scenario_part(page: learner.ModulePage) -> None:
    module, played = page.module, page.scenario
    scenario = course.scenarios[played.scenario_id]
    st.header(scenario.title)
    in_group = page.group_done_on[page.current] if page.group_done_on else None
    if in_group is not None and played.attempt is None:  # played at a workplace meeting: done, and may be replayed
        st.success(t("scenario_done_in_group", day=in_group.isoformat()))
        if page.next_part is not None:
            st.button(t("scenario_next_part"), type="primary", key="next-part-group", on_click=_open_module,
                      args=(module.id, page.next_part))
    if played.attempt is None:
        if scenario.summary:
            st.write(scenario.summary)
        st.button(t("scenario_start"), type="primary", key=f"start-{scenario.id}", on_click=_start,
                  args=(module.id, "scenario", scenario.id, page.current))
        return
    state = played.state
    if played.steps:
        # The path so far as one element (not three per step): every element is a message on every answer
        with st.expander(t("scenario_path"), expanded=False):
            st.markdown("\n\n---\n\n".join(f"{scenario.nodes[node_id].text}\n\n"
                                               f"➜ *{scenario.nodes[node_id].choices[index].text}*"
                                               for node_id, index in state.taken[:-1]) or "–")
        node_id, choice_index = state.taken[-1]
        choice = scenario.nodes[node_id].choices[choice_index]
        with st.container(border=True, key=FEEDBACK_KEY):
            st.markdown(f"{t('scenario_your_choice', choice=choice.text)}\n\n"
                        f"**{t('scenario_feedback')}:** {choice.feedback}\n\n"
                        f":gray[{t('scenario_sources')}: {sources_text(choice.cite)}]")
        _focus_feedback(f"{played.attempt.id}-{state.step_no}")
    node = played.node
    st.markdown(node.text)
    if node.is_ending:
        draw_verdict(node.ending)
        with st.container(horizontal=True):  # side by side at the start of the line, the way on first
            if page.next_part is not None:
                st.button(t("scenario_next_part"), type="primary", key="next-part", on_click=_open_module,
                          args=(module.id, page.next_part))
            st.button(t("scenario_again"), key="again", on_click=_start,
                      args=(module.id, "scenario", scenario.id, page.current))
        return
    attempt_id = played.attempt.id
    widget_key = f"choice-{attempt_id}-{state.step_no}"
    with st.form(f"form-{attempt_id}-{state.step_no}"):
        # the choices in this attempt's order (the engine's): in file order the best one was always first
        st.radio(t("scenario_choose"), played.choice_order, index=None, key=widget_key,
                 format_func=lambda i: node.choices[i].text)
        _form_hint()
        st.form_submit_button(t("scenario_answer"), type="primary", on_click=_answer_choice,
                              args=(attempt_id, state.step_no, widget_key))


# --- the quiz ----------------------------------------------------------------------------------------------

@_callback
def _answer_question(attempt_id: int, step_no: int, question_id: str, order: tuple[int, ...], widget_key: str,
                     levels: dict[str, int]) -> None:
    question = course.questions[question_id]
    kind = question_types.kind_of(question)
    widget = quiz_widgets.WIDGETS[kind.widget]
    shown = widget.read(widget_key, len(order))
    selected = [order[j] for j in shown]  # back from display order to the content's option indexes
    try:
        kind.validate(question, selected)
    except question_types.InvalidResponse:
        st.session_state[FORM_HINT] = t(widget.incomplete if shown else widget.nothing_picked)
        return
    confidence = levels.get(st.session_state.get(f"{widget_key}-confidence")) if levels else None
    if levels and confidence is None:
        st.session_state[FORM_HINT] = t("quiz_confidence_first")
        return
    _save(lambda: svc.attempts.record_answer(attempt_id, step_no, question_id, selected, confidence),
          ("step", attempt_id, step_no))


def _explain(question, response) -> None:
    """Every option with its explanation, as one paragraph each of one Markdown element (an element per option
    cost a rerun a few milliseconds more in the review of a whole quiz), then the sources. An ordering question
    lists its steps in the right order, each with the place the learner gave it."""
    paragraphs = []
    response = list(response)
    kind = question_types.kind_of(question)
    for index, option in enumerate(question.options):
        if kind.widget == "order":
            placed = response.index(index) + 1 if index in response else None
            right_place = placed == index + 1
            icon = ":green[:material/check:]" if right_place else ":red[:material/close:]"
            suffix = "" if right_place or placed is None else f" *({t('quiz_your_place', place=placed)})*"
            paragraphs.append(f"{icon} **{index + 1}. {option.text}**{suffix}  \n{option.explanation}")
            continue
        marks = []
        key = kind.is_key(question, index)
        if key:
            marks.append(t("quiz_correct_option"))
        if index in response:
            marks.append(t("quiz_your_option"))
        icon = ":green[:material/check:]" if key else (":red[:material/close:]" if index in response
                                                      else ":gray[:material/remove:]")
        suffix = f" *({', '.join(marks)})*" if marks else ""
        paragraphs.append(f"{icon} **{option.text}**{suffix}  \n{option.explanation}")
    st.markdown("\n\n".join(paragraphs))
    st.caption(f"{t('scenario_sources')}: {sources_text(question.cite)}")


def _verdict(question, step) -> None:
    """Right, partly right (an ordering question's partial credit) or not right, for the answer just given."""
    credit = question_types.kind_of(question).credit(question, step.response)
    if step.correct:
        st.success(t("quiz_right"))
    elif credit > 0:
        st.warning(t("quiz_partly_right", percent=round(100 * credit)))
    else:
        st.error(t("quiz_wrong"))


def _confidence_note(question, step) -> None:
    if step.confidence is None:
        return
    mark = question_types.kind_of(question).cbm_mark(bool(step.correct), step.confidence)
    st.caption(t("quiz_confidence_mark", level=t(f"confidence_{step.confidence}").lower(), mark=f"{mark:+d}"))
    if play.is_misconception(step.correct, step.confidence):
        st.warning(t("quiz_misconception"), icon=":material/lightbulb:")


def _confidence_summary(cbm: rules.CbmTotal) -> None:
    if not cbm.rated:
        return
    st.metric(t("quiz_cbm_total"), f"{cbm.total:+d}", help=t("quiz_cbm_help", best=cbm.best))
    if cbm.misconceptions:
        st.warning(t("quiz_misconceptions", count=cbm.misconceptions), icon=":material/lightbulb:")


def _partial_points(quiz: learner.QuizPlay) -> None:
    """Where an ordering question gave part of a point, the score counts it: say so, or 6 of 8 right and 81 %
    would not add up."""
    if quiz.points != quiz.correct:
        points = f"{float(quiz.points):.1f}".replace(".", "," if language() == "sv" else ".")
        st.caption(t("quiz_partial_points", points=points, total=len(quiz.drawn)))


def _quiz_review(quiz: learner.QuizPlay) -> None:
    questions = course.questions
    for number, step in enumerate(quiz.steps, 1):
        question = questions.get(step.item)
        if question is None:
            continue
        st.markdown(f"**{number}. {question.text}** {':green[:material/check:]' if step.correct else ':red[:material/close:]'}")
        _confidence_note(question, step)
        _explain(question, step.response)
        st.divider()


def quiz_part(page: learner.ModulePage) -> None:
    module = page.module
    bank = course.banks[module.quiz]
    st.header(bank.title)
    quiz = page.quiz
    if quiz is None:
        st.write(t("quiz_intro", count=bank.draw, pass_mark=module.pass_mark))
        st.button(t("quiz_start"), type="primary", key="quiz-start", on_click=_start,
                  args=(module.id, "quiz", bank.id, page.current))
        return
    if not quiz.finished:
        _quiz_runner(quiz)
        return
    values = dict(correct=quiz.correct, total=len(quiz.steps), score=_percent(quiz.score_percent),
                  pass_mark=module.pass_mark)
    if quiz.passed:
        st.success(t("quiz_result_passed", **values))
    else:
        st.error(t("quiz_result_failed", **values))
    _partial_points(quiz)
    _confidence_summary(quiz.cbm)
    st.button(t("quiz_retry"), key="quiz-retry", on_click=_start, args=(module.id, "quiz", bank.id, page.current),
              type="secondary" if quiz.passed else "primary")
    with st.expander(t("quiz_review"), expanded=not quiz.passed):
        _quiz_review(quiz)


def _quiz_runner(quiz: learner.QuizPlay) -> None:
    """Draws the attempt's current question, with the feedback on the previous one (an unfinished attempt)."""
    questions = course.questions
    attempt_id, step_no, current = quiz.attempt.id, quiz.step_no, quiz.current
    if quiz.steps:
        previous = quiz.steps[-1]
        with st.container(border=True, key=FEEDBACK_KEY):
            st.markdown(f"**{t('quiz_previous')}:** {questions[previous.item].text}")
            _verdict(questions[previous.item], previous)
            _confidence_note(questions[previous.item], previous)
            _explain(questions[previous.item], previous.response)
        _focus_feedback(f"{attempt_id}-{step_no}")
    question = questions[current.question_id]
    st.progress(step_no / len(quiz.drawn), text=t("quiz_question", number=step_no + 1, total=len(quiz.drawn)))
    st.markdown(f"#### {question.text}")
    widget_key = f"q-{attempt_id}-{step_no}"
    with st.form(f"quiz-form-{attempt_id}-{step_no}"):
        quiz_widgets.WIDGETS[question_types.kind_of(question).widget].draw(question, current.option_order, widget_key)
        # the labels themselves are the options (sure first), mapped back to a level when the answer is saved
        levels = ({t(f"confidence_{level}"): level for level in question_types.CONFIDENCE_LEVELS[::-1]}
                  if quiz.asks_confidence else {})
        if quiz.asks_confidence:
            st.radio(t("quiz_confidence"), list(levels), index=None, horizontal=True, key=f"{widget_key}-confidence")
        _form_hint()
        st.form_submit_button(t("quiz_answer"), type="primary", on_click=_answer_question,
                              args=(attempt_id, step_no, question.id, current.option_order, widget_key, levels))


# --- the refresher's diagnostic and the spaced booster -------------------------------------------------------

def _open_topic_quiz(kind: str | None, track_id: str | None = None) -> None:
    _go(repetition=kind, spar=track_id if kind else None)


@_callback
def _start_topic_quiz(kind: str, track_id: str) -> None:
    _open_topic_quiz(kind, track_id)
    _save(lambda: learner.start_topic_quiz(svc.attempts, user.id, user.id, kind, track_id, today(), language()))


def _refresher_box(found: learner.TrackOverview) -> None:
    refresher = found.refresher
    if refresher is None:  # only recurring tracks have refresher rounds, once something is due again
        return
    with st.container(border=True):
        st.markdown(f"**{t('refresher_heading')}**")
        if refresher.done:
            st.caption(t("refresher_done"))
            return
        st.write(t("refresher_intro", modules=_titles(refresher.scope)))
        st.button(t("refresher_continue") if refresher.started else t("refresher_start"), type="primary",
                  key=f"refresher-{found.track.id}", on_click=_start_topic_quiz, args=("diagnostic", found.track.id))


def _booster_box(found: learner.TrackOverview) -> None:
    booster = found.booster
    if booster is None or not booster.offered:
        return
    with st.container(border=True):
        if booster.overdue:  # still worth doing, and its day is past: said in words beside the colour
            st.markdown(f"**{t('booster_heading')}** :orange-badge[{status_label(Status.OVERDUE)}]")
            st.write(t("booster_intro_late", count=rules.BOOSTER_QUESTIONS, due=booster.due.isoformat()))
        else:
            st.markdown(f"**{t('booster_heading')}**")
            st.write(t("booster_intro", count=rules.BOOSTER_QUESTIONS, due=booster.due.isoformat()))
        st.button(t("booster_start"), key=f"booster-{found.track.id}", on_click=_start_topic_quiz,
                  args=("booster", found.track.id))


def topic_quiz_page(kind: str, track_id: str) -> None:
    page = learner.topic_quiz_page(svc.db, course, user.id, user.id, kind, track_id, today(), language())
    st.button(t("module_back"), on_click=_open_topic_quiz, args=(None,), key="back")
    st.title(t(f"{kind}_title", track=course.track_title(page.track.id, language())))
    quiz = page.quiz
    if quiz is None:
        st.info(t("topic_quiz_missing"))
        return
    if not quiz.finished:
        _quiz_runner(quiz)
        return
    st.success(t("topic_quiz_result", correct=quiz.correct, total=len(quiz.steps)))
    _partial_points(quiz)
    _confidence_summary(quiz.cbm)
    if page.waived:
        st.success(t("diagnostic_waived", modules=_titles(page.waived)),
                   icon=":material/task_alt:")
    if page.remaining:
        st.info(t("diagnostic_remaining", modules=_titles(page.remaining)))
    with st.expander(t("quiz_review")):
        _quiz_review(quiz)


# --- page ---------------------------------------------------------------------------------------------------

def _page() -> None:
    """The place the URL names; the service refuses a module or track that is not the learner's, whatever the
    URL says, and the overview is shown instead."""
    topic_quiz, track_id, module_id = (st.query_params.get(key) for key in ("repetition", "spar", "modul"))
    try:
        if topic_quiz is not None or track_id is not None:
            topic_quiz_page(topic_quiz or "", track_id or "")
            return
        if module_id is not None:
            module_page(module_id)
            return
    except NotPermitted:
        st.info(t("learner_not_open"))
    overview()


st.session_state[FULL_RUNS] = st.session_state.get(FULL_RUNS, 0) + 1
_show_messages()
_page()
st.session_state.pop(pending_view.NOTE_DRAWN, None)  # the page drew in full: app.py's outage page did not run
