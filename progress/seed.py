"""A synthetic municipality with history: the demo's data, and test data at any size.

Fixed demo people are always there (see DEMO_USERS); the rest are generated from a random seed, and their
history is made by playing the real content with the engine's own functions, so every record is one the
app could have written.
"""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Iterator

from sqlalchemy import delete, func, insert, select

from course import play, rules
from course.questions import kind_of
from course.content.loader import Course
from progress import seed_answers, states, tallies
from progress.db import Database
from progress.models import (Attempt, Attestation, AuditEvent, Certificate, Completion, DailyStatusCount, GroupBallot,
                             GroupParticipant, GroupSession, GroupSessionEvent, GroupSessionRecord, GroupVoteCount,
                             FacilitatorRight, Identity, ModuleState, Person, PersonPreference, PersonRole,
                             Reflection, SentMessage, Step, StoreMeta, TopicTally, Unit, Waiver)

# Written by the seed: demo mode runs only over a database that carries it (see is_demo_database).
DEMO_MARK = ("made_by", "demo-seed")

# Gränsby's organisation as a tree: (id, name, kind, the units under it)
ORGANISATION = [
    ("ks", "Kommunstyrelsen", "nämnd", [
        ("kansli", "Kommunledningskontoret", "förvaltning", []),
        ("sbf", "Samhällsbyggnadsförvaltningen", "förvaltning", [
            ("sbf-bygglov", "Bygglovsenheten", "enhet", []),
            ("sbf-miljo", "Miljö- och hälsoskyddsenheten", "enhet", [])]),
        ("vof", "Vård- och omsorgsförvaltningen", "förvaltning", [
            ("vof-hemtjanst-norr", "Hemtjänst Norr", "enhet", []),
            ("vof-hemtjanst-syd", "Hemtjänst Syd", "enhet", [])]),
        ("buf", "Barn- och utbildningsförvaltningen", "förvaltning", [("buf-skola", "Gränsbyskolan", "enhet", [])]),
        ("tkf", "Tekniska förvaltningen", "förvaltning", [("tkf-upphandling", "Upphandlingsenheten", "enhet", [])]),
        ("bostad", "Gränsby Bostäder AB", "bolag", [])]),
    ("bn", "Bygg- och miljönämnden", "nämnd", []),
]


def _flatten(tree: list, parent: str | None = None) -> Iterator[tuple[str, str, str, str | None]]:
    """(id, name, kind, parent) of every unit in `tree`, each before the units under it."""
    for unit_id, name, kind, under in tree:
        yield unit_id, name, kind, parent
        yield from _flatten(under, unit_id)


UNITS = list(_flatten(ORGANISATION))  # (id, name, kind, parent), parents first: the rows of the units table
# The units where generated employees work, with their job title there (the municipality's name is in
# config/organisation.yaml).
TITLES = {"sbf-bygglov": "Bygglovshandläggare", "sbf-miljo": "Miljöinspektör", "vof-hemtjanst-norr": "Undersköterska",
          "vof-hemtjanst-syd": "Vårdbiträde", "buf-skola": "Lärare", "tkf-upphandling": "Upphandlare",
          "bostad": "Fastighetsförvaltare", "kansli": "Utredare"}

# Demo people with fixed ids: (id, name, unit, title, roles, days since start, manager of)
DEMO_USERS = [
    ("demo-nyanstalld", "Nora Nyström", "sbf-bygglov", "Bygglovshandläggare", ("medarbetare",), 5, None),
    ("demo-medarbetare", "Milad Berg", "sbf-bygglov", "Bygglovsingenjör", ("medarbetare",), 900, None),
    ("demo-chef", "Cecilia Lund", "sbf", "Förvaltningschef", ("chef", "medarbetare"), 2000, "sbf"),
    ("demo-fortroendevald", "Fredrik Ek", "bn", "Ledamot, bygg- och miljönämnden", ("fortroendevald",), 700, None),
    ("demo-admin", "Anna Holm", "kansli", "Utbildningsansvarig, HR", ("admin", "medarbetare"), 1500, None),
]
DEMO_IDS = [user[0] for user in DEMO_USERS]

FIRST_NAMES = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Ahmed", "Fatima", "Per", "Elin", "Ali",
               "Emma", "Oskar", "Lina", "Hassan", "Ingrid", "Nils", "Sofia", "Jonas", "Amira", "Gustav", "Maja", "Ida"]
LAST_NAMES = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
              "Svensson", "Gustafsson", "Mohammed", "Lindberg", "Jakobsson", "Hussein", "Lindqvist", "Berglund"]


def seed(db: Database, course: Course, employees: int = 120, history_years: int = 2, random_seed: int = 7,
         today: date | None = None, show_progress: bool = False, units: list[tuple] | None = None,
         titles: dict[str, str] | None = None, keep_steps: bool = True) -> int:
    """Fill an empty database; returns the number of people. The history is written in batches of people, one
    transaction each on SQLite, and in one transaction on PostgreSQL (see _PostgresWriter).

    `units` and `titles` replace Gränsby's organisation (see `large_organisation`); `keep_steps=False` keeps only
    the answers that completed a module (their rows are referenced), for a benchmark that needs the volume of
    people, attempts and completions but never reads the steps."""
    today = today or date.today()
    units = units or UNITS
    titles = titles or TITLES
    work_units = list(titles)
    rng = random.Random(random_seed)
    people: list[dict] = []
    roles: list[dict] = []
    managers = {}
    for person_id, name, unit, title, person_roles, days, manages in DEMO_USERS:
        people.append(_person(person_id, name, unit, title, today - timedelta(days=days)))
        roles += [{"person_id": person_id, "role": role} for role in person_roles]
        if manages:
            managers[manages] = person_id
    for unit_id in (u[0] for u in units):
        if unit_id in managers or unit_id == "bn":
            continue
        manager_id = f"chef-{unit_id}"
        unit = "ks" if unit_id == "ks" else unit_id
        people.append(_person(manager_id, _name(rng), unit, "Chef", today - timedelta(days=rng.randint(400, 4000))))
        roles += [{"person_id": manager_id, "role": "chef"}, {"person_id": manager_id, "role": "medarbetare"}]
        managers[unit_id] = manager_id
    for index in range(employees):
        unit = work_units[index % len(work_units)]
        person_id = f"p{index:06d}"
        start = today - timedelta(days=rng.randint(3, 365 * (history_years + 3)))
        end = today - timedelta(days=rng.randint(1, 200)) if rng.random() < 0.03 else None
        people.append(_person(person_id, _name(rng), unit, titles[unit], start, end))
        roles.append({"person_id": person_id, "role": "medarbetare"})
    for index in range(max(7, employees // 40)):
        person_id = f"fv{index:04d}"
        people.append(_person(person_id, _name(rng), rng.choice(["bn", "ks"]), "Förtroendevald",
                              today - timedelta(days=rng.randint(100, 1500))))
        roles.append({"person_id": person_id, "role": "fortroendevald"})
    unit_rows = [{"id": u, "name": n, "kind": k, "parent_id": p, "manager_id": managers.get(u)} for u, n, k, p in units]
    _unique_emails(people)

    with db.engine.begin() as connection:
        # the module states the seed writes follow this course (states.out_of_date: no rebuild at the first start)
        connection.execute(insert(StoreMeta), [{"key": DEMO_MARK[0], "value": DEMO_MARK[1]}, states.basis_row(course)])
        connection.execute(insert(Unit), unit_rows)
        connection.execute(insert(Person), people)
        connection.execute(insert(PersonRole), roles)
    history = [p for p in people if p["id"] not in ("demo-nyanstalld", "demo-admin", "demo-chef")]
    roles_of: dict[str, list[str]] = {}
    for role in roles:
        roles_of.setdefault(role["person_id"], []).append(role["role"])
    _make_history(db, course, history, {person_id: tuple(sorted(held)) for person_id, held in roles_of.items()},
                  rng, today, history_years, show_progress, keep_steps)
    return len(people)


def large_organisation(employees: int, people_per_unit: int = 125) -> tuple[list[tuple], dict[str, str]]:
    """A municipality of any size: 8 förvaltningar with avdelningar of 4 enheter each, about `people_per_unit`
    people per enhet (so an avdelning has about 500). Demo units are kept, so the demo people still fit."""
    units = list(UNITS)
    titles: dict[str, str] = dict(TITLES)
    enheter = max(1, employees // people_per_unit - len(TITLES))
    for index in range(enheter):
        forvaltning, avdelning = f"f{index % 8}", f"f{index % 8}-a{index // 32}"
        if not any(u[0] == forvaltning for u in units):
            units.append((forvaltning, f"Förvaltning {index % 8 + 1}", "förvaltning", "ks"))
        if not any(u[0] == avdelning for u in units[-40:]):
            units.append((avdelning, f"Avdelning {index // 32 + 1}, förvaltning {index % 8 + 1}", "avdelning",
                          forvaltning))
        unit_id = f"{avdelning}-e{index}"
        units.append((unit_id, f"Enhet {index + 1}", "enhet", avdelning))
        titles[unit_id] = "Handläggare"
    return units, titles


def _person(person_id, name, unit, title, start, end=None) -> dict:
    email = name.lower().replace(" ", ".").translate(str.maketrans("åäöé", "aaoe")) + "@gransby.example"
    return {"id": person_id, "name": name, "email": email, "unit_id": unit, "title": title, "start_date": start,
            "end_date": end}


def _unique_emails(people: list[dict]) -> None:
    """Two people never share an address (sign-in matches by it): a second Oskar Johansson gets oskar.johansson2@."""
    seen: dict[str, int] = {}
    for person in people:
        local, domain = person["email"].split("@")
        count = seen[local] = seen.get(local, 0) + 1
        if count > 1:
            person["email"] = f"{local}{count}@{domain}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


# --- history ----------------------------------------------------------------------------------------------------
#
# A person's history is rounds of their modules (_plan), each played item by item with the engine: a scenario's
# choices (play.apply_choice), a quiz's draw (play.draw_quiz) and its scoring (each question's type, play.passes).
# Quiz answers follow an item response model (progress.seed_answers): a person's ability against each question's
# difficulty, so the item statistics look like a real organisation's.
# What the engine answers depends only on the content, so it is asked once per node, question and draw (_Plays)
# and reused; what is left per person is a few random numbers per step.
#
# The rows are written in bulk, one transaction per batch of people. Each attempt goes to the database as one
# row with its "play": which step (a template: item, response, correct, confidence) at how many seconds after
# the start, and the database turns plays into attempt and step rows itself (json_each on SQLite, unnest on
# PostgreSQL), so no Python object is made per step. The rollups (module states, topic tallies) are counted from
# the same plays in memory; tests hold them equal to a recount from the records.

SECONDS_BITS = 20  # a step of a play: template id << SECONDS_BITS | seconds since the attempt started
SECONDS_MASK = (1 << SECONDS_BITS) - 1
BATCH_PEOPLE = 500
DRAWS_PER_BANK = 512  # quiz draws made once per bank; a play takes one of them, and its seed gives it again
WALKS_PER_SCENARIO = 128  # walks through each scenario, made once; an attempt takes one
PLAYS_PER_LEVEL = 64  # quiz plays per bank and ability level (seed_answers.LEVELS), made once; an attempt takes one
EPOCH = datetime(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()


class _Plays:
    """What the engine answers for this course, asked once and kept: per scenario, walks from the start (a
    random choice at each node, at a random pace); per bank and ability level, quiz plays (one of the bank's
    draws, each question answered right with the chance seed_answers gives that level on that question, else
    with one of its wrong answers); per pass mark, length of a quiz and points earned (the answers' credit), the
    score. A play's steps are templates (item, response, correct, confidence) at seconds since the attempt
    started, and `encode` writes them as the database expands them."""

    def __init__(self, course: Course, rng: random.Random, encode):
        self.encode = encode
        self.templates: list[tuple[str, str, bool | None, int | None]] = []
        self._ids: dict[tuple, int] = {}
        self._scores: dict[tuple[int, int, Fraction], tuple[float, bool]] = {}
        self.walks = {}
        for scenario_id, scenario in course.scenarios.items():
            start, nodes = self._nodes(scenario)
            self.walks[scenario_id] = [self._walk(start, nodes, rng) for _ in range(WALKS_PER_SCENARIO)]
        self.quizzes = {}
        for bank_id, bank in course.banks.items():
            draws = self._bank(bank, rng)
            items = seed_answers.items_for([question.id for question in bank.questions])
            self.quizzes[bank_id] = []
            for level in range(seed_answers.LEVELS):
                chances = {question_id: seed_answers.chance_at_level(item, level)
                           for question_id, item in items.items()}
                self.quizzes[bank_id].append([self._quiz(draws, chances, rng) for _ in range(PLAYS_PER_LEVEL)])

    def _template(self, item: str, response, correct: bool | None, confidence: int | None) -> int:
        key = (item, json.dumps(response), correct, confidence)
        if key not in self._ids:
            self._ids[key] = len(self.templates)
            self.templates.append(key)
        return self._ids[key]

    def _nodes(self, scenario):
        """(start node, {node: (is an ending, the ending, ((template, next node) per choice))})."""
        start = play.start_state(scenario).node_id
        nodes: dict[str, tuple[bool, str | None, tuple[tuple[int, str], ...]]] = {}
        todo = [start]
        while todo:
            node_id = todo.pop()
            if node_id in nodes:
                continue
            state = play.ScenarioState(node_id, ())
            node = play.current_node(scenario, state)
            moves = []
            if not node.is_ending:
                for index in range(len(node.choices)):
                    _, after = play.apply_choice(scenario, state, index)
                    moves.append((self._template(node_id, index, None, None), after.node_id))
                    todo.append(after.node_id)
            nodes[node_id] = (node.is_ending, play.ending_of(scenario, state), tuple(moves))
        return start, nodes

    def _walk(self, start, nodes, rng: random.Random):
        """(codes, encoded, seconds, ending) of one walk to an ending."""
        is_ending, ending, moves = nodes[start]
        codes: list[int] = []
        seconds = 0
        while not is_ending:
            template, next_node = moves[rng.randrange(len(moves))]
            seconds += rng.randint(15, 90)
            codes.append(template << SECONDS_BITS | seconds)
            is_ending, ending, moves = nodes[next_node]
        return tuple(codes), self.encode(codes), seconds, ending

    def _bank(self, bank, rng: random.Random):
        """[(seed, questions drawn)]; a question is (id, topic, (templates per confidence level, right, credit) of
        its right answer, the same for each wrong one its type offers)."""
        levels = play.CONFIDENCE_LEVELS if bank.confidence else (None,)
        questions = {}
        for question in bank.questions:
            kind = kind_of(question)
            made = []
            for answer in kind.sample_responses(question):  # the right one first, as its type scores them
                right, credit = kind.is_correct(question, answer), kind.credit(question, answer)
                made.append((tuple(self._template(question.id, list(answer), right, level) for level in levels),
                             right, credit))
            questions[question.id] = (question.id, question.topic, made[0], tuple(made[1:]))
        draws = []
        for _ in range(DRAWS_PER_BANK):
            seed = rng.randrange(2**31)
            draws.append((seed, tuple(questions[drawn.question_id] for drawn in play.draw_quiz(bank, seed))))
        return draws

    def _quiz(self, draws, chances: dict[str, float], rng: random.Random):
        """(codes, encoded, seconds, points, seed, ((question, topic, right, seconds) per answer), the
        questions)."""
        seed, questions = rng.choice(draws)
        codes, answers = [], []
        seconds = 0
        points = Fraction(0)
        for question_id, topic, right_answer, options in questions:
            templates, correct, credit = right_answer if rng.random() < chances[question_id] else rng.choice(options)
            seconds += rng.randint(15, 90)
            codes.append(rng.choice(templates) << SECONDS_BITS | seconds)
            answers.append((question_id, topic, correct, seconds))
            points += credit
        asked = frozenset(question[0] for question in questions)
        return tuple(codes), self.encode(codes), seconds, points, seed, tuple(answers), asked

    def scores(self, pass_mark: int, total: int, points: Fraction) -> tuple[float, bool]:
        """(percent, passed) of a finished quiz of `total` questions whose answers earned `points`."""
        key = (pass_mark, total, points)
        if key not in self._scores:
            self._scores[key] = (play.score_percent(points, total), play.passes(points, total, pass_mark))
        return self._scores[key]


class _History:
    """Plays people's rounds and keeps the rows to write: plays (attempts with their steps), completions and
    module states per batch, topic tallies for the whole seed."""

    def __init__(self, course: Course, plays: _Plays, rng: random.Random, today: date, history_years: int,
                 keep_steps: bool, attempt_id: int, step_id: int):
        self.course, self.plays, self.rng, self.today, self.years = course, plays, rng, today, history_years
        self.keep_steps = keep_steps
        self.attempt_id, self.step_id = attempt_id, step_id
        self.rows: list[tuple] = []  # see _Writer.PLAY_COLUMNS
        self.completions: list[tuple] = []
        self.states: list[tuple] = []
        self.tallies: dict[tuple, list[int]] = {}  # (unit, roles, topic, month) -> [answered, right]
        self._assignments: dict[tuple[str, ...], list] = {}
        self._ability = 0.0  # of the person being played (person)
        self._months: dict[int, date] = {}

    def person(self, person: dict, roles: tuple[str, ...]) -> None:
        if roles not in self._assignments:
            assigned = rules.assignments(self.course, roles)
            recurring_first = sorted(assigned, key=lambda a: a.due_rules.recurrence_months is None)
            self._assignments[roles] = [
                (self.course.modules[a.module_id], self.course.module_version(a.module_id),
                 self.course.base_of(a.module_id), recurring_first.index(a)) for a in assigned]
        numbers: dict[str, int] = {}  # attempts so far per scenario or bank
        self._ability = seed_answers.person_ability(self.rng)  # theirs in every module's quiz
        seen: set[str] = set()  # questions answered before: only a first answer is counted in the tallies
        where = (person["unit_id"], roles)
        for module, version, base, rank in self._assignments[roles]:
            plan = (_demo_plan(person, self.today, self.years, rank) if person["id"] == "demo-medarbetare"
                    else _plan(self.rng, person, self.today, self.years))
            started = completed = None
            for when, finish in plan:
                clock = (when - EPOCH) // timedelta(seconds=1)
                started, done = self._round(person["id"], module, version, base, clock, finish, numbers, seen, where)
                completed = done or completed
            if started is not None:
                self.states.append((person["id"], base, _stamp(completed[0]) if completed else None,
                                    completed[1] if completed else None, None, _stamp(started)))

    def _round(self, person_id, module, version, base, clock, finish, numbers, seen, where):
        """Play one round from `clock`; returns when its last attempt started, and (when, score) if it finished."""
        items = [("scenario", s) for s in module.scenarios] + [("quiz", module.quiz)]
        if not finish:
            items = items[: self.rng.randint(1, len(items))]
        random_ = self.rng.random
        round_started, last_started, score = clock, clock, None
        for position, (kind, item_id) in enumerate(items):
            open_attempt = not finish and position == len(items) - 1
            while True:
                attempt_no = numbers[item_id] = numbers.get(item_id, 0) + 1
                if kind == "scenario":
                    codes, encoded, seconds, outcome = self._scenario(item_id, open_attempt)
                    seed, score = int(random_() * 2**31), None
                else:
                    codes, encoded, seconds, outcome, score, seed = self._quiz(item_id, module.pass_mark, attempt_no,
                                                                               open_attempt, clock, seen, where)
                first_step, first_no = self.step_id, 0
                self.step_id += len(codes)
                if not self.keep_steps:  # only the answer that completes the round
                    completes = finish and kind == "quiz" and outcome == rules.PASSED
                    first_step, first_no = self.step_id - 1, len(codes) - 1
                    encoded = self.plays.encode(codes[-1:]) if completes else None
                self.rows.append((self.attempt_id, person_id, module.id, kind, item_id, attempt_no, version, seed,
                                  clock, None if open_attempt else clock + seconds, outcome, score, first_step,
                                  first_no, encoded))
                self.attempt_id += 1
                last_started = clock
                clock += seconds
                if open_attempt or kind == "scenario" or outcome == rules.PASSED:
                    break
        if not finish:
            return last_started, None
        self.completions.append((person_id, base, version, _stamp(round_started), _stamp(clock), score,
                                 self.step_id - 1))
        return last_started, (clock, score)

    def _open(self, codes: tuple[int, ...], chance: float) -> int:
        """How many steps an open attempt has: it stops before each step after the first with `chance`, and
        before its last step at the latest (an attempt with every step answered is finished)."""
        random_ = self.rng.random
        return next((count for count in range(1, len(codes)) if random_() < chance), max(0, len(codes) - 1))

    def _scenario(self, scenario_id: str, open_attempt: bool):
        walks = self.plays.walks[scenario_id]
        codes, encoded, seconds, ending = walks[int(self.rng.random() * len(walks))]
        if not open_attempt:
            return codes, encoded, seconds, ending
        codes = codes[:self._open(codes, 0.4)]
        return codes, self.plays.encode(codes) if codes else None, codes[-1] & SECONDS_MASK if codes else 0, None

    def _quiz(self, bank_id, pass_mark, attempt_no, open_attempt, clock, seen, where):
        """(codes, encoded, seconds, outcome, score, seed) of a quiz played at the person's ability, which grows
        with each retry (seed_answers.attempt_level); counts the person's first answers."""
        random_ = self.rng.random
        plays = self.plays.quizzes[bank_id][seed_answers.attempt_level(self._ability, attempt_no, self.rng)]
        codes, encoded, seconds, points, seed, answers, asked = plays[int(random_() * len(plays))]
        if open_attempt:
            count = self._open(codes, 0.3)
            codes, answers = codes[:count], answers[:count]
            encoded, seconds = (self.plays.encode(codes), codes[-1] & SECONDS_MASK) if codes else (None, 0)
        elif asked <= seen:  # no first answer among them
            answers = ()
        for question_id, topic, correct, at in answers:
            if question_id not in seen:
                seen.add(question_id)
                day = (clock + at) // 86400
                month = self._months.get(day) or self._months.setdefault(
                    day, date.fromordinal(EPOCH_ORDINAL + day).replace(day=1))
                counts = self.tallies.setdefault((*where, topic, month), [0, 0])
                counts[0] += 1
                counts[1] += correct
        if open_attempt:
            return codes, encoded, seconds, None, None, seed
        percent, passed = self.plays.scores(pass_mark, len(codes), points)
        return codes, encoded, seconds, rules.PASSED if passed else rules.FAILED, percent, seed

    def tally_rows(self) -> list[tuple]:
        """(unit, role, topic, month, answered, right): every person under EVERYONE and under each role."""
        rows: dict[tuple, list[int]] = {}
        for (unit_id, roles, topic, month), (answered, right) in self.tallies.items():
            for role in (tallies.EVERYONE, *roles):
                counts = rows.setdefault((unit_id, role, topic, month), [0, 0])
                counts[0] += answered
                counts[1] += right
        return [(*key, answered, right) for key, (answered, right) in rows.items()]

    def take(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        taken = self.rows, self.completions, self.states
        self.rows, self.completions, self.states = [], [], []
        return taken


def _plan(rng, person, today, history_years) -> list[tuple[datetime, bool]]:
    """The rounds a person has played: (when, finished?). Yearly rounds since the start, most completed."""
    start = max(person["start_date"], today - timedelta(days=365 * history_years))
    rounds = []
    random_ = rng.random  # a + int(random_() * n) is rng.randint(a, a + n - 1), in a tenth of the time
    day = start + timedelta(days=2 + int(random_() * 39))
    while day < today:
        finish = random_() < 0.8
        rounds.append((datetime.combine(day, time(8)) + timedelta(minutes=int(random_() * 481)), finish))
        if not finish:
            break
        day = rules.add_months(day, 12) + timedelta(days=-20 + int(random_() * 81))
    if rounds and rng.random() < 0.1:
        rounds.pop()  # some people simply have not done the latest round
    return rounds


def _demo_plan(person, today, history_years, rank: int) -> list[tuple[datetime, bool]]:
    """demo-medarbetare's rounds: every yearly round done on time, the latest 20 days ago and 11 days earlier
    for each module by `rank` (modules that recur first), whatever the date, so that the demo (and the tests)
    always show him with every module done and none due yet."""
    start = max(person["start_date"], today - timedelta(days=365 * history_years))
    rounds = []
    day = today - timedelta(days=20 + 11 * rank)
    while day > start:
        rounds.append((datetime.combine(day, time(9, 15)), True))
        day = rules.add_months(day, -12)
    return rounds[::-1]


def _stamp(seconds: int) -> str:
    """A moment as SQLAlchemy stores a DateTime in SQLite (and PostgreSQL reads it)."""
    return (EPOCH + timedelta(seconds=seconds)).isoformat(" ", "microseconds")


def _make_history(db: Database, course: Course, people: list[dict], roles_of: dict[str, tuple[str, ...]],
                  rng: random.Random, today: date, history_years: int, show_progress: bool,
                  keep_steps: bool = True) -> None:
    writer = (_PostgresWriter if db.dialect == "postgresql" else _SqliteWriter)(db)
    plays = _Plays(course, rng, writer.encode)
    try:
        attempt_id, step_id = writer.next_ids()
        history = _History(course, plays, rng, today, history_years, keep_steps, attempt_id, step_id)
        writer.templates(plays.templates)
        with ThreadPoolExecutor(1, thread_name_prefix="seed-writer") as database:
            expanding = None
            for start in range(0, len(people), BATCH_PEOPLE):
                batch = people[start:start + BATCH_PEOPLE]
                for person in batch:
                    history.person(person, roles_of.get(person["id"], ()))
                if expanding is not None:
                    expanding.result()
                    if show_progress:
                        _progress_bar(start, len(people))
                writer.load(*history.take())
                # The database makes this batch's attempt and step rows (one statement each, which lets go of the
                # GIL) while this thread plays the next batch; binding rows (load) holds the GIL, so it never
                # runs beside the playing.
                expanding = database.submit(writer.expand)
            if expanding is not None:
                expanding.result()
        if show_progress:
            _progress_bar(len(people), len(people))
        writer.finish(history.tally_rows())
    finally:
        writer.close()
    if show_progress:
        print(file=sys.stderr)


class _Writer:
    # A row of seed_plays: the attempt's columns (times in seconds since 1970), then its steps: the first
    # step's id and number and the play (None when none of its steps is kept).
    PLAY_COLUMNS = ("id", "person_id", "module_id", "kind", "item_id", "attempt_no", "content_version", "seed",
                    "started", "finished", "outcome", "score", "first_step", "first_no", "play")
    ATTEMPT_COLUMNS = "id, person_id, module_id, kind, item_id, attempt_no, content_version, seed, " \
                      "started_at, finished_at, outcome, score_percent"
    STEP_COLUMNS = "id, attempt_id, step_no, item, response, correct, confidence, idempotency_key, answered_at"
    COMPLETION_COLUMNS = "person_id, module_id, content_version, started_at, completed_at, score_percent, " \
                         "trigger_step_id"
    STATE_COLUMNS = "person_id, module_id, last_completed_at, last_score, last_waived_at, last_started_at"
    TALLY_COLUMNS = "unit_id, role, topic, month, answered, correct"

    # Each database's SQL in the statements that make a batch's attempts and steps from seed_plays: MOMENT, a moment
    # ({}: seconds since 1970) as its DateTime columns hold one; PLAY_STEPS, the steps of a play `p` as rows `j`;
    # STEP_POSITION, a step's place in its play (from 0); STEP_CODE, its code (template id << SECONDS_BITS | seconds).
    MOMENT: str
    PLAY_STEPS: str
    STEP_POSITION: str
    STEP_CODE: str

    def next_ids(self) -> tuple[int, int]:
        """The first free attempt and step ids (the seed writes its own ids, in bulk)."""
        return tuple(self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]
                     for table in ("attempts", "steps"))

    def _expand_statements(self) -> tuple[str, str]:
        """INSERT ... SELECT of the attempts and of the steps in seed_plays, in id order."""
        moment, position, code = self.MOMENT, self.STEP_POSITION, self.STEP_CODE
        attempts = (f"INSERT INTO attempts ({self.ATTEMPT_COLUMNS}) SELECT id, person_id, module_id, kind, item_id, "
                    f"attempt_no, content_version, seed, {moment.format('started')}, {moment.format('finished')}, "
                    f"outcome, score FROM seed_plays ORDER BY id")
        steps = (f"INSERT INTO steps ({self.STEP_COLUMNS}) SELECT p.first_step + {position}, p.id, "
                 f"p.first_no + {position}, t.item, t.response, t.correct, t.confidence, "
                 f"'a' || p.id || '-s' || (p.first_no + {position}), "
                 f"{moment.format(f'p.started + ({code} & {SECONDS_MASK})')} "
                 f"FROM seed_plays p CROSS JOIN {self.PLAY_STEPS} CROSS JOIN seed_templates t "  # in this order
                 f"WHERE p.play IS NOT NULL AND t.id = ({code} >> {SECONDS_BITS})")
        return attempts, steps


class _SqliteWriter(_Writer):
    """One connection of the engine, for the seed: no foreign-key checks (every row refers to one written before
    it), no sync per commit, a large page cache; set back when done."""

    MOMENT = "strftime('%Y-%m-%d %H:%M:%S', {}, 'unixepoch') || '.000000'"
    PLAY_STEPS, STEP_POSITION, STEP_CODE = "json_each(p.play) j", "j.key", "j.value"

    def __init__(self, db: Database):
        self.raw = db.engine.raw_connection()
        self.cursor = self.raw.cursor()
        for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
            self.cursor.execute(f"PRAGMA {pragma}")
        self.cursor.execute("CREATE TEMP TABLE seed_templates (id INTEGER PRIMARY KEY, item TEXT, response TEXT, "
                            "correct INTEGER, confidence INTEGER)")
        self.cursor.execute("CREATE TEMP TABLE seed_plays (id INTEGER PRIMARY KEY, person_id TEXT, module_id TEXT, "
                            "kind TEXT, item_id TEXT, attempt_no INTEGER, content_version TEXT, seed INTEGER, "
                            "started INTEGER, finished INTEGER, outcome TEXT, score REAL, first_step INTEGER, "
                            "first_no INTEGER, play TEXT)")

    @staticmethod
    def encode(codes) -> str:
        return f"[{','.join(map(str, codes))}]"  # a JSON array, for json_each

    def templates(self, rows) -> None:
        self.cursor.executemany("INSERT INTO seed_templates VALUES (?, ?, ?, ?, ?)",
                                [(index, *row) for index, row in enumerate(rows)])

    def load(self, plays, completions, state_rows) -> None:
        self.cursor.execute("BEGIN")
        self.cursor.executemany(f"INSERT INTO seed_plays VALUES ({', '.join('?' * len(self.PLAY_COLUMNS))})", plays)
        self.cursor.executemany(f"INSERT INTO completions ({self.COMPLETION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                completions)
        self.cursor.executemany(f"INSERT INTO module_states ({self.STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                                state_rows)

    def expand(self) -> None:
        for statement in self._expand_statements():
            self.cursor.execute(statement)
        self.cursor.execute("DELETE FROM seed_plays")
        self.cursor.execute("COMMIT")

    def finish(self, tally_rows) -> None:
        self.cursor.execute("BEGIN")
        self.cursor.execute("DELETE FROM daily_status_counts")  # counted again from these records on the next view
        self.cursor.executemany(f"INSERT INTO topic_tallies ({self.TALLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                                [(*row[:3], row[3].isoformat(), *row[4:]) for row in tally_rows])
        self.cursor.execute("COMMIT")

    def close(self) -> None:
        if self.raw.driver_connection.in_transaction:
            self.cursor.execute("ROLLBACK")
        self.cursor.execute("DROP TABLE IF EXISTS temp.seed_plays")
        self.cursor.execute("DROP TABLE IF EXISTS temp.seed_templates")
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL", "cache_size=-2000", "temp_store=DEFAULT"):
            self.cursor.execute(f"PRAGMA {pragma}")  # as progress.db sets them (the cache is SQLite's default)
        self.cursor.close()
        self.raw.close()


class _PostgresWriter(_Writer):
    """COPY into the tables and into temporary ones, on one connection of the engine, in one transaction.

    Checking each step's foreign key and adding it to three indexes as it comes takes most of the time, so the
    transaction first drops the foreign keys, unique constraints and indexes of the tables it fills (all but the
    primary keys), and makes them again from their own definitions (pg_get_constraintdef, pg_get_indexdef) at
    the end, which checks every row at once. DDL is transactional: if anything fails, the rollback gives the
    schema back as it was."""

    TABLES = ("attempts", "steps", "completions", "module_states", "topic_tallies")
    MOMENT = "timestamp '1970-01-01' + ({}) * interval '1 second'"
    PLAY_STEPS, STEP_POSITION, STEP_CODE = "LATERAL unnest(p.play) WITH ORDINALITY AS j(code, n)", "j.n - 1", "j.code"

    def __init__(self, db: Database):
        self.raw = db.engine.raw_connection()
        self.connection = self.raw.driver_connection
        self.cursor = self.connection.cursor()
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # for making the indexes again
        self.cursor.execute("CREATE TEMP TABLE seed_templates (id integer PRIMARY KEY, item text, response text, "
                            "correct boolean, confidence integer) ON COMMIT DROP")
        self.cursor.execute("CREATE TEMP TABLE seed_plays (id bigint, person_id text, module_id text, kind text, "
                            "item_id text, attempt_no integer, content_version text, seed bigint, started bigint, "
                            "finished bigint, outcome text, score double precision, first_step bigint, "
                            "first_no integer, play bigint[]) ON COMMIT DROP")
        self._restore = self._loosen()

    def _loosen(self) -> list[str]:
        """Drop what the tables have beyond their primary keys; returns the statements that make it again."""
        tables = list(self.TABLES)
        constraints = self.cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [tables]).fetchall()
        indexes = self.cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x'))",
            [tables]).fetchall()
        restore = [definition for _, definition in indexes]  # unique constraints, then foreign keys (ORDER BY)
        restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                    for table, name, definition, _ in constraints]
        for table, name, _, _ in reversed(constraints):
            self.cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for index, _ in indexes:
            self.cursor.execute(f"DROP INDEX {index}")
        return restore

    @staticmethod
    def encode(codes) -> str:
        return f"{{{','.join(map(str, codes))}}}"  # an array literal, for unnest

    def _copy(self, table: str, columns: str, rows) -> None:
        with self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def templates(self, rows) -> None:
        self._copy("seed_templates", "id, item, response, correct, confidence",
                   [(index, *row) for index, row in enumerate(rows)])

    def load(self, plays, completions, state_rows) -> None:
        self._copy("seed_plays", ", ".join(self.PLAY_COLUMNS), plays)
        self._copy("completions", self.COMPLETION_COLUMNS, completions)
        self._copy("module_states", self.STATE_COLUMNS, state_rows)

    def expand(self) -> None:
        for statement in self._expand_statements():
            self.cursor.execute(statement)
        self.cursor.execute("TRUNCATE seed_plays")

    def finish(self, tally_rows) -> None:
        self.cursor.execute("DELETE FROM daily_status_counts")  # counted again from these records on the next view
        self._copy("topic_tallies", self.TALLY_COLUMNS, tally_rows)
        for table in ("attempts", "steps"):  # ids were given (steps refer to attempts): move the sequences on
            self.cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, "
                                f"false) FROM {table}")
        for statement in self._restore:
            self.cursor.execute(statement)
        self.connection.commit()
        self.cursor.execute(f"ANALYZE {', '.join(self.TABLES)}")  # the planner's statistics for the new rows
        self.connection.commit()

    def close(self) -> None:
        self.connection.rollback()
        self.cursor.close()
        self.raw.close()


def _progress_bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} personer", end="", file=sys.stderr)


def is_demo_database(db: Database) -> bool:
    """Made by the demo seed (and so holds only fictional people)."""
    with db.read() as session:
        return session.scalar(select(StoreMeta.value).where(StoreMeta.key == DEMO_MARK[0])) == DEMO_MARK[1]


def is_empty(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Person)) == 0


def wipe(db: Database) -> None:
    with db.engine.begin() as connection:
        # children first: the group sessions' rows before the sessions, and all of them before people and units
        for table in (GroupSessionRecord, GroupParticipant, GroupBallot, GroupVoteCount, GroupSessionEvent,
                      GroupSession, FacilitatorRight, DailyStatusCount, ModuleState, TopicTally, SentMessage,
                      Certificate, Reflection, Waiver, Attestation, Completion, Step, Attempt, Identity,
                      PersonPreference, AuditEvent, PersonRole, Person, Unit, StoreMeta):
            connection.execute(delete(table))


def seed_command(args) -> int:
    from course.cli import clean_content
    from progress.db import command_store

    result = clean_content()
    if result is None:
        return 1
    with command_store(args.database_url) as db:
        if not is_empty(db):
            if not args.replace:
                print("Databasen har redan personer. Lägg till --replace för att tömma den och skapa ny data.",
                      file=sys.stderr)
                return 1
            wipe(db)
        count = seed(db, result.course, args.employees, args.history_years, args.random_seed,
                     show_progress=True)
        where = db.engine.url.render_as_string(hide_password=True)
    print(f"Klart: {count} personer i {where}", file=sys.stderr)
    return 0
