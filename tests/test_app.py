"""The app through AppTest: a new hire finishes the module, and the manager then sees it on the chart."""

from __future__ import annotations

import io
import sqlite3
from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from course.content.loader import load_course
from tests.conftest import PROJECT_ROOT, open_app

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(scope="module")
def course():
    result = load_course(PROJECT_ROOT)
    assert result.ok, [p.as_text() for p in result.problems]
    return result.course


def quiz_part(module_id: str) -> str:
    """The `del` of a module's quiz: its parts are its scenarios, then the quiz."""
    from tests.browser_support import real_course

    return str(len(real_course().modules[module_id].scenarios))


def module_cards(at: AppTest) -> list[str]:
    """The learner's module cards: each is one Markdown element that starts with the module's heading."""
    return [m.value for m in at.markdown if m.value.startswith("### ")]


def card_statuses(at: AppTest) -> list[str]:
    """The status badge of each card (":gray-badge[Ej påbörjad] · Klar senast ...")."""
    return [card.rsplit("\n\n", 1)[-1].split("-badge[", 1)[1].split("]", 1)[0] for card in module_cards(at)]


def keyed(elements, prefix: str):
    return [element for element in elements if (element.key or "").startswith(prefix)]


def asks_a_question(at: AppTest) -> bool:
    """A quiz question is on the page: options as a radio, boxes, or steps to put in order."""
    return bool(keyed(at.radio, "q-") or keyed(at.checkbox, "q-") or keyed(at.multiselect, "q-"))


def answer_current_question(at: AppTest, course) -> None:
    """Pick the right answer(s), found by the option texts the page shows."""
    questions = {q.text: q for bank in course.banks.values() for q in bank.questions}
    heading = next(m.value for m in at.markdown if m.value.startswith("#### "))
    question = questions[heading[5:]]
    right = {option.text for option in question.options if option.correct}
    radios = [r for r in keyed(at.radio, "q-") if not r.key.endswith("-confidence")]
    steps = keyed(at.multiselect, "q-")
    if steps:  # an ordering question: the steps in the content's order, which is the right one
        steps[0].set_value([steps[0].options.index(option.text) for option in question.options])
    elif radios:
        radio = radios[0]
        radio.set_value(radio.options.index(next(label for label in radio.options if label in right)))
    else:
        for box in keyed(at.checkbox, "q-"):
            box.set_value(box.label in right)
    for confidence in keyed(at.radio, "q-"):
        if confidence.key.endswith("-confidence"):
            confidence.set_value(confidence.options[0])  # the first option: sure
    at.form_submit_button[0].click()


def play_module(at: AppTest, course, module_id: str, max_steps: int = 300, done_text: str = "Modulen är klar"):
    next(b for b in keyed(at.button, "open-") if b.key.endswith(f"-{module_id}")).click().run()
    for _ in range(max_steps):
        assert not at.exception, at.exception
        if any(done_text in s.value for s in at.success):
            return at
        starts = keyed(at.button, "start-") + keyed(at.button, "quiz-start") + keyed(at.button, "next-part")
        if keyed(at.radio, "choice-"):
            keyed(at.radio, "choice-")[0].set_value(0)
            at.form_submit_button[0].click()
        elif asks_a_question(at):  # a question (and how sure)
            answer_current_question(at, course)
        elif starts:
            starts[0].click()
        elif keyed(at.button, "quiz-retry"):
            keyed(at.button, "quiz-retry")[0].click()
        else:
            raise AssertionError(f"stuck: {[b.key for b in at.button]} {[m.value for m in at.markdown][:5]}")
        at.run()
    raise AssertionError("the module did not finish")


def test_new_hire_finishes_the_module_and_the_manager_sees_it(demo_env, course):
    at = open_app("demo-nyanstalld")
    assert any("Demo" in info.value for info in at.info)
    assert "Ej påbörjad" in card_statuses(at)
    for module_id in course.tracks["nyanstalld"].modules:  # the whole onboarding track, Mutor among them
        play_module(at, course, module_id)
        at.button(key="back").click().run()
    # each button names its module, and the statuses are words (issue 13: not five times "Öppna")
    labels = {b.key: b.label for b in keyed(at.button, "open-nyanstalld-")}
    assert labels["open-nyanstalld-mutor"] == f"Öppna {course.modules['mutor'].title}"
    assert len(set(labels.values())) == len(labels)
    assert set(card_statuses(at)) <= {"Klar", "Klar via diagnos", "Pågår", "Ej påbörjad", "Försenad"}
    at.button(key="open-nyanstalld-mutor").click().run()
    parts = keyed(at.button, "part-")  # a completed module: every part marked done, in words
    assert parts and all(b.label.endswith("(klar)") for b in parts), [b.label for b in parts]
    connection = sqlite3.connect(demo_env)
    (completed,) = connection.execute("SELECT count(*) FROM completions WHERE person_id = 'demo-nyanstalld' "
                                      "AND module_id = 'mutor'").fetchone()
    (version,) = connection.execute("SELECT content_version FROM completions WHERE person_id = 'demo-nyanstalld' "
                                    "AND module_id = 'mutor'").fetchone()
    assert completed == 1 and version == course.module_version("mutor")

    assert any("Sammanfattning" in e.label for e in at.expander)  # the printable summary, open on completion
    assert at.get("download_button")

    # the end of the track: confirm the municipality's guidelines
    at.button(key="back").click().run()
    at.button(key="attest-button-nyanstalld").click().run()
    assert any("Kryssa i rutan" in w.value for w in at.warning)  # nothing recorded without the tick
    at.checkbox(key="attest-nyanstalld").check()
    at.button(key="attest-button-nyanstalld").click().run()
    assert any("Du har bekräftat" in s.value for s in at.success)
    (version_attested,) = connection.execute("SELECT guideline_version FROM attestations WHERE person_id = "
                                             "'demo-nyanstalld' AND track_id = 'nyanstalld'").fetchone()
    assert version_attested == course.organisation.riktlinjer.version

    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    assert not chef.exception, chef.exception
    chef.selectbox(key="manager_module").select("mutor").run()
    assert not chef.exception, chef.exception
    assert len(chef.get("plotly_chart")) == 4, "status per unit, over time, scores and the topic heat map"
    table = frame_with(chef, "Namn", "Status")
    nora = table[table["Namn"] == "Nora Nyström"]
    assert list(nora["Status"]) == ["Klar"]
    assert len(table) >= 10
    talking_points = frame_with(chef, "Säkra men fel svar")  # misconceptions by topic, from the seeded history
    assert list(talking_points.columns) == ["Namn", "Ämne", "Säkra men fel svar"]
    assert (talking_points["Säkra men fel svar"] > 0).all()


def test_reload_in_the_middle_of_a_quiz_resumes_at_the_same_question(demo_env, course):
    at = open_app("demo-nyanstalld", modul="mutor", **{"del": quiz_part("mutor")})
    at.button(key="quiz-start").click().run()
    radios = [r for r in keyed(at.radio, "q-") if not r.key.endswith("-confidence")]
    if radios:  # the first question drawn may be single choice (a radio) or multiple choice (boxes)
        radios[0].set_value(0)
    else:
        keyed(at.checkbox, "q-")[0].check()
    at.form_submit_button[0].click().run()
    assert any("hur säker" in w.value for w in at.warning)  # the bank asks for certainty: not recorded without it
    assert any("Fråga 1 av" in p.text for p in at.get("progress") if hasattr(p, "text"))
    answer_current_question(at, course)
    at.run()
    assert any("Fråga 2 av" in p.text for p in at.get("progress") if hasattr(p, "text"))
    heading = next(m.value for m in at.markdown if m.value.startswith("#### "))
    reloaded = open_app("demo-nyanstalld", modul="mutor", **{"del": quiz_part("mutor")})  # a new session: reload or reconnect
    assert next(m.value for m in reloaded.markdown if m.value.startswith("#### ")) == heading


def test_unknown_demo_user_gets_a_swedish_message(demo_env):
    at = open_app("demo-finns-inte")
    assert any("finns ingen demoanvändare" in w.value for w in at.warning)


def frame_with(at: AppTest, *columns: str):
    """The first table on the page with these columns (AppTest does not report a dataframe's key)."""
    return next(frame.value for frame in at.dataframe if set(columns) <= set(frame.value.columns))


class Downloads(dict):
    """File name -> bytes. A button whose `data=` is a callable (made on the click) is clicked when its file is
    looked up: the callable runs then, as it would on the user's click, once per lookup."""

    def __init__(self):
        super().__init__()
        self.deferred: dict[str, object] = {}

    def __getitem__(self, name: str) -> bytes:
        if name in self.deferred:
            return self.deferred[name]()
        return super().__getitem__(name)

    def __contains__(self, name) -> bool:
        return name in self.deferred or super().__contains__(name)


@pytest.fixture
def downloads(monkeypatch) -> Downloads:
    """What each download button would hand the browser, by file name."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files = Downloads()
    original = MemoryMediaFileStorage.load_and_get_id
    original_deferred = MediaFileManager.add_deferred

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            files.deferred.pop(filename, None)
            dict.__setitem__(files, filename, path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    def keep_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        if file_name:
            files.deferred[file_name] = data_callable
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep_deferred)
    return files


def test_the_dashboard_filters_and_exports_what_it_shows(demo_env, course, downloads):
    import openpyxl

    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    assert not chef.exception, chef.exception
    assert len(chef.get("plotly_chart")) == 4, "status per unit, over time, scores and the topic heat map"
    per_unit = frame_with(chef, "Enhet", "Klar", "Försenad")
    assert set(per_unit["Enhet"]) == {"Samhällsbyggnadsförvaltningen", "Bygglovsenheten",
                                      "Miljö- och hälsoskyddsenheten"}  # her subtree, one level down, nothing else
    everyone = int(per_unit.drop(columns="Enhet").to_numpy().sum())

    chef.selectbox(key="dash_unit").select("sbf-bygglov").run()
    narrowed = frame_with(chef, "Enhet", "Klar", "Försenad")
    assert set(narrowed["Enhet"]) == {"Bygglovsenheten"}
    assert 0 < int(narrowed.drop(columns="Enhet").to_numpy().sum()) < everyone
    assert set(frame_with(chef, "Namn", "Status")["Enhet"]) == {"Bygglovsenheten"}

    workbook = openpyxl.load_workbook(io.BytesIO(downloads["min-enhet.xlsx"]))
    sheet = workbook["Genomförande per enhet"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Bygglovsenheten"]
    assert sum(v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row[1:]) == int(
        narrowed.drop(columns="Enhet").to_numpy().sum())
    csv_text = downloads["status_per_enhet.csv"].decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Enhet;Klar") and "Bygglovsenheten" in csv_text

    chef.selectbox(key="dash_role").select("fortroendevald").run()
    assert any("Ingen i urvalet" in info.value for info in chef.info)  # no elected officials in a bygglov unit


def test_the_role_filter_applies_to_the_people_table_and_the_talking_points(demo_env):
    """Issue 11: with a role chosen the figures counted that role only, while the people table and the talking
    points below them still listed everyone in her units."""
    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    everyone = set(frame_with(chef, "Namn", "Status")["Namn"])
    chef.selectbox(key="dash_role").select("chef").run()
    assert not chef.exception, chef.exception
    with sqlite3.connect(demo_env) as connection:
        chefs = {name for (name,) in connection.execute(
            "SELECT p.name FROM people p JOIN person_roles r ON r.person_id = p.id WHERE r.role = 'chef' "
            "AND p.unit_id IN ('sbf', 'sbf-bygglov', 'sbf-miljo') AND p.id != 'demo-chef'")}
    listed = set(frame_with(chef, "Namn", "Status")["Namn"])
    assert listed == chefs and chefs < everyone  # the unit chefs under her, not their staff
    talking_points = frame_with(chef, "Säkra men fel svar")
    assert set(talking_points["Namn"]) <= chefs


def test_as_parameter_is_refused_outside_demo_mode(demo_env, monkeypatch):
    monkeypatch.setenv("COURSE_AUTH", "oidc")
    at = open_app("demo-admin")
    assert any("bara i demoläge" in w.value for w in at.warning)
    assert not any("Hej" in t.value for t in at.title)


def test_pages_follow_the_role(demo_env):
    employee = open_app("demo-medarbetare")
    with pytest.raises(ValueError):
        employee.switch_page("views/manager.py")
    admin = open_app("demo-admin")
    admin.switch_page("views/admin.py").run()
    assert not admin.exception
    assert any("validerat" in s.value for s in admin.success)


def test_broken_content_is_not_served(demo_env, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "broken"
    for folder in ("modules", "scenarios", "quizzes"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    scenario = sorted((root / "scenarios").glob("*.yaml"))[0]
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("next:", "nxet:", 1), encoding="utf-8")
    monkeypatch.setenv("COURSE_CONTENT_ROOT", str(root))
    at = open_app("demo-nyanstalld")
    assert any("har fel" in e.value for e in at.error)
    assert "E101" in at.code[0].value and scenario.name in at.code[0].value
    assert not at.button  # nothing to play


def test_database_down_keeps_the_answer_and_saves_it_on_retry(demo_env, course, monkeypatch):
    monkeypatch.setenv("COURSE_DB_BUSY_TIMEOUT_MS", "20")
    at = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    at.button(key=keyed(at.button, "start-")[0].key).click().run()
    blocker = sqlite3.connect(demo_env, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        keyed(at.radio, "choice-")[0].set_value(0)
        at.form_submit_button[0].click().run()
        assert not at.exception
        assert any("inte sparat" in e.value for e in at.error)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    at.button(key="retry_pending").click().run()
    assert not at.error
    connection = sqlite3.connect(demo_env)
    assert connection.execute("SELECT count(*) FROM steps s JOIN attempts a ON a.id = s.attempt_id "
                              "WHERE a.person_id = 'demo-nyanstalld'").fetchone() == (1,)


@pytest.fixture
def logged_in_env(tmp_path, monkeypatch, course):
    """Not demo: a configured database with a staff list, and people who log in by e-mail (OIDC)."""
    from progress.db import Database, make_engine, migrate
    from progress.seed import seed

    url = f"sqlite:///{tmp_path / 'kommun.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    seed(Database(engine), course, employees=20, history_years=1)
    monkeypatch.setenv("COURSE_DATABASE_URL", url)
    monkeypatch.setenv("COURSE_AUTH", "oidc")
    monkeypatch.delenv("COURSE_CONTENT_ROOT", raising=False)
    return url


AUTH_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "gransfall", "client_secret": "hemligt",
                "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def open_logged_in(email: str, **claims) -> AppTest:
    import time

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": True, "email": email, "name": "Test", "iss": "https://idp.example",
               "sub": f"sub-{email}", "iat": int(time.time()), "email_verified": True, **claims}
    at.run()
    assert not at.exception, at.exception
    return at


def test_login_by_email_outside_demo_mode(logged_in_env):
    at = open_logged_in("milad.berg@gransby.example")
    assert any("Hej Milad" in title.value for title in at.title)
    assert not any("Demo" in info.value for info in at.info)
    stranger = open_logged_in("okand@annanstans.example")
    assert any("hittar dig inte" in error.value for error in stranger.error)


def test_broken_content_is_shown_to_an_admin_and_closed_for_others(logged_in_env, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "broken"
    for folder in ("modules", "scenarios", "quizzes"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    quiz = root / "quizzes" / "mutor-fragor.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("draw:", "drow:", 1), encoding="utf-8")
    monkeypatch.setenv("COURSE_CONTENT_ROOT", str(root))
    admin = open_logged_in("anna.holm@gransby.example")
    assert "E101" in admin.code[0].value and "mutor-fragor.yaml" in admin.code[0].value
    employee = open_logged_in("milad.berg@gransby.example")
    assert any("tillfälligt stängd" in warning.value for warning in employee.warning)
    assert not employee.code and not employee.button


def move_history_back(connection: sqlite3.Connection, person_id: str, days: int) -> None:
    """The person's completions and attempts as if they had happened `days` earlier."""
    for table, columns in (("completions", ("started_at", "completed_at")),
                           ("attempts", ("started_at", "finished_at"))):
        for column in columns:
            connection.execute(f"UPDATE {table} SET {column} = datetime({column}, '-{days} days') "
                               "WHERE person_id = ?", (person_id,))


def test_refresher_starts_with_a_diagnostic_that_passes_what_the_learner_knows(demo_env, course):
    open_app("demo-medarbetare")  # seeds the demo; Milad has completed his modules before
    with sqlite3.connect(demo_env) as connection:  # a year and more has passed: everything is due again
        move_history_back(connection, "demo-medarbetare", 400)
    at = open_app("demo-medarbetare")
    at.button(key="refresher-medarbetare").click().run()
    for _ in range(40):
        assert not at.exception, at.exception
        if not asks_a_question(at):
            break
        answer_current_question(at, course)
        at.run()
    assert any("Klarade via diagnos" in s.value for s in at.success)
    with sqlite3.connect(demo_env) as connection:
        waived = {row[0] for row in connection.execute(
            "SELECT module_id FROM waivers WHERE person_id = 'demo-medarbetare'")}
    assert waived and waived <= set(course.tracks["medarbetare"].modules)
    at.button(key="back").click().run()
    assert "Klar via diagnos" in card_statuses(at)


def test_the_yearly_round_opens_two_weeks_before_it_falls_due(demo_env, course):
    open_app("demo-medarbetare")
    with sqlite3.connect(demo_env) as connection:  # his latest round was finished 358 days ago: due in a week
        latest = connection.execute("SELECT max(completed_at) FROM completions WHERE person_id = "
                                    "'demo-medarbetare'").fetchone()[0]
        shift = (date.fromisoformat(latest[:10]) - (date.today() - timedelta(days=358))).days
        move_history_back(connection, "demo-medarbetare", shift)
    at = open_app("demo-medarbetare")
    renewals = [card for card in module_cards(at) if "Dags att repetera" in card]
    assert renewals, "a module done a year ago shows that its next round is open"
    assert "Klar" in card_statuses(at)  # still done until the due date
    assert at.button(key="refresher-medarbetare")  # and the refresher can be started now


def test_a_certificate_on_offer_beside_an_open_refresher_says_which_round_it_is_for(demo_env, course):
    open_app("demo-medarbetare")
    track = course.tracks["medarbetare"]
    with sqlite3.connect(demo_env) as connection:  # the module he did first this round falls due in a week
        latest = {module: completed for module, completed in connection.execute(
            "SELECT module_id, max(completed_at) FROM completions WHERE person_id = 'demo-medarbetare' "
            "GROUP BY module_id")}
        first = min(latest[m] for m in track.modules)
        shift = (date.fromisoformat(first[:10]) - (date.today() - timedelta(days=358))).days
        move_history_back(connection, "demo-medarbetare", shift)
    at = open_app("demo-medarbetare")
    assert at.button(key="refresher-medarbetare")  # one module's next round is open: the refresher asks for it
    assert "cert-download-medarbetare" in {button.key for button in at.get("download_button")}  # still done
    assert any("Intyget gäller den omgång du redan har gått" in caption.value for caption in at.caption)


def test_the_home_page_is_read_once_and_kept_for_half_a_minute(demo_env, monkeypatch):
    """Issue 10: Min utbildning keeps its overview for the session (a rerun makes no query for it); what another
    session changes shows once OVERVIEW_FRESH_S (30 s) have passed, and the learner's own answers at once (the
    journeys through a module back to the home page show that)."""
    import time

    at = open_app("demo-medarbetare")
    assert card_statuses(at).count("Klar") == 5
    with sqlite3.connect(demo_env) as connection:  # meanwhile, elsewhere: his Mutor history is gone
        for table in ("waivers", "completions"):
            connection.execute(f"DELETE FROM {table} WHERE person_id = 'demo-medarbetare' AND module_id = 'mutor'")
        connection.execute("DELETE FROM module_states WHERE person_id = 'demo-medarbetare' AND module_id = 'mutor'")
    at.run()
    assert card_statuses(at).count("Klar") == 5  # kept: the same overview, no query
    later = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: later)
    at.run()
    assert not at.exception and card_statuses(at).count("Klar") < 5  # read again


def test_booster_is_offered_three_to_five_weeks_after_a_track_is_done(demo_env, course):
    open_app("demo-medarbetare")
    with sqlite3.connect(demo_env) as connection:  # he finished everything 25 days ago
        connection.execute("UPDATE completions SET completed_at = datetime('now', '-25 days') "
                           "WHERE person_id = 'demo-medarbetare'")
    at = open_app("demo-medarbetare")
    at.button(key="booster-nyanstalld").click().run()
    answered = 0
    while asks_a_question(at):
        answer_current_question(at, course)
        at.run()
        answered += 1
        assert not at.exception and answered <= 10
    assert answered == 6
    assert any("6 av 6 rätt" in s.value for s in at.success)
    at.button(key="back").click().run()
    assert not keyed(at.button, "booster-nyanstalld")  # done: not offered again this round


def test_a_booster_past_its_day_says_it_is_late(demo_env):
    """Issue 13: a booster due in April was offered in December as if nothing were late."""
    open_app("demo-medarbetare")
    with sqlite3.connect(demo_env) as connection:  # everything finished 60 days ago: the booster was due at 35
        connection.execute("UPDATE completions SET completed_at = datetime('now', '-60 days') "
                           "WHERE person_id = 'demo-medarbetare'")
    at = open_app("demo-medarbetare")
    assert keyed(at.button, "booster-nyanstalld")  # still offered
    shown = " ".join(m.value for m in at.markdown)
    assert "En kort påminnelse** :orange-badge[Försenad]" in shown
    assert "skulle ha gjorts senast" in shown


def test_a_module_with_an_english_version_is_taken_in_english(demo_env, course):
    at = open_app("demo-nyanstalld", lang="en")
    headings = [card.split("\n", 1)[0] for card in module_cards(at)]
    assert any("Raising the alarm" in heading for heading in headings)
    assert any("Languages: Swedish, English" in card for card in module_cards(at))
    assert any("Mutor" in heading for heading in headings)  # no English version: the Swedish one
    play_module(at, course, "larm", done_text="Module complete")
    with sqlite3.connect(demo_env) as connection:
        (module_id,) = connection.execute("SELECT module_id FROM completions WHERE person_id = 'demo-nyanstalld'"
                                          ).fetchone()
        kinds = {row[0] for row in connection.execute(
            "SELECT DISTINCT module_id FROM attempts WHERE person_id = 'demo-nyanstalld'")}
    assert module_id == "larm" and kinds == {"larm-en"}  # played in English, counted for the module


def test_a_scenario_shows_its_choices_in_the_attempt_s_order(demo_env, course):
    """The page draws the choices in the order the engine drew for the attempt, not in the file's."""
    from progress import learner
    from progress.db import Database, make_engine

    at = open_app("demo-nyanstalld")
    at.button(key="open-nyanstalld-mutor").click().run()
    next(iter(keyed(at.button, "start-"))).click().run()
    (radio,) = keyed(at.radio, "choice-")
    db = Database(make_engine(f"sqlite:///{demo_env}"))
    try:
        page = learner.module_page(db, course, "demo-nyanstalld", "demo-nyanstalld", "mutor", None, date.today())
    finally:
        db.engine.dispose()
    node = page.scenario.node
    assert radio.options == [node.choices[index].text for index in page.scenario.choice_order]
    radio.set_value(page.scenario.choice_order[-1])  # the choice shown last is recorded as that choice
    at.form_submit_button[0].click().run()
    with sqlite3.connect(demo_env) as connection:
        (response,) = connection.execute("SELECT response FROM steps JOIN attempts ON attempts.id = steps.attempt_id "
                                         "WHERE person_id = 'demo-nyanstalld' AND kind = 'scenario' "
                                         "ORDER BY steps.id DESC LIMIT 1").fetchone()
    assert int(response) == page.scenario.choice_order[-1]


def test_an_ordering_question_is_answered_step_by_step_and_explained(demo_env, course):
    """The ordering type in the learner's page: the steps shown shuffled in a list the learner fills in order;
    "Svara" with steps missing says so and records nothing; the answer is stored in its order, partly right
    gets part of the credit, and the review lists the steps in their right order with the learner's place."""
    import json
    import sqlite3

    at = open_app("demo-nyanstalld", modul="larm", **{"del": quiz_part("larm")})
    at.button(key="quiz-start").click().run()
    question = course.questions["larm-q26"]
    with sqlite3.connect(demo_env) as connection:  # the draw starts with the ordering question, shown reversed
        attempt_id, drawn = connection.execute("SELECT id, drawn FROM attempts WHERE person_id = 'demo-nyanstalld' "
                                               "AND item_id = 'larm-fragor' AND finished_at IS NULL").fetchone()
        drawn = [entry for entry in json.loads(drawn) if entry[0] != "larm-q26"]
        drawn[0] = ["larm-q26", [3, 2, 1, 0]]
        connection.execute("UPDATE attempts SET drawn = ? WHERE id = ?", (json.dumps(drawn), attempt_id))
    at.run()
    (steps,) = keyed(at.multiselect, "q-")
    assert steps.options == [option.text for option in reversed(question.options)]
    assert "det första först" in steps.label
    confidence = next(r for r in keyed(at.radio, "q-") if r.key.endswith("-confidence"))
    steps.set_value([3, 2])  # the first two steps only
    confidence.set_value(confidence.options[0])
    at.form_submit_button[0].click().run()
    assert any("Alla steg ska med" in w.value for w in at.warning)
    with sqlite3.connect(demo_env) as connection:
        assert connection.execute("SELECT count(*) FROM steps WHERE attempt_id = ?", (attempt_id,)).fetchone()[0] == 0
    (steps,) = keyed(at.multiselect, "q-")
    steps.set_value([3, 2, 0, 1])  # shown reversed: the content's steps 0, 1, 3, 2
    next(r for r in keyed(at.radio, "q-") if r.key.endswith("-confidence")).set_value(confidence.options[0])
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    with sqlite3.connect(demo_env) as connection:
        response, correct = connection.execute("SELECT response, correct FROM steps WHERE attempt_id = ?",
                                               (attempt_id,)).fetchone()
    assert json.loads(response) == [0, 1, 3, 2] and not correct
    assert any("Delvis rätt: 33 %" in w.value for w in at.warning)
    review = next(m.value for m in at.markdown if question.options[0].text in m.value)
    assert review.index("1. " + question.options[0].text) < review.index("4. " + question.options[3].text)
    assert "du satte det som nummer 4" in review  # step 3 was put last


def test_a_missing_choice_is_said_beside_the_button_not_at_the_top(demo_env, course):
    """Issue 13, point 4: "Välj ett alternativ först." in the form, next to "Svara" (at the top of the page it was
    out of view, so the button seemed to do nothing); nothing is recorded."""
    at = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    next(b for b in keyed(at.button, "start-")).click().run()
    at.form_submit_button[0].click().run()
    (form,) = at.get("form")
    assert any("Välj ett alternativ" in w.value for w in form.warning)
    assert not any("Välj ett alternativ" in w.value for w in at.main.warning if w not in list(form.warning))
    with sqlite3.connect(demo_env) as connection:
        assert connection.execute("SELECT count(*) FROM steps s JOIN attempts a ON a.id = s.attempt_id "
                                  "WHERE a.person_id = 'demo-nyanstalld'").fetchone()[0] == 0


def test_the_administration_page_shows_the_content_as_a_table(demo_env):
    """Issue 13: the page showed a bare JSON block."""
    at = open_app("demo-admin")
    at.switch_page("views/admin.py").run()
    assert not at.exception, at.exception
    assert not at.get("json")
    (table,) = [frame.value for frame in at.dataframe]
    assert list(table.columns) == ["Innehåll", "Antal"] and "Scenarier" in list(table["Innehåll"])


def test_the_language_chosen_survives_a_reload(demo_env):
    """Issue 13: switching to English was lost on reload. The choice goes into the address (?lang=en)."""
    at = open_app("demo-nyanstalld")
    at.sidebar.selectbox(key="language").select("en").run()
    assert not at.exception, at.exception
    assert at.query_params["lang"] == "en"
    reloaded = open_app("demo-nyanstalld", lang="en")  # a new session from the same address
    assert any(title.value.startswith("Hello") for title in reloaded.title)


# --- Group sessions as such on Min enhet, the talk pages and the annual report (issue 14, point 4) ---------------

def hold_group_session(database, course, people: list[str], scenario_id: str = "mutor-bygglov-middag",
                       facilitator: str = "demo-chef", unit: str = "sbf") -> None:
    """A group session in the demo store today, through the store as the group page makes it: the group follows
    the first choice at every step to an ending, the session ends, and `people` are confirmed."""
    from datetime import datetime

    from progress import group_sessions as groups
    from progress.db import Database, make_engine

    engine = make_engine(f"sqlite:///{database}")
    try:
        db, now = Database(engine), datetime.now().replace(microsecond=0)
        screen = groups.start(db, course, facilitator, unit, scenario_id, "sv", now)
        for _ in range(50):
            if screen.ending is not None:
                break
            screen = groups.reveal(db, course, facilitator, screen.id, screen.step_no, now)
            screen = groups.follow(db, course, facilitator, screen.id, screen.step_no, 0, now)
        assert screen.ending is not None, "the first choices lead to an ending"
        groups.end(db, course, facilitator, screen.id, now)
        groups.confirm_attendance(db, course, facilitator, screen.id, people, now)
    finally:
        engine.dispose()


def ending_of_first_choices(course, scenario_id: str = "mutor-bygglov-middag") -> str:
    scenario = course.scenarios[scenario_id]
    node = scenario.nodes[scenario.start]
    while not node.is_ending:
        node = scenario.nodes[node.choices[0].next]
    return {"bra": "Bra hanterat", "delvis": "Delvis rätt", "svag": "Här gick det snett"}[node.ending]


def test_min_enhet_and_the_talk_pages_show_group_sessions_as_such(demo_env, course, downloads):
    import openpyxl

    chef = open_app("demo-chef")  # the first run seeds the demo store
    chef.switch_page("views/manager.py").run()
    assert "Gruppövningar på APT" in [s.value for s in chef.subheader]
    assert any("Inga gruppövningar hölls" in info.value for info in chef.info)  # the demo has none yet

    hold_group_session(demo_env, course, ["demo-medarbetare", "demo-chef", "demo-nyanstalld"])
    chef = open_app("demo-chef")
    chef.switch_page("views/manager.py").run()
    assert not chef.exception, chef.exception
    metrics = {m.label: m.value for m in chef.metric}
    assert (metrics["Gruppövningar"], metrics["Personer som var med"]) == ("1", "3")
    sessions = frame_with(chef, "Ledd av", "Slut")
    assert list(sessions.columns) == ["Datum", "Scenario", "Ledd av", "Deltagare", "Slut"]
    assert sessions.iloc[0].tolist()[1:] == ["Middagen med den sökande", "Cecilia Lund", 3,
                                             ending_of_first_choices(course)]
    sheet = openpyxl.load_workbook(io.BytesIO(downloads["min-enhet.xlsx"]))["Gruppövningar på APT"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Cecilia Lund"]

    talk_page = open_app("demo-chef", "views/talk.py", person="demo-medarbetare")
    assert "Gruppövningar" in [s.value for s in talk_page.subheader]
    listed = frame_with(talk_page, "Ledd av", "Slut")
    assert listed[["Scenario", "Ledd av", "Slut"]].iloc[0].tolist() == [
        "Middagen med den sökande", "Cecilia Lund", ending_of_first_choices(course)]
    assert str(listed["Datum"].iloc[0])[:10] == date.today().isoformat()

    own = open_app("demo-medarbetare", "views/my_talk.py")  # the learner's own page: the same list
    assert not own.exception, own.exception
    assert frame_with(own, "Ledd av", "Slut")["Ledd av"].tolist() == ["Cecilia Lund"]
    nobody = open_app("demo-chef", "views/talk.py", person=next(  # someone in her units who was not there
        person_id for (person_id,) in sqlite3.connect(demo_env).execute(
            "SELECT id FROM people WHERE unit_id = 'sbf-miljo' ORDER BY id LIMIT 1")))
    assert any("Inga gruppövningar på arbetsplatsträffar" in info.value for info in nobody.info)


def test_the_annual_report_page_shows_the_year_s_group_sessions(demo_env, course):
    open_app("demo-chef")  # the first run seeds the demo store
    hold_group_session(demo_env, course, ["demo-medarbetare", "demo-chef"])
    hold_group_session(demo_env, course, ["demo-medarbetare"], scenario_id="mutor-tillsyn-middag")
    at = open_app("demo-admin")
    at.switch_page("views/annual_report.py").run()
    at.selectbox(key="annual_year").select(date.today().year)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    assert "Gruppövningar på APT" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Gruppövningar"], metrics["Deltaganden"], metrics["Personer"]) == ("2", "3", "2")
    table = frame_with(at, "Förvaltning", "Gruppövningar", "Deltaganden")
    assert table.values.tolist() == [["Samhällsbyggnadsförvaltningen", 2, 3, 2], ["Hela organisationen", 2, 3, 2]]
