"""The database goes away in the middle of a session: PostgreSQL behind a TCP proxy the test stops and starts,
and a locked SQLite. Every page says so in Swedish, with a way to try again; an answer given meanwhile is saved
exactly once when the database is back (also after a reload), or the learner is told plainly that it is not."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from progress import db as store_db
from progress import pending
from tests.conftest import PROJECT_ROOT
from tests.pg_support import fresh_database
from views.components.pending import owner

APP = str(PROJECT_ROOT / "app.py")
GENERIC_ERROR = "This app has encountered an error"


class TcpProxy:
    """Forwards a loopback port to PostgreSQL. stop() closes the port and every live connection through it (the
    database is gone: new connections are refused at once); start() opens the same port again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._acceptor.join()  # out of accept() first, so that the port is free when stop() returns
            listener.close()
        with self._lock:
            live, self._sockets = self._sockets, set()
        for sock in live:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            for sock in (client, upstream):
                sock.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
            with self._lock:
                self._sockets -= {source, sink}


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# --- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture
def fast_retries(monkeypatch):
    """Retries as in production, with short pauses, so that a test of an outage takes seconds."""
    monkeypatch.setattr(store_db.Database, "DEFAULT_BACKOFF", 0.01)
    monkeypatch.setenv("COURSE_DB_BUSY_TIMEOUT_MS", "20")
    pending.REGISTRY.clear()
    yield
    pending.REGISTRY.clear()


@pytest.fixture(scope="module")
def postgres_database():
    """One fresh PostgreSQL database for this file (the app's demo seed fills it once); dropped at the end."""
    with fresh_database("gransfall_outage") as url:
        yield make_url(url)


@pytest.fixture(scope="module")
def proxy(postgres_database):
    proxy = TcpProxy(postgres_database.host or "127.0.0.1", postgres_database.port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def app_on_postgres(proxy, postgres_database, monkeypatch, fast_retries):
    """The app in demo mode on that database, reached only through the proxy. Returns the proxy."""
    url = postgres_database.set(port=proxy.port).render_as_string(hide_password=False)
    monkeypatch.setenv("COURSE_DATABASE_URL", url)
    monkeypatch.setenv("COURSE_AUTH", "demo")
    monkeypatch.delenv("COURSE_CONTENT_ROOT", raising=False)
    yield proxy
    if proxy._listener is None:
        proxy.start()


def steps_of(direct_url, person: str) -> list[str]:
    """The person's answers as stored, read past the proxy."""
    engine = create_engine(direct_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(
                "SELECT s.response FROM steps s JOIN attempts a ON a.id = s.attempt_id WHERE a.person_id = :p "
                "ORDER BY s.id"), {"p": person}).scalars())
    finally:
        engine.dispose()


# --- helpers -------------------------------------------------------------------------------------------------

def open_app(user: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["as"] = user
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def keyed(elements, prefix: str):
    return [element for element in elements if (element.key or "").startswith(prefix)]


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("error", "warning", "info", "success", "markdown", "exception")
                     for e in at.get(kind) if isinstance(getattr(e, "value", None), str))


def assert_outage_page(at: AppTest) -> None:
    """The Swedish message with a button to try again; no traceback, no generic error, no false promise."""
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert GENERIC_ERROR not in shown
    assert any("Databasen svarar inte" in e.value for e in at.error), shown
    assert keyed(at.button, "store_retry") or keyed(at.button, "retry_pending"), [b.key for b in at.button]
    assert "finns kvar här" not in shown  # the old message promised what no code kept


def start_first_scenario(user: str) -> AppTest:
    at = open_app(user, modul="mutor", **{"del": "0"})
    assert not at.exception, at.exception
    at.button(key=keyed(at.button, "start-")[0].key).click().run()
    assert keyed(at.radio, "choice-"), texts(at)
    return at


def answer(at: AppTest, choice: int = 0) -> AppTest:
    keyed(at.radio, "choice-")[0].set_value(choice)
    at.form_submit_button[0].click()
    return at.run()


def not_saved(at: AppTest) -> bool:
    return any(re.search(r"Ditt svar från kl\. \d\d:\d\d är inte sparat än", e.value) for e in at.error)


def now_saved(at: AppTest) -> bool:
    return any(re.search(r"Ditt svar från kl\. \d\d:\d\d är nu sparat", s.value) for s in at.success)


# --- PostgreSQL through the proxy --------------------------------------------------------------------------

def test_first_start_with_postgres_down_says_so_and_starts_once_it_is_back(postgres_database, monkeypatch,
                                                                          fast_retries):
    own = TcpProxy(postgres_database.host or "127.0.0.1", postgres_database.port or 5432)  # a URL not yet started
    monkeypatch.setenv("COURSE_DATABASE_URL", postgres_database.set(port=own.port).render_as_string(False))
    monkeypatch.setenv("COURSE_AUTH", "demo")
    monkeypatch.delenv("COURSE_CONTENT_ROOT", raising=False)
    at = open_app("demo-nyanstalld")  # migrations cannot run: nothing listens on the port
    assert_outage_page(at)
    own.start()
    try:
        at.button(key="store_retry").click().run()  # no cached failure: the services start now
        assert not at.exception, at.exception
        assert not any("Databasen svarar inte" in e.value for e in at.error)
        assert any("Hej Nora" in title.value for title in at.title), texts(at)
    finally:
        own.stop()


def test_postgres_goes_away_mid_answer_and_the_answer_is_saved_once_when_it_is_back(app_on_postgres,
                                                                                   postgres_database):
    proxy = app_on_postgres
    at = start_first_scenario("demo-nyanstalld")

    proxy.stop()  # the database goes away while the learner reads the first question
    answer(at, 1)
    assert_outage_page(at)
    assert not_saved(at), texts(at)
    assert "Startas servern om innan dess går det förlorat" in texts(at)  # what happens on a restart, plainly
    assert steps_of(postgres_database, "demo-nyanstalld") == []

    reload = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})  # a new browser session, still down
    assert_outage_page(reload)
    assert not now_saved(reload)

    proxy.start()
    back = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})  # the next reload saves it
    assert not back.exception, back.exception
    assert now_saved(back), texts(back)
    assert not any("Databasen svarar inte" in e.value for e in back.error)
    assert any(m.value.startswith("Du valde:") for m in back.markdown), "the page goes on from the saved answer"
    assert steps_of(postgres_database, "demo-nyanstalld") == ["1"]

    at.button(key="store_retry").click().run()  # the first session tries again: nothing is sent twice
    assert not at.exception, at.exception
    assert not now_saved(at) and not not_saved(at)
    assert any(m.value.startswith("Du valde:") for m in at.markdown)
    again = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    assert not now_saved(again) and not not_saved(again)
    assert steps_of(postgres_database, "demo-nyanstalld") == ["1"]


def test_the_retry_button_saves_the_kept_answer_once(app_on_postgres, postgres_database):
    proxy = app_on_postgres
    at = start_first_scenario("demo-chef")
    proxy.stop()
    answer(at, 0)
    assert_outage_page(at)
    at.button(key="store_retry").click().run()  # still down: still told the truth, nothing saved
    assert_outage_page(at)
    assert not_saved(at)
    assert steps_of(postgres_database, "demo-chef") == []

    proxy.start()
    at.button(key="store_retry").click().run()
    assert not at.exception, at.exception
    assert now_saved(at), texts(at)
    at.run()
    assert not now_saved(at) and not not_saved(at)
    assert steps_of(postgres_database, "demo-chef") == ["0"]


def test_every_page_says_so_when_postgres_goes_away_and_callbacks_do_not_escape(app_on_postgres,
                                                                                postgres_database, monkeypatch):
    from progress import talk
    from progress.org import Org

    proxy = app_on_postgres
    open_app("demo-admin")  # the app has started (and seeded the database)
    direct = store_db.Database(store_db.make_engine(postgres_database.render_as_string(False)))
    talk.save_reflection(direct, "demo-admin", "mutor", "Jag tackar nej till middagar.", False)
    # Who the user is is read first, so an outage stops every page there. To reach each page's own reads and
    # callbacks, that one lookup is answered from memory while the database stays down.
    known = {person_id: Org(direct).person(person_id) for person_id in ("demo-admin", "demo-chef")}
    monkeypatch.setattr(Org, "person", lambda self, person_id: known.get(person_id))
    admin = open_app("demo-admin")
    admin.switch_page("views/my_talk.py").run()
    toggle = admin.toggle(key="talk-share-mutor")

    proxy.stop()
    toggle.set_value(True).run()  # a callback that writes
    assert_outage_page(admin)
    assert any("Ändringen är inte sparad" in e.value for e in admin.error), texts(admin)
    def build_report(at):
        at.form_submit_button[0].click()

    def check_code(at):
        at.text_input(key="cert_code").input("ABCDE-FGHJK")
        at.form_submit_button[0].click()

    pages = {"demo-admin": {"views/learner.py": None, "views/my_talk.py": None, "views/admin.py": None,
                            "views/compliance.py": None, "views/annual_report.py": build_report,
                            "views/certificates.py": check_code},
             "demo-chef": {"views/learner.py": None, "views/manager.py": None, "views/talk.py": None,
                           "views/apt.py": None}}
    for person, actions in pages.items():
        for page, action in actions.items():
            at = open_app(person)
            at.switch_page(page).run()
            if action:  # a page that reads only when asked
                assert not at.exception, at.exception
                action(at)
                at.run()
            assert_outage_page(at)
    at = open_app("demo-admin")
    at.switch_page("views/import_page.py").run()  # reads nothing until a file is uploaded
    assert not at.exception and GENERIC_ERROR not in texts(at)

    proxy.start()
    learner = open_app("demo-admin", modul="mutor", **{"del": "0"})
    start = keyed(learner.button, "start-")
    assert start, texts(learner)
    proxy.stop()
    start[0].click().run()  # a callback that reads first
    assert_outage_page(learner)
    proxy.start()
    learner.button(key="store_retry").click().run()
    assert not learner.exception, learner.exception
    assert not any("Databasen svarar inte" in e.value for e in learner.error), texts(learner)
    assert talk.reflection(direct, "demo-admin", "mutor").shared is False  # the refused change was not made
    direct.engine.dispose()


# --- a locked SQLite -----------------------------------------------------------------------------------------

def sqlite_steps(path, person: str = "demo-nyanstalld") -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute(
            "SELECT s.response FROM steps s JOIN attempts a ON a.id = s.attempt_id WHERE a.person_id = ? "
            "ORDER BY s.id", (person,))]
    finally:
        connection.close()


def test_locked_sqlite_keeps_the_answer_across_a_reload_and_saves_it_once(demo_env, fast_retries):
    at = start_first_scenario("demo-nyanstalld")
    blocker = sqlite3.connect(demo_env, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock; readers still read (WAL)
    try:
        answer(at, 0)
        assert not at.exception, at.exception
        assert not_saved(at), texts(at)
        assert at.button(key="retry_pending")
        assert "Det du gav finns bara kvar i minnet på den här servern" in texts(at)

        reload = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})  # a reload, still locked
        assert not reload.exception, reload.exception
        assert not_saved(reload), texts(reload)  # the kept answer is found and its truth told
        answer(reload, 1)  # the learner changes their mind before anything is saved: the later answer counts
        assert not_saved(reload)
        assert len(pending.REGISTRY.peek(owner("demo-nyanstalld"))) == 1
        assert sqlite_steps(demo_env) == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    back = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    assert not back.exception, back.exception
    assert now_saved(back), texts(back)
    assert sqlite_steps(demo_env) == ["1"]
    at.button(key="retry_pending").click().run()  # the first tab's button, pressed late: nothing twice
    assert not at.exception, at.exception
    assert not now_saved(at) and not not_saved(at)
    assert not any("Databasen svarar inte" in e.value for e in at.error)
    reload_again = open_app("demo-nyanstalld", modul="mutor", **{"del": "0"})
    assert not now_saved(reload_again) and not not_saved(reload_again)
    assert sqlite_steps(demo_env) == ["1"]


# --- the store's read path and the queue, without the app ---------------------------------------------------

def test_a_read_through_a_vanished_postgres_is_store_unavailable_and_recovers(proxy, postgres_database):
    from progress.models import Person
    from sqlalchemy import func, select

    url = postgres_database.set(port=proxy.port).render_as_string(hide_password=False)
    database = store_db.Database(store_db.make_engine(url), backoff=0.01)
    store_db.migrate(database.engine)
    count = select(func.count()).select_from(Person)
    with database.read() as session:
        session.scalar(count)  # a pooled connection, now alive
    proxy.stop()
    try:
        started = time.monotonic()
        with pytest.raises(store_db.StoreUnavailable):  # at the checkout: the ping fails, the reconnect too
            with database.read() as session:
                session.scalar(count)
        assert time.monotonic() - started < 3
    finally:
        proxy.start()
    try:
        with pytest.raises(store_db.StoreUnavailable):
            with database.read() as session:
                session.scalar(count)
                proxy.stop()  # inside the block, after the first query
                session.scalar(count)
    finally:
        proxy.start()
    with database.read() as session:  # the pool recovers by itself
        assert session.scalar(count) >= 0
    database.engine.dispose()


def test_postgres_connections_detect_a_dead_peer_in_seconds_and_the_url_may_say_otherwise(postgres_database):
    def parameters(url):
        engine = store_db.make_engine(url.render_as_string(hide_password=False))
        try:
            connection = engine.raw_connection()
            try:
                return connection.driver_connection.info.get_parameters()
            finally:
                connection.close()
        finally:
            engine.dispose()

    given = parameters(postgres_database)
    assert given["keepalives"] == "1" and int(given["keepalives_idle"]) <= 10
    assert int(given["tcp_user_timeout"]) <= 10000 and int(given["connect_timeout"]) == 5
    assert parameters(postgres_database.update_query_dict({"keepalives_idle": "30"}))["keepalives_idle"] == "30"


def _refused():
    from sqlalchemy.exc import OperationalError

    return OperationalError("SELECT 1", {}, Exception("connection to server failed: Connection refused"))


def test_retries_stop_within_their_budget_and_once_inside_single_try(tmp_path):
    database = store_db.Database(store_db.make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}"), retries=50,
                                 backoff=0.05)
    calls = []

    def failing():
        calls.append(time.monotonic())
        raise _refused()

    with pytest.raises(store_db.StoreUnavailable):
        database.retrying(failing, budget=0.3)
    assert 2 <= len(calls) <= 4 and calls[-1] - calls[0] < 0.5
    calls.clear()
    with store_db.single_try(), pytest.raises(store_db.StoreUnavailable):
        database.retrying(failing)
    assert len(calls) == 1


def test_the_queue_keeps_order_replaces_an_answer_to_the_same_step_and_is_bounded():
    from progress.attempts import StaleAnswer

    registry = pending.PendingAnswers(max_people=2, per_person=2)
    down, written = [True], []

    def write(label):
        def action():
            if down[0]:
                raise store_db.StoreUnavailable("down")
            written.append(label)
            return label
        return action

    me = ("db", "p1")
    assert registry.hold(me, pending.Pending(("step", 1, 0), "answer", write("first")))
    assert registry.hold(me, pending.Pending(("step", 1, 0), "answer", write("changed"))) # same step: replaced
    assert registry.hold(me, pending.Pending(("reflection", "m"), "reflection", write("thought")))
    assert not registry.hold(me, pending.Pending(("step", 1, 1), "answer", write("third")))  # per person
    assert registry.hold(("db", "p2"), pending.Pending("k", "answer", write("x")))
    assert not registry.hold(("db", "p3"), pending.Pending("k", "answer", write("y")))  # people: refused, said so

    flushed = registry.flush(me)
    assert [e.key for e in flushed.waiting] == [("step", 1, 0), ("reflection", "m")] and not written
    assert [e.failures for e in registry.peek(me)] == [1, 1]
    down[0] = False
    flushed = registry.flush(me)
    assert written == ["changed", "thought"] and [r for _, r in flushed.saved] == ["changed", "thought"]
    assert registry.peek(me) == [] and registry.flush(me).saved == []  # sent once, then gone

    def stale():
        raise StaleAnswer("already answered")

    def broken():
        raise ValueError("a bug")

    registry.hold(me, pending.Pending("a", "answer", stale))
    registry.hold(me, pending.Pending("b", "answer", broken))
    flushed = registry.flush(me)
    assert [e.key for e in flushed.stale] == ["a"] and [e.key for e in flushed.failed] == ["b"]
    assert registry.peek(me) == []  # neither is tried again for ever


def test_the_queue_forgets_after_a_day_and_a_newer_answer_wins_over_a_put_back_one():
    from datetime import UTC, datetime, timedelta

    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    registry = pending.PendingAnswers(clock=lambda: now[0])
    me = ("db", "p1")
    registry.hold(me, pending.Pending("old", "answer", lambda: None, given_at=now[0]))
    now[0] += timedelta(hours=25)
    assert registry.peek(me) == []  # kept for a day at most, as the learner is told

    def slow_failure():  # while it is being sent, the learner answers the same step again elsewhere
        registry.hold(me, pending.Pending("step", "answer", lambda: "newer", given_at=now[0]))
        raise store_db.StoreUnavailable("down")

    registry.hold(me, pending.Pending("step", "answer", slow_failure, given_at=now[0]))
    registry.flush(me)
    kept = registry.peek(me)
    assert len(kept) == 1 and kept[0].action() == "newer"


def test_direct_engine_use_reports_a_lost_connection_as_unavailable():
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(store_db.StoreUnavailable):
        with store_db.unavailable_on_loss():
            raise _refused()
    with pytest.raises(ProgrammingError):  # a bad query is a bug, not an outage
        with store_db.unavailable_on_loss():
            raise ProgrammingError("SELECT nope", {}, Exception('relation "nope" does not exist'))
