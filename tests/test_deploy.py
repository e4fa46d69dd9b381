"""Several app servers behind nginx, for real: Debian's nginx runs deploy/nginx/gransfall.conf (loopback ports, a
throw-away certificate and a test host name put in) in front of two Streamlit servers on one fresh PostgreSQL
database, and Debian's Chromium goes through it.

- Both servers start at the same moment, held at the migration's advisory lock until both wait on it: the
  migrations then run once (every table created once, by one connection) and the demo is seeded once.
- TLS, the security headers, the redirect from plain HTTP, and the affinity cookie on the first response only.
- A learner's answers through one server are seen at once by a manager pinned (by the cookie) to the other.
- The learner's server is killed (SIGKILL) in the middle of a scenario: nginx sends the browser's reconnect to the
  other server, which draws the same node; nothing answered is lost and the next answer continues the attempt.

Skipped locally without nginx, Chromium or PostgreSQL; in CI (CI=true) their absence fails (.ci/run installs
them). About 40 s.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from progress.db import MIGRATION_LOCK, STARTUP_LOCK
from tests.browser_support import IN_CI, free_port, require_chromium, scenario_choice, start_streamlit, stop, wait_for
from tests.chromium_support import running_chromium
from tests.conftest import PROJECT_ROOT
from tests.pg_support import fresh_database

NGINX = "/usr/sbin/nginx"
TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "gransfall.conf"
HOST = "gransfall.test"  # Chromium resolves it to loopback; the certificate is made for it
TEMPLATE_HOST = "utbildning.kommun.se"
TEMPLATE_PORTS = ("8501", "8502")
COOKIE = "gransfall_node"
LEARNER, MANAGER = "demo-nyanstalld", "demo-chef"

sync_api = pytest.importorskip("playwright.sync_api")


def require_stack() -> None:
    """Skip without nginx or Chromium locally; in CI their absence is a failure (.ci/run installs both)."""
    require_chromium()
    if not Path(NGINX).exists():
        if IN_CI:
            raise RuntimeError("CI needs Debian's nginx (apt-get install nginx); .ci/run installs it")
        pytest.skip("Debian's nginx is not installed")


pytestmark = pytest.mark.timeout(240)


# --- the pieces ------------------------------------------------------------------------------------------------

def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST, made with `cryptography` (there through Authlib)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def site_config(https_port: int, http_port: int, app_ports: tuple[int, int], cert: Path, key: Path) -> str:
    """deploy/nginx/gransfall.conf with this test's host, ports and certificate; each change is checked to have
    happened, so a template that changes shape fails here rather than testing something else."""
    site = TEMPLATE.read_text(encoding="utf-8")

    def swap(pattern: str, new: str, count: int) -> None:
        nonlocal site
        site, made = re.subn(pattern, new, site)
        assert made == count, f"{TEMPLATE.name}: expected {count} of {pattern!r}, found {made}"

    swap(re.escape(TEMPLATE_HOST), HOST, 4)  # two server_name, the CSP, and the comment at the top
    swap(r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", 2)
    swap(r"listen 80\b", f"listen 127.0.0.1:{http_port}", 2)
    swap(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", 1)
    swap(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", 1)
    for template_port, port in zip(TEMPLATE_PORTS, app_ports):
        swap(rf"server 127\.0\.0\.1:{template_port} ", f"server 127.0.0.1:{port} ", 1)
    return site


def nginx_config(folder: Path, site: Path) -> str:
    """The main configuration a distribution would give, in `folder`: one process in the foreground, its pid, logs
    and temporary files here, and an access log that says which app server answered each request."""
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir()
    return f"""
master_process off;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    log_format routed '$request_method $uri status=$status node=$gransfall_node upstream="$upstream_addr" '
                      'upstream_status="$upstream_status"';
    access_log {folder}/access.log routed;
    include {site};
}}
"""


class Nginx:
    def __init__(self, folder: Path, https_port: int, http_port: int, app_ports: tuple[int, int]):
        self.folder, self.https_port, self.http_port = folder, https_port, http_port
        cert, key = certificate(folder)
        self.cert = cert
        site = folder / "gransfall.conf"
        site.write_text(site_config(https_port, http_port, app_ports, cert, key), encoding="utf-8")
        self.conf = folder / "nginx.conf"
        self.conf.write_text(nginx_config(folder, site), encoding="utf-8")
        command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(self.conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    def access_log(self) -> list[str]:
        path = self.folder / "access.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish and log the open requests
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class _Loopback(http.client.HTTPSConnection):
    """HTTPS to HOST (its name in SNI and Host, the test's certificate checked) on 127.0.0.1."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def https_get(nginx: Nginx, path: str, cookie: str | None = None, sni: str = HOST):
    context = ssl.create_default_context(cafile=str(nginx.cert))
    if sni != HOST:
        context.check_hostname = False
    connection = _Loopback(sni, nginx.https_port, context=context, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"{HOST}:{nginx.https_port}",
                                                 **({"Cookie": f"{COOKIE}={cookie}"} if cookie else {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def routed(nginx: Nginx, cookie: str) -> list[tuple[str, str, str]]:
    """(uri, upstream addresses, upstream statuses) of every logged request hashed on `cookie` (the value the
    request came with, or the one its answer set)."""
    found = []
    for line in nginx.access_log():
        match = re.search(r" (\S+) status=\d+ node=(\S*) upstream=\"([^\"]*)\" upstream_status=\"([^\"]*)\"",
                          line)
        if match and match.group(2) == cookie:
            found.append((match.group(1), match.group(3), match.group(4)))
    return found


def cookie_for(nginx: Nginx, port: int) -> str:
    """An affinity cookie that nginx hashes onto the app server on `port`: asked of nginx itself."""
    for n in range(200):
        value = f"probe{n:03d}"
        status, _, _ = https_get(nginx, "/_stcore/health", cookie=value)
        assert status == 200
        # nginx logs a request just after answering it
        logged = until(lambda: routed(nginx, value), 5, f"nginx logs the request with cookie {value}", 0.02)
        if logged[-1][1] == f"127.0.0.1:{port}":
            return value
    raise AssertionError(f"no cookie value of 200 is hashed onto port {port}")


# --- the stack ---------------------------------------------------------------------------------------------------

DDL_LOG = """
CREATE SCHEMA deploy_test;
CREATE TABLE deploy_test.ddl (tag text, object text, backend int, xact bigint);
CREATE FUNCTION deploy_test.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    INSERT INTO deploy_test.ddl VALUES (r.command_tag, r.object_identity, pg_backend_pid(), txid_current());
  END LOOP;
END $$;
CREATE EVENT TRIGGER deploy_test_ddl ON ddl_command_end EXECUTE FUNCTION deploy_test.log_ddl();
"""


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL database that records every DDL command (which connection, which transaction)."""
    with fresh_database("gransfall_deploy") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(DDL_LOG)
            yield url, engine
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def browser():
    require_stack()
    with running_chromium([f"--host-resolver-rules=MAP {HOST} 127.0.0.1", "--ignore-certificate-errors"]) as browser:
        yield browser


class Stack:
    def __init__(self, nginx: Nginx, ports: tuple[int, int], servers: dict[int, subprocess.Popen], logs: Path):
        self.nginx, self.ports, self.servers, self.logs = nginx, ports, servers, logs
        self.pinned: dict[int, str] = {}

    def context(self, browser, port: int | None = None):
        """A browser context through nginx; pinned to the app server on `port` by its affinity cookie."""
        context = browser.new_context(ignore_https_errors=True)
        if port is not None:
            context.add_cookies([{"name": COOKIE, "value": self.pinned[port], "url": self.nginx.url}])
        return context

    def server_log(self, port: int) -> str:
        return (self.logs / f"streamlit-{port}.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def stack(browser, database, tmp_path_factory):
    url, engine = database
    folder = tmp_path_factory.mktemp("deploy")
    ports = (free_port(), free_port())
    env = {**os.environ, "COURSE_AUTH": "demo", "COURSE_DATABASE_URL": url,
           # one cookie secret on every server behind one proxy (README, SECURITY.md)
           "STREAMLIT_SERVER_COOKIE_SECRET": uuid.uuid4().hex * 2}
    servers: dict[int, subprocess.Popen] = {}
    nginx = None
    holder = engine.connect()
    try:
        # Held by the test until both servers wait (test_both_servers_start_together...): they start together.
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        for port in ports:
            log = open(folder / f"streamlit-{port}.log", "wb")
            servers[port] = start_streamlit("app.py", port, env, output=log)
        nginx = Nginx(folder, free_port(), free_port(), ports)
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/_stcore/health", servers[port], f"the app server on {port}")
        wait_for_port(nginx.https_port, nginx.process)
        running = Stack(nginx, ports, servers, folder)
        running.pinned = {port: cookie_for(nginx, port) for port in ports}
        # The first session on each server opens the store (migrations, the seed): one page through nginx to each
        pages = []
        for port in ports:
            page = running.context(browser, port).new_page()
            page.goto(f"{nginx.url}/?as={MANAGER}")
            pages.append(page)
        # One server holds the startup lock and waits for the migration lock, the other waits for the startup lock
        until(lambda: waiting_at_lock(engine, MIGRATION_LOCK) == 1 and waiting_at_lock(engine, STARTUP_LOCK) == 1,
              60, "both servers wait, one at the migration's lock and the other at the startup lock")
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        for page in pages:
            page.get_by_role("heading", name="Hej Cecilia!").wait_for(timeout=90_000)
            page.context.close()
        yield running
    finally:
        holder.close()
        for process in servers.values():
            if process.poll() is None:
                stop(process)
        if nginx is not None:
            nginx.stop()


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "nginx exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nginx does not listen on {port}")


def waiting_at_lock(engine, key: int) -> int:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"key": key}).scalar_one()


def until(condition, seconds: float, what: str, step: float = 0.2, page=None):
    """The first true value of `condition()`, polled; with `page`, waiting in Playwright (so that its events come
    in meanwhile)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if page is not None:
            page.wait_for_timeout(step * 1000)
        else:
            time.sleep(step)
    raise AssertionError(f"{what} within {seconds} s")


def full_run_finished(received: list) -> bool:
    """Whether the websocket frames `received` include the end of a whole run of the page (not of a fragment)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    for payload in received:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            if (message.WhichOneof("type") == "script_finished"
                    and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY):
                return True
    return False


def steps(engine, person: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT a.id, s.step_no, s.response FROM steps s JOIN attempts a ON a.id = s.attempt_id "
            "WHERE a.person_id = :person AND a.kind = 'scenario' ORDER BY a.id, s.step_no"), {"person": person})]


# --- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_servers_starting_at_once_seed_the_demo_once(backend, monkeypatch, tmp_path):
    """Two servers' first sessions open one empty demo store at the same moment (in one process here, under two
    URLs of the same database, so Streamlit's cache does not serialise them): the seed runs once, and the other
    server finds it done. Without the startup lock both find the store empty and both seed."""
    from course.content.loader import default_content_root
    from progress import seed as seed_module
    from views import context

    calls: list[str] = []
    real_seed = seed_module.seed

    def slow_seed(*args, **kwargs):
        calls.append(threading.current_thread().name)
        time.sleep(0.5)  # the window in which the other server would find the store empty
        return real_seed(*args, **{**kwargs, "employees": 20})  # a small demo: the test is about once

    monkeypatch.setattr(seed_module, "seed", slow_seed)
    with (fresh_database("gransfall_seed_once") if backend == "postgresql" else _sqlite_file(tmp_path)) as url:
        urls = ([f"{url}?application_name=server-{n}" for n in (1, 2)] if backend == "postgresql"
                else [url, url.replace("/demo.sqlite", "/./demo.sqlite")])
        results: dict[str, object] = {}

        def start(name: str, server_url: str) -> None:
            try:
                results[name] = context._services(str(default_content_root()), server_url, True)
            except Exception as error:  # noqa: BLE001 - reported below
                results[name] = error

        threads = [threading.Thread(target=start, args=(f"server-{n}", u), name=f"server-{n}")
                   for n, u in enumerate(urls, 1)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert all(isinstance(result, context.Services) for result in results.values()), results
            assert len(results) == 2 and len(calls) == 1, calls
            with results["server-1"].db.read() as session:
                people = session.scalar(text("SELECT count(*) FROM people"))
            assert people == len(seed_module.DEMO_USERS) + 20 + 7 + _unit_managers(seed_module)
        finally:
            for result in results.values():
                if isinstance(result, context.Services):
                    result.db.engine.dispose()
            context._services.clear()


@contextmanager
def _sqlite_file(folder: Path):
    yield f"sqlite:///{folder}/demo.sqlite"


def _unit_managers(seed_module) -> int:
    managed = {user[6] for user in seed_module.DEMO_USERS if user[6]}
    return sum(1 for unit in seed_module.UNITS if unit[0] not in managed and unit[0] != "bn")


def test_both_servers_start_together_and_migrate_and_seed_once(stack, database):
    """The stack started both servers held at the migration lock until both waited (the fixture), then let them
    go: each served its first page."""
    _, engine = database
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        created = connection.execute(text(
            "SELECT object, count(*), count(DISTINCT backend), count(DISTINCT xact) FROM deploy_test.ddl "
            "WHERE tag = 'CREATE TABLE' GROUP BY object")).all()
        backends = connection.execute(text("SELECT count(DISTINCT backend) FROM deploy_test.ddl")).scalar_one()
        people = connection.execute(text("SELECT count(*) FROM people")).scalar_one()
        rollups = _rollups(connection)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "progress" / "migrations"))
    assert versions == [ScriptDirectory.from_config(config).get_current_head()]
    assert "public.alembic_version" in {row[0] for row in created} and len(created) > 10
    assert all(row[1:] == (1, 1, 1) for row in created), created  # each table created once
    assert backends == 1  # every migration by one connection: the other server found them done
    # Seeded once, and the rollups the seed wrote were not counted again by the other server: a recount agrees
    from course.content.loader import default_content_root, load_course
    from progress import seed as seed_module
    from progress import states, tallies
    from progress.db import Database

    assert people == len(seed_module.DEMO_USERS) + 120 + 7 + _unit_managers(seed_module)
    store = Database(create_engine(database[0]))
    try:
        course = load_course(default_content_root()).course
        tallies.rebuild(store, course)
        states.rebuild(store, course)
        with engine.connect() as connection:
            assert _rollups(connection) == rollups
    finally:
        store.engine.dispose()


def _rollups(connection) -> tuple:
    return (connection.execute(text("SELECT unit_id, role, topic, month, answered, correct FROM topic_tallies "
                                    "ORDER BY 1, 2, 3, 4")).all(),
            connection.execute(text("SELECT * FROM module_states ORDER BY person_id, module_id")).all())


def test_tls_headers_redirect_and_the_affinity_cookie(stack):
    running = stack
    nginx = running.nginx
    status, headers, body = https_get(nginx, "/?as=demo-chef")
    assert status == 200 and b"<noscript>" in body  # Streamlit's page, over TLS with the test's certificate
    for name in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                 "Permissions-Policy", "Content-Security-Policy"):
        assert headers[name], name
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    cookie, = [value for value in headers.get_all("Set-Cookie") if value.startswith(f"{COOKIE}=")]
    assert re.fullmatch(rf"{COOKIE}=[0-9a-f]{{32}}; Path=/; Secure; HttpOnly; SameSite=Lax", cookie), cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    again = https_get(nginx, "/_stcore/health", cookie=value)
    assert again[0] == 200  # only the first response sets it
    assert not [value for value in again[1].get_all("Set-Cookie") or [] if value.startswith(f"{COOKIE}=")]
    assert again[1]["Strict-Transport-Security"]  # and the headers are on every response
    first, second = (line[1] for line in until(lambda: routed(nginx, value)[:2] if len(routed(nginx, value)) > 1
                                                else None, 5, "nginx logs both requests", 0.02))
    assert first == second  # the page and the request after it reached the same server

    # A file one server does not have is asked of the other, with the headers still on the answer
    missing = https_get(nginx, "/media/absent.pdf", cookie=running.pinned[running.ports[0]])
    assert missing[0] == 404 and missing[1]["Content-Security-Policy"]
    media = until(lambda: [line for line in routed(nginx, running.pinned[running.ports[0]])
                           if line[0] == "/media/absent.pdf"], 5, "nginx logs the media request", 0.02)
    assert media[-1][1:] == (f"127.0.0.1:{running.ports[0]}, 127.0.0.1:{running.ports[1]}", "404, 404")

    # An unknown host name gets no TLS handshake (ssl_reject_handshake); plain HTTP only redirects
    with pytest.raises(ssl.SSLError):
        https_get(nginx, "/", sni="other.example")
    plain = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    plain.request("GET", "/min-utbildning?as=x", headers={"Host": HOST})
    response = plain.getresponse()
    assert response.status == 301 and response.headers["Location"] == f"https://{HOST}/min-utbildning?as=x"
    plain.close()
    unknown = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
    unknown.request("GET", "/", headers={"Host": "other.example"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        unknown.getresponse()  # 444: closed without an answer
    unknown.close()


def talk_status(page, module_title: str) -> str:
    """The status column of `module_title` in the talk page's status table, once the page has drawn it (read from
    the accessible table Glide keeps inside its canvas)."""
    rows = page.locator("[data-testid='stDataFrame'] table tbody tr")

    def status() -> str | None:
        cells = rows.evaluate_all("rows => rows.map(row => [...row.cells].map(cell => cell.textContent))")
        return next((row[1] for row in cells if row and row[0] == module_title), None)

    return until(status, 30, f"the talk page shows {module_title}")


def test_learner_moves_to_the_other_server_when_theirs_is_killed(stack, database, browser):
    running = stack
    nginx = running.nginx
    _, engine = database
    talk_page = f"{nginx.url}/medarbetarsamtal?as={MANAGER}&person={LEARNER}"
    problems: list[str] = []

    def watch(page):
        page.on("console", lambda message: problems.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    learner_context = running.context(browser)  # no cookie yet: nginx picks the server
    learner = watch(learner_context.new_page())
    sockets, frames = [], {}

    def opened(socket) -> None:
        sockets.append(socket)
        frames[socket] = []
        socket.on("framereceived", lambda frame: frames[socket].append(frame))

    learner.on("websocket", opened)
    learner.goto(f"{nginx.url}/?as={LEARNER}&modul=mutor")
    learner.get_by_role("button", name="Starta scenariot").wait_for(timeout=60_000)
    cookie = next(c["value"] for c in learner_context.cookies() if c["name"] == COOKIE)
    own = int(routed(nginx, cookie)[0][1].rsplit(":", 1)[1])
    other = next(port for port in running.ports if port != own)
    assert {line[1] for line in routed(nginx, cookie)} == {f"127.0.0.1:{own}"}  # affinity

    manager = watch(running.context(browser, other).new_page())  # pinned to the other server
    manager.goto(talk_page)
    assert talk_status(manager, "Mutor") == "Ej påbörjad"

    learner.get_by_role("button", name="Starta scenariot").click()
    learner.get_by_text("Vad gör du?").wait_for(timeout=30_000)
    vague, vague_text = scenario_choice("mutor-bygglov-middag", "inbjudan", "vagt_svar")
    to_office, to_office_text = scenario_choice("mutor-bygglov-middag", "vagt_svar", "motet")
    refuse, refuse_text = scenario_choice("mutor-bygglov-middag", "motet", "efter_nej")
    learner.get_by_text(vague_text).click()
    learner.get_by_role("button", name="Svara").click()
    learner.get_by_text("På onsdagen får du ett sms").wait_for(timeout=30_000)
    first = steps(engine, LEARNER)
    assert [step[1:] for step in first] == [(0, str(vague))]

    manager.reload()  # through the other server, at once: the answer is in the database
    assert talk_status(manager, "Mutor") == "Pågår"
    assert {line[1] for line in routed(nginx, running.pinned[other])
            if not line[0].startswith("/media/")} == {f"127.0.0.1:{other}"}  # the manager's server

    learner.get_by_text(to_office_text).click()
    learner.get_by_role("button", name="Svara").click()
    learner.get_by_text("Erik kommer till kontoret").wait_for(timeout=30_000)
    answered = steps(engine, LEARNER)
    assert [step[1:] for step in answered] == [(0, str(vague)), (1, str(to_office))]
    assert all(line[1] == f"127.0.0.1:{own}" for line in routed(nginx, cookie))

    # In the middle of the scenario, the learner's server dies
    before = len(sockets)
    running.servers[own].kill()
    running.servers[own].wait(timeout=10)
    until(lambda: len(sockets) > before, 30, "the browser opens a new websocket", page=learner)
    # The page stays on screen while the other server runs it afresh; a click before that run ends would go to a
    # fragment the new session does not have yet, and be dropped. A person sees the page redrawn; the test waits
    # for the run's end.
    until(lambda: full_run_finished(frames[sockets[-1]]), 60, "the other server sends the page over it",
          page=learner)
    learner.get_by_text("Erik kommer till kontoret").wait_for(timeout=30_000)  # the same node
    assert learner.get_by_text(refuse_text).is_visible()
    assert "modul=mutor" in learner.url
    assert steps(engine, LEARNER) == answered  # nothing lost, nothing twice

    # nginx sent the reconnect to the other server: the dead one refused, the next one on the hash answered
    failed_over = [line for line in routed(nginx, cookie) if line[1] == f"127.0.0.1:{own}, 127.0.0.1:{other}"]
    assert failed_over and failed_over[0][2].startswith("502, "), routed(nginx, cookie)
    assert f"connect() failed (111: Connection refused) while connecting to upstream" in nginx.error_log()

    # ... and the learner goes on there, in the same attempt
    learner.get_by_text(refuse_text).click()
    learner.get_by_role("button", name="Svara").click()
    try:
        learner.get_by_text("Erik säger \"Okej, förstås\"").wait_for(timeout=30_000)
    except Exception:  # what was shown instead, and what the server said
        print("The learner's page:", learner.inner_text("body")[-2000:])
        print("The other server's log:", running.server_log(other)[-3000:])
        raise
    assert steps(engine, LEARNER) == [*answered, (answered[0][0], 2, str(refuse))]
    manager.reload()
    assert talk_status(manager, "Mutor") == "Pågår"

    learner_context.close()  # the websockets end: nginx logs them
    manager.context.close()
    streams = until(lambda: [line[1] for line in routed(nginx, cookie) if line[0] == "/_stcore/stream"][:2]
                    if len([1 for line in routed(nginx, cookie) if line[0] == "/_stcore/stream"]) > 1 else None,
                    10, "nginx logs both websockets")
    assert streams[0] == f"127.0.0.1:{own}" and streams[1].endswith(f"127.0.0.1:{other}")
    assert not problems, problems


# --- the systemd units -------------------------------------------------------------------------------------------

UNITS = PROJECT_ROOT / "deploy" / "systemd"
INSTALLED = "/opt/gransfall"  # where the units expect the checkout


def _exec_start(unit: str) -> list[str]:
    line, = [line for line in (UNITS / unit).read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").split()


def test_systemd_units_are_valid_and_run_what_the_tests_run(tmp_path, monkeypatch):
    """systemd accepts the units (with this checkout in place of /opt/gransfall); the app server's command is
    the one the tests start (browser_support.start_streamlit), and the timers' commands are accepted by the CLI."""
    app = _exec_start("gransfall@.service")
    assert app[:2] == [f"{INSTALLED}/.venv/bin/python", "-m"]
    assert app[2:] == ["streamlit", "run", "app.py", "--server.port", "%i", "--server.address", "${GRANSFALL_ADDRESS}",
                       "--server.headless", "true"]
    import tests.browser_support as support  # the same command as the servers these tests start

    monkeypatch.setattr(support.subprocess, "Popen", lambda command, **_: command)
    started = support.start_streamlit("app.py", 8501, {})
    assert started[1:] == [arg.replace("%i", "8501").replace("${GRANSFALL_ADDRESS}", "127.0.0.1") for arg in app[1:]]
    monkeypatch.undo()

    for unit, command in (("gransfall-remind.service", "remind"), ("gransfall-retention.service", "retention")):
        args = _exec_start(unit)
        assert args[:4] == [f"{INSTALLED}/.venv/bin/python", "-m", "course", command], unit
        # The unit's own arguments, as a dry run on a scratch database: the CLI takes them
        archive = [str(tmp_path / "arkiv") if arg.startswith("/var/lib/gransfall") else arg for arg in args[4:]]
        run = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "course", command, *archive,
                              "--dry-run", "--database-url", f"sqlite:///{tmp_path / 'store.sqlite'}"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "COURSE_AUTH": "oidc"})
        assert run.returncode == 0, (unit, run.stdout, run.stderr)

    # The nightly count has no dry run: it runs for real on a new scratch store (it migrates it first)
    args = _exec_start("gransfall-daily-counts.service")
    assert args[:4] == [f"{INSTALLED}/.venv/bin/python", "-m", "course", "daily-counts"]
    scratch = f"sqlite:///{tmp_path / 'counts.sqlite'}"
    run = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "course", *args[3:],
                          "--database-url", scratch], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COURSE_AUTH": "oidc"})
    assert run.returncode == 0 and "Dagens statusar räknade" in run.stderr, (run.stdout, run.stderr)

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(PROJECT_ROOT)),
                                          encoding="utf-8")
    names = ["gransfall@8501.service", "gransfall-remind.service", "gransfall-remind.timer",
             "gransfall-retention.service", "gransfall-retention.timer", "gransfall-daily-counts.service",
             "gransfall-daily-counts.timer"]
    checked = subprocess.run([analyze, "verify", "--man=no", *(f"./{name}" for name in names)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
