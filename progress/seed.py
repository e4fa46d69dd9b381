"""A synthetic municipality with history: the demo's data, and test data at any size.

Fixed demo people are always there (see DEMO_USERS); the rest are generated from a random seed, and their
history is made by playing the real content with the engine's own functions, so every record is one the
app could have written.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, select

from course import play, rules
from course.content.loader import Course
from progress import states, tallies
from progress.db import Database
from progress.models import (Attempt, Attestation, AuditEvent, Certificate, Completion, DailyStatusCount, Identity,
                             ModuleState, Person, PersonRole, Reflection, SentMessage, Step, StoreMeta, TopicTally,
                             Unit, Waiver)

# Written by the seed: demo mode runs only over a database that carries it (see is_demo_database).
DEMO_MARK = ("made_by", "demo-seed")

# (id, name, kind, parent)
UNITS = [
    ("ks", "Kommunstyrelsen", "nämnd", None),
    ("kansli", "Kommunledningskontoret", "förvaltning", "ks"),
    ("sbf", "Samhällsbyggnadsförvaltningen", "förvaltning", "ks"),
    ("sbf-bygglov", "Bygglovsenheten", "enhet", "sbf"),
    ("sbf-miljo", "Miljö- och hälsoskyddsenheten", "enhet", "sbf"),
    ("vof", "Vård- och omsorgsförvaltningen", "förvaltning", "ks"),
    ("vof-hemtjanst-norr", "Hemtjänst Norr", "enhet", "vof"),
    ("vof-hemtjanst-syd", "Hemtjänst Syd", "enhet", "vof"),
    ("buf", "Barn- och utbildningsförvaltningen", "förvaltning", "ks"),
    ("buf-skola", "Gränsbyskolan", "enhet", "buf"),
    ("tkf", "Tekniska förvaltningen", "förvaltning", "ks"),
    ("tkf-upphandling", "Upphandlingsenheten", "enhet", "tkf"),
    ("bostad", "Gränsby Bostäder AB", "bolag", "ks"),
    ("bn", "Bygg- och miljönämnden", "nämnd", None),
]
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
         today: date | None = None, progress: bool = False, units: list[tuple] | None = None,
         titles: dict[str, str] | None = None, keep_steps: bool = True) -> int:
    """Fill an empty database; returns the number of people. Writes in batches, one transaction each.

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
        connection.execute(insert(StoreMeta), [{"key": DEMO_MARK[0], "value": DEMO_MARK[1]}])
        connection.execute(insert(Unit), unit_rows)
        connection.execute(insert(Person), people)
        connection.execute(insert(PersonRole), roles)
    history = [p for p in people if p["id"] not in ("demo-nyanstalld", "demo-admin", "demo-chef")]
    _make_history(db, course, history, rng, today, history_years, progress, keep_steps)
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


def _make_history(db: Database, course: Course, people: list[dict], rng: random.Random, today: date,
                  history_years: int, show_progress: bool, keep_steps: bool = True) -> None:
    role_of = {}
    with db.read() as session:
        for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
            role_of.setdefault(person_id, set()).add(role)
    next_attempt_id = 1
    next_step_id = 1
    attempt_numbers: dict[tuple[str, str], int] = {}
    batch: dict[str, list[dict]] = {"attempts": [], "steps": [], "completions": []}
    first_answers: list[tuple[str, str, datetime, bool]] = []  # counted into topic tallies at the end
    for done, person in enumerate(people, 1):
        seen: set[str] = set()
        for assignment in rules.assignments(course, role_of.get(person["id"], ())):
            module = course.modules[assignment.module_id]
            plan = _plan(rng, person, today, history_years, force_done=person["id"] == "demo-medarbetare")
            for day, finish in plan:
                steps_before = len(batch["steps"])
                ids = _play_round(course, module.id, person["id"], day, finish, rng, next_attempt_id, next_step_id,
                                  batch, attempt_numbers)
                next_attempt_id, next_step_id = ids
                for step in batch["steps"][steps_before:]:
                    if step["correct"] is not None and step["item"] not in seen:  # quiz answers carry `correct`
                        seen.add(step["item"])
                        first_answers.append((person["id"], step["item"], step["answered_at"], step["correct"]))
        if len(batch["steps"]) > 20000 or done == len(people):
            if not keep_steps:
                referenced = {c["trigger_step_id"] for c in batch["completions"]}
                batch["steps"][:] = [step for step in batch["steps"] if step["id"] in referenced]
            _flush(db, batch)
        if show_progress and (done % max(1, len(people) // 100) == 0 or done == len(people)):
            _progress_bar(done, len(people))
    if show_progress:
        print(file=sys.stderr)
    _write_tallies(db, course, people, role_of, first_answers)
    states.rebuild(db, course)
    if db.dialect == "postgresql":  # ids were given explicitly (steps refer to attempts), so move the sequences on
        with db.engine.begin() as connection:
            for table in ("attempts", "steps"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}")


def _write_tallies(db, course, people, role_of, first_answers) -> None:
    counted = tallies.first_answer_tallies(((p["id"], p["unit_id"], role_of.get(p["id"], ())) for p in people),
                                           first_answers, course)
    rows = [(u, r, t, m, a, c) for (u, r, t, m), (a, c) in counted.items()]

    def use_case(session):
        for start in range(0, len(rows), 5000):
            tallies.add(session, rows[start:start + 5000])

    db.write(use_case)


def _plan(rng, person, today, history_years, force_done=False) -> list[tuple[datetime, bool]]:
    """The rounds a person has played: (when, finished?). Yearly rounds since the start, most completed."""
    start = max(person["start_date"], today - timedelta(days=365 * history_years))
    rounds = []
    day = start + timedelta(days=rng.randint(2, 40))
    while day < today:
        finish = force_done or rng.random() < 0.8
        rounds.append((datetime.combine(day, time(8)) + timedelta(minutes=rng.randint(0, 480)), finish))
        if not finish:
            break
        day = rules.add_months(day, 12) + timedelta(days=rng.randint(-20, 60))
    if rounds and not force_done and rng.random() < 0.1:
        rounds.pop()  # some people simply have not done the latest round
    return rounds


def _play_round(course, module_id, person_id, when, finish, rng, attempt_id, step_id, batch, numbers):
    module = course.modules[module_id]
    version = course.module_version(module_id)
    clock = when
    items = [("scenario", s) for s in module.scenarios] + [("quiz", module.quiz)]
    if not finish:
        items = items[: rng.randint(1, len(items))]
    started = clock
    last_step_id = None
    for position, (kind, item_id) in enumerate(items):
        while True:
            attempt_no = numbers[(person_id, item_id)] = numbers.get((person_id, item_id), 0) + 1
            open_attempt = not finish and position == len(items) - 1
            steps, outcome, score = _play_item(course, kind, item_id, module.pass_mark, rng, open_attempt,
                                               seed := rng.randrange(2**31), attempt_no)
            attempt = {"id": attempt_id, "person_id": person_id, "module_id": module_id, "kind": kind,
                       "item_id": item_id, "attempt_no": attempt_no, "content_version": version, "seed": seed,
                       "started_at": clock, "finished_at": None, "outcome": None, "score_percent": None}
            for step_no, (item, response, correct, confidence) in enumerate(steps):
                clock += timedelta(seconds=rng.randint(15, 90))
                batch["steps"].append({"id": step_id, "attempt_id": attempt_id, "step_no": step_no, "item": item,
                                       "response": json.dumps(response), "correct": correct, "confidence": confidence,
                                       "idempotency_key": f"a{attempt_id}-s{step_no}", "answered_at": clock})
                last_step_id = step_id
                step_id += 1
            if not open_attempt:
                attempt.update(finished_at=clock, outcome=outcome, score_percent=score)
            batch["attempts"].append(attempt)
            attempt_id += 1
            if open_attempt or kind == "scenario" or outcome == "godkand":
                break
    if finish:
        batch["completions"].append({"person_id": person_id, "module_id": module_id, "content_version": version,
                                     "started_at": started, "completed_at": clock,
                                     "score_percent": batch["attempts"][-1]["score_percent"],
                                     "trigger_step_id": last_step_id})
    return attempt_id, step_id


def _play_item(course, kind, item_id, pass_mark, rng, stop_early, seed, attempt_no=1):
    """Steps of one attempt, played with the engine: (item, response, correct, confidence) each; plus the
    outcome and the score."""
    if kind == "scenario":
        scenario = course.scenarios[item_id]
        state = play.start_state(scenario)
        steps = []
        while not play.current_node(scenario, state).is_ending:
            if stop_early and steps and rng.random() < 0.4:
                return steps, None, None
            node_id = state.node_id
            index = rng.randrange(len(play.current_node(scenario, state).choices))
            _, state = play.apply_choice(scenario, state, index)
            steps.append((node_id, index, None, None))
        return steps, play.ending_of(scenario, state), None
    bank = course.banks[item_id]
    drawn = play.draw_quiz(bank, seed)
    questions = play.questions_by_id(bank)
    skill = min(1.0, rng.uniform(0.6, 1.0) + 0.15 * (attempt_no - 1))  # people learn from a retry
    steps, answers = [], {}
    for position, drawn_question in enumerate(drawn):
        if stop_early and position and rng.random() < 0.3:
            return steps, None, None
        question = questions[drawn_question.question_id]
        selected = question.correct_indexes if rng.random() < skill else frozenset([rng.randrange(len(question.options))])
        answers[question.id] = frozenset(selected)
        confidence = rng.choice(play.CONFIDENCE_LEVELS) if bank.confidence else None
        steps.append((question.id, sorted(selected), play.is_correct(question, frozenset(selected)), confidence))
    score = play.score_quiz(bank, drawn, answers, pass_mark)
    return steps, ("godkand" if score.passed else "underkand"), round(score.percent, 2)


def _flush(db: Database, batch: dict[str, list[dict]]) -> None:
    with db.engine.begin() as connection:
        for table, rows in ((Attempt, batch["attempts"]), (Step, batch["steps"]), (Completion, batch["completions"])):
            if rows:
                connection.execute(insert(table), rows)
    for rows in batch.values():
        rows.clear()


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
        for table in (DailyStatusCount, ModuleState, TopicTally, SentMessage, Certificate, Reflection, Waiver,
                      Attestation, Completion, Step, Attempt, Identity, AuditEvent, PersonRole, Person, Unit,
                      StoreMeta):
            connection.execute(delete(table))


def seed_command(args) -> int:
    from course.content.loader import default_content_root, load_course
    from progress.db import make_engine, migrate

    result = load_course(default_content_root())
    if not result.ok:
        print("Innehållet har fel; kör 'python -m course lint' först.", file=sys.stderr)
        return 1
    engine = make_engine(args.database_url)
    migrate(engine)
    db = Database(engine)
    if not is_empty(db):
        if not args.replace:
            print("Databasen har redan personer. Lägg till --replace för att tömma den och skapa ny data.",
                  file=sys.stderr)
            return 1
        wipe(db)
    count = seed(db, result.course, args.employees, args.history_years, args.random_seed, progress=True)
    print(f"Klart: {count} personer i {engine.url.render_as_string(hide_password=True)}", file=sys.stderr)
    return 0
