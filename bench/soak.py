"""`python -m bench soak`: many learners answering at once; nothing lost, nothing twice, nobody sees an error.

For each database (SQLite, and a fresh database on the local PostgreSQL, created and dropped by the run): seed
a store, start the app on it in demo mode, and let N distinct learners (`bench.learner`, each with `?as=<id>`)
play modules as fast as the server lets them for S seconds over the real websocket protocol. The generator
keeps its own log of every answer: which learner, which attempt and step (from the widget key), which options,
and whether it was acknowledged (the rerun finished without an exception element or an error on the page).
Then, with the server stopped, the log is checked against the database:

- every acknowledged answer is stored exactly once, for that learner, at that attempt and step, with the
  options and the confidence the learner picked (`lost`, `duplicated`, `wrong` otherwise);
- no answer is stored that the generator did not send (`unexpected`);
- no session was sent an exception element or an error page, and no rerun failed or timed out.

`--double-send 0.2` sends a fifth of the answers twice back to back, as a double click does.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import servers
from bench.learner import Answer, Learner, correct_option_texts
from bench.measure import percentile_ms
from bench.servers import Resources, StreamlitServer
from bench.streamlit_client import Session

APP = servers.PROJECT_ROOT / "app.py"
FIRST_RUN_TIMEOUT_S = 120.0
RERUN_TIMEOUT_S = 60.0
OPEN_CONCURRENCY = 20
MAX_STEPS_PER_LEARNER = 100_000  # a bound on every loop; time ends a soak long before


@dataclass
class SoakResult:
    database: str
    learners: int
    seconds: float
    reruns: int = 0
    answers_sent: int = 0
    answers_acked: int = 0
    answers_sent_twice: int = 0
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # exceptions and error pages, with the learner
    failures: list[str] = field(default_factory=list)  # reruns that timed out or broke the connection
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    not_moved_on: int = 0  # acknowledged, but the next page still asked that step
    server_errors: list[str] = field(default_factory=list)  # the last line of each traceback in the server's log
    unacked_stored: int = 0
    unacked_missing: int = 0
    # what the check needs, to run it again (tests/test_load.py tampers with the store and checks once more)
    database_url: str = ""
    answers: list[Answer] = field(default_factory=list, repr=False)
    people: list[str] = field(default_factory=list, repr=False)
    since: datetime | None = None

    @property
    def ok(self) -> bool:
        return (self.answers_acked > 0 and not self.problems and not self.failures and not self.lost
                and not self.duplicated and not self.wrong and not self.unexpected and not self.server_errors)

    def latency_ms(self, q: float) -> float:
        return percentile_ms(self.latencies, q)

    def summary(self) -> dict:
        return {"database": self.database, "learners": self.learners, "seconds": round(self.seconds, 1),
                "reruns": self.reruns, "reruns_per_s": round(self.reruns / self.seconds, 2) if self.seconds else 0,
                "latency_p50_ms": round(self.latency_ms(0.5), 1), "latency_p95_ms": round(self.latency_ms(0.95), 1),
                "answers_sent": self.answers_sent, "answers_acked": self.answers_acked,
                "answers_sent_twice": self.answers_sent_twice, "unacked_stored": self.unacked_stored,
                "unacked_missing": self.unacked_missing, "acked_not_moved_on": self.not_moved_on,
                "exceptions_or_error_pages": len(self.problems), "failed_reruns": len(self.failures),
                "lost": len(self.lost), "duplicated": len(self.duplicated), "wrong": len(self.wrong),
                "unexpected": len(self.unexpected), "server_tracebacks": len(self.server_errors), "ok": self.ok,
                "examples": {name: getattr(self, name)[:5] for name in
                             ("problems", "failures", "lost", "duplicated", "wrong", "unexpected", "server_errors")
                             if getattr(self, name)}}

    def print(self) -> None:
        s = self.summary()
        print(f"\n{self.database}: {self.learners} learners for {s['seconds']} s: {self.reruns} reruns"
              f" ({s['reruns_per_s']}/s, p50 {s['latency_p50_ms']:.0f} ms, p95 {s['latency_p95_ms']:.0f} ms)")
        print(f"  answers sent {self.answers_sent} (twice: {self.answers_sent_twice}), acknowledged"
              f" {self.answers_acked}; not acknowledged but stored {self.unacked_stored}, not stored"
              f" {self.unacked_missing}")
        print(f"  acknowledged answers lost {len(self.lost)}, stored twice {len(self.duplicated)}, stored otherwise"
              f" {len(self.wrong)}; stored but never sent {len(self.unexpected)}")
        print(f"  sessions sent an exception or an error page: {len(self.problems)}; failed reruns:"
              f" {len(self.failures)}; acknowledged but the page still asked the step: {self.not_moved_on};"
              f" tracebacks in the server's log: {len(self.server_errors)}")
        for name, examples in s["examples"].items():
            for example in examples:
                print(f"    {name}: {example}")
        print(f"  {'OK' if self.ok else 'FAILED'}")


# --- the load ---------------------------------------------------------------------------------------------------

async def drive(url: str, people: list[str], seconds: float, seed: int = 1, double_send_rate: float = 0.0,
                correct: dict[str, tuple[str, ...]] | None = None,
                ) -> tuple[list[Learner], list[float], list[str], float]:
    """`people` play over `url` for `seconds`; returns the learners (with their logs), every rerun's latency,
    the reruns that failed, and how long the playing took (from the last first page to the last rerun)."""
    correct = correct if correct is not None else correct_option_texts()
    learners = [Learner(Session(url, {"as": p}), p, random.Random(f"{seed}-{p}"), correct_texts=correct,
                        double_send_rate=double_send_rate) for p in people]
    latencies: list[float] = []
    failures: list[str] = []
    limit = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def open_one(learner: Learner) -> None:
        async with limit:
            await learner.session.open()
            await learner.first_run(FIRST_RUN_TIMEOUT_S)

    loop = asyncio.get_running_loop()
    played = 0.0
    try:
        await asyncio.gather(*(open_one(learner) for learner in learners))
        started = loop.time()
        stop_at = started + seconds

        async def play(learner: Learner) -> None:
            for _ in range(MAX_STEPS_PER_LEARNER):
                if loop.time() >= stop_at:
                    return
                try:
                    step = await learner.step(RERUN_TIMEOUT_S)
                except Exception as error:  # a timeout or a closed connection: counted, this learner stops
                    failures.append(f"{learner.person_id}: {type(error).__name__}: {error}"[:300])
                    return
                if step.answer is None or not step.answer.sent_twice:  # a double send waits for quiet
                    latencies.append(step.result.latency_s)

        async with asyncio.timeout(seconds + RERUN_TIMEOUT_S + 30):
            await asyncio.gather(*(play(learner) for learner in learners))
        played = loop.time() - started
    finally:
        await asyncio.gather(*(learner.session.close() for learner in learners))
    return learners, latencies, failures, played


# --- the check -------------------------------------------------------------------------------------------------

def check(database_url: str, answers: list[Answer], people: list[str], since: datetime, result: SoakResult) -> None:
    """The generator's log against the store (see the module's docstring)."""
    from sqlalchemy import create_engine, func, select

    from course.content.loader import default_content_root, load_course
    from course.questions import kind_of
    from i18n import translate
    from progress.models import Attempt, Step

    course = load_course(default_content_root()).course
    levels = {translate("sv", f"confidence_{level}"): level for level in (1, 2, 3)}
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Step.attempt_id, Step.step_no, Step.item, Step.response, Step.confidence, Attempt.person_id,
                       Attempt.kind, Attempt.item_id)
                .join(Attempt, Attempt.id == Step.attempt_id)
                .where(Attempt.person_id.in_(people), Step.answered_at >= since)).all()
            attempt_ids = sorted({a.attempt_id for a in answers}) or [-1]
            counted = connection.execute(  # every row of those attempts, whenever written
                select(Step.attempt_id, Step.step_no, func.count()).where(Step.attempt_id.in_(attempt_ids))
                .group_by(Step.attempt_id, Step.step_no)).all()
    finally:
        engine.dispose()
    counts = {(a, s): n for a, s, n in counted}
    stored = {(r.attempt_id, r.step_no): r for r in rows}
    sent = defaultdict(list)
    for answer in answers:
        sent[(answer.attempt_id, answer.step_no)].append(answer)

    def expected(answer: Answer, row) -> tuple[object, int | None]:
        if answer.kind == "scenario":  # the choice with the text shown (choices are shown in an order per attempt)
            scenario = course.scenarios.get(row.item_id)
            node = scenario.nodes.get(row.item) if scenario is not None else None
            texts = [choice.text for choice in node.choices] if node is not None else []
            return (texts.index(answer.chosen[0]) if answer.chosen[0] in texts else None), None
        question = course.questions.get(row.item)
        texts = [o.text for o in question.options] if question is not None else []
        shown = [texts.index(text) for text in answer.chosen if text in texts]
        stored = list(kind_of(question).stored(shown)) if question is not None else shown  # as its type keeps it
        return stored, levels.get(answer.confidence)

    for key, given in sent.items():
        row = stored.get(key)
        acked = [a for a in given if a.acked]
        label = f"{given[0].learner} attempt {key[0]} step {key[1]}"
        if counts.get(key, 0) > 1:
            result.duplicated.append(f"{label}: {counts[key]} rows")
        if row is None:
            if acked:
                result.lost.append(f"{label} ({given[0].kind}, {acked[0].chosen})")
            else:
                result.unacked_missing += 1
            continue
        if not acked:
            result.unacked_stored += 1
        answer = (acked or given)[-1]
        response, confidence = expected(answer, row)
        problems = []
        if row.person_id != answer.learner:
            problems.append(f"stored for {row.person_id}")
        if json.loads(row.response) != response:
            problems.append(f"response {row.response}, sent {response} ({answer.chosen})")
        if answer.kind == "quiz" and row.confidence != confidence:
            problems.append(f"confidence {row.confidence}, sent {confidence}")
        if (row.kind == "scenario") != (answer.kind == "scenario"):
            problems.append(f"a {row.kind} step, sent as {answer.kind}")
        if problems and acked:
            result.wrong.append(f"{label}: {'; '.join(problems)}")
    for key, row in stored.items():
        if key not in sent:
            result.unexpected.append(f"{row.person_id} attempt {key[0]} step {key[1]} ({row.kind}: {row.response})")


# --- one soak ---------------------------------------------------------------------------------------------------

def soak(database: str, learners: int, seconds: float, employees: int | None = None, double_send_rate: float = 0.0,
         seed: int = 1, keep: bool = False, log_path: Path | None = None, workdir: Path | None = None) -> SoakResult:
    """One soak on `database` ('sqlite' or 'postgresql'): its own store and app server, stopped at the end (a
    PostgreSQL database is dropped; a SQLite store in `workdir` is left there for the caller)."""
    resources = Resources()
    work = workdir or Path(tempfile.mkdtemp(prefix=f"gransfall-soak-{database}-"))
    keep = keep or workdir is not None
    ok = False
    try:
        url = resources.store_url(database, work, "soak")
        employees = employees or max(300, int(learners * 1.2) + 40)
        print(f"[{database}] seeding {employees} employees ...", flush=True)
        servers.seed(url, employees)
        people = servers.learners(url, learners)
        app = resources.server(StreamlitServer(f"app-{database}", APP, servers.app_env(url), work))
        app.wait_ready()
        print(f"[{database}] app on http://{servers.HOST}:{app.port} (pid {app.pid}); {learners} learners"
              f" for {seconds:g} s ...", flush=True)
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2)
        played, latencies, failures, elapsed = asyncio.run(asyncio.wait_for(
            drive(app.ws_url, people, seconds, seed, double_send_rate),
            timeout=seconds + FIRST_RUN_TIMEOUT_S * (1 + learners / OPEN_CONCURRENCY) + RERUN_TIMEOUT_S + 60))
        app.stop()  # every write is done: the check reads a quiet store
        answers = [a for learner in played for a in learner.answers]
        result = SoakResult(database, learners, elapsed, reruns=len(latencies), answers_sent=len(answers),
                            answers_acked=sum(a.acked for a in answers),
                            answers_sent_twice=sum(a.sent_twice for a in answers), latencies=latencies,
                            failures=failures, not_moved_on=sum(a.acked and not a.moved_on for a in answers),
                            database_url=url, answers=answers, people=people, since=since)
        result.problems = [f"{learner.person_id} after {action}: {problems}" for learner in played
                           for action, problems in learner.problem_runs]
        result.server_errors = app.tracebacks()
        check(url, answers, people, since, result)
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "w", encoding="utf-8") as log:
                for answer in answers:
                    log.write(json.dumps(answer.as_dict(), ensure_ascii=False) + "\n")
        ok = result.ok
        return result
    finally:
        resources.close()
        if ok and not keep:
            for path in sorted(work.glob("*"), reverse=True):
                path.unlink(missing_ok=True)
            work.rmdir()
        elif workdir is None:
            print(f"[{database}] server log and store kept in {work}", file=sys.stderr)
