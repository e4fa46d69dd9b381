"""Min utbildning: the learner's modules, and playing them (scenarios node by node, then the quiz).

Every answer is written in a widget callback (which runs before the rerun and cannot be cut off by a new
click), in one transaction, naming the step it answers; the page itself only reads and draws.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import streamlit as st

from course import play, rules
from course.plain import md_escape
from course.summary import sources_text, summary_html
from course.content.schema import Module
from course.rules import DONE_STATUSES, Status
from progress import certificates, talk
from progress.attempts import AttemptRecord, ModuleProgress, StaleAnswer
from progress import pending
from progress.db import StoreUnavailable, single_try
from views.components import pending as pending_view
from views.context import current_user, language, services, status_label, t, today

# Material icons render in every browser without an emoji font
STATUS_ICONS = {Status.DONE: ":green[:material/check_circle:]", Status.WAIVED: ":green[:material/task_alt:]",
                Status.IN_PROGRESS: ":orange[:material/timelapse:]",
                Status.NOT_STARTED: ":gray[:material/radio_button_unchecked:]",
                Status.OVERDUE: ":red[:material/error:]"}
DONE_ICON, TODO_ICON = ":material/check_circle:", ":material/radio_button_unchecked:"
ENDING_STYLE = {"bra": st.success, "delvis": st.warning, "svag": st.error}

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
    if key is None:
        try:
            _after(action())
            return True
        except StaleAnswer:
            st.session_state["flash"] = ("info", t("stale_answer"))
            return False
    if not pending.REGISTRY.hold(pending_view.owner(user.id), pending.Pending(key, what, action)):
        st.session_state["flash"] = ("error", t("pending_full"))
        return False
    return any(entry.key == key for entry, _ in _send_pending().saved)


def _send_pending() -> pending.Flushed:
    flushed = pending.REGISTRY.flush(pending_view.owner(user.id))
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
def _start(module_id: str, kind: str, item_id: str) -> None:
    module = course.modules[module_id]
    _open_module(module_id, _parts(module, _progress(module)).index((kind, item_id)))
    _save(lambda: svc.attempts.start_or_resume(user.id, module_id, kind, item_id))


# --- the overview ------------------------------------------------------------------------------------------

def _parts(module: Module, progress: ModuleProgress) -> list[tuple[str, str]]:
    """This round's parts: all scenarios in the first round, one new one in a refresher round; then the quiz."""
    return [("scenario", s) for s in progress.required_scenarios] + [("quiz", module.quiz)]


def _progress(module: Module) -> ModuleProgress:
    return svc.attempts.module_progress(user.id, module.id, user.start_date, today(),
                                        due_rules[course.base_of(module.id)])


def _in_my_language(module_id: str) -> Module:
    """The module in the learner's language where a translation exists; else the Swedish original."""
    return course.variant(course.base_of(module_id), language())


def _parts_done(module: Module, progress: ModuleProgress) -> int:
    return len(progress.finished_scenarios & set(progress.required_scenarios)) + int(progress.quiz_passed)


@_callback
def _attest(track_id: str, version: str, widget_key: str) -> None:
    if not st.session_state.get(widget_key):
        st.session_state["flash"] = ("warning", t("attest_check_first"))
        return
    _save(lambda: svc.attestations.attest(user.id, track_id, version), ("attest", track_id, version), "attestation")


def _done_for_now(progress: ModuleProgress) -> bool:
    """Done, and the next round has not opened yet (it opens `due_soon_days` before the due date)."""
    return progress.status in DONE_STATUSES and not rules.renewal_open(today(), progress.due,
                                                                       course.follow_up.due_soon_days)


def _module_card(module: Module, progress: ModuleProgress, key: str) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 1])
        left.subheader(f"{STATUS_ICONS[progress.status]} {module.title}")
        left.write(module.summary)
        languages = [course.modules[m].language for m in course.family(module.id)]
        left.caption(" · ".join([t("module_minutes", minutes=module.estimated_minutes),
                                 t("module_languages", languages=", ".join(t(f"language_{code}") for code in
                                                                           languages))]))
        right.markdown(f"**{status_label(progress.status)}**")
        if progress.status in DONE_STATUSES and not _done_for_now(progress):
            right.caption(t("module_renewal_open", due=progress.due.isoformat()))
        elif progress.status in DONE_STATUSES:
            next_round = t("module_next_round", due=progress.due.isoformat()) if progress.due else ""
            done_on = progress.last_completed_at.date().isoformat()
            right.caption((t("module_waived_on", date=done_on) if progress.via_diagnosis else
                           t("module_done_on", date=done_on, score=_percent(progress.last_score))) + next_round)
        else:
            right.caption(t("module_due", date=progress.due.isoformat()))
            total = len(_parts(module, progress))
            done = _parts_done(module, progress)
            right.progress(done / total, text=t("module_progress", done=done, total=total))
        label = t("module_continue") if progress.started else t("module_open")
        right.button(label, key=key, on_click=_open_module, args=(module.id,),
                     type="secondary" if progress.status in DONE_STATUSES else "primary")


def _attestation_box(track, progress: dict[str, ModuleProgress], attested) -> None:
    guidelines = course.organisation.riktlinjer
    with st.container(border=True):
        st.markdown(f"**{t('attest_heading')}**")
        record = attested.get(track.id)
        if record and record.guideline_version == guidelines.version:
            st.success(t("attest_done", title=guidelines.titel, version=record.guideline_version,
                         date=record.attested_at.date().isoformat()), icon=":material/verified:")
            return
        if not all(progress[m].status in DONE_STATUSES for m in track.modules):
            st.caption(t("attest_after_modules"))
            return
        st.markdown(t("attest_intro", title=guidelines.titel, link=guidelines.lank, version=guidelines.version))
        widget_key = f"attest-{track.id}"
        st.checkbox(t("attest_checkbox", title=guidelines.titel), key=widget_key)
        st.button(t("attest_button"), key=f"attest-button-{track.id}", type="primary", on_click=_attest,
                  args=(track.id, guidelines.version, widget_key))


def _certificate_box(track, progress: dict[str, ModuleProgress]) -> None:
    """A completed track's certificate: issued on the first download (the store checks completion itself)."""
    if not all(progress[m].status in DONE_STATUSES for m in track.modules):
        return
    with st.container(border=True):
        st.markdown(f"**{t('cert_learner_heading')}**")
        st.caption(t("cert_learner_intro", track=track.title))
        # Made when clicked, on its own thread: no PDF is drawn and nothing written while the page only shows
        st.download_button(t("cert_download"),
                           partial(certificates.issue_pdf, svc.db, user.id, course, user.id, track.id),
                           file_name=f"intyg-{track.id}.pdf", mime="application/pdf", key=f"cert-download-{track.id}",
                           icon=":material/workspace_premium:", on_click="ignore")


def overview() -> None:
    st.title(t("learner_heading", name=md_escape(user.name.split()[0])))  # a name from the HR file is text
    st.write(t("learner_intro"))
    tracks = course.tracks_for(user.roles)
    if not tracks:
        st.info(t("learner_no_modules"))
        return
    progress = {module_id: _progress(_in_my_language(module_id)) for module_id in due_rules}
    attested = svc.attestations.latest(user.id)
    shown: set[str] = set()
    for track in tracks:
        st.header(track.title)
        if track.summary:
            st.caption(track.summary)
        also = [course.modules[m].title for m in track.modules if m in shown]
        for module_id in track.modules:
            if module_id not in shown:
                _module_card(_in_my_language(module_id), progress[module_id], key=f"open-{track.id}-{module_id}")
                shown.add(module_id)
        if also:
            st.caption(t("track_also_includes", modules=", ".join(also)))
        _refresher_box(track, progress)
        _booster_box(track, progress)
        _certificate_box(track, progress)
        if track.attestation:
            _attestation_box(track, progress, attested)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


# --- one module --------------------------------------------------------------------------------------------

def module_page(module: Module) -> None:
    st.button(t("module_back"), on_click=_open_module, args=(None,), key="back")
    st.title(module.title)
    progress = _progress(module)
    parts = _parts(module, progress)
    chosen = st.query_params.get("del")
    current = int(chosen) if chosen and chosen.isdigit() and int(chosen) < len(parts) else None
    with st.sidebar:
        st.markdown(f"**{t('module_parts')}**")
        for index, (kind, item_id) in enumerate(parts):
            done = item_id in progress.finished_scenarios if kind == "scenario" else progress.quiz_passed
            title = course.scenarios[item_id].title if kind == "scenario" else t("module_part_quiz",
                                                                                  title=course.banks[item_id].title)
            st.button(title, icon=DONE_ICON if done else TODO_ICON, key=f"part-{index}", on_click=_open_module,
                      args=(module.id, index), width="stretch")
    if current is None:
        if _done_for_now(progress) and not progress.started:
            st.success(t("module_complete_banner", score=_percent(progress.last_score)))
            _summary(module, expanded=True)
            _reflection_form(course.base_of(module.id))
            last_quiz = svc.attempts.latest_attempt(user.id, module.quiz)
            if last_quiz and last_quiz.finished_at:
                with st.expander(t("quiz_review")):
                    _quiz_review(last_quiz)
            return
        current = next((i for i, (kind, item_id) in enumerate(parts)
                        if (kind == "scenario" and item_id not in progress.finished_scenarios)
                        or (kind == "quiz" and not progress.quiz_passed)), len(parts) - 1)
    _summary(module, expanded=False)
    kind, item_id = parts[current]
    if kind == "scenario":
        scenario_part(module, item_id, next_part=current + 1 if current + 1 < len(parts) else None)
    else:
        quiz_part(module)


@_callback
def _save_reflection(module_id: str) -> None:
    text = st.session_state.get(f"reflection-{module_id}", "")
    shared = bool(st.session_state.get(f"reflection-shared-{module_id}"))
    if _save(lambda: talk.save_reflection(svc.db, user.id, module_id, text, shared), ("reflection", module_id),
             "reflection"):
        st.session_state["flash"] = ("success", t("talk_reflection_saved"))


def _reflection_form(module_id: str) -> None:
    """What the learner takes with them, in their own words; shared with the manager only if they tick the box."""
    saved = talk.reflection(svc.db, user.id, module_id)
    with st.form(f"reflection-form-{module_id}", border=True):
        st.text_area(t("talk_reflection_question"), value=saved.text if saved else "",
                     max_chars=talk.REFLECTION_MAX_CHARS, key=f"reflection-{module_id}")
        st.checkbox(t("talk_reflection_share"), value=bool(saved and saved.shared),
                    key=f"reflection-shared-{module_id}")
        st.form_submit_button(t("talk_reflection_save"), on_click=_save_reflection, args=(module_id,))


def _playable(attempt: AttemptRecord | None) -> bool:
    """An attempt on older content cannot be replayed on the new one; the learner starts afresh."""
    return attempt is not None and attempt.content_version == course.module_version(attempt.module_id)


# --- a scenario --------------------------------------------------------------------------------------------

@_callback
def _answer_choice(attempt_id: int, step_no: int, widget_key: str) -> None:
    index = st.session_state.get(widget_key)
    if index is None:
        st.session_state["flash"] = ("warning", t("scenario_pick_first"))
        return
    _save(lambda: svc.attempts.record_choice(attempt_id, step_no, index), ("step", attempt_id, step_no))


def _summary(module: Module, expanded: bool) -> None:
    with st.expander(t("summary_heading"), expanded=expanded, icon=":material/print:"):
        for point in module.key_points:
            st.markdown(f"- {point.text}  \n  :gray[{sources_text(point.cite)}]")
        labels = {"report_heading": t("summary_report"), "guidelines_heading": t("summary_guidelines"),
                  "footer": t("summary_footer", version=course.module_version(module.id))}
        st.download_button(t("summary_download"), summary_html(course, module, labels),
                           file_name=f"sammanfattning-{module.id}.html", mime="text/html", key="summary-download",
                           icon=":material/download:")


def scenario_part(module: Module, scenario_id: str, next_part: int | None) -> None:
    scenario = course.scenarios[scenario_id]
    st.header(scenario.title)
    attempt = svc.attempts.latest_attempt(user.id, scenario_id)
    if not _playable(attempt):
        if scenario.summary:
            st.write(scenario.summary)
        st.button(t("scenario_start"), type="primary", key=f"start-{scenario_id}", on_click=_start,
                  args=(module.id, "scenario", scenario_id))
        return
    steps = svc.attempts.steps(attempt.id)
    state = play.replay_scenario(scenario, [step.response for step in steps])
    if steps:
        with st.expander(t("scenario_path"), expanded=False):
            for node_id, choice_index in state.taken[:-1]:
                node = scenario.nodes[node_id]
                st.markdown(node.text)
                st.markdown(f"➜ *{node.choices[choice_index].text}*")
                st.divider()
        node_id, choice_index = state.taken[-1]
        choice = scenario.nodes[node_id].choices[choice_index]
        with st.container(border=True):
            st.markdown(t("scenario_your_choice", choice=choice.text))
            st.markdown(f"**{t('scenario_feedback')}:** {choice.feedback}")
            st.caption(f"{t('scenario_sources')}: {sources_text(choice.cite)}")
    node = play.current_node(scenario, state)
    st.markdown(node.text)
    if node.is_ending:
        ENDING_STYLE[node.ending](t(f"scenario_ending_{node.ending}"))
        left, right = st.columns(2)
        if next_part is not None:
            left.button(t("scenario_next_part"), type="primary", key="next-part", on_click=_open_module,
                        args=(module.id, next_part))
        right.button(t("scenario_again"), key="again", on_click=_start, args=(module.id, "scenario", scenario_id))
        return
    widget_key = f"choice-{attempt.id}-{state.step_no}"
    with st.form(f"form-{attempt.id}-{state.step_no}"):
        st.radio(t("scenario_choose"), range(len(node.choices)), index=None, key=widget_key,
                 format_func=lambda i: node.choices[i].text)
        st.form_submit_button(t("scenario_answer"), type="primary", on_click=_answer_choice,
                              args=(attempt.id, state.step_no, widget_key))


# --- the quiz ----------------------------------------------------------------------------------------------

@_callback
def _answer_question(attempt_id: int, step_no: int, question_id: str, order: tuple[int, ...], multiple: bool,
                     widget_key: str, levels: dict[str, int]) -> None:
    if multiple:
        shown = [j for j in range(len(order)) if st.session_state.get(f"{widget_key}-{j}")]
    else:
        picked = st.session_state.get(widget_key)
        shown = [] if picked is None else [picked]
    if not shown:
        st.session_state["flash"] = ("warning", t("quiz_pick_first"))
        return
    confidence = levels.get(st.session_state.get(f"{widget_key}-confidence")) if levels else None
    if levels and confidence is None:
        st.session_state["flash"] = ("warning", t("quiz_confidence_first"))
        return
    selected = [order[j] for j in shown]  # back from display order to the content's option indexes
    _save(lambda: svc.attempts.record_answer(attempt_id, step_no, question_id, selected, confidence),
          ("step", attempt_id, step_no))


def _explain(question, selected: set[int]) -> None:
    for index, option in enumerate(question.options):
        marks = []
        if option.correct:
            marks.append(t("quiz_correct_option"))
        if index in selected:
            marks.append(t("quiz_your_option"))
        icon = ":green[:material/check:]" if option.correct else (":red[:material/close:]" if index in selected
                                                                 else ":gray[:material/remove:]")
        suffix = f" *({', '.join(marks)})*" if marks else ""
        st.markdown(f"{icon} **{option.text}**{suffix}  \n{option.explanation}")
    st.caption(f"{t('scenario_sources')}: {sources_text(question.cite)}")


def _confidence_note(step) -> None:
    if step.confidence is None:
        return
    mark = play.cbm_mark(bool(step.correct), step.confidence)
    st.caption(t("quiz_confidence_mark", level=t(f"confidence_{step.confidence}").lower(), mark=f"{mark:+d}"))
    if play.is_misconception(step.correct, step.confidence):
        st.warning(t("quiz_misconception"), icon=":material/lightbulb:")


def _confidence_summary(steps) -> None:
    rated = [s for s in steps if s.confidence is not None]
    if not rated:
        return
    total = sum(play.cbm_mark(bool(s.correct), s.confidence) for s in rated)
    st.metric(t("quiz_cbm_total"), f"{total:+d}", help=t("quiz_cbm_help", best=3 * len(rated)))
    misconceptions = [s for s in rated if play.is_misconception(s.correct, s.confidence)]
    if misconceptions:
        st.warning(t("quiz_misconceptions", count=len(misconceptions)), icon=":material/lightbulb:")


def _quiz_review(attempt: AttemptRecord) -> None:
    questions = course.questions
    for number, step in enumerate(svc.attempts.steps(attempt.id), 1):
        question = questions.get(step.item)
        if question is None:
            continue
        st.markdown(f"**{number}. {question.text}** {':green[:material/check:]' if step.correct else ':red[:material/close:]'}")
        _confidence_note(step)
        _explain(question, set(step.response))
        st.divider()


def quiz_part(module: Module) -> None:
    bank = course.banks[module.quiz]
    st.header(bank.title)
    attempt = svc.attempts.latest_attempt(user.id, bank.id)
    if not _playable(attempt):
        st.write(t("quiz_intro", count=bank.draw, pass_mark=module.pass_mark))
        st.button(t("quiz_start"), type="primary", key="quiz-start", on_click=_start,
                  args=(module.id, "quiz", bank.id))
        return
    steps = _quiz_runner(attempt, bank.confidence)
    if steps is None:
        return
    correct = sum(1 for step in steps if step.correct)
    values = dict(correct=correct, total=len(steps), score=_percent(attempt.score_percent), pass_mark=module.pass_mark)
    if attempt.outcome == "godkand":
        st.success(t("quiz_result_passed", **values))
    else:
        st.error(t("quiz_result_failed", **values))
    _confidence_summary(steps)
    st.button(t("quiz_retry"), key="quiz-retry", on_click=_start, args=(module.id, "quiz", bank.id),
              type="primary" if attempt.outcome != "godkand" else "secondary")
    with st.expander(t("quiz_review"), expanded=attempt.outcome != "godkand"):
        _quiz_review(attempt)


def _quiz_runner(attempt: AttemptRecord, asks_confidence: bool):
    """Draws the attempt's current question (with the feedback on the previous one). Returns the steps once the
    attempt is finished, else None."""
    drawn = svc.attempts.draw_of(attempt)
    questions = course.questions
    steps = svc.attempts.steps(attempt.id)
    if attempt.finished_at is not None:
        return steps
    if steps:
        previous = steps[-1]
        with st.container(border=True):
            st.markdown(f"**{t('quiz_previous')}:** {questions[previous.item].text}")
            (st.success if previous.correct else st.error)(t("quiz_right") if previous.correct else t("quiz_wrong"))
            _confidence_note(previous)
            _explain(questions[previous.item], set(previous.response))
    step_no = len(steps)
    current = drawn[step_no]
    question = questions[current.question_id]
    st.progress(step_no / len(drawn), text=t("quiz_question", number=step_no + 1, total=len(drawn)))
    st.markdown(f"#### {question.text}")
    multiple = question.type == "multiple"
    widget_key = f"q-{attempt.id}-{step_no}"
    with st.form(f"quiz-form-{attempt.id}-{step_no}"):
        if multiple:
            st.caption(t("quiz_multiple_hint"))
            for j, option_index in enumerate(current.option_order):
                st.checkbox(question.options[option_index].text, key=f"{widget_key}-{j}")
        else:
            st.radio(t("quiz_single_hint"), range(len(current.option_order)), index=None, key=widget_key,
                     format_func=lambda j: question.options[current.option_order[j]].text)
        # the labels themselves are the options (sure first), mapped back to a level when the answer is saved
        levels = {t(f"confidence_{level}"): level for level in play.CONFIDENCE_LEVELS[::-1]} if asks_confidence else {}
        if asks_confidence:
            st.radio(t("quiz_confidence"), list(levels), index=None, horizontal=True, key=f"{widget_key}-confidence")
        st.form_submit_button(t("quiz_answer"), type="primary", on_click=_answer_question,
                              args=(attempt.id, step_no, question.id, current.option_order, multiple, widget_key,
                                    levels))
    return None


# --- the refresher's diagnostic and the spaced booster -------------------------------------------------------

def _open_topic_quiz(kind: str | None, track_id: str | None = None) -> None:
    _go(repetition=kind, spar=track_id if kind else None)


@_callback
def _start_topic_quiz(kind: str, track_id: str, scope: tuple[str, ...]) -> None:
    _open_topic_quiz(kind, track_id)
    _save(lambda: svc.attempts.start_topic_quiz(user.id, kind, track_id, scope))


def _refresher_scope(track, progress: dict[str, ModuleProgress]) -> tuple[str, ...]:
    """Modules of the track that are due again after an earlier completion: what the diagnostic may pass."""
    return tuple(m for m in track.modules
                 if progress[m].last_completed_at is not None and not _done_for_now(progress[m]))


def _refresher_box(track, progress: dict[str, ModuleProgress]) -> None:
    scope = _refresher_scope(track, progress) if track.recurrence_months else ()
    if not scope:  # only recurring tracks have refresher rounds
        return
    latest = svc.attempts.latest_topic_quiz(user.id, "diagnostic", track.id)
    round_start = max(progress[m].last_completed_at for m in scope)
    with st.container(border=True):
        st.markdown(f"**{t('refresher_heading')}**")
        if latest is not None and latest.started_at > round_start and latest.finished_at is not None:
            st.caption(t("refresher_done"))
            return
        st.write(t("refresher_intro", modules=", ".join(course.modules[m].title for m in scope)))
        resuming = latest is not None and latest.started_at > round_start
        st.button(t("refresher_continue") if resuming else t("refresher_start"), type="primary",
                  key=f"refresher-{track.id}", on_click=_start_topic_quiz, args=("diagnostic", track.id, scope))


def _booster_box(track, progress: dict[str, ModuleProgress]) -> None:
    if not all(progress[m].status in DONE_STATUSES for m in track.modules):
        return
    track_done = max(progress[m].last_completed_at for m in track.modules)
    opens, due = rules.booster_window(track_done.date(), course.follow_up)
    latest = svc.attempts.latest_topic_quiz(user.id, "booster", track.id)
    done = latest is not None and latest.finished_at is not None and latest.started_at > track_done
    if today() < opens or done:
        return
    with st.container(border=True):
        st.markdown(f"**{t('booster_heading')}**")
        st.write(t("booster_intro", count=rules.BOOSTER_QUESTIONS, due=due.isoformat()))
        st.button(t("booster_start"), key=f"booster-{track.id}", on_click=_start_topic_quiz,
                  args=("booster", track.id, tuple(track.modules)))


def topic_quiz_page(kind: str, track_id: str) -> None:
    st.button(t("module_back"), on_click=_open_topic_quiz, args=(None,), key="back")
    track = course.tracks[track_id]
    st.title(t(f"{kind}_title", track=track.title))
    attempt = svc.attempts.latest_topic_quiz(user.id, kind, track_id)
    if attempt is None:
        st.info(t("topic_quiz_missing"))
        return
    steps = _quiz_runner(attempt, asks_confidence=True)
    if steps is None:
        return
    st.success(t("topic_quiz_result", correct=sum(1 for s in steps if s.correct), total=len(steps)))
    _confidence_summary(steps)
    if kind == "diagnostic":
        progress = {m: _progress(course.modules[m]) for m in attempt.scope}
        waived = [course.modules[m].title for m in attempt.scope if progress[m].via_diagnosis]
        remaining = [course.modules[m].title for m in attempt.scope if not progress[m].via_diagnosis]
        if waived:
            st.success(t("diagnostic_waived", modules=", ".join(waived)), icon=":material/task_alt:")
        if remaining:
            st.info(t("diagnostic_remaining", modules=", ".join(remaining)))
    with st.expander(t("quiz_review")):
        _quiz_review(attempt)


# --- page ---------------------------------------------------------------------------------------------------

_show_messages()
due_rules = {a.module_id: a.due_rules for a in rules.assignments(course, user.roles)}
open_id = st.query_params.get("modul")
topic_quiz, track_param = st.query_params.get("repetition"), st.query_params.get("spar")
if topic_quiz in ("diagnostic", "booster") and track_param in {track.id for track in course.tracks_for(user.roles)}:
    topic_quiz_page(topic_quiz, track_param)
elif open_id in course.modules and course.base_of(open_id) in due_rules:
    module_page(_in_my_language(open_id))
else:
    overview()
st.session_state.pop(pending_view.NOTE_DRAWN, None)  # the page drew in full: app.py's outage page did not run
