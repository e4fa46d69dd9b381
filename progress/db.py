"""The database: engine from COURSE_DATABASE_URL (default: a SQLite file under data/), migrations on start,
one transaction per use case, and retries when the database is locked or unreachable."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "gransfall.sqlite"
DEMO_SQLITE_PATH = PROJECT_ROOT / "data" / "demo.sqlite"  # demo mode's own file, apart from any real store
AUTH_MODES = ("demo", "oidc")
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 7214031  # the PostgreSQL advisory lock key that lets one of several starting servers migrate
STARTUP_LOCK = 7214032  # ... and the one under which a starting server seeds the demo and counts missing rollups
T = TypeVar("T")


UNAVAILABLE_MESSAGE = ("Databasen svarar inte just nu. Försök igen om en stund. "
                       "Kvarstår felet, kontakta den som förvaltar utbildningen.")
# A PostgreSQL server that vanishes (host down, cable out) leaves a half-open TCP connection that would hang a
# request for minutes: libpq's keepalives probe an idle connection after 5 s (3 probes 1 s apart) and
# tcp_user_timeout drops one whose sent data stays unacknowledged for 8 s. A setting given in the URL wins.
POSTGRES_CONNECT_ARGS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 1,
                         "keepalives_count": 3, "tcp_user_timeout": 8000}


class StoreUnavailable(RuntimeError):
    """The database stayed locked or unreachable through every retry. The message is for people."""

    def __init__(self, detail: str):
        super().__init__(UNAVAILABLE_MESSAGE)
        self.detail = detail


def auth_mode() -> str:
    """COURSE_AUTH: `demo` (the embedded default: its own SQLite file, the banner and ?as=) or `oidc`."""
    mode = os.environ.get("COURSE_AUTH", "").strip().lower() or "demo"
    if mode not in AUTH_MODES:
        raise ValueError(f"COURSE_AUTH={mode!r}: use demo or oidc")
    return mode


def database_url(mode: str | None = None) -> str:
    """COURSE_DATABASE_URL, else the embedded SQLite file: the demo's own in demo mode, the real one otherwise."""
    if os.environ.get("COURSE_DATABASE_URL"):
        return os.environ["COURSE_DATABASE_URL"]
    return f"sqlite:///{DEMO_SQLITE_PATH if mode == 'demo' else DEFAULT_SQLITE_PATH}"


def shown_url(url: str) -> str:
    """The URL without its password, for messages that say which database a command writes to."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def is_configured() -> bool:
    return bool(os.environ.get("COURSE_DATABASE_URL"))


def make_engine(url: str | None = None, busy_timeout_ms: int | None = None) -> Engine:
    url = url or database_url()
    if busy_timeout_ms is None:  # how long SQLite waits for another writer before we retry
        busy_timeout_ms = int(os.environ.get("COURSE_DB_BUSY_TIMEOUT_MS", "5000"))
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
        _sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    given = make_url(url).query
    connect_args = {key: value for key, value in POSTGRES_CONNECT_ARGS.items() if key not in given}
    # pool_timeout: when every connection hangs on a dead server, a request waits at most 10 s for one
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=10,
                         connect_args=connect_args)


def _sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL (readers never block the writer), a busy timeout, foreign keys on, and BEGIN IMMEDIATE for writes:
    a deferred transaction that later wants to write can fail at once with 'database is locked' instead of
    waiting, so write transactions take the lock up front (the SQLAlchemy pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let the 'begin' event below emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration. Safe when several app servers start at once: on PostgreSQL an
    advisory lock serialises them; on SQLite BEGIN IMMEDIATE does."""
    from alembic import command

    migrate_to(engine, "head", command.upgrade)


def migrate_to(engine: Engine, revision: str, action=None) -> None:
    """Run Alembic's `action` (upgrade by default; the tests also go down) to `revision` in one transaction.

    SQLite changes a table by copying it (Alembic's batch mode), and with foreign keys on, dropping the old copy
    would delete or refuse the rows that refer to it. So, as SQLite's own procedure for schema changes says,
    foreign keys are off for the migration and checked before it commits."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if sqlite:  # outside any transaction, or SQLite ignores it
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.execution_options(sqlite_begin="IMMEDIATE").begin():
                if not sqlite:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                config.attributes["connection"] = connection
                (action or command.upgrade)(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("Migreringen lämnade rader som pekar på rader som inte finns; den avbryts.")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def command_store(url: str | None) -> Iterator["Database"]:
    """The store a command-line command works on: brought to the newest schema first, closed afterwards."""
    engine = make_engine(url)
    try:
        migrate(engine)
        yield Database(engine)
    finally:
        engine.dispose()


@contextmanager
def exclusively(db: "Database", key: int) -> Iterator[None]:
    """Run the block in one process at a time among all that use this database, also when the block commits
    several transactions (a seed writes in batches): on PostgreSQL under a session-level advisory lock on a
    connection of its own, held until the block ends; on a SQLite file under a lock on a file beside it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = db.retrying(engine.connect)
        try:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except DBAPIError:  # the connection is gone, and the lock with it; never put it back in the pool
                    connection.invalidate()
        finally:
            connection.close()
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield  # one process has this database
        return
    import fcntl

    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def insert_for(session, model):
    """The database's own INSERT, which has ON CONFLICT DO UPDATE (an upsert), on PostgreSQL and on SQLite."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(model)


class Database:
    """Engine plus sessions: `read()` for queries, `write()` for one use case in one transaction. Either ends
    in StoreUnavailable when the database stays locked or unreachable."""

    DEFAULT_RETRIES = 4  # a write: the whole use case again, pauses of 0.2, 0.4, 0.8, 1.6 s ...
    DEFAULT_BACKOFF = 0.2
    WRITE_BUDGET_S = 10.0  # ... but no new try once this much time has gone (a locked SQLite waits per try)
    READ_RETRIES = 2  # a read: only getting the connection is tried again, and briefly
    READ_BUDGET_S = 1.5

    def __init__(self, engine: Engine, retries: int | None = None, backoff: float | None = None):
        self.engine = engine
        self.retries = self.DEFAULT_RETRIES if retries is None else retries
        self.backoff = self.DEFAULT_BACKOFF if backoff is None else backoff
        self._reader = sessionmaker(engine, expire_on_commit=False)
        self._writer = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries. Its connection is checked out (and, on PostgreSQL, pinged) before the block
        runs, and that alone is tried again: a block cannot be replayed once it has run. A connection lost or
        refused then, inside the block or when the session closes, ends in StoreUnavailable."""
        session = self.retrying(self._connected_reader, retries=min(self.retries, self.READ_RETRIES),
                                budget=self.READ_BUDGET_S)
        failed = True
        try:
            yield session
            failed = False
        except (DBAPIError, PoolTimeout) as error:
            if _is_transient(error):
                raise StoreUnavailable(_detail(error)) from error
            raise
        finally:
            try:
                session.close()
            except (DBAPIError, PoolTimeout) as error:
                if failed:  # the block's own error is the one to report
                    log.warning("closing a read session failed too: %s", _detail(error))
                elif _is_transient(error):
                    raise StoreUnavailable(_detail(error)) from error
                else:
                    raise

    def _connected_reader(self) -> Session:
        session = self._reader()
        try:
            session.connection()
        except BaseException:
            session.close()
            raise
        return session

    def write(self, use_case: Callable[[Session], T]) -> T:
        """Run `use_case(session)` in one transaction and commit; retry the whole of it when the database is
        locked or unreachable, then give up with StoreUnavailable. Use cases must be idempotent (they are:
        every answer carries its idempotency key), so a retry after an unclear commit changes nothing."""
        return self.retrying(lambda: self._run(use_case))

    def write_again_on_conflict(self, use_case: Callable[[Session], T], tries: int = 2) -> T:
        """write(), run again after a unique-key conflict, `tries` times in all: a concurrent request wrote the
        same row first (the next try finds it), or a random code was taken (the next try draws another)."""
        for attempt in range(1, tries + 1):
            try:
                return self.write(use_case)
            except IntegrityError:
                if attempt == tries:
                    raise
        raise AssertionError("unreachable")

    def _run(self, use_case: Callable[[Session], T]) -> T:
        with self._writer() as session, session.begin():
            return use_case(session)

    def retrying(self, action: Callable[[], T], retries: int | None = None, budget: float | None = None) -> T:
        """`action()`, tried again after a pause (doubling) while the error is transient, at most `retries`
        times and not after `budget` seconds; then StoreUnavailable. Any other error goes through at once."""
        retries = 0 if _single_try.get() else self.retries if retries is None else retries
        budget = self.WRITE_BUDGET_S if budget is None else budget
        started, delay = time.monotonic(), self.backoff
        for attempt in range(retries + 1):
            try:
                return action()
            except (DBAPIError, PoolTimeout) as error:
                if not _is_transient(error):
                    raise
                if attempt == retries or time.monotonic() - started + delay > budget or _cancelled(error):
                    raise StoreUnavailable(_detail(error)) from error
                log.warning("database busy or unreachable (%s); retry %d", _detail(error), attempt + 1)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


@contextmanager
def unavailable_on_loss() -> Iterator[None]:
    """For code that uses the engine directly (the demo seed's bulk inserts): a lost or refused connection
    becomes StoreUnavailable, without a retry."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as error:
        if _is_transient(error):
            raise StoreUnavailable(_detail(error)) from error
        raise


_single_try: ContextVar[bool] = ContextVar("single_try", default=False)


@contextmanager
def single_try() -> Iterator[None]:
    """Within it, reads and writes try once, without retries: for a page that sends kept answers again on its
    own, where a database that is still down should cost one look, not the full round of retries."""
    token = _single_try.set(True)
    try:
        yield
    finally:
        _single_try.reset(token)


_TRANSIENT_WORDS = ("locked", "busy", "unable to open", "connect", "connection", "timeout", "timed out",
                    "terminat", "server closed", "could not receive", "could not send")


def _is_transient(error: Exception) -> bool:
    """Locked, busy or unreachable: the database is not answering. A missing table or a bad query is not."""
    if isinstance(error, PoolTimeout) or getattr(error, "connection_invalidated", False):
        return True
    message = _detail(error).lower()
    return any(word in message for word in _TRANSIENT_WORDS)


def _cancelled(error: Exception) -> bool:
    """PostgreSQL cancelled the statement (statement_timeout, if the URL sets one): it already waited long."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == "57014"


def _detail(error: Exception) -> str:
    return str(getattr(error, "orig", None) or error)
