"""`python -m bench group`: a workplace meeting's group session (issue 14) with N phones voting at once.

For each database (SQLite, and optionally a fresh database on the local PostgreSQL, made and dropped by the run):
seed a store, start the app on it in demo mode, and start a group session through the store
(`progress.group_sessions.start`, as the demo manager "demo-chef" for the unit "sbf", the first scenario of the
module "grunder"). Then N phones, each a distinct employed person, open `/gruppovning?kod=<code>&as=<id>` over
Streamlit's real websocket protocol and behave as a browser tab does:

- the first run joins by the code in the address and draws the fragment with the vote;
- the fragment's `auto_rerun` message starts a timer: every `interval` seconds (2 s) the tab sends a fragment
  rerun (`is_auto_rerun`) with its widget values, whether or not a run is under way, as the frontend's
  `setInterval` does. A reader task per tab takes every run the server sends, so a click can go out while a poll
  is still running, as in a browser;
- choosing a radio option sends a fragment rerun (a widget change); pressing "Rösta" sends the click.

Measured:

1. Polling: with the N phones idle on the vote (each polling every 2 s) for `idle_seconds`, the fragment runs
   finished per second, their latency, and the server's CPU (utime+stime from /proc) in cores and per rerun.
2. Round 1: every phone picks a choice (a fragment rerun each, a little apart, as people do), then all press
   "Rösta" at the same moment. Each phone's latency is from its click to the first run that shows "Din röst är
   räknad". Round 2: the facilitator reveals, follows a choice to the next choice point; the phones' polls bring
   them the new vote; everyone votes again, each click sent twice back to back (a double click).
3. The store, after each round: `group_sessions.view(...).votes` == the acknowledged votes == N before the reveal;
   after `group_sessions.reveal` the tally sums to N, and per choice it is what the phones picked. `check()` reads
   the counts and the revealed tallies again from the tables (tests/test_group_load.py alters one and sees the
   check fail).

Nobody may see an exception element, an error text (bench.learner.problems_on, and the group page's own refusals:
not joined, unknown code, vote closed, pick a choice first; "already voted" only after a double click), a run
that failed, or a traceback in the server's log.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench import servers
from bench.learner import problems_on
from bench.measure import percentile_ms, settled_cpu_seconds
from bench.servers import BenchError, Resources, StreamlitServer
from bench.streamlit_client import Page, RunResult, Session, Widget
from i18n import translate
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

APP = servers.PROJECT_ROOT / "app.py"
PAGE = "gruppovning"  # app.py LEARNER_PAGES: the participants' page
FACILITATOR = "demo-chef"  # progress/seed.py: manages "sbf"
UNIT = "sbf"
MODULE = "grunder"  # a Swedish module; its first scenario is played
EMPLOYEES = 120
FIRST_RUN_TIMEOUT_S = 120.0
VOTE_TIMEOUT_S = 60.0
OPEN_CONCURRENCY = 10  # tabs connecting and drawing their first page at once
SECOND_CLICK_WAIT_S = 5.0  # after a double click's ack, for the run of its second click
CHOOSE_SPREAD_S = 1.0  # the phones pick their choice within this, before the click that all make at once
RADIO_PREFIX, BUTTON_PREFIX = "group-vote-", "group-vote-button-"


def _prefix(key: str) -> str:
    return translate("sv", key).split("{", 1)[0].strip()


ACK = _prefix("group_vote_counted")  # "Din röst är räknad. ..."
ALREADY_VOTED = _prefix("group_already_voted")
# The group page's own refusals: none of them may reach a phone here
GROUP_PROBLEMS = {key: _prefix(key) for key in ("group_not_joined", "group_join_unknown", "group_not_permitted",
                                                "group_vote_closed", "group_pick_choice")}


def group_problems_on(page: Page, double_click: bool = False) -> list[str]:
    """What a phone must not show: bench.learner's errors and exceptions, the group page's refusals, and "already
    voted" unless the click was sent twice (then it is the app's word for the second one)."""
    texts = page.texts()
    found = problems_on(page)
    found += [key for key, fragment in GROUP_PROBLEMS.items() if any(fragment in text for text in texts)]
    if not double_click and any(ALREADY_VOTED in text for text in texts):
        found.append("group_already_voted")
    return found


# --- a phone ------------------------------------------------------------------------------------------------

class PhoneSession(Session):
    """A tab on a named page (`page_name` on the first run, as the frontend sends the URL's path), whose reruns
    can be a fragment's (a widget change inside it, or the fragment's timer)."""

    def __init__(self, url: str, query: dict[str, str], page_name: str) -> None:
        super().__init__(url, query)
        self.page_name = page_name

    def message(self, click: Widget | None = None, fragment_id: str = "", auto: bool = False) -> bytes:
        msg = BackMsg()
        msg.ParseFromString(self._rerun_msg(click))
        if not self.page_script_hash:
            msg.rerun_script.page_name = self.page_name
        if fragment_id:
            msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.is_auto_rerun = auto
        return msg.SerializeToString()


class _Tap:
    """The tab's websocket, noting the `auto_rerun` messages (the fragment's timer) on the way in."""

    def __init__(self, ws, phone: "Phone") -> None:
        self.ws = ws
        self.phone = phone

    async def recv(self):
        data = await self.ws.recv()
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "auto_rerun":
            self.phone.timer(fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self.phone.stop_timer()
        return data

    async def send(self, message) -> None:
        await self.ws.send(message)

    async def close(self) -> None:
        await self.ws.close()


@dataclass
class Vote:
    person: str
    step_no: int
    position: int  # the place of the choice picked, as shown (A = 0)
    choice_index: int  # that choice's index in the node
    double_click: bool
    latency_s: float | None = None  # click to the first run showing "Din röst är räknad"; None: never acknowledged
    runs_before: int = 0  # the phone's runs before the click
    told_already_voted: bool = False  # a run after the click said "Du har redan röstat" (the second of a double click)
    problems: list[str] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        return self.latency_s is not None and not self.problems


class Phone:
    """A participant's phone: a reader task takes every run the server sends; a timer sends the fragment's polls;
    the driver (the bench) chooses and clicks."""

    def __init__(self, url: str, person: str, code: str) -> None:
        self.person = person
        self.session = PhoneSession(url, {"kod": code, "as": person}, PAGE)
        self.runs: list[tuple[float, RunResult]] = []  # (finished at, the run), in order
        self.problems: list[str] = []  # every run's problems, with what the phone was doing
        self.failure = ""  # the connection broke or the reader failed
        self.doing = "open"
        self.double_click = False
        self.polls_sent = 0
        self.sends: list[float] = []  # when each message went out (perf_counter), in order
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task | None = None
        self._timer: asyncio.Task | None = None
        self._timer_fragment = ""

    async def open(self) -> None:
        await self.session.open()
        self.session.ws = _Tap(self.session.ws, self)  # type: ignore[assignment]
        self._reader = asyncio.create_task(self._read())

    async def send(self, message: bytes) -> None:
        self.sends.append(time.perf_counter())
        await self.session.ws.send(message)

    async def close(self) -> None:
        self.stop_timer()
        if self._reader is not None:
            self._reader.cancel()
        await self.session.close()

    # --- the server's side ---

    async def _read(self) -> None:
        try:
            while True:
                result = await self.session._read_run(time.perf_counter())
                if not result.finished:
                    self.problems.append(f"{self.doing}: run {result.status}")
                for problem in group_problems_on(result.page, self.double_click):
                    self.problems.append(f"{self.doing}: {problem}")
                async with self._changed:
                    self.runs.append((time.perf_counter(), result))
                    self._changed.notify_all()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a closed connection: counted; whoever waits is told
            self.failure = f"{type(error).__name__}: {error}"[:300]
            async with self._changed:
                self._changed.notify_all()

    async def until(self, predicate, after: int, timeout: float) -> tuple[float, RunResult]:
        """The first run after the first `after` runs whose page fits `predicate`."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for finished_at, result in self.runs[after:]:
                    if predicate(result.page):
                        return finished_at, result
                if self.failure:
                    raise BenchError(f"{self.person}: {self.failure}")
                after = len(self.runs)
                await self._changed.wait()

    # --- the tab's own timer (the fragment's run_every) ---

    def timer(self, fragment_id: str, interval: float) -> None:
        if self._timer is not None and self._timer_fragment == fragment_id:
            return  # as the frontend: the same fragment's timer is kept
        self.stop_timer()
        self._timer_fragment = fragment_id
        self._timer = asyncio.create_task(self._poll(fragment_id, interval))

    def stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _poll(self, fragment_id: str, interval: float) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + interval
        while True:  # a fixed period (setInterval), whether or not a run is under way
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += interval
            try:
                await self.send(self.session.message(fragment_id=fragment_id, auto=True))
            except Exception:
                return  # the reader reports the broken connection
            self.polls_sent += 1

    # --- the person ---

    async def first(self) -> None:
        after = len(self.runs)
        await self.send(self.session.message())
        await self.until(lambda page: True, after, FIRST_RUN_TIMEOUT_S)

    async def vote_shown(self, step_no: int | None, timeout: float) -> Widget:
        """Wait (bounded) until the page shows the vote, at `step_no` if given; the radio."""
        def shown(page: Page) -> bool:
            radio = _radio(page)
            return (radio is not None and bool(page.with_key_prefix(BUTTON_PREFIX, "button"))
                    and (step_no is None or radio.key.endswith(f"-{step_no}")))

        if not shown(self.session.page):
            await self.until(shown, len(self.runs), timeout)
        radio = _radio(self.session.page)
        assert radio is not None
        return radio

    async def choose(self, position: int) -> Widget:
        """Pick the option shown at `position`: a widget change inside the fragment reruns it."""
        radio = _radio(self.session.page)
        if radio is None:
            raise BenchError(f"{self.person}: no vote on the page")
        self.doing = "choose"
        self.session.set_value(radio, radio.options[position])
        after = len(self.runs)
        await self.send(self.session.message(fragment_id=radio.fragment_id))
        await self.until(lambda page: True, after, VOTE_TIMEOUT_S)
        return radio

    async def click_vote(self, vote: Vote) -> None:
        """Press "Rösta" (twice back to back for a double click); the latency to the acknowledgement."""
        button = next(iter(self.session.page.with_key_prefix(BUTTON_PREFIX, "button")), None)
        if button is None:
            vote.problems.append("no button")
            return
        self.doing, self.double_click = f"vote at step {vote.step_no}", vote.double_click
        before = len(self.problems)
        after = vote.runs_before = len(self.runs)
        message = self.session.message(button)
        started = time.perf_counter()
        await self.send(message)
        if vote.double_click:
            await self.send(message)
        try:
            finished_at, _ = await self.until(lambda page: page.has_text(ACK), after, VOTE_TIMEOUT_S)
            vote.latency_s = finished_at - started
            if vote.double_click:  # the second click's run may come after the ack: wait for it, briefly
                with contextlib.suppress(TimeoutError):
                    await self.until(lambda page: page.has_text(ALREADY_VOTED), after, SECOND_CLICK_WAIT_S)
        except TimeoutError:
            vote.problems.append("no acknowledgement")
        except BenchError as error:
            vote.problems.append(str(error))
        vote.problems += self.problems[before:]
        self.doing = "idle"


def _radio(page: Page) -> Widget | None:
    return next((w for w in page.with_key_prefix(RADIO_PREFIX, "radio")), None)


# --- results ------------------------------------------------------------------------------------------------

@dataclass
class Round:
    step_no: int
    double_click: bool
    votes: list[Vote] = field(default_factory=list)
    seconds: float = 0.0  # the clicks to the last acknowledgement (a double click: to its second run)
    server_cpu_s: float = 0.0  # over the round, to the server going idle
    store_votes: int = -1  # group_sessions.view(...).votes before the reveal
    participants: int = -1
    tally: tuple[int, ...] = ()  # after group_sessions.reveal
    mismatches: list[str] = field(default_factory=list)

    @property
    def acked(self) -> int:
        return sum(v.acked for v in self.votes)

    @property
    def told_already_voted(self) -> int:
        return sum(v.told_already_voted for v in self.votes)

    @property
    def latencies(self) -> list[float]:
        return [v.latency_s for v in self.votes if v.latency_s is not None]

    def expected_tally(self) -> Counter:
        return Counter(v.choice_index for v in self.votes if v.acked)

    def summary(self) -> dict:
        return {"step_no": self.step_no, "double_click": self.double_click, "votes_sent": len(self.votes),
                "acked": self.acked, "told_already_voted": self.told_already_voted, "store_votes": self.store_votes,
                "tally": list(self.tally),
                "tally_sum": sum(self.tally), "latency_p50_ms": round(percentile_ms(self.latencies, 0.5), 1),
                "latency_p95_ms": round(percentile_ms(self.latencies, 0.95), 1),
                "latency_max_ms": round(1000 * max(self.latencies), 1) if self.latencies else None,
                "seconds": round(self.seconds, 2), "server_cpu_s": round(self.server_cpu_s, 2),
                "mismatches": self.mismatches}


@dataclass
class Polling:
    phones: int
    seconds: float
    reruns: int
    latencies: list[float]
    server_cpu_s: float
    client_cpu_s: float
    polls_sent: int

    def summary(self) -> dict:
        return {"phones": self.phones, "seconds": round(self.seconds, 2), "polls_sent": self.polls_sent,
                "reruns": self.reruns, "reruns_per_s": round(self.reruns / self.seconds, 2),
                "expected_per_s": round(self.phones / 2, 2),
                "latency_p50_ms": round(percentile_ms(self.latencies, 0.5), 1),
                "latency_p95_ms": round(percentile_ms(self.latencies, 0.95), 1),
                "server_cpu_cores": round(self.server_cpu_s / self.seconds, 3),
                "server_cpu_ms_per_rerun": round(1000 * self.server_cpu_s / self.reruns, 1) if self.reruns else None,
                "client_cpu_cores": round(self.client_cpu_s / self.seconds, 3)}


@dataclass
class GroupResult:
    database: str
    phones: int
    session_id: int = 0
    code: str = ""
    rounds: list[Round] = field(default_factory=list)
    polling: Polling | None = None
    problems: list[str] = field(default_factory=list)  # what a phone showed, at any time, with who
    failures: list[str] = field(default_factory=list)  # broken connections, timeouts
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    database_url: str = ""  # for check() again (the SQLite store is left in the caller's workdir)

    @property
    def ok(self) -> bool:
        return (len(self.rounds) == 2 and all(r.acked == self.phones == r.store_votes == sum(r.tally)
                                              and not r.mismatches for r in self.rounds)
                and not self.problems and not self.failures and not self.server_errors)

    def summary(self) -> dict:
        return {"database": self.database, "phones": self.phones, "seconds": round(self.seconds, 1),
                "rounds": [r.summary() for r in self.rounds],
                "polling": self.polling.summary() if self.polling else None,
                "problems": len(self.problems), "failures": len(self.failures),
                "server_tracebacks": len(self.server_errors), "ok": self.ok,
                "examples": {name: getattr(self, name)[:5] for name in ("problems", "failures", "server_errors")
                             if getattr(self, name)}}

    def print(self) -> None:
        print(f"\n{self.database}: {self.phones} phones in group session {self.session_id} (code {self.code}),"
              f" {self.seconds:.0f} s in all")
        print(f"  {'round':<26} {'acked':>5} {'store':>5} {'tally':>5} {'p50':>8} {'p95':>8} {'max':>8}"
              f" {'all in':>7} {'srv CPU':>7}")
        for r in self.rounds:
            s = r.summary()
            name = f"step {r.step_no}, {'double click' if r.double_click else 'one click'}"
            print(f"  {name:<26} {r.acked:>5} {r.store_votes:>5} {sum(r.tally):>5} {s['latency_p50_ms']:>6.0f}ms"
                  f" {s['latency_p95_ms']:>6.0f}ms {s['latency_max_ms'] or float('nan'):>6.0f}ms"
                  f" {r.seconds:>6.2f}s {r.server_cpu_s:>6.2f}s")
            if r.double_click:
                print(f"    told \"already voted\" (the second click): {r.told_already_voted} of {len(r.votes)}")
            for mismatch in r.mismatches:
                print(f"    mismatch: {mismatch}")
        if self.polling is not None:
            p = self.polling.summary()
            print(f"  polling, {p['phones']} phones idle for {p['seconds']} s: {p['reruns_per_s']} reruns/s"
                  f" (expected {p['expected_per_s']}), p50 {p['latency_p50_ms']:.0f} ms, p95"
                  f" {p['latency_p95_ms']:.0f} ms; server CPU {p['server_cpu_cores']} cores,"
                  f" {p['server_cpu_ms_per_rerun']} ms/rerun; bench client {p['client_cpu_cores']} cores")
        print(f"  problems on the phones: {len(self.problems)}; failures: {len(self.failures)};"
              f" tracebacks in the server's log: {len(self.server_errors)}")
        for name in ("problems", "failures", "server_errors"):
            for example in getattr(self, name)[:5]:
                print(f"    {name}: {example}")
        print(f"  {'OK' if self.ok else 'FAILED'}")


# --- the store ----------------------------------------------------------------------------------------------

def check(database_url: str, session_id: int, rounds: list[Round]) -> list[str]:
    """The tables against the phones' acknowledgements, for every round: the counts at its step sum to the votes
    acknowledged, per choice they are what the phones picked, and the revealed tally is those counts."""
    import json

    from sqlalchemy import create_engine, select

    from progress.models import GroupSessionEvent, GroupVoteCount

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            counts = connection.execute(select(GroupVoteCount.step_no, GroupVoteCount.choice_index,
                                               GroupVoteCount.count)
                                        .where(GroupVoteCount.session_id == session_id)).all()
            revealed = connection.execute(select(GroupSessionEvent.step_no, GroupSessionEvent.tally).where(
                GroupSessionEvent.session_id == session_id, GroupSessionEvent.kind == "revealed")).all()
    finally:
        engine.dispose()
    found = []
    for r in rounds:
        stored = {index: n for step, index, n in counts if step == r.step_no}
        expected = r.expected_tally()
        if sum(stored.values()) != r.acked:
            found.append(f"step {r.step_no}: {sum(stored.values())} votes stored, {r.acked} acknowledged")
        wrong = {i: (stored.get(i, 0), expected.get(i, 0)) for i in set(stored) | set(expected)
                 if stored.get(i, 0) != expected.get(i, 0)}
        if wrong:
            found.append(f"step {r.step_no}: per choice (stored, picked) {dict(sorted(wrong.items()))}")
        tallies = [json.loads(t) for step, t in revealed if step == r.step_no and t]
        if len(tallies) != 1:
            found.append(f"step {r.step_no}: {len(tallies)} revealed tallies")
        elif tallies[0] != [stored.get(i, 0) for i in range(len(tallies[0]))]:
            found.append(f"step {r.step_no}: revealed {tallies[0]}, counts {dict(sorted(stored.items()))}")
    return found


def _store(database_url: str):
    from course.content.loader import default_content_root, load_course
    from progress.db import Database, make_engine

    return Database(make_engine(database_url)), load_course(default_content_root()).course


def _next_choice_point(scenario, node_id: str) -> int:
    """The index of a choice at `node_id` that leads to another choice point (round 2 votes there)."""
    node = scenario.nodes[node_id]
    for index, choice in enumerate(node.choices):
        if not scenario.nodes[choice.next].is_ending:
            return index
    raise BenchError(f"no choice at {node_id} of {scenario.id} leads to another choice point")


# --- the run ------------------------------------------------------------------------------------------------

async def _run_phones(url: str, people: list[str], code: str, db, course, session_id: int, idle_seconds: float,
                      seed: int, server_pid: int, result: GroupResult) -> None:
    from progress import group_sessions
    from progress.attempts import utcnow

    phones = [Phone(url, person, code) for person in people]
    rng = random.Random(seed)
    limit = asyncio.Semaphore(OPEN_CONCURRENCY)
    loop = asyncio.get_running_loop()

    def screen():
        return group_sessions.view(db, course, FACILITATOR, session_id, date.today())

    async def open_one(phone: Phone) -> None:
        async with limit:
            await phone.open()
            await phone.first()
        await phone.vote_shown(None, VOTE_TIMEOUT_S)

    async def one_round(step_no: int, double_click: bool) -> Round:
        r = Round(step_no, double_click)
        await asyncio.gather(*(phone.vote_shown(step_no, VOTE_TIMEOUT_S) for phone in phones))
        order = (await asyncio.to_thread(screen)).choice_order

        async def choose(phone: Phone) -> Vote:
            await asyncio.sleep(rng.uniform(0, CHOOSE_SPREAD_S))
            position = rng.randrange(len(order))
            await phone.choose(position)
            return Vote(phone.person, step_no, position, order[position], double_click)

        votes = await asyncio.gather(*(choose(phone) for phone in phones))
        await asyncio.sleep(0.2)
        cpu_before, started = servers.cpu_seconds(server_pid), loop.time()
        # everyone at once: one event loop sends the 30 clicks within a few milliseconds
        await asyncio.gather(*(phone.click_vote(vote) for phone, vote in zip(phones, votes)))
        r.seconds = loop.time() - started  # with a double click, to the last second click's run (bounded)
        r.server_cpu_s = await settled_cpu_seconds(server_pid, max_wait=1.5) - cpu_before
        r.votes = list(votes)
        for phone, vote in zip(phones, votes):
            vote.told_already_voted = any(run.page.has_text(ALREADY_VOTED) for _, run in phone.runs[vote.runs_before:])
        before = await asyncio.to_thread(screen)
        r.store_votes, r.participants = before.votes, before.participants
        if not (r.store_votes == r.acked == len(phones)):
            r.mismatches.append(f"step {step_no}: the screen counts {r.store_votes} votes, {r.acked} of"
                                f" {len(phones)} acknowledged")
        if r.participants != len(phones):
            r.mismatches.append(f"{r.participants} participants joined, {len(phones)} phones")
        after = await asyncio.to_thread(group_sessions.reveal, db, course, FACILITATOR, session_id, step_no,
                                        utcnow())
        r.tally = tuple(after.tally or ())
        expected = r.expected_tally()
        if list(r.tally) != [expected.get(i, 0) for i in range(len(r.tally))]:
            r.mismatches.append(f"step {step_no}: revealed {list(r.tally)}, the phones picked"
                                f" {dict(sorted(expected.items()))}")
        return r

    try:
        await asyncio.gather(*(open_one(phone) for phone in phones))
        # the polling cost: every phone on the vote, its timer running; one period first, not measured
        await asyncio.sleep(2.5)
        runs_before = [len(phone.runs) for phone in phones]
        polls_before = sum(phone.polls_sent for phone in phones)
        cpu_before, client_before, started = servers.cpu_seconds(server_pid), time.process_time(), loop.time()
        await asyncio.sleep(idle_seconds)
        window = loop.time() - started
        cpu = servers.cpu_seconds(server_pid) - cpu_before
        client = time.process_time() - client_before
        polled = [(at, run) for phone, n in zip(phones, runs_before) for at, run in phone.runs[n:]]
        result.polling = Polling(len(phones), window, len(polled), _poll_latencies(phones, runs_before), cpu,
                                 client, sum(phone.polls_sent for phone in phones) - polls_before)

        first = await one_round((await asyncio.to_thread(screen)).step_no, double_click=False)
        result.rounds.append(first)
        scenario = course.scenarios[screen().scenario_id]
        followed = await asyncio.to_thread(group_sessions.follow, db, course, FACILITATOR, session_id,
                                           first.step_no, _next_choice_point(scenario, screen().node_id), utcnow())
        result.rounds.append(await one_round(followed.step_no, double_click=True))
    finally:
        for phone in phones:
            result.problems += [f"{phone.person}: {problem}" for problem in phone.problems]
            if phone.failure:
                result.failures.append(f"{phone.person}: {phone.failure}")
        await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)


def _poll_latencies(phones: list[Phone], runs_before: list[int]) -> list[float]:
    """Each poll's round trip: from the latest message the phone sent before the run finished (idle, that is the
    poll; one every 2 s, each done well within that) to the run's end. `RunResult.latency_s` does not say it:
    the reader's clock starts when it begins waiting, at the previous run's end."""
    latencies = []
    for phone, n in zip(phones, runs_before):
        for finished_at, _ in phone.runs[n:]:
            i = bisect.bisect_left(phone.sends, finished_at)
            if i:
                latencies.append(finished_at - phone.sends[i - 1])
    return latencies


def group_check(database: str = "sqlite", phones: int = 30, idle_seconds: float = 10.0, seed: int = 1,
                workdir: Path | None = None, keep: bool = False) -> GroupResult:
    """One run on `database` ('sqlite' or 'postgresql'): its own store and app server, stopped at the end (a
    PostgreSQL database is dropped; a SQLite store in `workdir` is left there for the caller)."""
    from progress import group_sessions
    from progress.attempts import utcnow

    resources = Resources()
    work = workdir or Path(tempfile.mkdtemp(prefix=f"gransfall-group-{database}-"))
    keep = keep or workdir is not None
    result = GroupResult(database, phones)
    began = time.monotonic()
    db = None
    try:
        url = resources.store_url(database, work, "group")
        result.database_url = url
        print(f"[{database}] seeding {EMPLOYEES} employees ...", flush=True)
        servers.seed(url, max(EMPLOYEES, phones + 40))
        people = servers.learners(url, phones)
        app = resources.server(StreamlitServer(f"app-{database}", APP, servers.app_env(url), work))
        db, course = _store(url)
        scenario_id = course.modules[MODULE].scenarios[0]
        screen = group_sessions.start(db, course, FACILITATOR, UNIT, scenario_id, "sv", utcnow())
        result.session_id, result.code = screen.id, screen.code
        app.wait_ready()
        print(f"[{database}] app on http://{servers.HOST}:{app.port} (pid {app.pid}); group session {screen.id}"
              f" of {scenario_id}, code {screen.printed_code}; {phones} phones ...", flush=True)
        asyncio.run(asyncio.wait_for(
            _run_phones(app.ws_url, people, screen.code, db, course, screen.id, idle_seconds, seed, app.pid, result),
            timeout=FIRST_RUN_TIMEOUT_S * (1 + phones / OPEN_CONCURRENCY) + idle_seconds + 6 * VOTE_TIMEOUT_S))
        app.stop()
        result.server_errors = app.tracebacks()
        for r in result.rounds:
            r.mismatches += check(url, result.session_id, [r])
        result.seconds = time.monotonic() - began
        return result
    finally:
        if db is not None:
            db.engine.dispose()
        resources.close()
        if result.ok and not keep:
            for path in sorted(work.glob("*"), reverse=True):
                path.unlink(missing_ok=True)
            work.rmdir()
        elif workdir is None:
            print(f"[{database}] server log and store kept in {work}", file=sys.stderr)
