"""A learner as a load generator: reads the page it was sent, finds the widgets a person would use, answers.

On "Min utbildning" it opens a module ("Fortsätt med ..." first, else "Öppna ..."); in a module it starts the scenario
or the quiz ("Starta …"), picks one of the scenario's choices (the radio keyed `choice-<attempt>-<step>`) or the
quiz's options (`q-<attempt>-<step>`: a radio, or one checkbox per option `q-<attempt>-<step>-<j>`, and the
confidence radio `q-<attempt>-<step>-confidence`) and submits the form, goes on to the next part, and when a
module is done goes back and opens another (or plays one again). Widgets are found by their user keys and, where
the key says less, by their Swedish labels from i18n/sv.yaml.

Every answer it submits is logged (`Answer`): which learner, which attempt and step (from the widget key), what
was chosen, and whether the server acknowledged it: the rerun finished (`FINISHED_SUCCESSFULLY`, or
`FINISHED_FRAGMENT_RUN_SUCCESSFULLY` for a fragment's rerun) with no exception element and no error on the page. `bench.soak` checks the log against the database.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import asdict, dataclass, field

from bench.streamlit_client import Page, RunResult, Session, Widget
from i18n import translate

CHOICE_KEY = re.compile(r"^choice-(\d+)-(\d+)$")
QUESTION_KEY = re.compile(r"^q-(\d+)-(\d+)$")
OPTION_BOX_KEY = re.compile(r"^q-(\d+)-(\d+)-(\d+)$")
STUCK_LIMIT = 3  # reruns without anything to do before the learner opens the course's address again


def _sv(key: str) -> str:
    return translate("sv", key)


def _prefix(key: str) -> str:
    """The fixed start of a text with placeholders (what a page shows before the first value)."""
    return _sv(key).split("{", 1)[0].strip()


# What a person must never see: an error of the app or of the store, or a sign that an answer was lost or not
# taken. (A quiz that is not passed and a scenario's weak ending are drawn as st.error too: those are fine.)
PROBLEMS = {key: _prefix(key) for key in (
    "store_unavailable_title", "store_unavailable", "pending_full", "not_started_title", "demo_unknown_user_plain",
    "content_closed", "content_problems_title", "stale_answer", "scenario_pick_first", "quiz_pick_first",
    "quiz_confidence_first", "answer_not_saved", "pending_waiting_answer", "pending_stale", "pending_failed",
    "auth_mode_unknown", "signin_refused_ended", "signin_refused_not_started", "signin_refused_unknown")}


def problems_on(page: Page) -> list[str]:
    """The error texts (by i18n key) and exception elements on a page."""
    texts = page.texts()
    found = [key for key, fragment in PROBLEMS.items() if fragment and any(fragment in text for text in texts)]
    return found + [f"exception: {e}" for e in page.exceptions]


@dataclass
class Answer:
    learner: str
    kind: str  # "scenario" | "quiz"
    attempt_id: int
    step_no: int
    chosen: list[str]  # the option texts picked, as shown
    shown_index: list[int]  # their places among the options shown (the check maps texts back to the content)
    confidence: str | None  # the confidence label picked, if asked
    sent_at: float
    latency_s: float = 0.0
    sent_twice: bool = False  # a double click: the same message twice, back to back
    acked: bool = False
    moved_on: bool = False  # the next page no longer asks this step (the app took the answer)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Step:
    """One rerun the learner caused."""

    action: str  # answer, start, next, open, back, retry, again, part, rerun
    result: RunResult
    answer: Answer | None = None
    problems: list[str] = field(default_factory=list)


class Learner:
    def __init__(self, session: Session, person_id: str, rng: random.Random, correct_rate: float = 0.8,
                 correct_texts: dict[str, tuple[str, ...]] | None = None, double_send_rate: float = 0.0) -> None:
        self.session = session
        self.person_id = person_id
        self.rng = rng
        self.correct_rate = correct_rate
        self.correct_texts = correct_texts or {}  # question text -> its correct option texts (to pass quizzes)
        self.double_send_rate = double_send_rate
        self.stuck = 0
        self.last_action = ""
        self.answers: list[Answer] = []
        self.problem_runs: list[tuple[str, list[str]]] = []

    async def first_run(self, timeout: float) -> Step:
        result = await self.session.run(timeout=timeout)
        return self._after("open", result, None)

    async def step(self, timeout: float) -> Step:
        page = self.session.page
        answer = self._answer_form(page)
        if answer is not None:
            submit, entry = answer
            entry.sent_twice = self.double_send_rate > 0 and self.rng.random() < self.double_send_rate
            result = await self.session.run(submit, timeout=timeout, send_twice=entry.sent_twice)
            return self._after("answer", result, entry)
        action, widget = self._navigation(page)
        if widget is None:
            self.stuck += 1
            if self.stuck >= STUCK_LIMIT:  # open the course's address again, as a person would
                self.session.query_string = f"as={self.person_id}"
                self.session.page_script_hash = ""
                self.stuck = 0
                action = "home"
        else:
            self.stuck = 0
        result = await self.session.run(widget, timeout=timeout)
        return self._after(action, result, None)

    def _after(self, action: str, result: RunResult, answer: Answer | None) -> Step:
        self.last_action = action
        problems = problems_on(result.page) if result.finished else [result.status]
        if answer is not None and answer.sent_twice:  # the app's own word for the second click is no problem
            problems = [p for p in problems if p != "stale_answer"]
        if problems:
            self.problem_runs.append((action, problems))
        if answer is not None:
            answer.latency_s = result.latency_s
            answer.problems = problems
            answer.acked = result.finished and not problems
            answer.moved_on = not any(_asks(w, answer) for w in result.page.widgets)
        return Step(action, result, answer, problems)

    # --- answering ---------------------------------------------------------------------------------------------

    def _answer_form(self, page: Page) -> tuple[Widget, Answer] | None:
        widgets = page.widgets
        for widget in widgets:
            match = CHOICE_KEY.match(widget.key)
            if match and widget.kind == "radio" and widget.options:
                submit = page.submitter(widget.form_id)
                if submit is None:
                    continue
                index = self.rng.randrange(len(widget.options))
                self.session.set_value(widget, widget.options[index])
                entry = Answer(self.person_id, "scenario", int(match[1]), int(match[2]), [widget.options[index]],
                               [index], None, time.time())
                self.answers.append(entry)
                return submit, entry
        for widget in widgets:
            match = QUESTION_KEY.match(widget.key)
            if match is None:
                continue
            if widget.kind == "multiselect" and widget.options:  # an ordering question: every step, in order
                right = [text for text in self._correct(page) if text in widget.options]
                if len(right) == len(widget.options) and self.rng.random() < self.correct_rate:
                    chosen = right
                else:
                    chosen = list(widget.options)
                    self.rng.shuffle(chosen)
                self.session.set_value(widget, chosen)
                return self._quiz_answer(page, int(match[1]), int(match[2]), chosen,
                                         [widget.options.index(text) for text in chosen], widget.form_id)
            if widget.kind != "radio" or not widget.options:
                continue
            chosen = [self._pick_one(page, widget.options)]
            self.session.set_value(widget, chosen[0])
            form_id = widget.form_id
            return self._quiz_answer(page, int(match[1]), int(match[2]), chosen, [widget.options.index(chosen[0])],
                                     form_id)
        boxes: dict[tuple[int, int], list[Widget]] = {}
        for widget in widgets:
            match = OPTION_BOX_KEY.match(widget.key)
            if match and widget.kind == "checkbox":
                boxes.setdefault((int(match[1]), int(match[2])), []).append(widget)
        for (attempt_id, step_no), options in boxes.items():
            picked = self._pick_some(page, options)
            for option in options:
                self.session.set_value(option, option in picked)
            return self._quiz_answer(page, attempt_id, step_no, [w.label for w in picked],
                                     [options.index(w) for w in picked], options[0].form_id)
        return None

    def _quiz_answer(self, page: Page, attempt_id: int, step_no: int, chosen: list[str], shown_index: list[int],
                     form_id: str):
        confidence_widget = page.widget(f"q-{attempt_id}-{step_no}-confidence")
        confidence = None
        if confidence_widget is not None and confidence_widget.options:
            confidence = self.rng.choice(confidence_widget.options)
            self.session.set_value(confidence_widget, confidence)
        submit = page.submitter(form_id)
        if submit is None:
            return None
        entry = Answer(self.person_id, "quiz", attempt_id, step_no, chosen, shown_index, confidence, time.time())
        self.answers.append(entry)
        return submit, entry

    def _correct(self, page: Page) -> tuple[str, ...]:
        for text in page.texts():
            if text.startswith("#### "):
                return self.correct_texts.get(text[5:].strip(), ())
        return ()

    def _pick_one(self, page: Page, options: tuple[str, ...]) -> str:
        right = [o for o in options if o in self._correct(page)]
        if right and self.rng.random() < self.correct_rate:
            return self.rng.choice(right)
        return self.rng.choice(options)

    def _pick_some(self, page: Page, boxes: list[Widget]) -> list[Widget]:
        right = self._correct(page)
        if right and self.rng.random() < self.correct_rate:
            return [w for w in boxes if w.label in right] or boxes[:1]
        picked = [w for w in boxes if self.rng.random() < 0.5]
        return picked or [self.rng.choice(boxes)]

    # --- moving about ------------------------------------------------------------------------------------------

    def _navigation(self, page: Page) -> tuple[str, Widget | None]:
        buttons = page.buttons()

        def find(key_test, label: str | None = None) -> Widget | None:
            return next((b for b in buttons if key_test(b.key) or (label is not None and b.label == label)), None)

        next_part = find(lambda k: k == "next-part", _sv("scenario_next_part"))
        again = find(lambda k: k == "again", _sv("scenario_again"))
        if next_part is not None and (self.last_action == "answer" or again is None or self.rng.random() < 0.5):
            return "next", next_part
        if again is not None:
            return "again", again
        start = (find(lambda k: k.startswith("start-") or k == "quiz-start", _sv("scenario_start"))
                 or find(lambda k: False, _sv("quiz_start")))
        if start is not None:
            return "start", start
        back = find(lambda k: k == "back", _sv("module_back"))
        retry = find(lambda k: k == "quiz-retry", _sv("quiz_retry"))
        if retry is not None:
            passed = any(text.startswith(_prefix("quiz_result_passed")) for text in page.alerts("success"))
            if passed and back is not None and self.rng.random() < 0.8:
                return "back", back
            return "retry", retry
        opens = [b for b in buttons if b.key.startswith("open-")]
        if opens:  # one in progress first, then one not done (a primary button), else any (to play again)
            going_on = [b for b in opens if b.label.startswith(_prefix("module_continue_named"))]
            to_do = [b for b in opens if b.type == "primary"]
            return "open", self.rng.choice(going_on or to_do or opens)
        parts = [b for b in buttons if b.key.startswith("part-")]
        if parts and (back is None or self.rng.random() < 0.8):
            return "part", self.rng.choice(parts)
        if back is not None:
            return "back", back
        return "rerun", None


def _asks(widget: Widget, answer: Answer) -> bool:
    """The page still asks the step this answer was for."""
    prefix = "choice" if answer.kind == "scenario" else "q"
    key = f"{prefix}-{answer.attempt_id}-{answer.step_no}"
    return widget.key == key or widget.key.startswith(key + "-")


def correct_option_texts() -> dict[str, tuple[str, ...]]:
    """Question text -> the texts of its right response as its type gives it (the correct options; an ordering
    question's steps in order), from the course, so that quizzes get passed and learners move on through the
    modules, as real ones do."""
    from course.content.loader import default_content_root, load_course
    from course.questions import kind_of

    course = load_course(default_content_root()).course
    return {q.text: tuple(q.options[i].text for i in kind_of(q).correct_response(q)) for q in course.questions.values()}
